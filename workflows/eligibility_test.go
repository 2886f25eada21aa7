package workflows_test

import (
	"slices"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/workflows"
)

// policyRules builds the demo Grassroots Community Fund rules from domain.md.
func policyRules(t *testing.T) scheme.Rules {
	t.Helper()
	r := scheme.Rules{
		Version:           1,
		Kind:              scheme.Grassroots,
		Code:              "GCF",
		MinAmount:         money.Pounds(500),
		MaxAmount:         money.Pounds(5000),
		MaxDurationMonths: 12,
		OrganisationTypes: []string{
			scheme.OrgRegisteredCharity, scheme.OrgCIO, scheme.OrgCharitableCompany, scheme.OrgCIC, scheme.OrgCommunityGroup,
		},
		Areas: []string{
			"Leicester", "Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton",
			"North West Leicestershire", "Oadby and Wigston", "Rutland",
		},
		Priorities: []string{
			"Viable Partnerships", "Visible Policing", "Victim Services", "Vulnerability Protection", "Value for Money",
			"Alcohol and drug-related crime", "Child sexual exploitation", "Domestic violence and abuse", "Hate crime",
			"Human trafficking and modern slavery", "Mental health", "Missing from home", "Sexual violence",
			"Serious violence (focus on under-25s)", "Anti-social behaviour", "Rural crime", "Night-time economy", "Cyber crime",
		},
		Criteria: []scheme.Criterion{
			{Key: "fit", Name: "Fit with Police and Crime Plan priorities", Weight: 30},
			{Key: "need", Name: "Need and evidence", Weight: 25},
			{Key: "deliverability", Name: "Deliverability and governance", Weight: 20, Minimum: 2},
			{Key: "value", Name: "Value for money", Weight: 15},
			{Key: "partnership", Name: "Partnership working", Weight: 10},
		},
		Delegation: []scheme.Band{
			{Role: scheme.RoleOfficer, Title: "commissioning officer", UpTo: money.Pounds(5000)},
			{Role: scheme.RoleHeadOfCommissioning, Title: "Head of Commissioning", UpTo: money.Pounds(100000)},
			{Role: scheme.RoleCommissioner, Title: "Commissioner"},
		},
		AcceptanceDays:         28,
		AcceptanceReminderDays: 7,
		ReportDueMonths:        3,
		ReportReminderDays:     14,
		CostCentre:             "VRN-GCF",
		Signatory:              "Alex Example, Head of Commissioning",
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("demo rules are invalid: %v", err)
	}
	return r
}

