package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/money"
	"grantflow/scheme"
)

// YearAmount is the part of an award that falls in one financial year.
type YearAmount struct {
	FinancialYear int         `json:"financial_year"`
	Amount        money.Pence `json:"amount_pence"`
}

// CommitBudget commits an application's amounts against its scheme's budgets, all years or none.
// It is idempotent: committing the same application again changes nothing. The conditional UPDATE
// takes the budget row's lock, so concurrent approvals queue there and the last one that fits wins.
func (s *Store) CommitBudget(ctx context.Context, applicationID, schemeID int64, years []YearAmount, at time.Time) error {
	years = append([]YearAmount(nil), years...)
	sort.Slice(years, func(i, j int) bool { return years[i].FinancialYear < years[j].FinancialYear }) // one lock order: no deadlocks
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, y := range years {
			res, err := tx.ExecContext(ctx, `INSERT INTO budget_commitments (application_id, scheme_id, financial_year, amount_pence, committed_at)
				SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM scheme_budgets WHERE scheme_id = $2 AND financial_year = $3)
				ON CONFLICT (application_id, financial_year) DO UPDATE SET amount_pence = EXCLUDED.amount_pence, committed_at = EXCLUDED.committed_at, released_at = NULL
				WHERE budget_commitments.released_at IS NOT NULL`,
				applicationID, schemeID, y.FinancialYear, y.Amount, at)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				var exists bool
				if err := tx.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM budget_commitments WHERE application_id = $1 AND financial_year = $2)`, applicationID, y.FinancialYear); err != nil {
					return err
				}
				if exists {
					continue // committed by an earlier attempt
				}
				return fmt.Errorf("%w: there is no budget for %s", ErrBudgetExceeded, scheme.FinancialYearLabel(y.FinancialYear))
			}
			var left money.Pence
			err = tx.GetContext(ctx, &left, `UPDATE scheme_budgets SET committed_pence = committed_pence + $3
				WHERE scheme_id = $1 AND financial_year = $2 AND committed_pence + $3 <= budget_pence
				RETURNING budget_pence - committed_pence`, schemeID, y.FinancialYear, y.Amount)
			if err != nil {
				if notFound(err) == ErrNotFound {
					var b Budget
					if err := tx.GetContext(ctx, &b, `SELECT * FROM scheme_budgets WHERE scheme_id = $1 AND financial_year = $2`, schemeID, y.FinancialYear); err != nil {
						return err
					}
					return fmt.Errorf("%w: %s needs %s but only %s is left", ErrBudgetExceeded,
						scheme.FinancialYearLabel(y.FinancialYear), y.Amount, b.BudgetPence-b.CommittedPence)
				}
				return err
			}
		}
		return nil
	})
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
