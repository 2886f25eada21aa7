package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

// Tranche is one quarterly payment of a service award.
type Tranche struct {
	AwardID       int64       `db:"award_id" json:"award_id"`
	No            int         `db:"no" json:"no"`
	FinancialYear int         `db:"financial_year" json:"financial_year"`
	Quarter       int         `db:"quarter" json:"quarter"`
	DueOn         time.Time   `db:"due_on" json:"due_on"`
	Amount        money.Pence `db:"amount_pence" json:"amount_pence"`
	Status        string      `db:"status" json:"status"` // scheduled, held, released, paid, cancelled
	HeldReason    string      `db:"held_reason" json:"held_reason,omitempty"`
	ReleasedAt    *time.Time  `db:"released_at" json:"released_at,omitempty"`
	NoticeID      *int64      `db:"notice_id" json:"notice_id,omitempty"`
}

// SetAwardYears replaces an award's amounts per financial year (on approval and on each variation).
func (s *Store) SetAwardYears(ctx context.Context, awardID int64, years []grant.YearAmount) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM award_years WHERE award_id = $1`, awardID); err != nil {
			return err
		}
		for _, y := range years {
			if _, err := tx.ExecContext(ctx, `INSERT INTO award_years (award_id, financial_year, amount_pence) VALUES ($1,$2,$3)`,
				awardID, y.FinancialYear, y.Amount); err != nil {
				return err
			}
		}
		return nil
	})
}

// AwardYears lists an award's amounts per financial year.
func (s *Store) AwardYears(ctx context.Context, awardID int64) ([]grant.YearAmount, error) {
	list := []grant.YearAmount{}
	err := s.DB.SelectContext(ctx, &list, `SELECT financial_year AS "financialyear", amount_pence AS "amount" FROM award_years WHERE award_id = $1 ORDER BY financial_year`, awardID)
	return list, err
}

// ScheduleTranches writes the payment schedule. Tranches already released or paid are kept as they
// are; the rest are replaced (a variation changes only the remaining schedule).
func (s *Store) ScheduleTranches(ctx context.Context, awardID int64, tranches []grant.Tranche) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return scheduleTranches(ctx, tx, awardID, tranches) })
}

func scheduleTranches(ctx context.Context, tx *sqlx.Tx, awardID int64, tranches []grant.Tranche) error {
	for _, t := range tranches {
		if _, err := tx.ExecContext(ctx, `INSERT INTO tranches (award_id, no, financial_year, quarter, due_on, amount_pence, status)
			VALUES ($1,$2,$3,$4,$5,$6,$7)
			ON CONFLICT (award_id, no) DO UPDATE SET financial_year = EXCLUDED.financial_year, quarter = EXCLUDED.quarter,
				due_on = EXCLUDED.due_on, amount_pence = EXCLUDED.amount_pence, status = EXCLUDED.status,
				held_reason = CASE WHEN EXCLUDED.status = 'held' THEN tranches.held_reason ELSE '' END
			WHERE tranches.status IN ('scheduled', 'held', 'cancelled')`,
			awardID, t.No, t.FinancialYear, t.Quarter, t.DueOn, t.Amount, t.Status); err != nil {
			return err
		}
	}
	return nil
}

// HoldTranche marks a due tranche held, with the reason, and records the event.
func (s *Store) HoldTranche(ctx context.Context, awardID int64, no int, reason string, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE tranches SET status = 'held', held_reason = $3 WHERE award_id = $1 AND no = $2 AND status IN ('scheduled', 'held')`,
			awardID, no, reason); err != nil {
			return err
		}
		e.Moment, e.Subject = MomentTrancheHeld, trancheName(no)
		return s.recordEvent(ctx, tx, e)
	})
}

// ReleaseTranche records the tranche's payment notice and marks it released, once.
func (s *Store) ReleaseTranche(ctx context.Context, awardID int64, no int, n FinanceNotice, doc Document, e Event) (FinanceNotice, error) {
	var out FinanceNotice
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := saveDocument(ctx, tx, &doc); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO finance_notices (award_id, kind, seq, reference, payee, amount_pence, schedule, cost_centre, document_id, created_at)
			VALUES ($1,'payment',$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (award_id, kind, seq) DO NOTHING`,
			awardID, no, n.Reference, n.Payee, n.Amount, []byte(n.Schedule), n.CostCentre, doc.ID, n.CreatedAt); err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &out, financeNoticeSelect+` WHERE n.award_id = $1 AND n.kind = 'payment' AND n.seq = $2`, awardID, no); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tranches SET status = 'released', held_reason = '', released_at = $3, notice_id = $4
			WHERE award_id = $1 AND no = $2 AND status IN ('scheduled', 'held')`, awardID, no, e.At, out.ID); err != nil {
			return err
		}
		e.Moment, e.Subject, e.Amount = MomentTrancheReleased, trancheName(no), out.Amount
		return s.recordEvent(ctx, tx, e)
	})
	return out, err
}

