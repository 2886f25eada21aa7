// Package grant holds the domain types that the workflows, the activities, the store and the HTTP
// front doors all speak: who acts, an award's money per financial year, a service's details and its
// payment plan. Workflow inputs, requests and state are built from these (never from store rows), so
// a column rename cannot change a recorded history; the store converts at its edge. The JSON names
// are part of recorded histories and must not change.
package grant

import (
	"time"

	"grantflow/money"
	"grantflow/scheme"
)

// Actor is the person (or the system) on whose behalf a step runs.
type Actor struct {
	UserID        int64       `json:"user_id,omitempty"`
	Name          string      `json:"name"`
	Role          scheme.Role `json:"role"`
	Organisations []int64     `json:"organisations,omitempty"`
}

// System is the actor for steps nobody took by hand: timers, screening, letters.
var System = Actor{Name: "Grantflow", Role: scheme.RoleSystem}

// MemberOf reports whether the actor belongs to the organisation.
func (a Actor) MemberOf(orgID int64) bool {
	for _, id := range a.Organisations {
		if id == orgID {
			return true
		}
	}
	return false
}

// YearAmount is the part of an award that falls in one financial year.
type YearAmount struct {
	FinancialYear int         `json:"financial_year"`
	Amount        money.Pence `json:"amount_pence"`
}

// WholeLife is the total over every year.
func WholeLife(years []YearAmount) money.Pence {
	var total money.Pence
	for _, y := range years {
		total += y.Amount
	}
	return total
}

// Tranche is one planned payment of a service award, as the workflow schedules it.
type Tranche struct {
	No            int         `json:"no"`
	FinancialYear int         `json:"financial_year"`
	Quarter       int         `json:"quarter"`
	DueOn         time.Time   `json:"due_on"` // the London date it falls due
	Amount        money.Pence `json:"amount_pence"`
	Status        string      `json:"status"` // scheduled, held, released, paid, cancelled
}

// ServiceDetails is what a service application adds: the service, where it works (to ward level
// where known), the amount asked for each financial year, outcomes with measurable indicators and
// quarterly targets, and the organisation's safeguarding and governance.
type ServiceDetails struct {
	Service     string       `json:"service"`
	Description string       `json:"description"`
	Wards       []string     `json:"wards"`
	Years       []YearAmount `json:"years"`
	// StartDate is the date (YYYY-MM-DD) the applicant proposes the agreement starts, in the first
	// year asked for; optional. The officer sets the agreement's start date at moderation.
	StartDate    string       `json:"start_date,omitempty"`
	Outcomes     []Outcome    `json:"outcomes"`
	Safeguarding Safeguarding `json:"safeguarding"`
	Governance   Governance   `json:"governance"`
}

// Total is the whole-life amount asked for.
func (d ServiceDetails) Total() money.Pence { return WholeLife(d.Years) }

// Outcome is a change the service commits to, measured by its indicators.
type Outcome struct {
	Outcome    string      `json:"outcome"`
	Indicators []Indicator `json:"indicators"`
}

// Indicator is a measure with a target for each quarter.
type Indicator struct {
	Key             string `json:"key"`
	Name            string `json:"name"`
	Unit            string `json:"unit"`
	QuarterlyTarget int64  `json:"quarterly_target"`
}

// Safeguarding is the organisation's safeguarding arrangements.
type Safeguarding struct {
	PolicyReviewedOn string `json:"policy_reviewed_on"` // YYYY-MM-DD
	Lead             string `json:"lead"`
	DBSChecks        bool   `json:"dbs_checks"`
}

// Governance is how the organisation is run.
type Governance struct {
	Trustees           int    `json:"trustees"`
	LatestAccountsYear string `json:"latest_accounts_year"`
}

// BeneficiaryCount is the people reached in one place and age band: a row of a service's quarterly
// monitoring return or of a grassroots grant's end-of-grant report, read alike by the Panel's figures.
type BeneficiaryCount struct {
	Area string `json:"area"`
	// Ward is the ward as the scheme lists it ("Leicester: Abbey", or "Blaby: all wards"), required
	// where the scheme lists wards in the area; blank where it lists none there (and in rows from
	// before wards were asked).
	Ward    string `json:"ward,omitempty"`
	AgeBand string `json:"age_band"` // one of AgeBands
	Count   int    `json:"count"`
}

// AgeBands are the age bands people reached are counted in; the first two are under 25.
var AgeBands = []string{"under_18", "18_24", "25_plus"}
