package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/money"
)

// Each write below lands its fact and its audit event in one transaction, and each is keyed so that
// an activity retried after a crash writes nothing twice.

// Conflict is an assessor's or decider's declaration about one application.
type Conflict struct {
	ApplicationID int64     `db:"application_id" json:"application_id"`
	UserID        int64     `db:"user_id" json:"user_id"`
	HasConflict   bool      `db:"has_conflict" json:"has_conflict"`
	Details       string    `db:"details" json:"details,omitempty"`
	DeclaredAt    time.Time `db:"declared_at" json:"declared_at"`
}

// SaveConflict records a declaration (the first one a person makes stands).
func (s *Store) SaveConflict(ctx context.Context, c Conflict, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO conflicts (application_id, user_id, has_conflict, details, declared_at)
			VALUES ($1,$2,$3,$4,$5) ON CONFLICT DO NOTHING`, c.ApplicationID, c.UserID, c.HasConflict, c.Details, c.DeclaredAt); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// Conflicts lists the declarations made on an application.
func (s *Store) Conflicts(ctx context.Context, applicationID int64) ([]Conflict, error) {
	list := []Conflict{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM conflicts WHERE application_id = $1 ORDER BY declared_at`, applicationID)
	return list, err
}

// Assessment is one assessor's scores in one assessment round.
type Assessment struct {
	ApplicationID  int64           `db:"application_id" json:"application_id"`
	Round          int             `db:"round" json:"round"`
	AssessorID     int64           `db:"assessor_id" json:"assessor_id"`
	Scores         json.RawMessage `db:"scores" json:"scores"`
	Weighted       float64         `db:"weighted" json:"weighted"`
	Fundable       bool            `db:"fundable" json:"fundable"`
	Recommendation string          `db:"recommendation" json:"recommendation"`
	Comment        string          `db:"comment" json:"comment"`
	SubmittedAt    time.Time       `db:"submitted_at" json:"submitted_at"`
}

// SaveAssessment records scores and keeps the weighted score on the read model.
func (s *Store) SaveAssessment(ctx context.Context, a Assessment, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO assessments (application_id, round, assessor_id, scores, weighted, fundable, recommendation, comment, submitted_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT DO NOTHING`,
			a.ApplicationID, a.Round, a.AssessorID, []byte(a.Scores), a.Weighted, a.Fundable, a.Recommendation, a.Comment, a.SubmittedAt); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET weighted_score = $2 WHERE id = $1`, a.ApplicationID, a.Weighted); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// Assessments lists an application's assessments, latest round first.
func (s *Store) Assessments(ctx context.Context, applicationID int64) ([]Assessment, error) {
	list := []Assessment{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM assessments WHERE application_id = $1 ORDER BY round DESC, submitted_at`, applicationID)
	return list, err
}

// InformationRequest is a question put to the applicant with a deadline.
type InformationRequest struct {
	ApplicationID int64      `db:"application_id" json:"application_id"`
	Seq           int        `db:"seq" json:"seq"`
	Question      string     `db:"question" json:"question"`
	Deadline      time.Time  `db:"deadline" json:"deadline"`
	AskedBy       int64      `db:"asked_by" json:"asked_by"`
	AskedAt       time.Time  `db:"asked_at" json:"asked_at"`
	Answer        *string    `db:"answer" json:"answer,omitempty"`
	AnsweredAt    *time.Time `db:"answered_at" json:"answered_at,omitempty"`
	Lapsed        bool       `db:"lapsed" json:"lapsed"`
}

// SaveInformationRequest records the question.
func (s *Store) SaveInformationRequest(ctx context.Context, r InformationRequest, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO information_requests (application_id, seq, question, deadline, asked_by, asked_at)
			VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT DO NOTHING`, r.ApplicationID, r.Seq, r.Question, r.Deadline, r.AskedBy, r.AskedAt); err != nil {
			return err
		}
		e.Due = r.Deadline
		return s.recordEvent(ctx, tx, e)
	})
}

