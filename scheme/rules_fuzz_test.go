package scheme_test

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"grantflow/internal/demo"
	"grantflow/scheme"
)

// ruleNames are Rules' JSON names: the first part of every problem's field.
var ruleNames = func() map[string]bool {
	out := map[string]bool{}
	t := reflect.TypeFor[scheme.Rules]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		out[name] = true
	}
	return out
}()

var problemRule = regexp.MustCompile(`^[a-z_]+`)

// FuzzRulesProblems: any JSON laid over the demo rules is checked without a panic, and each problem
// names a field of the rules (by its JSON name, "criteria[2].weight_percent") with a reason; the
// differences from the demo rules, and each rule in words, are written without a panic.
func FuzzRulesProblems(f *testing.F) {
	for _, s := range []string{
		`{}`, `{"kind":"lottery"}`, `{"max_amount_pence":-1,"min_amount_pence":9223372036854775807}`,
		`{"criteria":[{"key":"Need","weight_percent":150,"min_score":9}]}`,
		`{"delegation":[{"role":"nobody","up_to_pence":0},{"role":"","up_to_pence":-5}]}`,
		`{"areas":["Leicester","Leicester"],"area_codes":{"Leicester":"nonsense"}}`,
		`{"wards":["Nowhere · Somewhere"],"ward_codes":{"x":"E05"}}`, `{"organisation_types":[""],"priorities":["", " "]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := demo.GrassrootsRules()
		if json.Unmarshal(data, &r) != nil {
			return
		}
		for field, reason := range r.Problems() {
			if !ruleNames[problemRule.FindString(field)] || strings.TrimSpace(reason) == "" {
				t.Fatalf("rules %s: problem %q: %q does not name a rule and a reason", data, field, reason)
			}
		}
		scheme.Differences(demo.GrassrootsRules(), r)
		scheme.Differences(r, demo.ServiceRules())
		for _, field := range scheme.Fields {
			if field.Scalar() {
				field.Words(r)
			}
		}
	})
}

// FuzzFieldSet: any text typed into a rule of the scheme editor is set or refused with a reason;
// a rule once set shows as text that sets it to the same value again.
func FuzzFieldSet(f *testing.F) {
	for i, text := range []string{"grassroots", "GCF", "OPCC-GCF-4410", "5,000.00", "£25000", "12", "-3", "1e3", "99999999999999999999", " 28 "} {
		f.Add(uint8(i), text)
	}
	f.Fuzz(func(t *testing.T, index uint8, text string) {
		field := scheme.Fields[int(index)%len(scheme.Fields)]
		r := demo.GrassrootsRules()
		err := field.Set(&r, text)
		if !field.Scalar() {
			if err == nil {
				t.Fatalf("%s is a list, but Set(%q) took it", field.Key, text)
			}
			return
		}
		if err != nil {
			if strings.TrimSpace(err.Error()) == "" {
				t.Fatalf("%s refused %q without a reason", field.Key, text)
			}
			return
		}
		shown := field.Text(r)
		again := demo.GrassrootsRules()
		if err := field.Set(&again, shown); err != nil || field.Text(again) != shown {
			t.Fatalf("%s set from %q shows %q, which sets it to %q (%v)", field.Key, text, shown, field.Text(again), err)
		}
		field.Words(r)
	})
}
