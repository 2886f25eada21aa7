package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/lib/pq"

	"grantflow/money"
	"grantflow/scheme"
)

// The performance figures' reads (package reporting adds them up). Each read takes a window of
// time, [From, To), and a financial year; a lapsed offer was never a grant and is left out of all
// of them, as the register leaves it out.

// PerformanceWindow is what the performance reads look at: the financial year, the moments it and
// the period start and end (From is 1 April in London, To the first moment after the period),
// and AsOf, the moment "at the period end" is read at (To, or now while the period runs).
type PerformanceWindow struct {
	FinancialYear int
	From, To      time.Time
	AsOf          time.Time
}

// dates are the window's first and last London days, for date columns (paid_on, due_on).
func (w PerformanceWindow) dates() (first, last string) {
	return w.From.In(scheme.London).Format(time.DateOnly), w.To.Add(-time.Nanosecond).In(scheme.London).Format(time.DateOnly)
}

// PerformanceAward is one award's money in the window, with where and what it is for.
type PerformanceAward struct {
	ApplicationID int64          `db:"application_id"`
	AwardID       int64          `db:"award_id"`
	Reference     string         `db:"reference"`
	Recipient     string         `db:"recipient"`
	Title         string         `db:"title"`
	SchemeID      int64          `db:"scheme_id"`
	SchemeKind    string         `db:"scheme_kind"`
	Status        string         `db:"status"`
	Amount        money.Pence    `db:"amount_pence"`
	DecidedAt     time.Time      `db:"decided_at"`
	Priorities    pq.StringArray `db:"priorities"`
	Areas         pq.StringArray `db:"areas"`
	Wards         pq.StringArray `db:"wards"`
	ServiceJSON   []byte         `db:"service"` // grant.ServiceDetails of a service award
	// Committed is the award's amount for the financial year as it now stands (a service award's
	// year, after variations and an early ending; a one-off grant's whole amount in the year it
	// was decided), for an award decided by the window's end.
	Committed money.Pence `db:"committed_pence"`
	// Released is what was released to be paid within the window: a tranche when its payment
	// notice went to finance; a one-off grant's payment when the second member of finance
	// approved it (or, paid in one step before two-person payments, when it was paid).
	Released money.Pence `db:"released_pence"`
	// Paid is what payments dated within the window paid.
	Paid money.Pence `db:"paid_pence"`
	// InYear says the award funds the financial year at all (a service award's year, a one-off
	// grant decided in it), even where its amount for the year came to nothing.
	InYear bool `db:"in_year"`
}

// PerformanceAwards lists every award decided before the window's end, not lapsed, with its money
// in the window. Awards with nothing in the year are listed too; the caller leaves them out.
func (s *Store) PerformanceAwards(ctx context.Context, w PerformanceWindow) ([]PerformanceAward, error) {
	first, last := w.dates()
	list := []PerformanceAward{}
	err := s.DB.SelectContext(ctx, &list, `
		SELECT a.id AS application_id, aw.id AS award_id, aw.reference, o.name AS recipient, a.title, a.scheme_id, s.kind AS scheme_kind,
			aw.status, aw.amount_pence, aw.decided_at, a.priorities, a.areas, a.wards, a.service,
			CASE WHEN s.kind = $6 THEN CASE WHEN aw.decided_at >= $2 AND aw.decided_at < $7 THEN aw.amount_pence ELSE 0 END
				ELSE coalesce((SELECT y.amount_pence FROM award_years y WHERE y.award_id = aw.id AND y.financial_year = $1), 0) END AS committed_pence,
			CASE WHEN s.kind = $6 THEN aw.decided_at >= $2 AND aw.decided_at < $7
				ELSE EXISTS (SELECT 1 FROM award_years y WHERE y.award_id = aw.id AND y.financial_year = $1) END AS in_year,
			coalesce((SELECT sum(t.amount_pence) FROM tranches t WHERE t.award_id = aw.id AND t.released_at >= $2 AND t.released_at < $3), 0)
			+ CASE WHEN s.kind <> $6 THEN 0
				WHEN so.approved_at IS NOT NULL THEN CASE WHEN so.approved_at >= $2 AND so.approved_at < $3 THEN coalesce(p1.amount_pence, aw.amount_pence) ELSE 0 END
				WHEN p1.paid_on BETWEEN $4::date AND $5::date THEN p1.amount_pence ELSE 0 END AS released_pence,
			coalesce((SELECT sum(p.amount_pence) FROM payments p WHERE p.award_id = aw.id AND p.paid_on BETWEEN $4::date AND $5::date), 0) AS paid_pence
		FROM awards aw
		JOIN applications a ON a.id = aw.application_id
		JOIN schemes s ON s.id = a.scheme_id
		JOIN organisations o ON o.id = a.organisation_id
		-- a one-off grant's single payment is signed off and stored as its tranche 1
		LEFT JOIN payment_sign_offs so ON s.kind = $6 AND so.award_id = aw.id AND so.tranche = 1
		LEFT JOIN payments p1 ON s.kind = $6 AND p1.award_id = aw.id AND p1.tranche = 1
		WHERE `+awardIsAGrant+` AND aw.decided_at < $3
		ORDER BY aw.decided_at, aw.reference`,
		w.FinancialYear, w.From, w.To, first, last, string(scheme.Grassroots), w.From.AddDate(1, 0, 0))
	if err != nil {
		return nil, fmt.Errorf("read the awards' figures for %s: %w", scheme.FinancialYearLabel(w.FinancialYear), err)
	}
	return list, nil
}

