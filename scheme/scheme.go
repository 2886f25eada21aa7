// Package scheme holds a funding scheme's rules: everything that another funder would configure
// differently (limits, areas, priorities, criteria, delegation bands, deadlines). Rules travel into a
// workflow as a snapshot with a version, so a running application keeps the rules it was submitted under.
package scheme

import (
	"fmt"
	"strings"
	"time"

	"grantflow/money"
)

// Kind tells which workflow carries a scheme's applications.
type Kind string

const (
	Grassroots Kind = "grassroots" // small one-off grants, one assessor, officer decision
	Service    Kind = "service"    // multi-year commissioned services, panel, tranches
)

// Role is what a user does in Grantflow.
type Role string

const (
	RoleApplicant           Role = "applicant"
	RoleAssessor            Role = "assessor"
	RoleOfficer             Role = "officer"
	RoleHeadOfCommissioning Role = "head_of_commissioning"
	RoleCommissioner        Role = "commissioner"
	RoleFinance             Role = "finance"
	RoleAdmin               Role = "admin"
	RoleSystem              Role = "system" // Grantflow itself: timers, screening, letters; never a user's role
)

// Roles lists every role, for validating input.
var Roles = []Role{RoleApplicant, RoleAssessor, RoleOfficer, RoleHeadOfCommissioning, RoleCommissioner, RoleFinance, RoleAdmin}

// CaseOfficerRoles are the roles whose holders may look after an application as its case officer.
var CaseOfficerRoles = []Role{RoleOfficer, RoleHeadOfCommissioning}

// IsStaff reports whether the role belongs to the funder's office rather than an applicant.
func (r Role) IsStaff() bool { return r != RoleApplicant && r != "" }

// ManagesSchemes reports whether the role may set up the programme: schemes, their rules and
// application questions, rounds and budgets.
func (r Role) ManagesSchemes() bool { return r == RoleAdmin || r == RoleHeadOfCommissioning }

// ManagesPeople reports whether the role may invite staff, change their roles and disable accounts,
// and read the office's administrative audit trail.
func (r Role) ManagesPeople() bool { return r == RoleAdmin }

// SeesPerformance reports whether the role may read the performance figures (the staff page, its
// CSV and the API): every role that works with grants once made, so commissioning officers, heads
// of commissioning, the Commissioner and finance; not assessors, who score applications, nor
// administrators, who run the office's accounts and schemes.
func (r Role) SeesPerformance() bool {
	return r == RoleOfficer || r == RoleHeadOfCommissioning || r == RoleCommissioner || r == RoleFinance
}

// Decides reports whether the role may take funding decisions (within a band).
func (r Role) Decides() bool {
	return r == RoleOfficer || r == RoleHeadOfCommissioning || r == RoleCommissioner
}

