package web

import (
	"testing"
	"time"

	"grantflow/http/apiv1"
)

// A version's time is shown in London: the night the clocks go forward and the night they go back.
func TestVersionTimesAreLondonTimes(t *testing.T) {
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2027, 3, 28, 1, 30, 0, 0, time.UTC), "28 March 2027 at 2:30am"},    // BST began at 1am
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), "25 October 2026 at 1:30am"}, // still BST: 1:30am the first time
		{time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), "25 October 2026 at 1:30am"}, // GMT: 1:30am again
		{time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC), "31 December 2026 at 11:59pm"},
	} {
		row := versionRowOf(apiv1.RulesVersionView{Version: 2, At: c.at, By: "Hana Head", Role: "head_of_commissioning"}, 2)
		if row.At != c.want || row.By != "Hana Head, Head of Commissioning" || !row.IsCurrent || row.Previous != 1 {
			t.Errorf("%s: %+v, want %s", c.at, row, c.want)
		}
	}
}

// Every problem of a list lands on its row's input, counted as the form counts rows (blank rows
// skipped when read), in the order of the form.
func TestRefusalsLandOnTheirRows(t *testing.T) {
	f := &form{values: map[string][]string{
		"areas[0].name": {"Leicester"}, "areas[0].code": {"E06000016"},
		"areas[2].name": {"Rutland"}, "areas[2].code": {"X"},
		"criteria[1].key": {"need"}, "criteria[1].name": {"Need"}, "criteria[1].weight_percent": {"50"},
		"delegation[0].role": {"finance"}, "delegation[0].up_to": {"5000"},
		"priorities": {"\nHate crime\n\n \nHate crime"},
	}}
	sf := readSchemeForm(f, false)
	if f.invalid() || len(sf.req.Areas) != 2 || sf.req.AreaCodes["Rutland"] != "X" || len(sf.req.Criteria) != 1 {
		t.Fatalf("read: %+v %v", sf.req, f.errors)
	}
	problems := sf.req.Rules.Problems()
	problems["reason"] = "is required: say why the scheme is changing"
	sf.placeRefusals(f, problems)
	want := map[string]string{
		"areas[2].code":      `Area 3 code: "X" is not a local authority district code`,
		"criteria":           "Assessment criteria: the weights add up to 50%, not 100%",
		"delegation[0].role": `Band 1 role: "finance" may not take funding decisions`,
		"priorities":         `Priority on line 5: "Hate crime" is listed twice`,
		"reason":             "Why you are making this change is required",
	}
	for name, says := range want {
		if got := f.Error(name); len(got) < len(says) || got[:len(says)] != says {
			t.Errorf("%s: %q, want %q", name, got, says)
		}
	}
	if last := f.errors[len(f.errors)-1]; last.Name != "reason" {
		t.Errorf("the reason's problem is not last: %+v", f.errors)
	}
}