// RecordTranchePayment records finance's payment of a released tranche, once.
func (s *Store) RecordTranchePayment(ctx context.Context, p Payment, applicationID int64, e Event) (Payment, error) {
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := insertPayment(ctx, tx, &p); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tranches SET status = 'paid' WHERE award_id = $1 AND no = $2`, p.AwardID, p.Tranche); err != nil {
			return err
		}
		e.Moment, e.Amount = MomentPaymentRecorded, p.Amount
		return s.recordEvent(ctx, tx, e)
	})
	return p, err
}

// Tranches lists an award's tranches in order.
func (s *Store) Tranches(ctx context.Context, awardID int64) ([]Tranche, error) {
	list := []Tranche{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM tranches WHERE award_id = $1 ORDER BY no`, awardID)
	return list, err
}

// MarkConditionsMet records that an officer confirmed the conditions precedent.
func (s *Store) MarkConditionsMet(ctx context.Context, applicationID, by int64, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE awards SET conditions_met_at = coalesce(conditions_met_at, $2), conditions_met_by = coalesce(conditions_met_by, $3)
			WHERE application_id = $1`, applicationID, e.At, by); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// MonitoringReturn is one version of a quarterly monitoring return and its review.
type MonitoringReturn struct {
	ApplicationID int64           `db:"application_id" json:"application_id"`
	FinancialYear int             `db:"financial_year" json:"financial_year"`
	Quarter       int             `db:"quarter" json:"quarter"`
	Version       int             `db:"version" json:"version"`
	Content       json.RawMessage `db:"content" json:"content"`
	SubmittedBy   int64           `db:"submitted_by" json:"submitted_by"`
	SubmittedAt   time.Time       `db:"submitted_at" json:"submitted_at"`
	ReviewOutcome *string         `db:"review_outcome" json:"review_outcome,omitempty"`
	RAG           *string         `db:"rag" json:"rag,omitempty"`
	ReviewComment *string         `db:"review_comment" json:"review_comment,omitempty"`
	ReviewedBy    *int64          `db:"reviewed_by" json:"reviewed_by,omitempty"`
	ReviewedAt    *time.Time      `db:"reviewed_at" json:"reviewed_at,omitempty"`
}

// SaveReturn records a return version once.
func (s *Store) SaveReturn(ctx context.Context, r MonitoringReturn, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO monitoring_returns (application_id, financial_year, quarter, version, content, submitted_by, submitted_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT DO NOTHING`, r.ApplicationID, r.FinancialYear, r.Quarter, r.Version, []byte(r.Content),
			r.SubmittedBy, r.SubmittedAt); err != nil {
			return err
		}
		e.Moment, e.Subject = MomentReturnReceived, fmt.Sprintf("Q%d %s monitoring return", r.Quarter, scheme.FinancialYearLabel(r.FinancialYear))
		return s.recordEvent(ctx, tx, e)
	})
}

// ReviewReturn records the officer's review (accept or request changes, with a RAG rating).
func (s *Store) ReviewReturn(ctx context.Context, applicationID int64, fy, quarter, version int, outcome, rag, comment string, by int64, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE monitoring_returns SET review_outcome = $5, rag = $6, review_comment = $7, reviewed_by = $8, reviewed_at = $9
			WHERE application_id = $1 AND financial_year = $2 AND quarter = $3 AND version = $4 AND review_outcome IS NULL`,
			applicationID, fy, quarter, version, outcome, rag, comment, by, e.At); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// Returns lists an application's monitoring returns in order.
func (s *Store) Returns(ctx context.Context, applicationID int64) ([]MonitoringReturn, error) {
	list := []MonitoringReturn{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM monitoring_returns WHERE application_id = $1 ORDER BY financial_year, quarter, version`, applicationID)
	return list, err
}