// CloseInformationRequest records the answer, or that the deadline passed when answer is nil.
func (s *Store) CloseInformationRequest(ctx context.Context, applicationID int64, seq int, answer *string, at time.Time, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE information_requests SET answer = $3, answered_at = CASE WHEN $3::text IS NULL THEN NULL ELSE $4::timestamptz END,
			lapsed = $3::text IS NULL WHERE application_id = $1 AND seq = $2 AND answered_at IS NULL AND NOT lapsed`, applicationID, seq, answer, at); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// InformationRequests lists the questions asked of an application.
func (s *Store) InformationRequests(ctx context.Context, applicationID int64) ([]InformationRequest, error) {
	list := []InformationRequest{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM information_requests WHERE application_id = $1 ORDER BY seq`, applicationID)
	return list, err
}

// Award is an approved grant offered to (and perhaps accepted by) an organisation.
type Award struct {
	ID             int64           `db:"id" json:"id"`
	ApplicationID  int64           `db:"application_id" json:"application_id"`
	Reference      string          `db:"reference" json:"reference"`
	Amount         money.Pence     `db:"amount_pence" json:"amount_pence"`
	Purpose        string          `db:"purpose" json:"purpose"`
	Conditions     json.RawMessage `db:"conditions" json:"conditions"`
	Reasons        string          `db:"reasons" json:"reasons"`
	ApprovedBy     int64           `db:"approved_by" json:"approved_by"`
	ApprovedRole   string          `db:"approved_role" json:"approved_role"`
	DelegationBand string          `db:"delegation_band" json:"delegation_band"`
	RulesVersion   int             `db:"rules_version" json:"rules_version"`
	DecidedAt      time.Time       `db:"decided_at" json:"decided_at"`
	AcceptBy       time.Time       `db:"accept_by" json:"accept_by"`
	AcceptedAt     *time.Time      `db:"accepted_at" json:"accepted_at,omitempty"`
	AcceptedBy     *int64          `db:"accepted_by" json:"accepted_by,omitempty"`
	Status         string          `db:"status" json:"status"`

	// Service awards (multi-year) also carry these.
	Version             int             `db:"version" json:"version"`
	ConditionsPrecedent json.RawMessage `db:"conditions_precedent" json:"conditions_precedent"`
	ConditionsMetAt     *time.Time      `db:"conditions_met_at" json:"conditions_met_at,omitempty"`
	ConditionsMetBy     *int64          `db:"conditions_met_by" json:"conditions_met_by,omitempty"`
	StartDate           *time.Time      `db:"start_date" json:"start_date,omitempty"` // nil: from before start dates, 1 April of the first year
	EndDate             *time.Time      `db:"end_date" json:"end_date,omitempty"`
	TerminatedAt        *time.Time      `db:"terminated_at" json:"terminated_at,omitempty"`
	TerminationReason   string          `db:"termination_reason" json:"termination_reason,omitempty"`
	Spent               *money.Pence    `db:"spent_pence" json:"spent_pence,omitempty"`
	Underspend          *money.Pence    `db:"underspend_pence" json:"underspend_pence,omitempty"`
	ClosedAt            *time.Time      `db:"closed_at" json:"closed_at,omitempty"`
	// An award ended early stands at what was released or paid before it ended (Amount, its years
	// likewise); Cancelled is what the ending took off it, EndedEarlyOn the day it ended, and
	// EndDate the end of the quarter it ended in.
	Cancelled    *money.Pence `db:"cancelled_pence" json:"cancelled_pence,omitempty"`
	EndedEarlyOn *time.Time   `db:"ended_early_on" json:"ended_early_on,omitempty"`
}

// CreateAward records an approval once per application and returns the award (new or existing).
func (s *Store) CreateAward(ctx context.Context, a Award, e Event) (Award, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		cp := a.ConditionsPrecedent
		if len(cp) == 0 {
			cp = json.RawMessage("[]")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO awards (application_id, reference, amount_pence, purpose, conditions, reasons,
			approved_by, approved_role, delegation_band, rules_version, decided_at, accept_by, conditions_precedent, start_date, end_date)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) ON CONFLICT (application_id) DO NOTHING`,
			a.ApplicationID, a.Reference, a.Amount, a.Purpose, []byte(a.Conditions), a.Reasons, a.ApprovedBy, a.ApprovedRole,
			a.DelegationBand, a.RulesVersion, a.DecidedAt, a.AcceptBy, []byte(cp), a.StartDate, a.EndDate); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &a, `SELECT * FROM awards WHERE application_id = $1`, a.ApplicationID); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
	return a, err
}

// AwardForApplication reads an application's award.
func (s *Store) AwardForApplication(ctx context.Context, applicationID int64) (Award, error) {
	var a Award
	err := s.DB.GetContext(ctx, &a, `SELECT * FROM awards WHERE application_id = $1`, applicationID)
	return a, notFound(err)
}

// SetAwardStatus moves an award on (accepted, lapsed, paid, closed) with its audit event.
func (s *Store) SetAwardStatus(ctx context.Context, applicationID int64, status string, acceptedBy *int64, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE awards SET status = $2,
			accepted_at = CASE WHEN $3::bigint IS NOT NULL THEN coalesce(accepted_at, $4) ELSE accepted_at END,
			accepted_by = coalesce(accepted_by, $3) WHERE application_id = $1`, applicationID, status, acceptedBy, e.At); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// SaveDecline records a decline and its reasons.
