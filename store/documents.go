package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/money"
)

// Document is a generated letter or notice. Content is only loaded when downloading.
type Document struct {
	ID            int64     `db:"id" json:"id"`
	ApplicationID int64     `db:"application_id" json:"application_id"`
	Kind          string    `db:"kind" json:"kind"`
	Version       int       `db:"version" json:"version"`
	Filename      string    `db:"filename" json:"filename"`
	ContentType   string    `db:"content_type" json:"content_type"`
	SHA256        string    `db:"sha256" json:"sha256"`
	Content       []byte    `db:"content" json:"-"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
}

// SaveDocument stores a document once per (application, kind, version) and returns the stored one,
// so a retried activity gets back the letter it already made.
func (s *Store) SaveDocument(ctx context.Context, d Document) (Document, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error { return saveDocument(ctx, tx, &d) })
	return d, err
}

func saveDocument(ctx context.Context, tx *sqlx.Tx, d *Document) error {
	sum := sha256.Sum256(d.Content)
	d.SHA256 = hex.EncodeToString(sum[:])
	if d.ContentType == "" {
		d.ContentType = "application/pdf"
	}
	if d.Version == 0 {
		d.Version = 1
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO documents (application_id, kind, version, filename, content_type, sha256, content)
		VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (application_id, kind, version) DO NOTHING`,
		d.ApplicationID, d.Kind, d.Version, d.Filename, d.ContentType, d.SHA256, d.Content); err != nil {
		return err
	}
	return tx.GetContext(ctx, d, `SELECT id, application_id, kind, version, filename, content_type, sha256, created_at FROM documents
		WHERE application_id = $1 AND kind = $2 AND version = $3`, d.ApplicationID, d.Kind, d.Version)
}

// Documents lists an application's documents without their content.
func (s *Store) Documents(ctx context.Context, applicationID int64) ([]Document, error) {
	list := []Document{}
	err := s.DB.SelectContext(ctx, &list, `SELECT id, application_id, kind, version, filename, content_type, sha256, created_at
		FROM documents WHERE application_id = $1 ORDER BY id`, applicationID)
	return list, err
}

// Document reads one document with its content.
func (s *Store) Document(ctx context.Context, id int64) (Document, error) {
	var d Document
	err := s.DB.GetContext(ctx, &d, `SELECT * FROM documents WHERE id = $1`, id)
	return d, notFound(err)
}

// FinanceNotice is what finance receives: who to pay, how much, when, against which cost centre.
type FinanceNotice struct {
	ID            int64           `db:"id" json:"id"`
	AwardID       int64           `db:"award_id" json:"award_id"`
	ApplicationID int64           `db:"application_id" json:"application_id"`
	AwardRef      string          `db:"award_reference" json:"award_reference"`
	Kind          string          `db:"kind" json:"kind"`
	Seq           int             `db:"seq" json:"seq"` // tranche number for payment notices; 0 for the award notice
	Reference     string          `db:"reference" json:"reference"`
	Payee         string          `db:"payee" json:"payee"`
	Amount        money.Pence     `db:"amount_pence" json:"amount_pence"`
	Schedule      json.RawMessage `db:"schedule" json:"schedule"`
	CostCentre    string          `db:"cost_centre" json:"cost_centre"`
	DocumentID    int64           `db:"document_id" json:"document_id"`
	CreatedAt     time.Time       `db:"created_at" json:"created_at"`
	// A revised award notice (kind "variation" or "termination") says what changed: the total
	// before, each year's amount before and after (NoticeChange), and the tranches cancelled
	// (rows as in Schedule). Empty on award and payment notices.
	PreviousAmount *money.Pence    `db:"previous_amount_pence" json:"previous_amount_pence,omitempty"`
	Changes        json.RawMessage `db:"changes" json:"changes"`
	Cancelled      json.RawMessage `db:"cancelled" json:"cancelled"`
}

// Kinds of finance notice.
const (
	NoticeAward       = "award"       // an award was made
	NoticePayment     = "payment"     // a tranche released for payment; Seq is the tranche
	NoticeVariation   = "variation"   // the award was varied; Seq is its new version
	NoticeTermination = "termination" // the award was ended early; Seq is 0
	NoticeRecovery    = "recovery"    // an underspend to collect after the final report
)

// NoticeChange is one financial year's amount before and after a change, as a revised notice lists it.
type NoticeChange struct {
	FinancialYear int         `json:"financial_year"`
	Label         string      `json:"label"`
	Before        money.Pence `json:"before_pence"`
	After         money.Pence `json:"after_pence"`
}

// SaveFinanceNotice stores the notice's PDF and its record together, once per award and kind.
func (s *Store) SaveFinanceNotice(ctx context.Context, n FinanceNotice, doc Document, e Event) (FinanceNotice, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := saveDocument(ctx, tx, &doc); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO finance_notices (award_id, kind, seq, reference, payee, amount_pence, schedule, cost_centre, document_id, created_at,
			previous_amount_pence, changes, cancelled)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (award_id, kind, seq) DO NOTHING`,
			n.AwardID, n.Kind, n.Seq, n.Reference, n.Payee, n.Amount, []byte(n.Schedule), n.CostCentre, doc.ID, n.CreatedAt,
			n.PreviousAmount, jsonList(n.Changes), jsonList(n.Cancelled)); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &n, financeNoticeSelect+` WHERE n.award_id = $1 AND n.kind = $2 AND n.seq = $3`, n.AwardID, n.Kind, n.Seq); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
	return n, err
}

// jsonList is a JSON list as stored: an empty one when none is given.
func jsonList(v json.RawMessage) []byte {
	if len(v) == 0 {
		return []byte("[]")
	}
	return v
}

const financeNoticeSelect = `SELECT n.*, a.application_id, a.reference AS award_reference FROM finance_notices n JOIN awards a ON a.id = n.award_id`

// FinanceNotices lists every notice for finance, newest first (tests and the workflows' checks;
// people page through FinanceNoticePage).
func (s *Store) FinanceNotices(ctx context.Context) ([]FinanceNotice, error) {
	list := []FinanceNotice{}
	err := s.DB.SelectContext(ctx, &list, financeNoticeSelect+` ORDER BY n.id DESC`)
	return list, err
}

// FinanceNoticePage is one page of finance's notices, newest first.
func (s *Store) FinanceNoticePage(ctx context.Context, p PageRequest) ([]FinanceNotice, PageLinks, error) {
	cond, order, args, err := p.sql(qualified(keyByID, "n"), nil)
	if err != nil {
		return nil, PageLinks{}, err
	}
	list := []FinanceNotice{}
	if err := s.DB.SelectContext(ctx, &list, financeNoticeSelect+` WHERE `+cond+order, args...); err != nil {
		return nil, PageLinks{}, err
	}
	list, links := finishPage(p, list, func(n FinanceNotice) []any { return []any{n.ID} })
	return list, links, nil
}
