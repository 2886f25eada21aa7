package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"grantflow/money"
	"grantflow/scheme"
)

// RegisterGrant is one award as the public may see it: the grants register, its monthly
// publications and the 360Giving package all read these rows and nothing else, so what is public is
// decided here once. It names organisations, never people: no contact, signatory or officer (the
// decision-maker appears by role and delegation band), no address (an unincorporated group's
// address is often someone's home), and no application that has not been awarded.
type RegisterGrant struct {
	ApplicationID int64  `db:"application_id"`
	Reference     string `db:"reference"`     // the award's reference, e.g. GR-2026-0007
	AwardVersion  int    `db:"award_version"` // 1, then one more for each variation
	SchemeSlug    string `db:"scheme_slug"`
	SchemeName    string `db:"scheme_name"`
	SchemeKind    string `db:"scheme_kind"` // grassroots or service

	OrganisationID int64  `db:"organisation_id"`
	Recipient      string `db:"recipient"` // the organisation's name
	OrgType        string `db:"org_type"`  // scheme.OrgType values
	CharityNumber  string `db:"charity_number"`
	CompanyNumber  string `db:"company_number"`

	Title      string         `db:"title"`
	Purpose    string         `db:"purpose"`
	Conditions pq.StringArray `db:"conditions"`
	Reasons    string         `db:"reasons"` // why the grant will secure crime and disorder reduction

	Amount    money.Pence `db:"amount_pence"`    // as it stands: after variations, and an ended award at what it paid
	Disbursed money.Pence `db:"disbursed_pence"` // recorded payments
	AwardedAt time.Time   `db:"awarded_at"`      // the decision
	// The planned dates: a grassroots project's start and end, a service agreement's.
	PlannedStart *time.Time `db:"planned_start"`
	PlannedEnd   *time.Time `db:"planned_end"`
	// Status is the award's: offered, accepted, paid, active, terminated, recovery, closed.
	Status       string     `db:"status"`
	EndedEarlyOn *time.Time `db:"ended_early_on"`

	Priorities pq.StringArray `db:"priorities"` // Police and Crime Plan priorities, as the rules name them
	Areas      pq.StringArray `db:"areas"`      // as the rules name them; codes are in the scheme's rules
	Wards      pq.StringArray `db:"wards"`      // "Leicester: Abbey", where the scheme lists wards

	// DecidedByRole and DelegationBand are the office that decided (scheme.Role, band title);
	// DecisionRecord is the numbered record (PCC/2026/017) of a decision above the officer band.
	DecidedByRole  string `db:"decided_by_role"`
	DelegationBand string `db:"delegation_band"`
	DecisionRecord string `db:"decision_record"`

	// LastModified is when anything published about the award last changed: its decision, the
	// acceptance, a variation, a payment recorded, its ending or closure.
	LastModified time.Time `db:"last_modified"`
}

// RegisterFilter narrows the register. Zero values leave a dimension open. FinancialYear and
// Month are of the award's decision, in London.
type RegisterFilter struct {
	FinancialYear int       // 2026 for 2026-27
	Month         time.Time // any moment in the month, in London; zero: every month
	SchemeSlug    string
	Priority      string
	Area          string
	Text          string // part of the award reference, the recipient's name or the title (literally)
}

// awardIsAGrant is the condition, on awards as aw, for an award that is a grant made: an offer that
// lapsed unaccepted never was one, so it leaves the register (a month already published says so in
// its next version) and counts nowhere in the performance figures.
const awardIsAGrant = `aw.status <> 'lapsed'`

// registerWhere is the condition, on the register's tables, of the filter, with its values.
func registerWhere(f RegisterFilter) (string, []any) {
	where := []string{awardIsAGrant}
	var args []any
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	if f.FinancialYear != 0 {
		from := time.Date(f.FinancialYear, time.April, 1, 0, 0, 0, 0, scheme.London)
		where = append(where, `aw.decided_at >= `+arg(from)+` AND aw.decided_at < `+arg(from.AddDate(1, 0, 0)))
	}
	if !f.Month.IsZero() {
		m := f.Month.In(scheme.London)
		from := time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, scheme.London)
		where = append(where, `aw.decided_at >= `+arg(from)+` AND aw.decided_at < `+arg(from.AddDate(0, 1, 0)))
	}
	if f.SchemeSlug != "" {
		where = append(where, `s.slug = `+arg(f.SchemeSlug))
	}
	if f.Priority != "" {
		where = append(where, arg(f.Priority)+` = ANY (a.priorities)`)
	}
	if f.Area != "" {
		where = append(where, arg(f.Area)+` = ANY (a.areas)`)
	}
	if f.Text != "" {
		where = append(where, matchesAny(arg(containing(f.Text)), "aw.reference", "o.name", "a.title"))
	}
	return strings.Join(where, " AND "), args
}

// matchesAny is the condition that the ILIKE pattern (a containing value) matches any of the columns.
func matchesAny(pattern string, columns ...string) string {
	parts := make([]string, len(columns))
	for i, c := range columns {
		parts[i] = c + ` ILIKE ` + pattern + ` ESCAPE '\'`
	}
	return "(" + strings.Join(parts, " OR ") + ")"
}

const registerFrom = `
		FROM awards aw
		JOIN applications a ON a.id = aw.application_id
		JOIN schemes s ON s.id = a.scheme_id
		JOIN organisations o ON o.id = a.organisation_id`

