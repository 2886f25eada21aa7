// Package demo seeds the local system with the two demo schemes of domain.md and one invented
// user per role. Every person and organisation here is made up.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"grantflow/money"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/store"
)

// Password is every demo account's password; the runner prints it.
const Password = "grantflow-demo"

// Account is one demo sign-in.
type Account struct {
	Email string
	Name  string
	Role  scheme.Role
}

// Accounts are the demo users, one per role (two officers so one can assess and another decide).
var Accounts = []Account{
	{"applicant@riverside-youth.example.org", "Priya Example", scheme.RoleApplicant},
	{"assessor@opcc.example.org", "Alex Assessor", scheme.RoleAssessor},
	{"officer@opcc.example.org", "Olu Officer", scheme.RoleOfficer},
	{"officer2@opcc.example.org", "Orla Officer", scheme.RoleOfficer},
	{"head@opcc.example.org", "Hana Head", scheme.RoleHeadOfCommissioning},
	{"commissioner@opcc.example.org", "Casey Commissioner", scheme.RoleCommissioner},
	{"finance@opcc.example.org", "Fran Finance", scheme.RoleFinance},
	{"finance2@opcc.example.org", "Fola Finance", scheme.RoleFinance}, // payments take two people in finance
}

// Areas are Leicester, Leicestershire's districts and Rutland.
var Areas = []string{"Leicester", "Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton",
	"North West Leicestershire", "Oadby and Wigston", "Rutland"}

// Wards are, for the grassroots form's "which wards" question, some of the wards of Leicester
// and Melton, named with their area, and for every other area its wards as a whole: a project in
// Rutland must be able to answer too.
var Wards = append([]string{"Leicester: Abbey", "Leicester: Aylestone", "Leicester: Beaumont Leys", "Leicester: Belgrave", "Leicester: Castle",
	"Leicester: Evington", "Leicester: Saffron", "Leicester: Spinney Hills", "Leicester: Westcotes",
	"Melton: Melton Egerton", "Melton: Melton Newport", "Melton: Melton Sysonby", "Melton: Melton Warwick"},
	"Blaby: all wards", "Charnwood: all wards", "Harborough: all wards", "Hinckley and Bosworth: all wards",
	"North West Leicestershire: all wards", "Oadby and Wigston: all wards", "Rutland: all wards")

// Priorities are the Police and Crime Plan's "Five V's" and its named priority areas.
var Priorities = []string{"Viable Partnerships", "Visible Policing", "Victim Services", "Vulnerability Protection", "Value for Money",
	"Alcohol and drug-related crime", "Child sexual exploitation", "Domestic violence and abuse", "Hate crime",
	"Human trafficking and modern slavery", "Mental health", "Missing from home", "Sexual violence",
	"Serious violence", "Anti-social behaviour", "Rural crime", "Night-time economy", "Cyber crime"}

// Criteria are the example weighted assessment criteria.
var Criteria = []scheme.Criterion{
	{Key: "fit", Name: "Fit with Police and Crime Plan priorities", Weight: 30},
	{Key: "need", Name: "Need and evidence", Weight: 25},
	{Key: "deliverability", Name: "Deliverability and governance", Weight: 20, Minimum: 2},
	{Key: "value", Name: "Value for money", Weight: 15},
	{Key: "partnership", Name: "Partnership working", Weight: 10},
}

// Bands are the example delegation bands.
var Bands = []scheme.Band{
	{Role: scheme.RoleOfficer, Title: "Commissioning officer", UpTo: money.Pounds(5000)},
	{Role: scheme.RoleHeadOfCommissioning, Title: "Head of commissioning", UpTo: money.Pounds(100000)},
	{Role: scheme.RoleCommissioner, Title: "Police and Crime Commissioner"},
}

var eligibleTypes = []string{scheme.OrgRegisteredCharity, scheme.OrgCIO, scheme.OrgCharitableCompany, scheme.OrgCIC, scheme.OrgCommunityGroup}

// GrassrootsRules are the Grassroots Community Fund's demo rules.
func GrassrootsRules() scheme.Rules {
	return scheme.Rules{Kind: scheme.Grassroots, Code: "GCF", MinAmount: money.Pounds(500), MaxAmount: money.Pounds(5000), MaxDurationMonths: 12,
		OrganisationTypes: eligibleTypes, Areas: Areas, Wards: Wards, Priorities: Priorities, Criteria: Criteria, Delegation: Bands,
		AcceptanceDays: 28, AcceptanceReminderDays: 7, ReportDueMonths: 3, ReportReminderDays: 14, ReportResubmitDays: 28, CostCentre: "OPCC-GCF-4410",
		EscalationDays: 10}
}

