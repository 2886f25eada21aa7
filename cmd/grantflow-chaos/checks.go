//go:build linux

package main

import (
	"context"
	"fmt"
	"strings"

	"grantflow/store"
)

// invariant is one thing the database must show after the run.
type invariant struct {
	name    string
	problem string // "" when it holds
}

// duplicateQueries each list rows that exist more than once where there must be one.
var duplicateQueries = []struct{ name, query string }{
	{"one award per application", `SELECT 'application ' || a.id || ': ' || count(w.id) || ' awards' FROM applications a
		LEFT JOIN awards w ON w.application_id = a.id GROUP BY a.id HAVING count(w.id) <> 1`},
	{"one letter per kind and version", `SELECT 'application ' || application_id || ' ' || kind || ' v' || version || ' x' || count(*)
		FROM documents GROUP BY application_id, kind, version HAVING count(*) > 1`},
	{"one award letter or agreement per grant", `SELECT 'application ' || a.id || ': ' || count(d.id) || ' award letters and agreements'
		FROM applications a LEFT JOIN documents d ON d.application_id = a.id AND d.kind IN ('award_letter', 'grant_agreement')
		GROUP BY a.id HAVING count(d.id) <> 1`},
	{"one finance notice per kind and version", `SELECT 'award ' || award_id || ' ' || kind || ' #' || seq || ' x' || count(*) FROM finance_notices
		GROUP BY award_id, kind, seq HAVING count(*) > 1`},
	{"one payment notice per tranche paid", `SELECT 'award ' || w.id || ': ' || count(DISTINCT n.id) || ' payment notices, ' || count(DISTINCT p.id) || ' payments'
		FROM awards w JOIN applications a ON a.id = w.application_id JOIN schemes s ON s.id = a.scheme_id AND s.kind = 'service'
		LEFT JOIN finance_notices n ON n.award_id = w.id AND n.kind = 'payment' LEFT JOIN payments p ON p.award_id = w.id
		GROUP BY w.id HAVING count(DISTINCT n.id) <> count(DISTINCT p.id)`},
	{"one payment per tranche", `SELECT 'award ' || award_id || ' tranche ' || tranche || ' x' || count(*) FROM payments
		GROUP BY award_id, tranche HAVING count(*) > 1`},
	{"payments as driven (1 grassroots, 2 service)", `SELECT 'application ' || a.id || ' (' || s.kind || '): ' || count(p.id) || ' payments'
		FROM applications a JOIN schemes s ON s.id = a.scheme_id JOIN awards w ON w.application_id = a.id
		LEFT JOIN payments p ON p.award_id = w.id GROUP BY a.id, s.kind
		HAVING count(p.id) <> CASE WHEN s.kind = 'service' THEN 2 ELSE 1 END`},
	{"one e-mail per message key", `SELECT notification_key || ' to ' || address || ' x' || count(*) FROM messages
		GROUP BY notification_key, address HAVING count(*) > 1`},
	{"no audit line twice (key)", `SELECT event_key || ' x' || count(*) FROM application_events GROUP BY event_key HAVING count(*) > 1`},
	{"no audit line twice (content)", `SELECT 'application ' || application_id || ': ' || what || ' [' || status || '] x' || count(*)
		FROM application_events GROUP BY application_id, what, why, status, actor_name HAVING count(*) > 1`},
	{"budget within its limit", `SELECT 'scheme ' || scheme_id || ' ' || financial_year || ': committed ' || committed_pence || ' of ' || budget_pence
		FROM scheme_budgets WHERE committed_pence > budget_pence OR committed_pence < 0`},
	{"budget ledger equals its commitments", `SELECT 'scheme ' || b.scheme_id || ' ' || b.financial_year || ': committed ' || b.committed_pence ||
		', commitments ' || coalesce(sum(c.amount_pence) FILTER (WHERE c.released_at IS NULL), 0)
		FROM scheme_budgets b LEFT JOIN budget_commitments c ON c.scheme_id = b.scheme_id AND c.financial_year = b.financial_year
		GROUP BY b.scheme_id, b.financial_year, b.committed_pence
		HAVING b.committed_pence <> coalesce(sum(c.amount_pence) FILTER (WHERE c.released_at IS NULL), 0)`},
	{"paid within the award", `SELECT 'award ' || w.id || ': paid ' || sum(p.amount_pence) || ' of ' || w.amount_pence FROM awards w
		JOIN payments p ON p.award_id = w.id GROUP BY w.id, w.amount_pence HAVING sum(p.amount_pence) > w.amount_pence`},
}

// check reads the database after the run: every driven grant closed and nothing lost, then each
// duplicate query, then the audit trail's hash chain as `grantflow audit verify` checks it.
func check(ctx context.Context, st *store.Store, wantGrassroots, wantService int) []invariant {
	var out []invariant
	add := func(name string, problems []string, err error) {
		switch {
		case err != nil:
			out = append(out, invariant{name, "query failed: " + err.Error()})
		case len(problems) > 0:
			if len(problems) > 5 {
				problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
			}
			out = append(out, invariant{name, strings.Join(problems, "; ")})
		default:
			out = append(out, invariant{name: name})
		}
	}
	var counts []string
	err := st.DB.SelectContext(ctx, &counts, `SELECT s.kind || ': ' || count(a.id) FROM schemes s LEFT JOIN applications a ON a.scheme_id = s.id
		GROUP BY s.kind HAVING count(a.id) <> CASE WHEN s.kind = 'service' THEN $1::int ELSE $2::int END`, wantService, wantGrassroots)
	add(fmt.Sprintf("one application per grant driven (%d + %d)", wantGrassroots, wantService), counts, err)
	var open []string
	err = st.DB.SelectContext(ctx, &open, `SELECT 'application ' || id || ' at ' || status FROM applications WHERE status <> 'closed' ORDER BY id`)
	add("every grant closed", open, err)
	for _, q := range duplicateQueries {
		var problems []string
		err := st.DB.SelectContext(ctx, &problems, q.query)
		add(q.name, problems, err)
	}
	r, err := st.VerifyAuditTrail(ctx, 0)
	var breaks []string
	for _, b := range r.Breaks {
		breaks = append(breaks, fmt.Sprint(b))
	}
	add(fmt.Sprintf("audit chain verifies (%d events)", r.Events), breaks, err)
	return out
}
