package scheme_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
)

func TestDemoRulesHaveNoProblems(t *testing.T) {
	for _, r := range []scheme.Rules{demo.GrassrootsRules(), demo.ServiceRules()} {
		if p := r.Problems(); len(p) > 0 {
			t.Errorf("demo %s rules: %v", r.Code, p)
		}
		if r.AreaCode("Leicester") != "E06000016" || r.AreaCode("Oadby and Wigston") != "E07000135" {
			t.Errorf("demo %s area codes: %v", r.Code, r.AreaCodes)
		}
	}
}

// Every refusal names its field, with a reason a person can act on.
func TestProblemsNameEachField(t *testing.T) {
	cases := []struct {
		name   string
		change func(r *scheme.Rules)
		field  string
		says   string
	}{
		{"unknown kind", func(r *scheme.Rules) { r.Kind = "lottery" }, "kind", "grassroots"},
		{"no code", func(r *scheme.Rules) { r.Code = "" }, "code", "required"},
		{"no minimum", func(r *scheme.Rules) { r.MinAmount = 0 }, "min_amount_pence", "more than £0.00"},
		{"max below min", func(r *scheme.Rules) { r.MaxAmount = money.Pounds(400) }, "max_amount_pence", "at least the minimum amount (£500.00)"},
		{"no duration", func(r *scheme.Rules) { r.MaxDurationMonths = 0 }, "max_duration_months", "more than 0"},
		{"no organisation types", func(r *scheme.Rules) { r.OrganisationTypes = nil }, "organisation_types", "at least one"},
		{"unknown organisation type", func(r *scheme.Rules) { r.OrganisationTypes = append(r.OrganisationTypes, "guild") }, "organisation_types[5]", `"guild" is not an organisation type`},
		{"no areas", func(r *scheme.Rules) { r.Areas = nil; r.AreaCodes = nil; r.Wards = nil; r.WardCodes = nil }, "areas", "at least one area"},
		{"blank area", func(r *scheme.Rules) { r.Areas = append(append([]string{}, r.Areas...), " ") }, "areas[9]", "blank"},
		{"bad area code", func(r *scheme.Rules) { r.AreaCodes["Leicester"] = "E05000016" }, "area_codes.Leicester", "E06, E07, E08, E09, W06 or S12 and six digits"},
		{"short area code", func(r *scheme.Rules) { r.AreaCodes["Rutland"] = "E0600001" }, "area_codes.Rutland", "not a local authority district code"},
		{"code of no area", func(r *scheme.Rules) { r.AreaCodes["Derby"] = "E06000015" }, "area_codes.Derby", "not one of the scheme's areas"},
		{"ward outside the areas", func(r *scheme.Rules) { r.Wards = append(append([]string{}, r.Wards...), "Derby: Abbey") }, "wards[20]", "outside the scheme's areas"},
		{"ward without area", func(r *scheme.Rules) { r.Wards = append(append([]string{}, r.Wards...), "Abbey") }, "wards[20]", `"Leicester: Abbey"`},
		{"bad ward code", func(r *scheme.Rules) { r.WardCodes["Leicester: Abbey"] = "E06000016" }, "ward_codes.Leicester: Abbey", "E05, W05 or S13 and six digits"},
		{"weights not 100", func(r *scheme.Rules) { r.Criteria = cloneCriteria(r.Criteria); r.Criteria[2].Weight = 10 }, "criteria", "add up to 90%, not 100%"},
		{"zero weight", func(r *scheme.Rules) { r.Criteria = cloneCriteria(r.Criteria); r.Criteria[2].Weight = 0 }, "criteria[2].weight_percent", "1 to 100"},
		{"duplicate key", func(r *scheme.Rules) { r.Criteria = cloneCriteria(r.Criteria); r.Criteria[3].Key = "need" }, "criteria[3].key", `"need" is already the key of criterion 2`},
		{"minimum above 5", func(r *scheme.Rules) { r.Criteria = cloneCriteria(r.Criteria); r.Criteria[1].Minimum = 6 }, "criteria[1].minimum", "0 (no minimum) to 5"},
		{"criterion without name", func(r *scheme.Rules) { r.Criteria = cloneCriteria(r.Criteria); r.Criteria[0].Name = " " }, "criteria[0].name", "required"},
		{"no bands", func(r *scheme.Rules) { r.Delegation = nil }, "delegation", "at least one band"},
		{"bands short of the maximum", func(r *scheme.Rules) {
			r.Delegation = []scheme.Band{{Role: scheme.RoleOfficer, Title: "Officer", UpTo: money.Pounds(4000)}}
		}, "delegation[0].up_to_pence", "must reach the maximum amount (£5,000.00)"},
		{"band without role", func(r *scheme.Rules) { r.Delegation = cloneBands(r.Delegation); r.Delegation[1].Role = "" }, "delegation[1].role", "required"},
		{"band of a role that may not decide", func(r *scheme.Rules) {
			r.Delegation = cloneBands(r.Delegation)
			r.Delegation[0].Role = scheme.RoleFinance
		}, "delegation[0].role", "may not take funding decisions"},
		{"role twice", func(r *scheme.Rules) {
			r.Delegation = cloneBands(r.Delegation)
			r.Delegation[1].Role = scheme.RoleOfficer
		}, "delegation[1].role", "already has band 1"},
		{"bands not rising", func(r *scheme.Rules) {
			r.Delegation = cloneBands(r.Delegation)
			r.Delegation[1].UpTo = money.Pounds(5000)
		}, "delegation[1].up_to_pence", "more than the band before it (£5,000.00)"},
		{"unlimited band before the last", func(r *scheme.Rules) { r.Delegation = cloneBands(r.Delegation); r.Delegation[0].UpTo = 0 }, "delegation[0].up_to_pence", "only the last band"},
		{"negative escalation", func(r *scheme.Rules) { r.EscalationDays = -1 }, "escalation_days", "0 means the default of 10 days"},
		{"negative return due", func(r *scheme.Rules) { r.ReturnDueDays = -3 }, "return_due_days", "cannot be negative"},
		{"no acceptance period", func(r *scheme.Rules) { r.AcceptanceDays = 0 }, "acceptance_days", "more than 0"},
		{"reminder after the deadline", func(r *scheme.Rules) { r.AcceptanceReminderDays = 28 }, "acceptance_reminder_days", "fewer than the days to accept (28)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := demo.GrassrootsRules()
			c.change(&r)
			p := r.Problems()
			if !strings.Contains(p[c.field], c.says) {
				t.Errorf("problems %v; want %s to say %q", p, c.field, c.says)
			}
			if err := r.Validate(); err == nil || !strings.Contains(err.Error(), c.field+": ") {
				t.Errorf("Validate() = %v; want it to name %s", err, c.field)
			}
		})
	}
}

