package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

// CommitBudget commits an application's amounts against its scheme's budgets, all years or none.
// It is idempotent: committing the same amounts again changes nothing. The conditional UPDATE takes
// the budget row's lock, so concurrent approvals queue there and only those that fit get through.
func (s *Store) CommitBudget(ctx context.Context, applicationID, schemeID int64, years []grant.YearAmount, at time.Time) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error { return recommitTx(ctx, tx, applicationID, schemeID, years, at) })
}

// adjustCommitment moves one year's commitment by delta (to newAmount), checking the budget on increases.
func adjustCommitment(ctx context.Context, tx *sqlx.Tx, applicationID, schemeID int64, fy int, newAmount, delta money.Pence, at time.Time) error {
	var left money.Pence
	err := tx.GetContext(ctx, &left, `UPDATE scheme_budgets SET committed_pence = committed_pence + $3
		WHERE scheme_id = $1 AND financial_year = $2 AND ($3 <= 0 OR committed_pence + $3 <= budget_pence)
		RETURNING budget_pence - committed_pence`, schemeID, fy, delta) // giving money back is never refused
	if notFound(err) == ErrNotFound {
		var b Budget
		if err := tx.GetContext(ctx, &b, `SELECT * FROM scheme_budgets WHERE scheme_id = $1 AND financial_year = $2`, schemeID, fy); err != nil {
			if notFound(err) == ErrNotFound {
				return fmt.Errorf("%w: there is no budget for %s", ErrBudgetExceeded, scheme.FinancialYearLabel(fy))
			}
			return err
		}
		return fmt.Errorf("%w: %s needs %s but only %s is left", ErrBudgetExceeded, scheme.FinancialYearLabel(fy), delta, b.BudgetPence-b.CommittedPence)
	}
	if err != nil {
		return err
	}
	if newAmount == 0 {
		_, err = tx.ExecContext(ctx, `UPDATE budget_commitments SET released_at = $3 WHERE application_id = $1 AND financial_year = $2 AND released_at IS NULL`,
			applicationID, fy, at)
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO budget_commitments (application_id, scheme_id, financial_year, amount_pence, committed_at)
		VALUES ($1,$2,$3,$4,$5) ON CONFLICT (application_id, financial_year) DO UPDATE SET amount_pence = EXCLUDED.amount_pence,
		committed_at = EXCLUDED.committed_at, released_at = NULL`, applicationID, schemeID, fy, newAmount, at)
	return err
}

func sortedKeys(m map[int]bool) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	return keys
}

// Commitments lists an application's live commitments by financial year.
func (s *Store) Commitments(ctx context.Context, applicationID int64) ([]grant.YearAmount, error) {
	list := []grant.YearAmount{}
	err := s.DB.SelectContext(ctx, &list, `SELECT financial_year AS "financialyear", amount_pence AS "amount" FROM budget_commitments
		WHERE application_id = $1 AND released_at IS NULL ORDER BY financial_year`, applicationID)
	return list, err
}

// ReleaseBudget returns an application's commitments to the budget (a lapsed offer, an ended award).
// Idempotent: released commitments are not released twice.
func (s *Store) ReleaseBudget(ctx context.Context, applicationID int64, at time.Time) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var released []struct {
			SchemeID      int64       `db:"scheme_id"`
			FinancialYear int         `db:"financial_year"`
			Amount        money.Pence `db:"amount_pence"`
		}
		err := tx.SelectContext(ctx, &released, `UPDATE budget_commitments SET released_at = $2
			WHERE application_id = $1 AND released_at IS NULL RETURNING scheme_id, financial_year, amount_pence`, applicationID, at)
		if err != nil {
			return err
		}
		for _, r := range released {
			if _, err := tx.ExecContext(ctx, `UPDATE scheme_budgets SET committed_pence = committed_pence - $3 WHERE scheme_id = $1 AND financial_year = $2`,
				r.SchemeID, r.FinancialYear, r.Amount); err != nil {
				return err
			}
		}
		return nil
	})
}

// Budget reads one scheme's budget for one financial year.
func (s *Store) Budget(ctx context.Context, schemeID int64, financialYear int) (Budget, error) {
	var b Budget
	err := s.DB.GetContext(ctx, &b, `SELECT * FROM scheme_budgets WHERE scheme_id = $1 AND financial_year = $2`, schemeID, financialYear)
	return b, notFound(err)
}

// checkRoundBudget refuses a commitment that would take what awards from the application's round
// have committed (every financial year together) past the round's budget, if it has one. The
// round's row is locked first, so concurrent approvals in one round queue there and only those
// that fit get through; a commitment that does not grow is never refused.
func checkRoundBudget(ctx context.Context, tx *sqlx.Tx, applicationID int64, want, have map[int]money.Pence) error {
	var total, before money.Pence
	for _, p := range want {
		total += p
	}
	for _, p := range have {
		before += p
	}
	if total <= before {
		return nil
	}
	var round struct {
		ID     int64        `db:"id"`
		Name   string       `db:"name"`
		Budget *money.Pence `db:"budget_pence"`
	}
	if err := tx.GetContext(ctx, &round, `SELECT r.id, r.name, r.budget_pence FROM rounds r JOIN applications a ON a.round_id = r.id
		WHERE a.id = $1`, applicationID); err != nil {
		return fmt.Errorf("round of application %d: %w", applicationID, notFound(err))
	}
	if round.Budget == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM rounds WHERE id = $1 FOR UPDATE`, round.ID); err != nil {
		return err
	}
	var others money.Pence
	if err := tx.GetContext(ctx, &others, `SELECT COALESCE(sum(c.amount_pence), 0) FROM budget_commitments c JOIN applications a ON a.id = c.application_id
		WHERE a.round_id = $1 AND c.released_at IS NULL AND c.application_id <> $2`, round.ID, applicationID); err != nil {
		return err
	}
	if others+total > *round.Budget {
		return fmt.Errorf("%w: the round %q has a budget of %s, of which %s is committed, so %s cannot be committed from it",
			ErrBudgetExceeded, round.Name, *round.Budget, others, total)
	}
	return nil
}

