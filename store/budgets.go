package store

import (
	"context"
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
