package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"grantflow/money"
)

// ErrOverRepaid refuses a repayment that would take what was repaid past what is owed.
var ErrOverRepaid = errors.New("more than is owed")

// Recovery is an underspend owed back after a service award's final report was accepted: the
// notice finance received, the letter the provider received, and any part written off.
type Recovery struct {
	AwardID        int64        `db:"award_id" json:"award_id"`
	ApplicationID  int64        `db:"application_id" json:"application_id"`
	Reference      string       `db:"reference" json:"reference"`
	Amount         money.Pence  `db:"amount_pence" json:"amount_pence"`
	DueOn          time.Time    `db:"due_on" json:"due_on"`
	NoticeID       *int64       `db:"notice_id" json:"notice_id,omitempty"`
	LetterID       *int64       `db:"letter_id" json:"letter_id,omitempty"`
	CreatedAt      time.Time    `db:"created_at" json:"created_at"`
	WrittenOff     *money.Pence `db:"written_off_pence" json:"written_off_pence,omitempty"`
	WrittenOffBy   *int64       `db:"written_off_by" json:"written_off_by,omitempty"`
	WrittenOffRole string       `db:"written_off_role" json:"written_off_role,omitempty"`
	WriteOffReason string       `db:"write_off_reason" json:"write_off_reason,omitempty"`
	WrittenOffAt   *time.Time   `db:"written_off_at" json:"written_off_at,omitempty"`
}

// Repayment is money the provider paid back against a recovery.
type Repayment struct {
	AwardID    int64       `db:"award_id" json:"award_id"`
	Seq        int         `db:"seq" json:"seq"`
	Amount     money.Pence `db:"amount_pence" json:"amount_pence"`
	ReceivedOn time.Time   `db:"received_on" json:"received_on"`
	Reference  string      `db:"reference" json:"reference"`
	RecordedBy int64       `db:"recorded_by" json:"recorded_by"`
	RecordedAt time.Time   `db:"recorded_at" json:"recorded_at"`
}

// StartRecovery records what is owed back, the provider's letter and finance's recovery notice
// (kind "recovery"), and the award's spend and underspend, in one transaction, once per award.
func (s *Store) StartRecovery(ctx context.Context, r Recovery, spent money.Pence, notice FinanceNotice, noticeDoc, letter Document, e Event) (Recovery, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &r, `SELECT * FROM recoveries WHERE award_id = $1`, r.AwardID); err == nil {
			return nil // started by an earlier attempt
		} else if notFound(err) != ErrNotFound {
			return err
		}
		if err := saveDocument(ctx, tx, &letter); err != nil {
			return err
		}
		if err := saveDocument(ctx, tx, &noticeDoc); err != nil {
			return err
		}
		var noticeID int64
		if err := tx.GetContext(ctx, &noticeID, `INSERT INTO finance_notices (award_id, kind, seq, reference, payee, amount_pence, schedule, cost_centre, document_id, created_at)
			VALUES ($1,'recovery',0,$2,$3,$4,$5,$6,$7,$8) RETURNING id`,
			r.AwardID, notice.Reference, notice.Payee, notice.Amount, []byte(notice.Schedule), notice.CostCentre, noticeDoc.ID, notice.CreatedAt); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &r, `INSERT INTO recoveries (award_id, application_id, reference, amount_pence, due_on, notice_id, letter_id, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING *`, r.AwardID, r.ApplicationID, r.Reference, r.Amount, r.DueOn, noticeID, letter.ID, r.CreatedAt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE awards SET status = 'recovery', spent_pence = $2, underspend_pence = $3 WHERE id = $1`,
			r.AwardID, spent, r.Amount); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
	return r, err
}

// RecordRepayment records one repayment (its number in the recovery keys it), refusing one that
// would take the repayments past what is owed. Idempotent.
func (s *Store) RecordRepayment(ctx context.Context, p Repayment, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var r Recovery
		if err := tx.GetContext(ctx, &r, `SELECT * FROM recoveries WHERE award_id = $1 FOR UPDATE`, p.AwardID); err != nil {
			return notFound(err)
		}
		var exists bool
		if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM repayments WHERE award_id = $1 AND seq = $2)`, p.AwardID, p.Seq); err != nil {
			return err
		}
		if exists {
			return nil // recorded by an earlier attempt
		}
		var repaid money.Pence
		if err := tx.GetContext(ctx, &repaid, `SELECT coalesce(sum(amount_pence), 0) FROM repayments WHERE award_id = $1`, p.AwardID); err != nil {
			return err
		}
		if repaid+p.Amount > r.Amount {
			return fmt.Errorf("%w: repayment %d of %s would take %s repaid past the %s owed", ErrOverRepaid, p.Seq, p.Amount, repaid+p.Amount, r.Amount)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO repayments (award_id, seq, amount_pence, received_on, reference, recorded_by, recorded_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7)`, p.AwardID, p.Seq, p.Amount, p.ReceivedOn, p.Reference, p.RecordedBy, p.RecordedAt); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// WriteOff records that what is still owed was written off, by whom and why. Idempotent.
func (s *Store) WriteOff(ctx context.Context, awardID int64, amount money.Pence, by int64, role, reason string, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE recoveries SET written_off_pence = $2, written_off_by = $3, written_off_role = $4, write_off_reason = $5,
			written_off_at = $6 WHERE award_id = $1 AND written_off_at IS NULL`, awardID, amount, by, role, reason, e.At)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // written off by an earlier attempt
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// RecoveryFor reads an application's recovery.
func (s *Store) RecoveryFor(ctx context.Context, applicationID int64) (Recovery, error) {
	var r Recovery
	err := s.DB.GetContext(ctx, &r, `SELECT * FROM recoveries WHERE application_id = $1`, applicationID)
	return r, notFound(err)
}