// Several problems at once are all named, so an editor can mend them in one go.
func TestProblemsAllAtOnce(t *testing.T) {
	r := demo.GrassrootsRules()
	r.MaxAmount = 1
	r.Criteria = cloneCriteria(r.Criteria)
	r.Criteria[0].Weight = 31
	r.Delegation = cloneBands(r.Delegation)
	r.Delegation[2].Role = scheme.RoleAssessor
	p := r.Problems()
	for _, f := range []string{"max_amount_pence", "criteria", "delegation[2].role"} {
		if p[f] == "" {
			t.Errorf("%s not named: %v", f, p)
		}
	}
	if len(p) != 3 {
		t.Errorf("%d problems, want 3: %v", len(p), p)
	}
}

// Rules stored before area and ward codes (in applications and recorded workflow histories)
// still load and are still valid.
func TestRulesWithoutCodesStillLoad(t *testing.T) {
	old := `{"version":3,"kind":"grassroots","code":"GCF","min_amount_pence":50000,"max_amount_pence":500000,"max_duration_months":12,
		"organisation_types":["cio"],"areas":["Leicester","Melton"],"wards":["Melton: Melton Egerton"],"priorities":["Hate crime"],
		"criteria":[{"key":"fit","name":"Fit","weight_percent":100,"minimum":0}],"delegation":[{"role":"officer","title":"Officer","up_to_pence":0}],
		"acceptance_days":28,"acceptance_reminder_days":7,"report_due_months":3,"report_reminder_days":14,"report_resubmit_days":28,"cost_centre":"X","signatory":""}`
	var r scheme.Rules
	if err := json.Unmarshal([]byte(old), &r); err != nil {
		t.Fatal(err)
	}
	if err := r.Validate(); err != nil {
		t.Fatalf("old rules: %v", err)
	}
	if r.AreaCode("Leicester") != "" || len(r.Areas) != 2 || r.Version != 3 {
		t.Errorf("old rules loaded as %+v", r)
	}
	again, _ := json.Marshal(r)
	if strings.Contains(string(again), "area_codes") || strings.Contains(string(again), "ward_codes") {
		t.Errorf("rules without codes are written with them: %s", again)
	}
}