// BudgetChange is one change to a scheme's budget for a financial year, as the budget page lists it.
type BudgetChange struct {
	ID            int64        `db:"id" json:"id"`
	SchemeID      int64        `db:"scheme_id" json:"scheme_id"`
	FinancialYear int          `db:"financial_year" json:"financial_year"`
	Before        *money.Pence `db:"before_pence" json:"before_pence"` // nil when the year's budget was first set
	After         money.Pence  `db:"after_pence" json:"after_pence"`
	Committed     money.Pence  `db:"committed_pence" json:"committed_pence"` // what was committed at the time
	At            time.Time    `db:"at" json:"at"`
	ActorID       *int64       `db:"actor_id" json:"-"`
	ActorName     string       `db:"actor_name" json:"by"`
	ActorRole     string       `db:"actor_role" json:"role"`
	Reason        string       `db:"reason" json:"reason"`
}

// ErrBelowCommitted refuses a budget smaller than what is already committed in its year.
var ErrBelowCommitted = errors.New("the budget cannot be less than what is already committed")

// ChangeBudget sets or adjusts a scheme's budget for a financial year with a reason, keeping the
// change (before, after, who, when, why) and recording budget.set or budget.adjusted in the same
// transaction. It refuses to go below what is committed (ErrBelowCommitted, saying how much is):
// the year's row is locked, so a commitment under way is counted. Setting the same amount again
// changes nothing and records nothing.
func (s *Store) ChangeBudget(ctx context.Context, schemeID int64, fy int, amount money.Pence, reason string, by Actor, at time.Time) (BudgetChange, error) {
	var ch BudgetChange
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var name string
		if err := tx.GetContext(ctx, &name, `SELECT name FROM schemes WHERE id = $1`, schemeID); err != nil {
			return fmt.Errorf("scheme %d: %w", schemeID, notFound(err))
		}
		var b Budget
		err := tx.GetContext(ctx, &b, `SELECT * FROM scheme_budgets WHERE scheme_id = $1 AND financial_year = $2 FOR UPDATE`, schemeID, fy)
		first := notFound(err) == ErrNotFound
		if err != nil && !first {
			return err
		}
		if !first && b.BudgetPence == amount {
			ch = BudgetChange{SchemeID: schemeID, FinancialYear: fy, Before: &b.BudgetPence, After: amount, Committed: b.CommittedPence}
			return nil
		}
		if amount < b.CommittedPence {
			ch = BudgetChange{SchemeID: schemeID, FinancialYear: fy, Committed: b.CommittedPence}
			return fmt.Errorf("%w: %s is committed in %s", ErrBelowCommitted, b.CommittedPence, scheme.FinancialYearLabel(fy))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO scheme_budgets (scheme_id, financial_year, budget_pence) VALUES ($1,$2,$3)
			ON CONFLICT (scheme_id, financial_year) DO UPDATE SET budget_pence = EXCLUDED.budget_pence`, schemeID, fy, amount); err != nil {
			return err
		}
		ch = BudgetChange{SchemeID: schemeID, FinancialYear: fy, After: amount, Committed: b.CommittedPence, At: at, ActorName: by.Name,
			ActorRole: by.Role, Reason: reason}
		if by.UserID != 0 {
			ch.ActorID = &by.UserID
		}
		if ch.ActorName == "" {
			ch.ActorName, ch.ActorRole = "Grantflow", "system"
		}
		action, what := "budget.set", fmt.Sprintf("Budget for %s set at %s", scheme.FinancialYearLabel(fy), amount)
		if !first {
			before := b.BudgetPence
			ch.Before = &before
			action, what = "budget.adjusted", fmt.Sprintf("Budget for %s changed from %s to %s", scheme.FinancialYearLabel(fy), before, amount)
		}
		if err := tx.QueryRowxContext(ctx, `INSERT INTO budget_changes (scheme_id, financial_year, before_pence, after_pence, committed_pence, at,
			actor_id, actor_name, actor_role, reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
			schemeID, fy, ch.Before, amount, ch.Committed, at, ch.ActorID, ch.ActorName, ch.ActorRole, reason).Scan(&ch.ID); err != nil {
			return err
		}
		return recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("budget-change/%d", ch.ID), Action: action, SubjectKind: "budget",
			SubjectID: schemeID, Subject: name + " " + scheme.FinancialYearLabel(fy), What: what, Why: reason},
			map[string]any{"financial_year": fy, "before_pence": ch.Before, "after_pence": amount, "committed_pence": ch.Committed})
	})
	return ch, err
}

// BudgetChanges lists every change to a scheme's budgets, newest first.
func (s *Store) BudgetChanges(ctx context.Context, schemeID int64) ([]BudgetChange, error) {
	list := []BudgetChange{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM budget_changes WHERE scheme_id = $1 ORDER BY at DESC, id DESC`, schemeID)
	return list, err
}
