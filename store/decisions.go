package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"grantflow/money"
	"grantflow/scheme"
)

// PublicDecision is a published decision record as the public may see it: the list's columns read
// from the record's content, and the content itself (the JSON of letters.DecisionRecord without its
// letterhead), which names offices and roles, never people. Only records of decisions to award or
// vary a grant exist (a declined application has none), and only once published: a number
// allocated to a record that was never completed, or withdrawn with a variation that never stood,
// is not listed.
type PublicDecision struct {
	Number    string      `db:"number"`
	DecidedAt time.Time   `db:"decided_at"`
	Recipient string      `db:"recipient"`
	Scheme    string      `db:"scheme"`
	Reference string      `db:"reference"`
	Total     money.Pence `db:"total_pence"`
	Office    string      `db:"office"`
	Band      string      `db:"band"`
	Variation string      `db:"variation"` // what a variation changed; "" for an award
	Content   []byte      `db:"content"`
}

// DecisionFilter narrows the public decisions list. FinancialYear (2026 for 2026-27) is of the
// decision, in London; zero: every year.
type DecisionFilter struct {
	FinancialYear int
}

const publicDecisionColumns = `d.number, d.created_at AS decided_at,
	coalesce(d.content->>'recipient', '') AS recipient, coalesce(d.content->>'scheme', '') AS scheme,
	coalesce(d.content->>'reference', '') AS reference, coalesce((d.content->>'total_pence')::bigint, 0) AS total_pence,
	coalesce(d.content->>'office', '') AS office, coalesce(d.content->>'band', '') AS band,
	coalesce(d.content->>'variation', '') AS variation, d.content`

// PublicDecisions lists the published decision records, newest first.
func (s *Store) PublicDecisions(ctx context.Context, f DecisionFilter) ([]PublicDecision, error) {
	where := []string{`d.content IS NOT NULL`, `d.document_id IS NOT NULL`}
	var args []any
	if f.FinancialYear != 0 {
		from := time.Date(f.FinancialYear, time.April, 1, 0, 0, 0, 0, scheme.London)
		args = append(args, from, from.AddDate(1, 0, 0))
		where = append(where, `d.created_at >= $1 AND d.created_at < $2`)
	}
	list := []PublicDecision{}
	err := s.DB.SelectContext(ctx, &list, `SELECT `+publicDecisionColumns+` FROM decision_records d
		WHERE `+strings.Join(where, " AND ")+` ORDER BY d.created_at DESC, d.year DESC, d.seq DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("read the published decision records: %w", err)
	}
	return list, nil
}

// PublicDecisionRecord reads one published record by its number (PCC/2026/017); ErrNotFound if
// there is none, or it is not published.
func (s *Store) PublicDecisionRecord(ctx context.Context, number string) (PublicDecision, error) {
	var d PublicDecision
	err := s.DB.GetContext(ctx, &d, `SELECT `+publicDecisionColumns+` FROM decision_records d
		WHERE d.number = $1 AND d.content IS NOT NULL AND d.document_id IS NOT NULL`, number)
	if err = notFound(err); err != nil && err != ErrNotFound {
		return d, fmt.Errorf("read decision record %s: %w", number, err)
	}
	return d, err
}