// Repayments lists an award's repayments in the order they were recorded.
func (s *Store) Repayments(ctx context.Context, awardID int64) ([]Repayment, error) {
	list := []Repayment{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM repayments WHERE award_id = $1 ORDER BY seq`, awardID)
	return list, err
}

// ReturnWaiver is a quarter's monitoring return waived by the head of commissioning.
type ReturnWaiver struct {
	ApplicationID int64     `db:"application_id" json:"application_id"`
	FinancialYear int       `db:"financial_year" json:"financial_year"`
	Quarter       int       `db:"quarter" json:"quarter"`
	Reason        string    `db:"reason" json:"reason"`
	WaivedBy      int64     `db:"waived_by" json:"waived_by"`
	WaivedAt      time.Time `db:"waived_at" json:"waived_at"`
}

// WaiveReturns records the waivers of the quarters' returns (financial year and quarter each) with
// the reason. Idempotent.
func (s *Store) WaiveReturns(ctx context.Context, applicationID int64, quarters [][2]int, reason string, by int64, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, q := range quarters {
			if _, err := tx.ExecContext(ctx, `INSERT INTO return_waivers (application_id, financial_year, quarter, reason, waived_by, waived_at)
				VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING`, applicationID, q[0], q[1], reason, by, e.At); err != nil {
				return err
			}
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// ReturnWaivers lists an application's waived returns in order of quarter.
func (s *Store) ReturnWaivers(ctx context.Context, applicationID int64) ([]ReturnWaiver, error) {
	list := []ReturnWaiver{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM return_waivers WHERE application_id = $1 ORDER BY financial_year, quarter`, applicationID)
	return list, err
}

// ReturnWaiversByApplication lists the waived returns of each of the applications.
func (s *Store) ReturnWaiversByApplication(ctx context.Context, ids []int64) (map[int64][]ReturnWaiver, error) {
	var list []ReturnWaiver
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM return_waivers WHERE application_id = ANY($1) ORDER BY financial_year, quarter`, pq.Int64Array(ids))
	out := map[int64][]ReturnWaiver{}
	for _, w := range list {
		out[w.ApplicationID] = append(out[w.ApplicationID], w)
	}
	return out, err
}
