package store

import (
	"context"
	"fmt"
	"time"

	"grantflow/money"
	"grantflow/scheme"
)

// PaymentDue is money finance owes an organisation: a one-off grant its organisation has
// accepted (due on the day of acceptance), or a service award's tranche whose payment notice has
// been sent (due on its date or, if it was held and released later, on the day it was released:
// it could not be paid before). Either way not yet paid.
type PaymentDue struct {
	ApplicationID int64       `db:"application_id" json:"application_id"`
	AwardID       int64       `db:"award_id" json:"award_id"`
	AwardRef      string      `db:"award_reference" json:"award_reference"`
	Organisation  string      `db:"organisation_name" json:"organisation"`
	Title         string      `db:"title" json:"title"`
	Tranche       int         `db:"tranche" json:"tranche"` // 0: a one-off grant's single payment
	FinancialYear int         `db:"financial_year" json:"financial_year,omitempty"`
	Quarter       int         `db:"quarter" json:"quarter,omitempty"`
	Amount        money.Pence `db:"amount_pence" json:"amount_pence"`
	DueOn         time.Time   `db:"due_on" json:"due_on"` // a date (midnight UTC): what is due before the week is overdue
	// NoticeDocumentID is the notice finance was sent for it: the award notice of a one-off grant,
	// the tranche's payment notice.
	NoticeDocumentID *int64 `db:"notice_document_id" json:"notice_document_id,omitempty"`
	// Two-person payments: who proposed it and who approved it, so far (both empty for a payment not
	// yet proposed, and always for a run from before the change, paid in one step).
	ProposedBy   *int64  `db:"proposed_by" json:"-"`
	ProposerName *string `db:"proposer_name" json:"-"`
	ApprovedBy   *int64  `db:"approved_by" json:"-"`
	ApproverName *string `db:"approver_name" json:"-"`
}

// Proposed says a member of finance has proposed the payment.
func (d PaymentDue) Proposed() bool { return d.ProposedBy != nil }

// Approved says a second member of finance has approved it: it can be paid.
func (d PaymentDue) Approved() bool { return d.ApprovedBy != nil }

// PaymentsDue lists everything awaiting payment and due on or before the date through, earliest
// first, read a page at a time (the payment file pays them all).
func (s *Store) PaymentsDue(ctx context.Context, through time.Time) ([]PaymentDue, error) {
	return everyPage(func(p PageRequest) ([]PaymentDue, PageLinks, error) { return s.PaymentsDuePage(ctx, through, "", p) })
}

// Finance's lists run from the earliest due; rows due the same day by award reference, then
// tranche.
var (
	keyByDueAward   = []keyColumn{{"x.due_on", "date"}, {"x.award_reference", "text"}, {"x.tranche", "bigint"}}
	keyByDueRecover = []keyColumn{{"x.due_on", "date"}, {"x.reference", "text"}}
)

// financeMatch is the condition on a finance list (as x) of the text searched for: part of the
// award reference, the organisation's name or the title, literally; TRUE for no text.
func financeMatch(text string, args []any) (string, []any) {
	if text = containing(text); text == "" {
		return "TRUE", args
	}
	args = append(args, text)
	return matchesAny(fmt.Sprintf("$%d", len(args)), "x.award_reference", "x.organisation_name", "x.title"), args
}

func dueKey(due time.Time, awardRef string, tranche int) []any {
	return []any{due.Format(time.DateOnly), awardRef, tranche}
}

// PaymentsDuePage reads a page of what is awaiting payment and due on or before the date through
// (its year, month and day), earliest first, whose award reference, organisation or title
// contains text. A one-off grant's due date is the day, in London, its offer was accepted; a
// tranche's the later of its quarter's date and the day, in London, it was released.
func (s *Store) PaymentsDuePage(ctx context.Context, through time.Time, text string, p PageRequest) ([]PaymentDue, PageLinks, error) {
	match, args := financeMatch(text, []any{through.Format(time.DateOnly), scheme.London.String(), string(scheme.Grassroots)})
	cond, order, args, err := p.sqlOldestFirst(keyByDueAward, args)
	if err != nil {
		return nil, PageLinks{}, err
	}
	list := []PaymentDue{}
	err = s.DB.SelectContext(ctx, &list, `
		SELECT x.*, so.proposed_by, pu.name AS proposer_name, so.approved_by, au.name AS approver_name FROM (
			SELECT ap.id AS application_id, aw.id AS award_id, aw.reference AS award_reference, o.name AS organisation_name, ap.title,
				0 AS tranche, 0 AS financial_year, 0 AS quarter, aw.amount_pence,
				(coalesce(aw.accepted_at, aw.decided_at) AT TIME ZONE $2)::date AS due_on,
				(SELECT n.document_id FROM finance_notices n WHERE n.award_id = aw.id AND n.kind = 'award' ORDER BY n.seq LIMIT 1) AS notice_document_id
			FROM awards aw JOIN applications ap ON ap.id = aw.application_id
			JOIN organisations o ON o.id = ap.organisation_id JOIN schemes s ON s.id = ap.scheme_id
			WHERE s.kind = $3 AND ap.status = 'accepted' AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.award_id = aw.id)
			UNION ALL
			SELECT ap.id, aw.id, aw.reference, o.name, ap.title, t.no, t.financial_year, t.quarter, t.amount_pence,
				greatest(t.due_on, (t.released_at AT TIME ZONE $2)::date), n.document_id
			FROM tranches t JOIN awards aw ON aw.id = t.award_id JOIN applications ap ON ap.id = aw.application_id
			JOIN organisations o ON o.id = ap.organisation_id LEFT JOIN finance_notices n ON n.id = t.notice_id
			WHERE t.status = 'released'
		) x
		-- a one-off grant's payment is signed off (and stored) as its tranche 1
		LEFT JOIN payment_sign_offs so ON so.award_id = x.award_id AND so.tranche = greatest(x.tranche, 1)
		LEFT JOIN users pu ON pu.id = so.proposed_by LEFT JOIN users au ON au.id = so.approved_by
		WHERE x.due_on <= $1::date AND `+match+` AND `+cond+order, args...)
	if err != nil {
		return nil, PageLinks{}, err
	}
	list, links := finishPage(p, list, func(d PaymentDue) []any { return dueKey(d.DueOn, d.AwardRef, d.Tranche) })
	return list, links, nil
}