// Variation is a decided change to an award.
type Variation struct {
	ApplicationID  int64           `db:"application_id" json:"application_id"`
	AwardVersion   int             `db:"award_version" json:"award_version"`
	Summary        string          `db:"summary" json:"summary"`
	Years          json.RawMessage `db:"years" json:"years"`
	EndDate        *time.Time      `db:"end_date" json:"end_date,omitempty"`
	Conditions     json.RawMessage `db:"conditions" json:"conditions"`
	DecidedBy      int64           `db:"decided_by" json:"decided_by"`
	DecidedRole    string          `db:"decided_role" json:"decided_role"`
	DelegationBand string          `db:"delegation_band" json:"delegation_band"`
	RulesVersion   int             `db:"rules_version" json:"rules_version"`
	DecidedAt      time.Time       `db:"decided_at" json:"decided_at"`
	// The provider accepts the varied agreement afresh, by AcceptBy (nil for variations that stood
	// at once, before this was asked).
	AcceptBy   *time.Time `db:"accept_by" json:"accept_by,omitempty"`
	AcceptedAt *time.Time `db:"accepted_at" json:"accepted_at,omitempty"`
	AcceptedBy *int64     `db:"accepted_by" json:"accepted_by,omitempty"`
}

// ApplyVariation records the variation and changes the award's terms, budget commitments and
// remaining tranche schedule to match, all at once: each year's commitment moves by the difference,
// refused if a budget cannot cover an increase.
func (s *Store) ApplyVariation(ctx context.Context, v Variation, schemeID int64, years []grant.YearAmount, tranches []grant.Tranche, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO variations (application_id, award_version, summary, years, end_date, conditions, decided_by,
			decided_role, delegation_band, rules_version, decided_at, accept_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) ON CONFLICT DO NOTHING`,
			v.ApplicationID, v.AwardVersion, v.Summary, []byte(v.Years), v.EndDate, []byte(v.Conditions), v.DecidedBy, v.DecidedRole,
			v.DelegationBand, v.RulesVersion, v.DecidedAt, v.AcceptBy)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // applied by an earlier attempt
		}
		if err := recommitTx(ctx, tx, v.ApplicationID, schemeID, years, v.DecidedAt); err != nil {
			return err
		}
		var total money.Pence
		for _, y := range years {
			total += y.Amount
		}
		if _, err := tx.ExecContext(ctx, `UPDATE awards SET version = $2, amount_pence = $3, conditions = $4, end_date = coalesce($5, end_date)
			WHERE application_id = $1`, v.ApplicationID, v.AwardVersion, total, []byte(v.Conditions), v.EndDate); err != nil {
			return err
		}
		var awardID int64
		if err := tx.GetContext(ctx, &awardID, `SELECT id FROM awards WHERE application_id = $1`, v.ApplicationID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM award_years WHERE award_id = $1`, awardID); err != nil {
			return err
		}
		for _, y := range years {
			if _, err := tx.ExecContext(ctx, `INSERT INTO award_years (award_id, financial_year, amount_pence) VALUES ($1,$2,$3)`, awardID, y.FinancialYear, y.Amount); err != nil {
				return err
			}
		}
		if err := scheduleTranches(ctx, tx, awardID, tranches); err != nil {
			return err
		}
		e.Moment = MomentVaried
		if v.AcceptBy != nil {
			e.Due = *v.AcceptBy
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// AcceptVariation records the provider's acceptance of the varied agreement of that version, once.
func (s *Store) AcceptVariation(ctx context.Context, applicationID int64, version int, by int64, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE variations SET accepted_at = coalesce(accepted_at, $3), accepted_by = coalesce(accepted_by, $4)
			WHERE application_id = $1 AND award_version = $2`, applicationID, version, e.At, by)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("accept version %d of application %d's award: %w", version, applicationID, ErrNotFound)
		}
		e.Moment = MomentVariationAccepted
		return s.recordEvent(ctx, tx, e)
	})
}

// WithdrawVariationDocuments takes back the grant agreement and decision record issued for an award
// version that never stood (its variation could not be completed), so the application lists no
// agreement for terms that do not apply and a later variation to that version issues them afresh.
// The decision record's number stays with that version; the record leaves the public list until it is
// issued again. Refused for a version the award has
// reached. Records the event; idempotent.
func (s *Store) WithdrawVariationDocuments(ctx context.Context, applicationID int64, version int, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var current int
		if err := tx.GetContext(ctx, &current, `SELECT version FROM awards WHERE application_id = $1 FOR UPDATE`, applicationID); err != nil {
			return notFound(err)
		}
		if version <= current {
			return fmt.Errorf("withdraw the documents of version %d of application %d's award: it stands (version %d)", version, applicationID, current)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE decision_records SET document_id = NULL, content = NULL WHERE application_id = $1 AND award_version = $2`,
			applicationID, version); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM documents WHERE application_id = $1 AND version = $2 AND kind IN ('grant_agreement', 'decision_record')`,
			applicationID, version); err != nil {
			return err
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// Variations lists an application's variations.
func (s *Store) Variations(ctx context.Context, applicationID int64) ([]Variation, error) {
	list := []Variation{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM variations WHERE application_id = $1 ORDER BY award_version`, applicationID)
	return list, err
}