// PerformanceReturn is the latest version of one quarter's monitoring return of a service award.
type PerformanceReturn struct {
	ApplicationID int64           `db:"application_id"`
	FinancialYear int             `db:"financial_year"`
	Quarter       int             `db:"quarter"`
	Version       int             `db:"version"`
	Content       json.RawMessage `db:"content"`
	ReviewOutcome *string         `db:"review_outcome"`
	RAG           *string         `db:"rag"`
}

// PerformanceReturns lists the latest version of each quarter's monitoring return for the
// financial year's quarters up to upTo, of awards not lapsed.
func (s *Store) PerformanceReturns(ctx context.Context, fy, upTo int) ([]PerformanceReturn, error) {
	list := []PerformanceReturn{}
	err := s.DB.SelectContext(ctx, &list, `SELECT DISTINCT ON (r.application_id, r.quarter)
			r.application_id, r.financial_year, r.quarter, r.version, r.content, r.review_outcome, r.rag
		FROM monitoring_returns r JOIN awards aw ON aw.application_id = r.application_id
		WHERE r.financial_year = $1 AND r.quarter <= $2 AND `+awardIsAGrant+`
		ORDER BY r.application_id, r.quarter, r.version DESC`, fy, upTo)
	if err != nil {
		return nil, fmt.Errorf("read the monitoring returns of %s: %w", scheme.FinancialYearLabel(fy), err)
	}
	return list, nil
}

// PerformanceReport is a one-off grant's end-of-grant report accepted within the window (the
// latest version of its report, accepted).
type PerformanceReport struct {
	ApplicationID int64           `db:"application_id"`
	Reference     string          `db:"reference"`
	Recipient     string          `db:"recipient"`
	Amount        money.Pence     `db:"amount_pence"`
	Spent         money.Pence     `db:"spent_pence"`
	Outcomes      string          `db:"outcomes"`
	Beneficiaries json.RawMessage `db:"beneficiaries"` // [{"area","ward","age_band","count"}]
	Priorities    pq.StringArray  `db:"priorities"`
	ReviewedAt    time.Time       `db:"reviewed_at"`
}

// PerformanceReports lists the end-of-grant reports accepted within the window, in order of acceptance.
func (s *Store) PerformanceReports(ctx context.Context, w PerformanceWindow) ([]PerformanceReport, error) {
	list := []PerformanceReport{}
	err := s.DB.SelectContext(ctx, &list, `SELECT application_id, reference, recipient, amount_pence, spent_pence, outcomes, beneficiaries,
			priorities, reviewed_at FROM (
			SELECT DISTINCT ON (r.application_id) r.application_id, aw.reference, o.name AS recipient, aw.amount_pence, r.spent_pence,
				r.outcomes, r.beneficiaries, a.priorities, r.reviewed_at, r.review_outcome
			FROM grant_reports r JOIN awards aw ON aw.application_id = r.application_id
			JOIN applications a ON a.id = r.application_id JOIN organisations o ON o.id = a.organisation_id
			JOIN schemes s ON s.id = a.scheme_id
			WHERE `+awardIsAGrant+` AND s.kind = 'grassroots' -- a service's final report is not a grassroots result
			ORDER BY r.application_id, r.version DESC
		) latest
		WHERE latest.review_outcome = 'accept' AND latest.reviewed_at >= $1 AND latest.reviewed_at < $2
		ORDER BY latest.reviewed_at, latest.reference`, w.From, w.To)
	if err != nil {
		return nil, fmt.Errorf("read the end-of-grant reports of %s: %w", scheme.FinancialYearLabel(w.FinancialYear), err)
	}
	return list, nil
}

// PerformanceService is an accepted service award, for its monitoring returns' timetable: its
// years, start date, early ending, the days after a quarter its returns are due, every version of
// its returns and its waivers.
type PerformanceService struct {
	ApplicationID int64                `db:"application_id"`
	Reference     string               `db:"reference"`
	Recipient     string               `db:"recipient"`
	StartDate     *time.Time           `db:"start_date"`
	TerminatedAt  *time.Time           `db:"terminated_at"`
	ReturnDueDays int                  `db:"return_due_days"` // 0: the rules' default
	Years         pq.Int64Array        `db:"years"`           // financial years funded
	Returns       []ReturnSent         `db:"-"`
	Waived        map[[2]int]time.Time `db:"-"` // financial year and quarter → when waived
}