func (s *Store) SaveDecline(ctx context.Context, applicationID int64, reasons []string, decidedBy int64, at time.Time, e Event) error {
	r, _ := json.Marshal(reasons)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO declines (application_id, reasons, decided_by, decided_at) VALUES ($1,$2,$3,$4)
			ON CONFLICT DO NOTHING`, applicationID, r, decidedBy, at); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// Payment is money finance has paid against an award.
type Payment struct {
	ID         int64       `db:"id" json:"id"`
	AwardID    int64       `db:"award_id" json:"award_id"`
	Tranche    int         `db:"tranche" json:"tranche"`
	Amount     money.Pence `db:"amount_pence" json:"amount_pence"`
	PaidOn     time.Time   `db:"paid_on" json:"paid_on"`
	Reference  string      `db:"reference" json:"reference"`
	RecordedBy int64       `db:"recorded_by" json:"recorded_by"`
	RecordedAt time.Time   `db:"recorded_at" json:"recorded_at"`
	// ProposedBy and ApprovedBy are the two people in finance behind a two-person payment; empty
	// for a payment recorded in one step before two-person payments.
	ProposedBy *int64 `db:"proposed_by" json:"proposed_by,omitempty"`
	ApprovedBy *int64 `db:"approved_by" json:"approved_by,omitempty"`
}

// insertPayment records a payment once (a repeat changes nothing) and reads back what is recorded.
func insertPayment(ctx context.Context, tx *sqlx.Tx, p *Payment) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO payments (award_id, tranche, amount_pence, paid_on, reference, recorded_by, recorded_at, proposed_by, approved_by)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (award_id, tranche) DO NOTHING`,
		p.AwardID, p.Tranche, p.Amount, p.PaidOn, p.Reference, p.RecordedBy, p.RecordedAt, p.ProposedBy, p.ApprovedBy); err != nil {
		return err
	}
	return tx.GetContext(ctx, p, `SELECT * FROM payments WHERE award_id = $1 AND tranche = $2`, p.AwardID, p.Tranche)
}

// PaymentSignOff is finance's two-person sign-off of one payment.
type PaymentSignOff struct {
	AwardID    int64      `db:"award_id" json:"award_id"`
	Tranche    int        `db:"tranche" json:"tranche"`
	ProposedBy int64      `db:"proposed_by" json:"proposed_by"`
	ProposedAt time.Time  `db:"proposed_at" json:"proposed_at"`
	ApprovedBy *int64     `db:"approved_by" json:"approved_by,omitempty"`
	ApprovedAt *time.Time `db:"approved_at" json:"approved_at,omitempty"`
}