// CloseAward ends an award: terminated early (reason set) or completed. The commitment left over
// after what was paid goes back to each year's budget, and the underspend the provider reported
// (paid less spent) is recorded. Idempotent.
func (s *Store) CloseAward(ctx context.Context, applicationID, schemeID int64, paidByYear []grant.YearAmount, spent *money.Pence, terminated bool, reason string, e Event) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var a Award
		if err := tx.GetContext(ctx, &a, `SELECT * FROM awards WHERE application_id = $1 FOR UPDATE`, applicationID); err != nil {
			return notFound(err)
		}
		if a.ClosedAt != nil || (terminated && a.TerminatedAt != nil) {
			return nil // done by an earlier attempt
		}
		if err := recommitTx(ctx, tx, applicationID, schemeID, paidByYear, e.At); err != nil {
			return err
		}
		if terminated {
			if err := endEarlyTx(ctx, tx, a, paidByYear, reason, e.At); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE tranches SET status = 'cancelled' WHERE award_id = $1 AND status IN ('scheduled', 'held')`, a.ID); err != nil {
				return err
			}
			e.Moment = MomentTerminated
		} else {
			var underspend *money.Pence
			if spent != nil {
				// What was paid, not what stays committed: the caller keeps committed what was paid
				// less the underspend, so the underspend cannot be worked out from that.
				var paid money.Pence
				if err := tx.GetContext(ctx, &paid, `SELECT coalesce(sum(amount_pence), 0) FROM payments WHERE award_id = $1`, a.ID); err != nil {
					return err
				}
				u := paid - *spent
				underspend = &u
			}
			if _, err := tx.ExecContext(ctx, `UPDATE awards SET closed_at = $2, status = 'closed', spent_pence = $3, underspend_pence = $4 WHERE id = $1`,
				a.ID, e.At, spent, underspend); err != nil {
				return err
			}
		}
		return s.recordEvent(ctx, tx, e)
	})
}

// endEarlyTx records an award's early ending and its figures as they now stand: its amount and
// years are what was released or paid (paidByYear; a year with nothing is kept at £0.00 so its
// quarters still have their returns), the rest is recorded as cancelled, and it ends with the
// quarter in which it was ended.
func endEarlyTx(ctx context.Context, tx *sqlx.Tx, a Award, paidByYear []grant.YearAmount, reason string, at time.Time) error {
	var kept money.Pence
	for _, y := range paidByYear {
		kept += y.Amount
	}
	endedOn := at.In(scheme.London)
	endedOn = time.Date(endedOn.Year(), endedOn.Month(), endedOn.Day(), 0, 0, 0, 0, time.UTC)
	quarterEnd := time.Date(endedOn.Year(), time.Month((int(endedOn.Month())-1)/3*3+4), 0, 0, 0, 0, 0, time.UTC) // day 0: the last of the month before
	if _, err := tx.ExecContext(ctx, `UPDATE awards SET terminated_at = $2, termination_reason = $3, status = 'terminated',
		amount_pence = $4, cancelled_pence = greatest(amount_pence - $4, 0), ended_early_on = $5, end_date = least(coalesce(end_date, $6), $6) WHERE id = $1`,
		a.ID, at, reason, kept, endedOn, quarterEnd); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE award_years SET amount_pence = 0 WHERE award_id = $1`, a.ID); err != nil {
		return err
	}
	for _, y := range paidByYear {
		if _, err := tx.ExecContext(ctx, `UPDATE award_years SET amount_pence = $3 WHERE award_id = $1 AND financial_year = $2`, a.ID, y.FinancialYear, y.Amount); err != nil {
			return err
		}
	}
	return nil
}