// HeldTranche is a service award's tranche that fell due but was not released, and why.
type HeldTranche struct {
	ApplicationID int64       `db:"application_id" json:"application_id"`
	AwardRef      string      `db:"award_reference" json:"award_reference"`
	Organisation  string      `db:"organisation_name" json:"organisation"`
	Title         string      `db:"title" json:"title"`
	Tranche       int         `db:"tranche" json:"tranche"`
	FinancialYear int         `db:"financial_year" json:"financial_year"`
	Quarter       int         `db:"quarter" json:"quarter"`
	Amount        money.Pence `db:"amount_pence" json:"amount_pence"`
	DueOn         time.Time   `db:"due_on" json:"due_on"`
	Reason        string      `db:"held_reason" json:"reason"`
}

// HeldTranches lists every held tranche, earliest due first, read a page at a time (the metrics
// count and sum them).
func (s *Store) HeldTranches(ctx context.Context) ([]HeldTranche, error) {
	return everyPage(func(p PageRequest) ([]HeldTranche, PageLinks, error) { return s.HeldTranchesPage(ctx, "", p) })
}

// HeldTranchesPage reads a page of the held tranches, earliest due first, whose award reference,
// organisation or title contains text.
func (s *Store) HeldTranchesPage(ctx context.Context, text string, p PageRequest) ([]HeldTranche, PageLinks, error) {
	match, args := financeMatch(text, nil)
	cond, order, args, err := p.sqlOldestFirst(keyByDueAward, args)
	if err != nil {
		return nil, PageLinks{}, err
	}
	list := []HeldTranche{}
	err = s.DB.SelectContext(ctx, &list, `SELECT x.* FROM (
			SELECT ap.id AS application_id, aw.reference AS award_reference, o.name AS organisation_name, ap.title,
				t.no AS tranche, t.financial_year, t.quarter, t.amount_pence, t.due_on, t.held_reason
			FROM tranches t JOIN awards aw ON aw.id = t.award_id JOIN applications ap ON ap.id = aw.application_id
			JOIN organisations o ON o.id = ap.organisation_id
			WHERE t.status = 'held'
		) x WHERE `+match+` AND `+cond+order, args...)
	if err != nil {
		return nil, PageLinks{}, err
	}
	list, links := finishPage(p, list, func(h HeldTranche) []any { return dueKey(h.DueOn, h.AwardRef, h.Tranche) })
	return list, links, nil
}

// RecoveryDue is an underspend finance is waiting to be repaid: recovery started, not yet repaid in
// full nor written off.
type RecoveryDue struct {
	ApplicationID int64       `db:"application_id" json:"application_id"`
	AwardRef      string      `db:"award_reference" json:"award_reference"`
	Organisation  string      `db:"organisation_name" json:"organisation"`
	Title         string      `db:"title" json:"title"`
	Reference     string      `db:"reference" json:"reference"` // what the provider quotes when repaying
	Owed          money.Pence `db:"amount_pence" json:"owed_pence"`
	Repaid        money.Pence `db:"repaid_pence" json:"repaid_pence"`
	DueOn         time.Time   `db:"due_on" json:"due_on"`
}

// Outstanding is what is still to be repaid.
func (r RecoveryDue) Outstanding() money.Pence { return r.Owed - r.Repaid }

// RecoveriesDuePage reads a page of the underspends awaiting repayment, earliest due first, whose
// award reference, organisation or title contains text.
func (s *Store) RecoveriesDuePage(ctx context.Context, text string, p PageRequest) ([]RecoveryDue, PageLinks, error) {
	match, args := financeMatch(text, nil)
	cond, order, args, err := p.sqlOldestFirst(keyByDueRecover, args)
	if err != nil {
		return nil, PageLinks{}, err
	}
	list := []RecoveryDue{}
	err = s.DB.SelectContext(ctx, &list, `
		SELECT x.* FROM (
			SELECT r.application_id, aw.reference AS award_reference, o.name AS organisation_name, ap.title, r.reference, r.amount_pence,
				(SELECT coalesce(sum(p.amount_pence), 0) FROM repayments p WHERE p.award_id = r.award_id) AS repaid_pence, r.due_on
			FROM recoveries r JOIN awards aw ON aw.id = r.award_id JOIN applications ap ON ap.id = r.application_id
			JOIN organisations o ON o.id = ap.organisation_id
			WHERE r.written_off_at IS NULL
		) x WHERE x.repaid_pence < x.amount_pence AND `+match+` AND `+cond+order, args...)
	if err != nil {
		return nil, PageLinks{}, err
	}
	list, links := finishPage(p, list, func(r RecoveryDue) []any { return []any{r.DueOn.Format(time.DateOnly), r.Reference} })
	return list, links, nil
}
