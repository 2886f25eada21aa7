// Package publication owns the public grants register and its monthly publications: how an award
// reads in public (Award, Row), the register's CSV and JSON files written as the rows stream from
// store.EachRegisterGrant, and each month's frozen, numbered publication with what changed between
// its versions (monthly.go). What the public may see of an award at all is decided once, by the
// store's register rows; this package decides only how they are written. The 360Giving package is
// in the subpackage threesixtygiving.
package publication

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// Award is what a monthly publication freezes of one award: the facts of the grant as decided
// (and as varied or ended since). It leaves out what moves on its own as the grant runs, what has
// been paid so far and the grant's progress, so a month's publication changes only when the award
// itself does; the live register carries those beside it (Row).
type Award struct {
	Reference        string      `json:"reference"`
	Recipient        string      `json:"recipient"`
	OrganisationType string      `json:"organisation_type"`
	CharityNumber    string      `json:"charity_number"`
	CompanyNumber    string      `json:"company_number"`
	Scheme           string      `json:"scheme"`
	Title            string      `json:"title"`
	Purpose          string      `json:"purpose"`
	Conditions       []string    `json:"conditions"`
	Reasons          string      `json:"reasons"`
	AmountAwarded    json.Number `json:"amount_awarded"` // pounds and pence, "1234.56", never a float
	AwardDate        string      `json:"award_date"`     // YYYY-MM-DD, in London
	PlannedStart     string      `json:"planned_start"`  // YYYY-MM-DD or ""
	PlannedEnd       string      `json:"planned_end"`
	EndedEarlyOn     string      `json:"ended_early_on"` // YYYY-MM-DD when the grant was ended early, or ""
	Priorities       []string    `json:"priorities"`
	Areas            []string    `json:"areas"`
	Wards            []string    `json:"wards"`
	DecidedBy        string      `json:"decided_by"`      // the office and its delegation band, never a person
	DecisionRecord   string      `json:"decision_record"` // PCC/2026/017 above the officer band, or ""
}

// Row is one award in the live register: its frozen facts, then where it stands today.
type Row struct {
	Award
	Status     string      `json:"status"`      // as the public would say it: Offered, Accepted, Ended early…
	AmountPaid json.Number `json:"amount_paid"` // recorded payments, pounds and pence
}

// RowOf is the public reading of a register row.
func RowOf(g store.RegisterGrant) Row {
	return Row{
		Award: Award{
			Reference:        g.Reference,
			Recipient:        g.Recipient,
			OrganisationType: OrganisationType(g.OrgType),
			CharityNumber:    g.CharityNumber,
			CompanyNumber:    g.CompanyNumber,
			Scheme:           g.SchemeName,
			Title:            g.Title,
			Purpose:          g.Purpose,
			Conditions:       list(g.Conditions),
			Reasons:          g.Reasons,
			AmountAwarded:    Pounds(g.Amount),
			AwardDate:        Date(&g.AwardedAt),
			PlannedStart:     Date(g.PlannedStart),
			PlannedEnd:       Date(g.PlannedEnd),
			EndedEarlyOn:     Date(g.EndedEarlyOn),
			Priorities:       list(g.Priorities),
			Areas:            list(g.Areas),
			Wards:            list(g.Wards),
			DecidedBy:        DecidedBy(g.DecidedByRole, g.DelegationBand),
			DecisionRecord:   g.DecisionRecord,
		},
		Status:     Status(g.Status, g.EndedEarlyOn != nil),
		AmountPaid: Pounds(g.Disbursed),
	}
}

// list is never null in JSON: an empty list is [].
func list(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// Pounds writes an amount as pounds with pence, "1234.56" (no symbol, no separators), the form
// spreadsheets and JSON readers take as a number.
func Pounds(p money.Pence) json.Number {
	v, sign := int64(p), ""
	if v < 0 {
		v, sign = -v, "-"
	}
	return json.Number(fmt.Sprintf("%s%d.%02d", sign, v/100, v%100))
}

// Date writes a day as YYYY-MM-DD in London; nil is "".
func Date(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(scheme.London).Format(time.DateOnly)
}

// OrganisationType is the organisation type as the public reads it: "Registered charity".
func OrganisationType(code string) string {
	name, ok := scheme.OrganisationTypes[code]
	if !ok || name == "" {
		return code
	}
	return strings.ToUpper(name[:1]) + name[1:]
}

// DecidedBy names the office that decided and its delegation band: "Head of Commissioning
// (up to £100,000)"; the band is left out when it only repeats the office.
func DecidedBy(role, band string) string {
	office := scheme.Role(role).Title()
	if band == "" || strings.EqualFold(band, office) || strings.EqualFold(band, scheme.Role(role).Noun()) {
		return office
	}
	return office + " (" + band + ")"
}

// Status is an award's status as the public would say it. A grant ended early says so whatever
// its recovery or closure has reached since.
func Status(status string, endedEarly bool) string {
	if endedEarly || status == "terminated" || status == "recovery" {
		return "Ended early"
	}
	switch status {
	case "offered":
		return "Offered"
	case "accepted":
		return "Accepted"
	case "paid", "active":
		return "Under way"
	case "closed":
		return "Completed"
	case "lapsed":
		return "Offer lapsed"
	}
	if status == "" {
		return ""
	}
	return strings.ToUpper(status[:1]) + strings.ReplaceAll(status[1:], "_", " ")
}