// ReturnSent is one version of a monitoring return: when sent and how and when it was reviewed.
type ReturnSent struct {
	ApplicationID int64      `db:"application_id"`
	FinancialYear int        `db:"financial_year"`
	Quarter       int        `db:"quarter"`
	Version       int        `db:"version"`
	SubmittedAt   time.Time  `db:"submitted_at"`
	ReviewOutcome *string    `db:"review_outcome"`
	ReviewedAt    *time.Time `db:"reviewed_at"`
}

// PerformanceServices lists the service awards accepted before asOf (not lapsed), with their
// returns and waivers, for working out which returns were overdue at asOf.
func (s *Store) PerformanceServices(ctx context.Context, asOf time.Time) ([]PerformanceService, error) {
	list := []PerformanceService{}
	err := s.DB.SelectContext(ctx, &list, `SELECT a.id AS application_id, aw.reference, o.name AS recipient, aw.start_date, aw.terminated_at,
			coalesce((coalesce(a.submitted_rules, s.rules)->>'return_due_days')::int, 0) AS return_due_days,
			ARRAY(SELECT y.financial_year FROM award_years y WHERE y.award_id = aw.id ORDER BY y.financial_year)::bigint[] AS years
		FROM awards aw JOIN applications a ON a.id = aw.application_id JOIN schemes s ON s.id = a.scheme_id
		JOIN organisations o ON o.id = a.organisation_id
		WHERE s.kind = $2 AND `+awardIsAGrant+` AND aw.accepted_at < $1
		ORDER BY aw.reference`, asOf, string(scheme.Service))
	if err != nil {
		return nil, fmt.Errorf("read the service awards: %w", err)
	}
	ids := make([]int64, len(list))
	at := map[int64]int{}
	for i, sv := range list {
		ids[i], at[sv.ApplicationID] = sv.ApplicationID, i
		list[i].Waived = map[[2]int]time.Time{}
	}
	var sent []ReturnSent
	if err := s.DB.SelectContext(ctx, &sent, `SELECT application_id, financial_year, quarter, version, submitted_at, review_outcome, reviewed_at
		FROM monitoring_returns WHERE application_id = ANY($1) ORDER BY application_id, financial_year, quarter, version`, pq.Int64Array(ids)); err != nil {
		return nil, fmt.Errorf("read the service awards' returns: %w", err)
	}
	for _, r := range sent {
		list[at[r.ApplicationID]].Returns = append(list[at[r.ApplicationID]].Returns, r)
	}
	waivers, err := s.ReturnWaiversByApplication(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read the service awards' waived returns: %w", err)
	}
	for app, ws := range waivers {
		for _, w := range ws {
			list[at[app]].Waived[[2]int{w.FinancialYear, w.Quarter}] = w.WaivedAt
		}
	}
	return list, nil
}

// PerformanceHeld is a tranche that was due but held back (not released) at a moment.
type PerformanceHeld struct {
	ApplicationID int64       `db:"application_id"`
	Reference     string      `db:"reference"`
	Recipient     string      `db:"recipient"`
	Tranche       int         `db:"tranche"`
	Amount        money.Pence `db:"amount_pence"`
	DueOn         time.Time   `db:"due_on"`
	Status        string      `db:"status"`
	Reason        string      `db:"held_reason"`
	ReleasedAt    *time.Time  `db:"released_at"`
}

// PerformanceHeldTranches lists the tranches held at asOf: held now and due by then, or held then
// and released since (due by then, released after).
func (s *Store) PerformanceHeldTranches(ctx context.Context, asOf time.Time) ([]PerformanceHeld, error) {
	day := asOf.Add(-time.Nanosecond).In(scheme.London).Format(time.DateOnly)
	list := []PerformanceHeld{}
	err := s.DB.SelectContext(ctx, &list, `SELECT a.id AS application_id, aw.reference, o.name AS recipient, t.no AS tranche, t.amount_pence,
			t.due_on, t.status, t.held_reason, t.released_at
		FROM tranches t JOIN awards aw ON aw.id = t.award_id JOIN applications a ON a.id = aw.application_id
		JOIN organisations o ON o.id = a.organisation_id
		WHERE `+awardIsAGrant+` AND t.due_on <= $1::date
			AND (t.status = 'held' OR (t.status IN ('released', 'paid') AND t.released_at >= $2))
		ORDER BY t.due_on, aw.reference, t.no`, day, asOf)
	if err != nil {
		return nil, fmt.Errorf("read the held tranches: %w", err)
	}
	return list, nil
}
