package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lib/pq"

	"grantflow/grant"
	"grantflow/scheme"
)

// Reads for the staff's work queues and forms. Staff may see every application, so none of these
// filters by organisation; callers show them to staff only.

// StageSince is when each application entered the status it is in now: the first event of the
// latest unbroken run of events at that status (the last update for an application with none).
func (s *Store) StageSince(ctx context.Context, ids []int64) (map[int64]time.Time, error) {
	var rows []struct {
		ID    int64     `db:"id"`
		Since time.Time `db:"since"`
	}
	err := s.DB.SelectContext(ctx, &rows, `
		SELECT a.id, coalesce((SELECT min(e.at) FROM application_events e WHERE e.application_id = a.id AND e.status = a.status
			AND e.at > coalesce((SELECT max(x.at) FROM application_events x WHERE x.application_id = a.id AND x.status <> a.status), '-infinity')),
			a.updated_at) AS since
		FROM applications a WHERE a.id = ANY($1)`, pq.Int64Array(ids))
	out := make(map[int64]time.Time, len(rows))
	for _, r := range rows {
		out[r.ID] = r.Since
	}
	return out, err
}

// LatestReturn is the latest version of one quarter's monitoring return.
type LatestReturn struct {
	ApplicationID int64     `db:"application_id"`
	FinancialYear int       `db:"financial_year"`
	Quarter       int       `db:"quarter"`
	Version       int       `db:"version"`
	SubmittedAt   time.Time `db:"submitted_at"`
	ReviewOutcome *string   `db:"review_outcome"`
}

// LatestReturns lists the latest version of each quarter's return of the applications.
func (s *Store) LatestReturns(ctx context.Context, ids []int64) ([]LatestReturn, error) {
	list := []LatestReturn{}
	err := s.DB.SelectContext(ctx, &list, `SELECT DISTINCT ON (application_id, financial_year, quarter)
			application_id, financial_year, quarter, version, submitted_at, review_outcome
		FROM monitoring_returns WHERE application_id = ANY($1)
		ORDER BY application_id, financial_year, quarter, version DESC`, pq.Int64Array(ids))
	return list, err
}

// LatestOfEachQuarter keeps the latest version of each quarter's return of one application's
// returns (as Returns lists them), in order of quarter: what LatestReturns reads for many
// applications at once, for returns already read.
func LatestOfEachQuarter(returns []MonitoringReturn) []MonitoringReturn {
	var out []MonitoringReturn
	at := map[[2]int]int{} // financial year and quarter → index in out
	for _, r := range returns {
		q := [2]int{r.FinancialYear, r.Quarter}
		i, seen := at[q]
		switch {
		case !seen:
			at[q] = len(out)
			out = append(out, r)
		case r.Version > out[i].Version:
			out[i] = r
		}
	}
	slices.SortFunc(out, func(a, b MonitoringReturn) int {
		return cmp.Or(cmp.Compare(a.FinancialYear, b.FinancialYear), cmp.Compare(a.Quarter, b.Quarter))
	})
	return out
}

// AwardYearsByApplication is each application's award, per financial year.
func (s *Store) AwardYearsByApplication(ctx context.Context, ids []int64) (map[int64][]grant.YearAmount, error) {
	var rows []struct {
		ApplicationID int64 `db:"application_id"`
		grant.YearAmount
	}
	err := s.DB.SelectContext(ctx, &rows, `SELECT aw.application_id, y.financial_year AS "financialyear", y.amount_pence AS "amount"
		FROM award_years y JOIN awards aw ON aw.id = y.award_id WHERE aw.application_id = ANY($1)
		ORDER BY aw.application_id, y.financial_year`, pq.Int64Array(ids))
	out := map[int64][]grant.YearAmount{}
	for _, r := range rows {
		out[r.ApplicationID] = append(out[r.ApplicationID], r.YearAmount)
	}
	return out, err
}

// AwardsEndedEarly is when each of the applications' awards was ended early, for those that were.
func (s *Store) AwardsEndedEarly(ctx context.Context, ids []int64) (map[int64]time.Time, error) {
	return s.awardTimes(ctx, ids, "terminated_at")
}

