package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"grantflow/money"
	"grantflow/scheme"
)

// Scheme is a funding scheme with its current rules.
type Scheme struct {
	ID          int64        `db:"id" json:"id"`
	Slug        string       `db:"slug" json:"slug"`
	Name        string       `db:"name" json:"name"`
	Kind        scheme.Kind  `db:"kind" json:"kind"`
	Description string       `db:"description" json:"description"`
	RulesJSON   []byte       `db:"rules" json:"-"`
	RulesVer    int          `db:"rules_version" json:"-"`
	Rules       scheme.Rules `db:"-" json:"rules"`
}

// Round is a window in which a scheme takes applications (see rounds.go).
type Round struct {
	ID             int64        `db:"id" json:"id"`
	SchemeID       int64        `db:"scheme_id" json:"scheme_id"`
	Name           string       `db:"name" json:"name"`
	OpensAt        time.Time    `db:"opens_at" json:"opens_at"`
	ClosesAt       time.Time    `db:"closes_at" json:"closes_at"`
	Guidance       string       `db:"guidance" json:"guidance"`
	Budget         *money.Pence `db:"budget_pence" json:"budget_pence,omitempty"` // a cap on what its awards may commit; nil = none
	ClosedEarly    bool         `db:"closed_early" json:"closed_early"`
	CloseReason    string       `db:"close_reason" json:"close_reason,omitempty"`
	DraftsLockedAt *time.Time   `db:"drafts_locked_at" json:"drafts_locked_at,omitempty"`
	WorkflowID     *string      `db:"workflow_id" json:"-"`
	CreatedAt      time.Time    `db:"created_at" json:"-"`
}

// Budget is a scheme's money for one financial year and how much is committed.
type Budget struct {
	SchemeID       int64       `db:"scheme_id" json:"scheme_id"`
	FinancialYear  int         `db:"financial_year" json:"financial_year"`
	BudgetPence    money.Pence `db:"budget_pence" json:"budget_pence"`
	CommittedPence money.Pence `db:"committed_pence" json:"committed_pence"`
}

// Schemes lists every scheme.
func (s *Store) Schemes(ctx context.Context) ([]Scheme, error) {
	list := []Scheme{}
	if err := s.DB.SelectContext(ctx, &list, `SELECT * FROM schemes ORDER BY id`); err != nil {
		return nil, err
	}
	for i := range list {
		if err := json.Unmarshal(list[i].RulesJSON, &list[i].Rules); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// Scheme reads one scheme by id.
func (s *Store) Scheme(ctx context.Context, id int64) (Scheme, error) {
	var sc Scheme
	if err := s.DB.GetContext(ctx, &sc, `SELECT * FROM schemes WHERE id = $1`, id); err != nil {
		return Scheme{}, notFound(err)
	}
	return sc, json.Unmarshal(sc.RulesJSON, &sc.Rules)
}

// AddRound opens a round unless one of that name exists for the scheme.
func (s *Store) AddRound(ctx context.Context, r Round) (Round, error) {
	err := s.DB.GetContext(ctx, &r.ID, `SELECT id FROM rounds WHERE scheme_id = $1 AND name = $2`, r.SchemeID, r.Name)
	if err == nil {
		return r, nil
	}
	err = s.DB.QueryRowxContext(ctx, `INSERT INTO rounds (scheme_id, name, opens_at, closes_at, guidance, budget_pence) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`,
		r.SchemeID, r.Name, r.OpensAt, r.ClosesAt, r.Guidance, r.Budget).Scan(&r.ID)
	return r, err
}

// Rounds lists a scheme's rounds, newest first.
func (s *Store) Rounds(ctx context.Context, schemeID int64) ([]Round, error) {
	list := []Round{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM rounds WHERE scheme_id = $1 ORDER BY opens_at DESC, id DESC`, schemeID)
	return list, err
}

// Round reads one round.
func (s *Store) Round(ctx context.Context, id int64) (Round, error) {
	var r Round
	err := s.DB.GetContext(ctx, &r, `SELECT * FROM rounds WHERE id = $1`, id)
	return r, notFound(err)
}

// SetBudget sets a scheme's budget for a financial year; it refuses to go below what is committed.
func (s *Store) SetBudget(ctx context.Context, schemeID int64, financialYear int, amount money.Pence) error {
	res, err := s.DB.ExecContext(ctx, `INSERT INTO scheme_budgets (scheme_id, financial_year, budget_pence) VALUES ($1,$2,$3)
		ON CONFLICT (scheme_id, financial_year) DO UPDATE SET budget_pence = EXCLUDED.budget_pence
		WHERE scheme_budgets.committed_pence <= EXCLUDED.budget_pence`, schemeID, financialYear, amount)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: more than %s is already committed in %s", ErrBudgetExceeded, amount, scheme.FinancialYearLabel(financialYear))
	}
	return nil
}

// Budgets lists a scheme's budgets by financial year.
func (s *Store) Budgets(ctx context.Context, schemeID int64) ([]Budget, error) {
	list := []Budget{}
	err := s.DB.SelectContext(ctx, &list, `SELECT * FROM scheme_budgets WHERE scheme_id = $1 ORDER BY financial_year`, schemeID)
	return list, err
}
