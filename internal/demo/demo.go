// Package demo seeds the local system with the two demo schemes of domain.md and one invented
// user per role. Every person and organisation here is made up.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"grantflow/examples/schemes"
	"grantflow/money"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/schemefile"
	"grantflow/store"
)

// Password is every demo account's password; the runner prints it.
const Password = "grantflow-demo"

// TOTPSecret is the published second-factor secret of every demo staff account (staff must sign
// in with a second factor): add it to an authenticator app, or print the current code with
// `go run ./cmd/grantflow-dev totp`. Never use a published secret for a real account.
const TOTPSecret = "GRANTF2WDEM2TOTPSECRET2345672ABC"

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
	{"admin@opcc.example.org", "Ada Admin", scheme.RoleAdmin},         // manages people: invites staff, changes roles, disables leavers
}

// The demo schemes' rules and forms are the example definition files (examples/schemes), which
// the seed imports; these read them for tests and the benchmark.
var (
	Areas      = GrassrootsRules().Areas
	Wards      = GrassrootsRules().Wards // some of the wards of Leicester and Melton, and every other area's as a whole
	Priorities = GrassrootsRules().Priorities
	Criteria   = GrassrootsRules().Criteria
	Bands      = GrassrootsRules().Delegation
)

func example(name string) schemefile.Definition {
	d, err := schemefile.Example(name)
	if err != nil { // embedded and tested: a build defect
		panic(err)
	}
	return d
}

// GrassrootsRules are the Grassroots Community Fund's demo rules (examples/schemes/grassroots.yaml).
func GrassrootsRules() scheme.Rules { return example(schemes.Grassroots).Rules }

// ServiceRules are the Commissioned Services Fund's demo rules (examples/schemes/commissioned-services.yaml).
func ServiceRules() scheme.Rules { return example(schemes.Service).Rules }

// GrassrootsForm is the Grassroots Community Fund's form as an applicant answers it under rules.
func GrassrootsForm(rules scheme.Rules) questions.Form {
	return example(schemes.Grassroots).Form.Resolve(rules)
}

// Seed imports the demo schemes from their definition files (as `grantflow schemes import` does),
// and makes a round open now for each and this financial year's budgets, the
// staff accounts and one applicant organisation. Running it again changes nothing.
func Seed(ctx context.Context, st *store.Store, now time.Time) error {
	fy := scheme.FinancialYear(now)
	budgets := map[string]money.Pence{schemes.Grassroots: money.Pounds(150000), schemes.Service: money.Pounds(2500000)}
	for _, file := range []string{schemes.Grassroots, schemes.Service} {
		res, err := schemefile.Import(ctx, st, example(file), store.SystemActor("Demo seed"), now, "Demo scheme")
		if err != nil {
			return err
		}
		sc := res.Scheme
		opens := time.Date(fy, time.April, 1, 0, 0, 0, 0, scheme.London)
		if _, err := st.AddRound(ctx, store.Round{SchemeID: sc.ID, Name: fmt.Sprintf("%s round", scheme.FinancialYearLabel(fy)),
			OpensAt: opens, ClosesAt: opens.AddDate(1, 0, 0), Guidance: "Read the scheme's rules before you start. You can save your answers and come back to them until the round closes."}); err != nil {
			return err
		}
		years := 1
		if sc.Rules.Kind == scheme.Service { // multi-year awards need next years' budgets too
			years = sc.Rules.MaxDurationMonths / 12
		}
		for y := fy; y < fy+years; y++ {
			if _, err := st.Budget(ctx, sc.ID, y); errors.Is(err, store.ErrNotFound) {
				if _, err := st.ChangeBudget(ctx, sc.ID, y, budgets[file], "The demo's budget", store.SystemActor("Demo seed"), now); err != nil {
					return err
				}
			}
		}
	}
	for _, a := range Accounts {
		if u, err := st.UserByEmail(ctx, a.Email); err == nil {
			// A database seeded before staff had second factors: give them the published demo one.
			if sf, err := st.SecondFactorOf(ctx, u); err == nil && sf.Required && !sf.Enabled {
				if err := st.EnrolSecondFactor(ctx, u.ID, TOTPSecret, now); err != nil {
					return fmt.Errorf("demo user %s: %w", a.Email, err)
				}
			}
			continue
		}
		var err error
		if a.Role == scheme.RoleApplicant {
			_, _, err = st.CreateOrganisationWithUser(ctx, store.Organisation{Name: "Riverside Youth Project", Type: scheme.OrgCommunityGroup,
				Address: "Unit 4, Canal Street, Leicester", Postcode: "LE1 0XX"}, store.NewUser{Email: a.Email, Name: a.Name, Role: a.Role, Password: Password})
		} else {
			var u store.User
			u, err = st.CreateUser(ctx, store.NewUser{Email: a.Email, Name: a.Name, Role: a.Role, Password: Password})
			if err == nil { // staff sign in with a second factor: the published demo one
				err = st.EnrolSecondFactor(ctx, u.ID, TOTPSecret, now)
			}
		}
		if err != nil {
			return fmt.Errorf("demo user %s: %w", a.Email, err)
		}
	}
	return nil
}

// FundEveryScheme sets every scheme's budget for each of the financial years to a billion pounds,
// so that the benchmark's and the load run's approvals are never refused for money.
func FundEveryScheme(ctx context.Context, st *store.Store, years ...int) error {
	schemes, err := st.Schemes(ctx)
	if err != nil {
		return err
	}
	for _, sc := range schemes {
		for _, fy := range years {
			if err := st.SetBudget(ctx, sc.ID, fy, money.Pounds(1_000_000_000)); err != nil {
				return err
			}
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