// Title is how letters, pages and the timeline name the role: "Head of Commissioning".
func (r Role) Title() string {
	switch r {
	case RoleApplicant:
		return "Applicant"
	case RoleAssessor:
		return "Assessor"
	case RoleOfficer:
		return "Commissioning Officer"
	case RoleHeadOfCommissioning:
		return "Head of Commissioning"
	case RoleCommissioner:
		return "Police and Crime Commissioner"
	case RoleFinance:
		return "Finance"
	case RoleAdmin:
		return "Administrator"
	case RoleSystem:
		return "Grantflow"
	case "":
		return ""
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// Noun is the role inside a sentence: "a head of commissioning may approve up to …".
func (r Role) Noun() string {
	switch r {
	case RoleOfficer:
		return "commissioning officer"
	case RoleHeadOfCommissioning:
		return "head of commissioning"
	case RoleCommissioner:
		return "Commissioner"
	case RoleFinance:
		return "finance officer"
	case RoleAdmin:
		return "administrator"
	case "":
		return "person without a role"
	}
	return strings.ReplaceAll(string(r), "_", " ")
}

// Organisation types an applicant may declare. Only the eligible ones appear in a scheme's rules.
const (
	OrgRegisteredCharity = "registered_charity"
	OrgCIO               = "cio"
	OrgCharitableCompany = "charitable_company"
	OrgCIC               = "cic"
	OrgCommunityGroup    = "community_group"
	OrgIndividual        = "individual"
	OrgPoliticalParty    = "political_party"
	OrgOther             = "other"
)

// OrganisationTypes lists every type an organisation may declare, with a readable name.
var OrganisationTypes = map[string]string{
	OrgRegisteredCharity: "registered charity",
	OrgCIO:               "charitable incorporated organisation (CIO)",
	OrgCharitableCompany: "charitable company",
	OrgCIC:               "community interest company (CIC)",
	OrgCommunityGroup:    "constituted community group",
	OrgIndividual:        "individual",
	OrgPoliticalParty:    "political party",
	OrgOther:             "other",
}

// Criterion is one weighted assessment criterion, scored 0 to 5.
type Criterion struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Weight  int    `json:"weight_percent"` // weights of a scheme add up to 100
	Minimum int    `json:"minimum"`        // a lower score makes the application not fundable; 0 = none
	// Questions are the ids of the form's questions an assessor should read for this criterion
	// (checked against the scheme's form when either is saved).
	Questions []string `json:"questions,omitempty"`
}

// Band is one level of delegated authority: the role that may approve awards up to UpTo
// (whole-life total). UpTo of zero means no upper limit.
type Band struct {
	Role  Role        `json:"role"`
	Title string      `json:"title"`
	UpTo  money.Pence `json:"up_to_pence"`
}

// Rules is the configuration of one scheme. Version changes whenever an officer edits the rules.
type Rules struct {
	Version           int         `json:"version"`
	Kind              Kind        `json:"kind"`
	Code              string      `json:"code"` // short prefix for references, e.g. GCF
	MinAmount         money.Pence `json:"min_amount_pence"`
	MaxAmount         money.Pence `json:"max_amount_pence"`
	MaxDurationMonths int         `json:"max_duration_months"`
	OrganisationTypes []string    `json:"organisation_types"`
	Areas             []string    `json:"areas"`
	Wards             []string    `json:"wards,omitempty"` // grassroots: the wards an applicant may name ("Leicester: Abbey"); none = not asked
	// AreaCodes gives areas their ONS GSS codes by name ("Leicester": "E06000016"); WardCodes gives
	// wards theirs by the ward as listed ("Leicester: Abbey": "E05010458"). Either may be partial.
	AreaCodes              map[string]string `json:"area_codes,omitempty"`
	WardCodes              map[string]string `json:"ward_codes,omitempty"`
	Priorities             []string          `json:"priorities"`
	Criteria               []Criterion       `json:"criteria"`
	Delegation             []Band            `json:"delegation"`
	AcceptanceDays         int               `json:"acceptance_days"`
	AcceptanceReminderDays int               `json:"acceptance_reminder_days"` // days before the deadline
	ReportDueMonths        int               `json:"report_due_months"`        // after the project end date
	ReportReminderDays     int               `json:"report_reminder_days"`     // days before the report is due
	ReportResubmitDays     int               `json:"report_resubmit_days"`     // to revise a report sent back; 0 = 28
	CostCentre             string            `json:"cost_centre"`
	// Days a case officer may go without acting on an application before its escalations and
	// "ready for you" notices are copied to the heads of commissioning; 0 = 10.
	EscalationDays int `json:"escalation_days,omitempty"`
	// Hours after a round closes during which its drafts may still be submitted; then they are
	// locked. 0 locks them as the round closes.
	DraftGraceHours int `json:"draft_grace_hours,omitempty"`

	// Service schemes.
	AssessorsRequired    int    `json:"assessors_required,omitempty"`     // panel size; 0 = 2
	PanelReminderDays    int    `json:"panel_reminder_days,omitempty"`    // before an assessor's deadline; 0 = 3
	ReturnDueDays        int    `json:"return_due_days,omitempty"`        // after each quarter ends; 0 = 15
	ReturnReminderDays   int    `json:"return_reminder_days,omitempty"`   // before a return is due; 0 = 7
	DecisionRecordPrefix string `json:"decision_record_prefix,omitempty"` // numbered records, e.g. PCC/2026/017; "" = PCC
	RepaymentDays        int    `json:"repayment_days,omitempty"`         // to repay an underspend after the final report is accepted; 0 = 30
	Signatory            string `json:"signatory"`                        // name and title on letters
}

// Validate checks that rules are usable before they are saved: nil, or Problems naming every field
// at fault.
func (r Rules) Validate() error {
	if p := r.Problems(); len(p) > 0 {
		return p
	}
	return nil
}

// ResubmissionDays is how long a group has to revise a report sent back for changes.
func (r Rules) ResubmissionDays() int {
	if r.ReportResubmitDays > 0 {
		return r.ReportResubmitDays
	}
	return 28
}

// DraftGrace is how long after a round closes its drafts may still be submitted before they are locked.
func (r Rules) DraftGrace() time.Duration { return time.Duration(r.DraftGraceHours) * time.Hour }

// EscalationPeriod is how many days a case officer may go without acting on an application before
// the heads of commissioning are copied on its escalations and "ready for you" notices.
func (r Rules) EscalationPeriod() int { return orDefault(r.EscalationDays, 10) }

// PanelSize is how many assessors a service application's panel needs.
func (r Rules) PanelSize() int { return orDefault(r.AssessorsRequired, 2) }

// PanelReminder is how many days before an assessor's deadline they are reminded.
func (r Rules) PanelReminder() int { return orDefault(r.PanelReminderDays, 3) }

// ReturnDue is how many days after a quarter ends its monitoring return is due.
func (r Rules) ReturnDue() int { return orDefault(r.ReturnDueDays, 15) }

// Repayment is how many days a provider has to repay an underspend once its final report is accepted.
func (r Rules) Repayment() int { return orDefault(r.RepaymentDays, 30) }

// ReturnReminder is how many days before a return is due the provider is reminded.
func (r Rules) ReturnReminder() int { return orDefault(r.ReturnReminderDays, 7) }

// RecordPrefix starts the numbers of decision records.
func (r Rules) RecordPrefix() string {
	if r.DecisionRecordPrefix == "" {
		return "PCC"
	}
	return r.DecisionRecordPrefix
}

func orDefault(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// London is the time zone that UK financial years and letter dates follow.
var London = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.UTC
	}
	return loc
}

// FinancialYear returns the calendar year in which the UK financial year holding t begins
// (1 April to 31 March): 2026 for any day from 1 April 2026 to 31 March 2027.
func FinancialYear(t time.Time) int {
	t = t.In(London)
	if t.Month() < time.April {
		return t.Year() - 1
	}
	return t.Year()
}

// FinancialYearLabel writes a financial year as "2026-27".
func FinancialYearLabel(fy int) string { return fmt.Sprintf("%d-%02d", fy, (fy+1)%100) }
