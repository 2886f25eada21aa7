// Package reporting owns what Grantflow reports to officers and the Police and Crime Panel: the
// performance figures of a financial year to a quarter's end (by Police and Crime Plan priority,
// by area and by ward), their charts, and the quarterly Panel report built from them. It reads
// through the store and never writes grant data; publication to the public is package publication's.
package reporting

import (
	"fmt"

	"grantflow/money"
)

// Period is a financial year (2026 for 2026-27) to the end of one of its quarters (1 = April to
// June). Figures are cumulative from 1 April to the quarter's end; trends go quarter by quarter.
type Period struct {
	FinancialYear int `json:"financial_year"`
	Quarter       int `json:"quarter"`
}

// String writes a period as "2026-27 Q3".
func (p Period) String() string {
	return fmt.Sprintf("%d-%02d Q%d", p.FinancialYear, (p.FinancialYear+1)%100, p.Quarter)
}

// Figures is everything the performance page and the Panel report show for a period.
type Figures struct {
	Period     Period `json:"period"`
	Totals     Line   `json:"totals"`
	ByPriority []Line `json:"by_priority"` // every priority of the schemes' rules, in their order, even at zero
	ByArea     []Line `json:"by_area"`     // every area, with its ONS code
	ByWard     []Line `json:"by_ward"`     // wards named by applications or returns, with their codes where known

	Indicators     []IndicatorTrend   `json:"indicators"`      // each service's indicators, quarter by quarter
	Ratings        []ServiceRating    `json:"ratings"`         // each service's RAG rating by quarter
	OverdueReturns []OverdueReturn    `json:"overdue_returns"` // at the period's end
	HeldTranches   []HeldTranche      `json:"held_tranches"`   // at the period's end
	Grassroots     []GrassrootsResult `json:"grassroots"`      // accepted end-of-grant reports in the period
}

// Line is one row of figures for a priority, an area, a ward or the whole. An award that names
// several priorities (or areas, wards) counts in full on each of their lines, so the lines of a
// dimension may add up to more than the totals; the page and the report say so.
type Line struct {
	Name          string      `json:"name"`
	Code          string      `json:"code,omitempty"` // ONS GSS code of an area (E06…, E07…) or ward (E05…)
	Awards        int         `json:"awards"`         // awards decided in the year to the period's end
	Committed     money.Pence `json:"committed_pence"`
	Released      money.Pence `json:"released_pence"`
	Paid          money.Pence `json:"paid_pence"`
	Beneficiaries int         `json:"beneficiaries"` // from accepted returns and end-of-grant reports
	Under25       int         `json:"under_25"`
}

// IndicatorTrend is one indicator of one service award: its quarterly target and what each
// quarter's latest return reported (nil where no return was made).
type IndicatorTrend struct {
	Reference string   `json:"reference"`
	Recipient string   `json:"recipient"`
	Service   string   `json:"service"`
	Key       string   `json:"key"`
	Name      string   `json:"name"`
	Unit      string   `json:"unit"`
	Target    int64    `json:"quarterly_target"`
	Actual    []*int64 `json:"actual"`  // index 0 is Q1 of the period's year, up to the period's quarter
	Running   []bool   `json:"running"` // whether the agreement ran in each quarter: no target before it starts or after it ends

	// ApplicationID links the row to its application (staff pages only).
	ApplicationID int64 `json:"application_id"`
}

// ServiceRating is the officers' red/amber/green rating of each quarter's return ("" where not rated).
type ServiceRating struct {
	Reference string   `json:"reference"`
	Recipient string   `json:"recipient"`
	RAG       []string `json:"rag"`     // index 0 is Q1
	Running   []bool   `json:"running"` // whether the agreement ran in each quarter (a quarter it did not is not rated, nor due)

	// ApplicationID links the row to its application (staff pages only).
	ApplicationID int64 `json:"application_id"`
}

// OverdueReturn is a monitoring return not received by its due date.
type OverdueReturn struct {
	Reference string `json:"reference"`
	Recipient string `json:"recipient"`
	Quarter   string `json:"quarter"` // "2026-27 Q2"
	DueOn     string `json:"due_on"`  // YYYY-MM-DD

	// ApplicationID links the row to its application (staff pages only).
	ApplicationID int64 `json:"application_id"`
}

// HeldTranche is a payment held back, with the officers' reason.
type HeldTranche struct {
	Reference string      `json:"reference"`
	Recipient string      `json:"recipient"`
	Tranche   int         `json:"tranche"`
	Amount    money.Pence `json:"amount_pence"`
	Reason    string      `json:"reason"`

	// ApplicationID links the row to its application (staff pages only).
	ApplicationID int64 `json:"application_id"`
}

// GrassrootsResult is what a grassroots grant achieved, from its accepted end-of-grant report.
type GrassrootsResult struct {
	Reference     string      `json:"reference"`
	Recipient     string      `json:"recipient"`
	Amount        money.Pence `json:"amount_pence"`
	Spent         money.Pence `json:"spent_pence"`
	Beneficiaries int         `json:"beneficiaries"`
	Under25       int         `json:"under_25"`
	Outcomes      string      `json:"outcomes"`

	// ApplicationID links the row to its application (staff pages only).
	ApplicationID int64 `json:"application_id"`
}