func utcDate(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var (
	roundOpens  = time.Date(2026, time.May, 2, 8, 0, 0, 0, time.UTC)    // 9am BST
	roundCloses = time.Date(2026, time.June, 30, 11, 0, 0, 0, time.UTC) // noon BST
)

// eligibleInput passes every check; each case changes one thing.
func eligibleInput() workflows.EligibilityInput {
	return workflows.EligibilityInput{
		OrganisationType: scheme.OrgCommunityGroup,
		AreasServed:      []string{"Charnwood"},
		Priorities:       []string{"Victim Services"},
		Amount:           money.Pounds(3000),
		ProjectStart:     utcDate(2026, time.September, 1),
		ProjectEnd:       utcDate(2027, time.March, 31),
		RoundOpens:       roundOpens,
		RoundCloses:      roundCloses,
		SubmittedAt:      time.Date(2026, time.June, 1, 14, 30, 0, 0, time.UTC),
	}
}

const (
	wantOpenTo = "This scheme is open to these types of organisation: registered charity, charitable incorporated organisation (CIO), " +
		"charitable company, community interest company (CIC), and constituted community group."
	wantCovers = "This scheme covers Leicester, Blaby, Charnwood, Harborough, Hinckley and Bosworth, Melton, " +
		"North West Leicestershire, Oadby and Wigston, and Rutland."
	wantPriorityList = "The priorities are Viable Partnerships, Visible Policing, Victim Services, Vulnerability Protection, " +
		"Value for Money, Alcohol and drug-related crime, Child sexual exploitation, Domestic violence and abuse, Hate crime, " +
		"Human trafficking and modern slavery, Mental health, Missing from home, Sexual violence, " +
		"Serious violence (focus on under-25s), Anti-social behaviour, Rural crime, Night-time economy, and Cyber crime."
)

func TestCheckEligibilityAllPass(t *testing.T) {
	res := workflows.CheckEligibility(policyRules(t), eligibleInput())
	if !res.Eligible {
		t.Fatalf("not eligible: %q", res.Reasons())
	}
	var names []string
	for _, c := range res.Checks {
		names = append(names, c.Name)
		if !c.Passed || c.Reason == "" {
			t.Errorf("check %s: passed %v, reason %q; want passed with a reason", c.Name, c.Passed, c.Reason)
		}
	}
	want := []string{"organisation_type", "area", "amount", "duration", "priorities", "round_open"}
	if !slices.Equal(names, want) {
		t.Errorf("checks %q, want %q", names, want)
	}
	if r := res.Reasons(); len(r) != 0 {
		t.Errorf("Reasons() = %q, want none", r)
	}
}

func TestCheckEligibilityReasonsInOrder(t *testing.T) {
	in := eligibleInput()
	in.OrganisationType = scheme.OrgIndividual
	in.Amount = money.Pounds(6000)
	in.SubmittedAt = roundCloses
	res := workflows.CheckEligibility(policyRules(t), in)
	if res.Eligible {
		t.Fatal("eligible, want not")
	}
	if len(res.Checks) != 6 {
		t.Errorf("%d checks, want all 6", len(res.Checks))
	}
	want := []string{
		"Grants from this scheme are not made to individuals. " + wantOpenTo,
		"The amount requested, £6,000.00, is above this scheme's maximum of £5,000.00.",
		"The application was submitted after this funding round closed on 30 June 2026.",
	}
	if got := res.Reasons(); !slices.Equal(got, want) {
		t.Errorf("Reasons() =\n%q\nwant\n%q", got, want)
	}
}

func TestCheckEligibilityChecks(t *testing.T) {
	misconfigured := func(r *scheme.Rules) {
		r.OrganisationTypes = append(r.OrganisationTypes, scheme.OrgIndividual, scheme.OrgPoliticalParty)
	}
	cases := []struct {
		name   string
		rules  func(*scheme.Rules)
		input  func(*workflows.EligibilityInput)
		check  string
		passed bool
		reason string
	}{
		// Organisation type.
		{name: "registered charity", input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgRegisteredCharity },
			check: "organisation_type", passed: true, reason: "A registered charity can apply to this scheme."},
		{name: "CIO", input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgCIO },
			check: "organisation_type", passed: true, reason: "A charitable incorporated organisation (CIO) can apply to this scheme."},
		{name: "charitable company", input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgCharitableCompany },
			check: "organisation_type", passed: true, reason: "A charitable company can apply to this scheme."},
		{name: "CIC, any case and spacing", input: func(in *workflows.EligibilityInput) { in.OrganisationType = " CIC " },
			check: "organisation_type", passed: true, reason: "A community interest company (CIC) can apply to this scheme."},
		{name: "community group", input: func(in *workflows.EligibilityInput) {},
			check: "organisation_type", passed: true, reason: "A constituted community group can apply to this scheme."},
		{name: "individual", input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgIndividual },
			check: "organisation_type", reason: "Grants from this scheme are not made to individuals. " + wantOpenTo},
		{name: "political party", input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgPoliticalParty },
			check: "organisation_type", reason: "Grants from this scheme are not made to political parties. " + wantOpenTo},
		{name: "individual, even if the rules list it", rules: misconfigured,
			input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgIndividual },
			check: "organisation_type", reason: "Grants from this scheme are not made to individuals. " + wantOpenTo},
		{name: "political party, even if the rules list it", rules: misconfigured,
			input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgPoliticalParty },
			check: "organisation_type", reason: "Grants from this scheme are not made to political parties. " + wantOpenTo},
		{name: "known type the scheme does not accept",
			rules: func(r *scheme.Rules) { r.OrganisationTypes = []string{scheme.OrgRegisteredCharity, scheme.OrgCIO} },
			input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgCIC },
			check: "organisation_type",
			reason: "A community interest company (CIC) cannot apply to this scheme. This scheme is open to these types of organisation: " +
				"registered charity and charitable incorporated organisation (CIO)."},
		{name: "other", input: func(in *workflows.EligibilityInput) { in.OrganisationType = scheme.OrgOther },
			check: "organisation_type", reason: "An organisation of another type cannot apply to this scheme. " + wantOpenTo},
		{name: "unknown type", input: func(in *workflows.EligibilityInput) { in.OrganisationType = "charity shop" },
			check: "organisation_type", reason: `"charity shop" is not a type of organisation this scheme recognises. ` + wantOpenTo},
		{name: "no type", input: func(in *workflows.EligibilityInput) { in.OrganisationType = "  " },
			check: "organisation_type", reason: "The application does not say what type of organisation is applying. " + wantOpenTo},

		// Area.
		{name: "known area", input: func(in *workflows.EligibilityInput) {},
			check: "area", passed: true, reason: "The project serves Charnwood, which this scheme covers."},
		{name: "area matched case-insensitively and trimmed",
			input: func(in *workflows.EligibilityInput) { in.AreasServed = []string{"  hinckley AND bosworth ", "RUTLAND"} },
			check: "area", passed: true, reason: "The project serves Hinckley and Bosworth, and Rutland, which this scheme covers."},
		{name: "unknown area mixed with a known one",
			input: func(in *workflows.EligibilityInput) {
				in.AreasServed = []string{"Nottingham", "oadby and wigston", "Derby"}
			},
			check: "area", passed: true,
			reason: "The project serves Oadby and Wigston, which this scheme covers. Nottingham and Derby are outside this scheme's area."},
		{name: "one unknown area with a known one",
			input: func(in *workflows.EligibilityInput) { in.AreasServed = []string{"Leicester", "Nottingham"} },
			check: "area", passed: true,
			reason: "The project serves Leicester, which this scheme covers. Nottingham is outside this scheme's area."},
		{name: "a repeated area counts once",
			input: func(in *workflows.EligibilityInput) {
				in.AreasServed = []string{"Melton", "melton", "Nottingham", "nottingham "}
			},
			check: "area", passed: true,
			reason: "The project serves Melton, which this scheme covers. Nottingham is outside this scheme's area."},
		{name: "only an unknown area", input: func(in *workflows.EligibilityInput) { in.AreasServed = []string{"Nottingham"} },
			check: "area", reason: "The project must serve at least one of this scheme's areas, and Nottingham is not one of them. " + wantCovers},
		{name: "only unknown areas", input: func(in *workflows.EligibilityInput) { in.AreasServed = []string{"Nottingham", "Derby"} },
			check: "area", reason: "The project must serve at least one of this scheme's areas, and Nottingham and Derby are not among them. " + wantCovers},
		{name: "no areas", input: func(in *workflows.EligibilityInput) { in.AreasServed = nil },
			check: "area", reason: "The application does not say which areas the project serves. " + wantCovers},
		{name: "blank areas", input: func(in *workflows.EligibilityInput) { in.AreasServed = []string{"", "   "} },
			check: "area", reason: "The application does not say which areas the project serves. " + wantCovers},

		// Amount.
		{name: "below the minimum", input: func(in *workflows.EligibilityInput) { in.Amount = 49999 },
			check: "amount", reason: "The amount requested, £499.99, is below this scheme's minimum of £500.00."},
		{name: "nothing requested", input: func(in *workflows.EligibilityInput) { in.Amount = 0 },
			check: "amount", reason: "The amount requested, £0.00, is below this scheme's minimum of £500.00."},
		{name: "exactly the minimum", input: func(in *workflows.EligibilityInput) { in.Amount = money.Pounds(500) },
			check: "amount", passed: true, reason: "The amount requested, £500.00, is within this scheme's limits of £500.00 to £5,000.00."},
		{name: "exactly the maximum", input: func(in *workflows.EligibilityInput) { in.Amount = money.Pounds(5000) },
			check: "amount", passed: true, reason: "The amount requested, £5,000.00, is within this scheme's limits of £500.00 to £5,000.00."},
		{name: "a penny over the maximum", input: func(in *workflows.EligibilityInput) { in.Amount = 500001 },
			check: "amount", reason: "The amount requested, £5,000.01, is above this scheme's maximum of £5,000.00."},
		{name: "well over the maximum", input: func(in *workflows.EligibilityInput) { in.Amount = money.Pounds(6000) },
			check: "amount", reason: "The amount requested, £6,000.00, is above this scheme's maximum of £5,000.00."},

		// Duration.
		{name: "exactly 12 months",
			input: func(in *workflows.EligibilityInput) {
				in.ProjectStart, in.ProjectEnd = utcDate(2026, time.September, 1), utcDate(2027, time.September, 1)
			},
			check: "duration", passed: true,
			reason: "The project runs from 1 September 2026 to 1 September 2027, within this scheme's maximum of 12 months."},
		{name: "12 months and a day",
			input: func(in *workflows.EligibilityInput) {
				in.ProjectStart, in.ProjectEnd = utcDate(2026, time.September, 1), utcDate(2027, time.September, 2)
			},
			check: "duration",
			reason: "The project runs from 1 September 2026 to 2 September 2027, longer than this scheme's maximum of 12 months; " +
				"it must end by 1 September 2027."},
		{name: "one day",
			input: func(in *workflows.EligibilityInput) {
				in.ProjectStart, in.ProjectEnd = utcDate(2026, time.September, 1), utcDate(2026, time.September, 2)
			},
			check: "duration", passed: true,
			reason: "The project runs from 1 September 2026 to 2 September 2026, within this scheme's maximum of 12 months."},
		{name: "ends on the day it starts",
			input: func(in *workflows.EligibilityInput) { in.ProjectEnd = in.ProjectStart },
			check: "duration", reason: "The project's end date, 1 September 2026, must be after its start date, 1 September 2026."},
		{name: "ends before it starts",
			input: func(in *workflows.EligibilityInput) { in.ProjectEnd = utcDate(2026, time.August, 31) },
			check: "duration", reason: "The project's end date, 31 August 2026, must be after its start date, 1 September 2026."},
		{name: "from 29 February the limit is 28 February",
			input: func(in *workflows.EligibilityInput) {
				in.ProjectStart, in.ProjectEnd = utcDate(2028, time.February, 29), utcDate(2029, time.March, 1)
			},
			check: "duration",
			reason: "The project runs from 29 February 2028 to 1 March 2029, longer than this scheme's maximum of 12 months; " +
				"it must end by 28 February 2029."},
		{name: "calendar months end on the last day of a shorter month",
			rules: func(r *scheme.Rules) { r.MaxDurationMonths = 6 },
			input: func(in *workflows.EligibilityInput) {
				in.ProjectStart, in.ProjectEnd = utcDate(2026, time.August, 31), utcDate(2027, time.February, 28)
			},
			check: "duration", passed: true,
			reason: "The project runs from 31 August 2026 to 28 February 2027, within this scheme's maximum of 6 months."},
		{name: "one month maximum is singular",
			rules: func(r *scheme.Rules) { r.MaxDurationMonths = 1 },
			input: func(in *workflows.EligibilityInput) {
				in.ProjectStart, in.ProjectEnd = utcDate(2026, time.January, 31), utcDate(2026, time.March, 1)
			},
			check: "duration",
			reason: "The project runs from 31 January 2026 to 1 March 2026, longer than this scheme's maximum of 1 month; " +
				"it must end by 28 February 2026."},
		{name: "time of day is ignored",
			input: func(in *workflows.EligibilityInput) {
				in.ProjectStart = time.Date(2026, time.September, 1, 9, 0, 0, 0, time.UTC)
				in.ProjectEnd = time.Date(2027, time.September, 1, 17, 0, 0, 0, time.UTC)
			},
			check: "duration", passed: true,
			reason: "The project runs from 1 September 2026 to 1 September 2027, within this scheme's maximum of 12 months."},
		{name: "no dates",
			input: func(in *workflows.EligibilityInput) { in.ProjectStart, in.ProjectEnd = time.Time{}, time.Time{} },
			check: "duration", reason: "The application needs the project's start and end dates."},

		// Priorities.
		{name: "known priority", input: func(in *workflows.EligibilityInput) {},
			check: "priorities", passed: true, reason: "The project addresses Victim Services, a Police and Crime Plan priority."},
		{name: "priorities matched case-insensitively",
			input: func(in *workflows.EligibilityInput) { in.Priorities = []string{" hate CRIME", "rural crime"} },
			check: "priorities", passed: true,
			reason: "The project addresses Hate crime and Rural crime, which are Police and Crime Plan priorities."},
		{name: "unknown priority mixed with a known one",
			input: func(in *workflows.EligibilityInput) { in.Priorities = []string{"Litter", "Mental health"} },
			check: "priorities", passed: true,
			reason: "The project addresses Mental health, a Police and Crime Plan priority. Litter is not one of this scheme's priorities."},
		{name: "only unknown priorities",
			input: func(in *workflows.EligibilityInput) { in.Priorities = []string{"Litter", "Parking"} },
			check: "priorities",
			reason: "The project must address at least one Police and Crime Plan priority, and Litter and Parking are not among " +
				"this scheme's priorities. " + wantPriorityList},
		{name: "only one unknown priority",
			input: func(in *workflows.EligibilityInput) { in.Priorities = []string{"Litter"} },
			check: "priorities",
			reason: "The project must address at least one Police and Crime Plan priority, and Litter is not one of " +
				"this scheme's priorities. " + wantPriorityList},
		{name: "no priorities", input: func(in *workflows.EligibilityInput) { in.Priorities = nil },
			check:  "priorities",
			reason: "The application does not say which Police and Crime Plan priorities the project addresses. " + wantPriorityList},

		// Round open.
		{name: "submitted exactly at opening", input: func(in *workflows.EligibilityInput) { in.SubmittedAt = roundOpens },
			check: "round_open", passed: true,
			reason: "The application was submitted while this funding round was open, between 2 May 2026 and 30 June 2026."},
		{name: "submitted just before opening",
			input: func(in *workflows.EligibilityInput) { in.SubmittedAt = roundOpens.Add(-time.Second) },
			check: "round_open", reason: "The application was submitted before this funding round opened on 2 May 2026."},
		{name: "submitted just before closing",
			input: func(in *workflows.EligibilityInput) { in.SubmittedAt = roundCloses.Add(-time.Nanosecond) },
			check: "round_open", passed: true,
			reason: "The application was submitted while this funding round was open, between 2 May 2026 and 30 June 2026."},
		{name: "submitted exactly at closing", input: func(in *workflows.EligibilityInput) { in.SubmittedAt = roundCloses },
			check: "round_open", reason: "The application was submitted after this funding round closed on 30 June 2026."},
		{name: "closing date is written in UK time",
			input: func(in *workflows.EligibilityInput) {
				in.RoundCloses = time.Date(2026, time.June, 30, 23, 30, 0, 0, time.UTC) // 00:30 on 1 July, BST
				in.SubmittedAt = time.Date(2026, time.July, 1, 9, 0, 0, 0, time.UTC)
			},
			check: "round_open", reason: "The application was submitted after this funding round closed on 1 July 2026."},
		{name: "round without dates",
			input: func(in *workflows.EligibilityInput) { in.RoundOpens, in.RoundCloses = time.Time{}, time.Time{} },
			check: "round_open", reason: "This funding round has no opening and closing dates, so it is not open for applications."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules := policyRules(t)
			if tc.rules != nil {
				tc.rules(&rules)
			}
			in := eligibleInput()
			tc.input(&in)
			res := workflows.CheckEligibility(rules, in)
			if len(res.Checks) != 6 {
				t.Fatalf("%d checks, want 6", len(res.Checks))
			}
			var got workflows.EligibilityCheck
			for _, c := range res.Checks {
				if c.Name == tc.check {
					got = c
				} else if !c.Passed {
					t.Errorf("check %s failed too: %q", c.Name, c.Reason)
				}
			}
			if got.Passed != tc.passed {
				t.Errorf("%s passed = %v, want %v", tc.check, got.Passed, tc.passed)
			}
			if got.Reason != tc.reason {
				t.Errorf("%s reason\n got %q\nwant %q", tc.check, got.Reason, tc.reason)
			}
			if res.Eligible != tc.passed {
				t.Errorf("Eligible = %v, want %v", res.Eligible, tc.passed)
			}
			if !tc.passed && !slices.Equal(res.Reasons(), []string{tc.reason}) {
				t.Errorf("Reasons() = %q, want only this check's reason", res.Reasons())
			}
		})
	}
}