// ProposePayment records that a member of finance proposed the payment; a repeat changes nothing.
func (s *Store) ProposePayment(ctx context.Context, awardID int64, tranche int, by int64, at time.Time, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO payment_sign_offs (award_id, tranche, proposed_by, proposed_at)
			VALUES ($1,$2,$3,$4) ON CONFLICT (award_id, tranche) DO NOTHING`, awardID, tranche, by, at); err != nil {
			return err
		}
		e.Moment = MomentPaymentProposed
		return s.recordEvent(ctx, tx, e)
	})
}

// ApprovePayment records that another member of finance approved the proposed payment; a repeat
// keeps the first approval.
func (s *Store) ApprovePayment(ctx context.Context, awardID int64, tranche int, by int64, at time.Time, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE payment_sign_offs SET approved_by = coalesce(approved_by, $3), approved_at = coalesce(approved_at, $4)
			WHERE award_id = $1 AND tranche = $2`, awardID, tranche, by, at)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return fmt.Errorf("approve payment of award %d tranche %d: %w", awardID, tranche, ErrNotFound)
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// RecordPayment records a tranche's payment once; a repeat returns the payment already recorded.
func (s *Store) RecordPayment(ctx context.Context, p Payment, applicationID int64, e Event) (Payment, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := insertPayment(ctx, tx, &p); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE awards SET status = 'paid' WHERE id = $1`, p.AwardID); err != nil {
			return err
		}
		e.Moment, e.Amount = MomentPaymentRecorded, p.Amount
		return s.recordEvent(ctx, tx, e)
	})
	return p, err
}

// Payments lists an award's payments.
func (s *Store) Payments(ctx context.Context, awardID int64) ([]Payment, error) {
	list := []Payment{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM payments WHERE award_id = $1 ORDER BY tranche`, awardID)
	return list, err
}

// GrantReport is an end-of-grant report and its review.
type GrantReport struct {
	ApplicationID int64       `db:"application_id" json:"application_id"`
	Version       int         `db:"version" json:"version"`
	Summary       string      `db:"summary" json:"summary"`
	Outcomes      string      `db:"outcomes" json:"outcomes"`
	Spent         money.Pence `db:"spent_pence" json:"spent_pence"`
	SubmittedBy   int64       `db:"submitted_by" json:"submitted_by"`
	SubmittedAt   time.Time   `db:"submitted_at" json:"submitted_at"`
	ReviewOutcome *string     `db:"review_outcome" json:"review_outcome,omitempty"`
	ReviewComment *string     `db:"review_comment" json:"review_comment,omitempty"`
	ReviewedBy    *int64      `db:"reviewed_by" json:"reviewed_by,omitempty"`
	ReviewedAt    *time.Time  `db:"reviewed_at" json:"reviewed_at,omitempty"`
	// Beneficiaries is who the grant reached (00026): [{"area","ward","age_band","count"}].
	Beneficiaries []byte `db:"beneficiaries" json:"-"`
}

// SaveGrantReport records a report version.
func (s *Store) SaveGrantReport(ctx context.Context, r GrantReport, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO grant_reports (application_id, version, summary, outcomes, spent_pence, submitted_by, submitted_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`, r.ApplicationID, r.Version, r.Summary, r.Outcomes, r.Spent, r.SubmittedBy, r.SubmittedAt); err != nil {
			return err
		}
		// A report in hand is no longer overdue, however late it came.
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET report_overdue = false WHERE id = $1`, r.ApplicationID); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// ReviewGrantReport records the officer's review of a report version.
func (s *Store) ReviewGrantReport(ctx context.Context, applicationID int64, version int, outcome, comment string, by int64, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE grant_reports SET review_outcome = $3, review_comment = $4, reviewed_by = $5, reviewed_at = $6
			WHERE application_id = $1 AND version = $2 AND review_outcome IS NULL`, applicationID, version, outcome, comment, by, e.At); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// GrantReports lists an application's report versions.
func (s *Store) GrantReports(ctx context.Context, applicationID int64) ([]GrantReport, error) {
	list := []GrantReport{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM grant_reports WHERE application_id = $1 ORDER BY version`, applicationID)
	return list, err
}

// SetReportOverdue flags (or clears) the overdue end-of-grant report on the read model.
func (s *Store) SetReportOverdue(ctx context.Context, applicationID int64, overdue bool, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE applications SET report_overdue = $2 WHERE id = $1`, applicationID, overdue); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// Notification is a reminder or escalation for the people who must act.
type Notification struct {
	ID            int64     `db:"id" json:"id"`
	Key           string    `db:"key" json:"-"`
	ApplicationID int64     `db:"application_id" json:"application_id"`
	Audience      string    `db:"audience" json:"audience"`
	Kind          string    `db:"kind" json:"kind"`
	Message       string    `db:"message" json:"message"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
	DocumentID    int64     `db:"-" json:"-"` // a letter the message links to as well (not stored: the message keeps its link)
}

// Notifications lists an application's notifications.
func (s *Store) Notifications(ctx context.Context, applicationID int64) ([]Notification, error) {
	list := []Notification{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM notifications WHERE application_id = $1 ORDER BY created_at, id`, applicationID)
	return list, err
}