const registerColumns = `a.id AS application_id, aw.reference, aw.version AS award_version,
			s.slug AS scheme_slug, s.name AS scheme_name, s.kind AS scheme_kind,
			o.id AS organisation_id, o.name AS recipient, o.org_type, o.charity_number, o.company_number,
			a.title, aw.purpose,
			ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(aw.conditions) = 'array' THEN aw.conditions ELSE '[]' END)) AS conditions,
			aw.reasons, aw.amount_pence,
			coalesce((SELECT sum(p.amount_pence) FROM payments p WHERE p.award_id = aw.id), 0) AS disbursed_pence,
			aw.decided_at AS awarded_at,
			coalesce(aw.start_date, a.project_start) AS planned_start, coalesce(aw.end_date, a.project_end) AS planned_end,
			-- A service award stays 'accepted' while it runs: its application says it is under way.
			CASE WHEN aw.status = 'accepted' AND a.status IN ('active', 'variation_offered', 'final_report', 'final_report_submitted')
				THEN 'active' ELSE aw.status END AS status,
			aw.ended_early_on, a.priorities, a.areas, a.wards,
			aw.approved_role AS decided_by_role, aw.delegation_band,
			coalesce((SELECT d.number FROM decision_records d WHERE d.application_id = a.id AND d.document_id IS NOT NULL AND d.content IS NOT NULL
				ORDER BY d.award_version LIMIT 1), '') AS decision_record,
			greatest(aw.decided_at, aw.accepted_at, aw.terminated_at, aw.closed_at,
				(SELECT max(v.decided_at) FROM variations v WHERE v.application_id = a.id),
				(SELECT max(p.recorded_at) FROM payments p WHERE p.award_id = aw.id)) AS last_modified`

// readRegister runs read in one read-only snapshot with PostgreSQL's JIT off: the per-award
// subqueries push the plan's cost over jit_above_cost, and compiling it took 5 of the 5.4
// seconds of 100,000 awards (grantflow-bench -only 360giving) for a query that runs in 0.4.
func (s *Store) readRegister(ctx context.Context, read func(*sqlx.Tx) error) error {
	tx, err := s.DB.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true, Isolation: sql.LevelRepeatableRead})
	if err != nil {
		return fmt.Errorf("read the grants register: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL jit = off`); err != nil {
		return fmt.Errorf("read the grants register: %w", err)
	}
	return read(tx)
}

// EachRegisterGrant streams the register's awards, oldest decision first, to fn, one row at a
// time (100,000 awards are never held in memory). fn's error stops the stream and is returned.
func (s *Store) EachRegisterGrant(ctx context.Context, f RegisterFilter, fn func(RegisterGrant) error) error {
	where, args := registerWhere(f)
	return s.readRegister(ctx, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryxContext(ctx, `SELECT `+registerColumns+registerFrom+` WHERE `+where+`
		ORDER BY aw.decided_at, aw.reference`, args...)
		if err != nil {
			return fmt.Errorf("read the grants register: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var g RegisterGrant
			if err := rows.StructScan(&g); err != nil {
				return fmt.Errorf("read the grants register: %w", err)
			}
			if err := fn(g); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// RegisterPage is one page of the register with the totals of every award the filter finds.
type RegisterPage struct {
	Grants        []RegisterGrant
	Links         PageLinks
	Count         int
	Awarded, Paid money.Pence
}

var keyByDecision = []keyColumn{{"aw.decided_at", "timestamptz"}, {"aw.reference", "text"}}

// RegisterGrants reads one page of the register, oldest decision first as the downloads are,
// and the count and sums of all it finds, from one snapshot.
func (s *Store) RegisterGrants(ctx context.Context, f RegisterFilter, p PageRequest) (RegisterPage, error) {
	where, args := registerWhere(f)
	cond, order, pageArgs, err := p.sqlOldestFirst(keyByDecision, slices.Clone(args))
	if err != nil {
		return RegisterPage{}, err
	}
	out := RegisterPage{}
	err = s.readRegister(ctx, func(tx *sqlx.Tx) error {
		rows := []RegisterGrant{}
		if err := sqlx.SelectContext(ctx, tx, &rows, `SELECT `+registerColumns+registerFrom+` WHERE `+where+` AND `+cond+order, pageArgs...); err != nil {
			return fmt.Errorf("read the grants register: %w", err)
		}
		out.Grants, out.Links = finishPage(p, rows, func(g RegisterGrant) []any { return []any{g.AwardedAt, g.Reference} })
		err := tx.QueryRowxContext(ctx, `SELECT count(*), coalesce(sum(aw.amount_pence), 0),
				coalesce(sum((SELECT sum(p.amount_pence) FROM payments p WHERE p.award_id = aw.id)), 0)`+registerFrom+` WHERE `+where, args...).
			Scan(&out.Count, &out.Awarded, &out.Paid)
		if err != nil {
			return fmt.Errorf("total the grants register: %w", err)
		}
		return nil
	})
	return out, err
}

// RegisterMostPlaces is the most places (areas and wards together) any award names: how many
// numbered location columns a flat file of the register needs before its first row is read.
// It counts every award, so it is an upper bound for any filter.
func (s *Store) RegisterMostPlaces(ctx context.Context) (int, error) {
	var n int
	err := s.DB.GetContext(ctx, &n, `SELECT coalesce(max(cardinality(a.areas) + cardinality(a.wards)), 0)
		FROM awards aw JOIN applications a ON a.id = aw.application_id`)
	if err != nil {
		return 0, fmt.Errorf("count the register's places: %w", err)
	}
	return n, nil
}