// Every rule of Rules is in the editor's table of fields (or is the version), so none is
// forgotten when a rule is added.
func TestEveryRuleIsAField(t *testing.T) {
	typ := reflect.TypeFor[scheme.Rules]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		switch name {
		case "version", "area_codes", "ward_codes": // codes are edited with their areas and wards
			continue
		}
		if _, ok := scheme.FieldByKey(name); !ok {
			t.Errorf("rule %s is not in scheme.Fields", name)
		}
	}
}

func TestFieldTextRoundTrips(t *testing.T) {
	r := demo.ServiceRules()
	var back scheme.Rules
	for _, f := range scheme.Fields {
		if !f.Scalar() {
			continue
		}
		if err := f.Set(&back, f.Text(r)); err != nil {
			t.Fatalf("%s: %v", f.Key, err)
		}
	}
	for _, f := range scheme.Fields {
		if f.Scalar() && f.Words(back) != f.Words(r) {
			t.Errorf("%s: %q after a round trip, want %q", f.Key, f.Words(back), f.Words(r))
		}
	}
	f, _ := scheme.FieldByKey("max_amount_pence")
	if err := f.Set(&back, "five grand"); err == nil {
		t.Error("money that is not a number was accepted")
	}
}

func TestDifferencesInWords(t *testing.T) {
	old := demo.GrassrootsRules()
	new := demo.GrassrootsRules()
	new.MaxAmount = money.Pounds(6000)
	new.Areas = []string{"Leicester", "Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton",
		"North West Leicestershire", "Oadby and Wigston"}
	delete(new.AreaCodes, "Rutland")
	new.Wards = slicesWithout(new.Wards, "Rutland: all wards")
	new.Criteria = cloneCriteria(new.Criteria)
	new.Criteria[0].Weight, new.Criteria[1].Weight = 25, 30
	new.Delegation = cloneBands(new.Delegation)
	new.Delegation[0].UpTo = money.Pounds(7500)
	new.EscalationDays = 0
	got := map[string]string{}
	for _, c := range scheme.Differences(old, new) {
		got[c.Field] = c.Text
	}
	want := map[string]string{
		"max_amount_pence": "Maximum amount: £5,000.00 → £6,000.00",
		"areas":            "Areas: removed Rutland (E06000017)",
		"wards":            "Wards: removed Rutland: all wards",
		"criteria":         "Assessment criteria: Fit with Police and Crime Plan priorities weight 30% → 25%; Need and evidence weight 25% → 30%",
		"delegation":       "Delegated authority: band 1: Commissioning officer (commissioning officer), up to £5,000.00 → Commissioning officer (commissioning officer), up to £7,500.00",
		"escalation_days":  "Days a case officer may go without acting before the heads of commissioning are copied: 10 days → not set (10 days)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("differences:\n%v\nwant\n%v", got, want)
	}
	added := demo.GrassrootsRules()
	added.AreaCodes["Leicester"] = "E06000099"
	added.Areas = append(append([]string{}, added.Areas...), "Derby")
	added.AreaCodes["Derby"] = "E06000015"
	ch := scheme.Differences(old, added)
	if len(ch) != 1 || ch[0].Text != "Areas: added Derby (E06000015); Leicester's code E06000016 → E06000099" {
		t.Errorf("area changes: %+v", ch)
	}
	if d := scheme.Differences(old, demo.GrassrootsRules()); len(d) != 0 {
		t.Errorf("the same rules differ: %+v", d)
	}
}

func cloneCriteria(c []scheme.Criterion) []scheme.Criterion {
	return append([]scheme.Criterion{}, c...)
}
func cloneBands(b []scheme.Band) []scheme.Band { return append([]scheme.Band{}, b...) }
func slicesWithout(list []string, v string) []string {
	var out []string
	for _, s := range list {
		if s != v {
			out = append(out, s)
		}
	}
	return out
}