// recommitTx moves an application's budget commitments to the given amounts per year, in one lock
// order, refusing an increase a budget cannot cover.
func recommitTx(ctx context.Context, tx *sqlx.Tx, applicationID, schemeID int64, years []grant.YearAmount, at time.Time) error {
	want := map[int]money.Pence{}
	for _, y := range years {
		want[y.FinancialYear] += y.Amount
	}
	var current []grant.YearAmount
	if err := tx.SelectContext(ctx, &current, `SELECT financial_year AS "financialyear", amount_pence AS "amount" FROM budget_commitments
		WHERE application_id = $1 AND released_at IS NULL ORDER BY financial_year`, applicationID); err != nil {
		return err
	}
	have := map[int]money.Pence{}
	for _, c := range current {
		have[c.FinancialYear] = c.Amount
	}
	if err := checkRoundBudget(ctx, tx, applicationID, want, have); err != nil {
		return err
	}
	fys := map[int]bool{}
	for fy := range want {
		fys[fy] = true
	}
	for fy := range have {
		fys[fy] = true
	}
	for _, fy := range sortedKeys(fys) {
		delta := want[fy] - have[fy]
		if delta == 0 {
			continue
		}
		if err := adjustCommitment(ctx, tx, applicationID, schemeID, fy, want[fy], delta, at); err != nil {
			return err
		}
	}
	return nil
}

// SchemeYear is a scheme's money in one financial year.
type SchemeYear struct {
	FinancialYear int         `db:"financial_year" json:"financial_year"`
	Label         string      `db:"-" json:"label"`
	Budget        money.Pence `db:"budget_pence" json:"budget_pence"`
	Committed     money.Pence `db:"committed_pence" json:"committed_pence"`
	Released      money.Pence `db:"released_pence" json:"released_pence"` // payment notices sent, not yet paid
	Paid          money.Pence `db:"paid_pence" json:"paid_pence"`
	Held          money.Pence `db:"held_pence" json:"held_pence"`
	Uncommitted   money.Pence `db:"-" json:"uncommitted_pence"`
}

// SchemeYears lists a scheme's budget, commitments and payments by financial year. Service awards
// count by their tranches' years; one-off grants by the year their commitment fell in.
func (s *Store) SchemeYears(ctx context.Context, schemeID int64) ([]SchemeYear, error) {
	list := []SchemeYear{}
	err := s.DB.SelectContext(ctx, &list, `
		WITH t AS (
			SELECT t.financial_year, t.status, t.amount_pence FROM tranches t
			JOIN awards a ON a.id = t.award_id JOIN applications ap ON ap.id = a.application_id WHERE ap.scheme_id = $1
		), oneoff AS (
			SELECT bc.financial_year, p.amount_pence FROM payments p JOIN awards a ON a.id = p.award_id
			JOIN budget_commitments bc ON bc.application_id = a.application_id
			WHERE bc.scheme_id = $1 AND NOT EXISTS (SELECT 1 FROM tranches x WHERE x.award_id = a.id)
		)
		SELECT b.financial_year, b.budget_pence, b.committed_pence,
			coalesce((SELECT sum(amount_pence) FROM t WHERE t.financial_year = b.financial_year AND t.status = 'released'), 0) AS released_pence,
			coalesce((SELECT sum(amount_pence) FROM t WHERE t.financial_year = b.financial_year AND t.status = 'paid'), 0)
				+ coalesce((SELECT sum(amount_pence) FROM oneoff WHERE oneoff.financial_year = b.financial_year), 0) AS paid_pence,
			coalesce((SELECT sum(amount_pence) FROM t WHERE t.financial_year = b.financial_year AND t.status = 'held'), 0) AS held_pence
		FROM scheme_budgets b WHERE b.scheme_id = $1 ORDER BY b.financial_year`, schemeID)
	for i := range list {
		list[i].Label = fmt.Sprintf("%d-%02d", list[i].FinancialYear, (list[i].FinancialYear+1)%100)
		list[i].Uncommitted = list[i].Budget - list[i].Committed
	}
	return list, err
}