// AwardStartDates is each award's agreement start date, by application; awards from before start
// dates are absent.
func (s *Store) AwardStartDates(ctx context.Context, ids []int64) (map[int64]time.Time, error) {
	return s.awardTimes(ctx, ids, "start_date")
}

// AwardEndDates is each award's agreement end date, by application; awards without one are absent.
func (s *Store) AwardEndDates(ctx context.Context, ids []int64) (map[int64]time.Time, error) {
	return s.awardTimes(ctx, ids, "end_date")
}

// awardTimes reads one date or time column of the applications' awards, leaving out those unset.
func (s *Store) awardTimes(ctx context.Context, ids []int64, column string) (map[int64]time.Time, error) {
	var rows []struct {
		ApplicationID int64     `db:"application_id"`
		At            time.Time `db:"at"`
	}
	err := s.DB.SelectContext(ctx, &rows, fmt.Sprintf(`SELECT application_id, %[1]s AS at FROM awards
		WHERE application_id = ANY($1) AND %[1]s IS NOT NULL`, column), pq.Int64Array(ids))
	out := map[int64]time.Time{}
	for _, r := range rows {
		out[r.ApplicationID] = r.At
	}
	return out, err
}

// PanelProgress is how far a service application's panel has got.
type PanelProgress struct {
	Members int // on the panel now
	Scored  int // of those, how many have scored
	Waiting []int64
}

// PanelsProgress tells, for each application, who sits on its panel and who has yet to score.
func (s *Store) PanelsProgress(ctx context.Context, ids []int64) (map[int64]PanelProgress, error) {
	var rows []struct {
		ApplicationID int64 `db:"application_id"`
		AssessorID    int64 `db:"assessor_id"`
		Scored        bool  `db:"scored"`
	}
	err := s.DB.SelectContext(ctx, &rows, `SELECT p.application_id, p.assessor_id,
			EXISTS (SELECT 1 FROM assessments a WHERE a.application_id = p.application_id AND a.assessor_id = p.assessor_id) AS scored
		FROM panel_members p WHERE p.application_id = ANY($1) AND p.removed_at IS NULL`, pq.Int64Array(ids))
	out := map[int64]PanelProgress{}
	for _, r := range rows {
		p := out[r.ApplicationID]
		p.Members++
		if r.Scored {
			p.Scored++
		} else {
			p.Waiting = append(p.Waiting, r.AssessorID)
		}
		out[r.ApplicationID] = p
	}
	return out, err
}

// UsersWithRoles lists the people who hold any of the roles, by name.
func (s *Store) UsersWithRoles(ctx context.Context, roles ...scheme.Role) ([]User, error) {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	list := []User{}
	if err := s.DB.SelectContext(ctx, &list, `SELECT id, email, name, role FROM users WHERE role = ANY($1) ORDER BY name, id`, pq.StringArray(names)); err != nil {
		return nil, err
	}
	for i := range list {
		if err := s.loadMemberships(ctx, &list[i]); err != nil {
			return nil, err
		}
	}
	return list, nil
}

// ConflictsOf lists the applications the person declared a conflict of interest in.
func (s *Store) ConflictsOf(ctx context.Context, userID int64) ([]int64, error) {
	ids := []int64{}
	err := s.DB.SelectContext(ctx, &ids, `SELECT application_id FROM conflicts WHERE user_id = $1 AND has_conflict ORDER BY application_id`, userID)
	return ids, err
}

// AwardReferences is each application's award reference, for those with an award.
func (s *Store) AwardReferences(ctx context.Context, ids []int64) (map[int64]string, error) {
	var rows []struct {
		ApplicationID int64  `db:"application_id"`
		Reference     string `db:"reference"`
	}
	err := s.DB.SelectContext(ctx, &rows, `SELECT application_id, reference FROM awards WHERE application_id = ANY($1)`, pq.Int64Array(ids))
	out := make(map[int64]string, len(rows))
	for _, r := range rows {
		out[r.ApplicationID] = r.Reference
	}
	return out, err
}