// ServiceRules are the Commissioned Services Fund's demo rules.
func ServiceRules() scheme.Rules {
	return scheme.Rules{Kind: scheme.Service, Code: "CSF", MinAmount: money.Pounds(25000), MaxAmount: money.Pounds(500000), MaxDurationMonths: 60,
		OrganisationTypes: eligibleTypes, Areas: Areas, Priorities: Priorities, Criteria: Criteria, Delegation: Bands,
		AcceptanceDays: 28, AcceptanceReminderDays: 7, ReportDueMonths: 3, ReportReminderDays: 14, ReportResubmitDays: 28, CostCentre: "OPCC-CSF-4420",
		EscalationDays: 10}
}

// Seed makes the demo schemes, a round open now for each and this financial year's budgets, the
// staff accounts and one applicant organisation. Running it again changes nothing.
func Seed(ctx context.Context, st *store.Store, now time.Time) error {
	fy := scheme.FinancialYear(now)
	schemes := []struct {
		slug, name, description string
		rules                   scheme.Rules
		budget                  money.Pence
	}{
		{"grassroots", "Grassroots Community Fund", "Small one-off grants of £500 to £5,000 for community groups tackling crime and its causes.", GrassrootsRules(), money.Pounds(150000)},
		{"commissioned-services", "Commissioned Services Fund", "Funding for up to five years for services such as victim support and domestic abuse services.", ServiceRules(), money.Pounds(2500000)},
	}
	for _, s := range schemes {
		sc, err := st.UpsertScheme(ctx, store.Scheme{Slug: s.slug, Name: s.name, Description: s.description, Rules: s.rules})
		if err != nil {
			return err
		}
		opens := time.Date(fy, time.April, 1, 0, 0, 0, 0, scheme.London)
		if _, err := st.AddRound(ctx, store.Round{SchemeID: sc.ID, Name: fmt.Sprintf("%s round", scheme.FinancialYearLabel(fy)),
			OpensAt: opens, ClosesAt: opens.AddDate(1, 0, 0), Guidance: "Read the scheme's rules before you start. You can save your answers and come back to them until the round closes."}); err != nil {
			return err
		}
		years := 1
		if s.rules.Kind == scheme.Service { // multi-year awards need next years' budgets too
			years = s.rules.MaxDurationMonths / 12
		}
		for y := fy; y < fy+years; y++ {
			if _, err := st.Budget(ctx, sc.ID, y); errors.Is(err, store.ErrNotFound) {
				if _, err := st.ChangeBudget(ctx, sc.ID, y, s.budget, "The demo's budget", store.SystemActor("Demo seed"), now); err != nil {
					return err
				}
			}
		}
	}
	for _, a := range Accounts {
		if _, err := st.UserByEmail(ctx, a.Email); err == nil {
			continue
		}
		var err error
		if a.Role == scheme.RoleApplicant {
			_, _, err = st.CreateOrganisationWithUser(ctx, store.Organisation{Name: "Riverside Youth Project", Type: scheme.OrgCommunityGroup,
				Address: "Unit 4, Canal Street, Leicester", Postcode: "LE1 0XX"}, store.NewUser{Email: a.Email, Name: a.Name, Role: a.Role, Password: Password})
		} else {
			_, err = st.CreateUser(ctx, store.NewUser{Email: a.Email, Name: a.Name, Role: a.Role, Password: Password})
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", a.Email, err)
		}
	}
	return nil
}

// GrassrootsAnswers are the answers of a complete grassroots application asking for amount
// beyond its own fields (title, amount, dates, areas, priorities), for the benchmark and tests:
// a made-up evening youth project in Melton whose two budget lines add up to amount.
func GrassrootsAnswers(amount money.Pence) questions.Answers {
	a := questions.Answers{}
	for id, v := range map[string]any{
		"description":            "Two evening sessions a week of detached youth work and sport in Melton town centre.",
		"need":                   "Anti-social behaviour reports rise on weekday evenings, when nothing is open for young people.",
		"evidence":               "Neighbourhood policing figures for the last year and a survey of 120 young people.",
		"beneficiaries":          150,
		"beneficiaries_under_25": 120,
		"age_bands":              []string{"11_17", "18_24"},
		"wards":                  []string{"Melton: Melton Egerton"},
		"outcomes":               []map[string]any{{"outcome": "Fewer evening reports of anti-social behaviour", "measure": "Police figures each quarter"}},
		"budget_lines": []map[string]any{
			{"item": "Youth workers' time", "amount_pence": amount - amount/4},
			{"item": "Sports equipment and hall hire", "amount_pence": amount / 4},
		},
		"other_funding":           "yes",
		"funding_lines":           []map[string]any{{"funder": "Melton Borough Council", "amount_pence": 50000, "status": "secured"}},
		"safeguarding_policy":     "yes",
		"safeguarding_lead":       "Sam Lead",
		"declare_true":            true,
		"declare_use":             true,
		"declare_authorised":      true,
		"data_protection_consent": true,
	} {
		a.Set(id, v)
	}
	return a
}
