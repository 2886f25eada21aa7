package schemefile_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"grantflow/examples/schemes"
	"grantflow/internal/demo"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/schemefile"
	"grantflow/store"
	"grantflow/store/storetest"
)

// The grassroots form from its definition file is, question for question, the form applicants
// answered when it was written in Go (testdata: that form under the demo rules, as JSON). The
// file only adds what the Go code said elsewhere: row labels, the under-25s message and where
// options come from.
func TestGrassrootsFileIsTheFormApplicantsSawBefore(t *testing.T) {
	before, err := os.ReadFile("testdata/grassroots-form-before.json")
	if err != nil {
		t.Fatal(err)
	}
	now, _ := json.Marshal(demo.GrassrootsForm(demo.GrassrootsRules()))
	var a, b any
	json.Unmarshal(before, &a)
	json.Unmarshal(now, &b)
	strip(b)
	ja, _ := json.MarshalIndent(a, "", " ")
	jb, _ := json.MarshalIndent(b, "", " ")
	if string(ja) != string(jb) {
		t.Errorf("the grassroots form changed:\nbefore %s\nnow %s", ja, jb)
	}
}

func strip(v any) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range []string{"row_label", "at_most_message", "options_from"} {
			delete(t, k)
		}
		for _, e := range t {
			strip(e)
		}
	case []any:
		for _, e := range t {
			strip(e)
		}
	}
}

func TestExamplesAreValid(t *testing.T) {
	for _, name := range []string{schemes.Grassroots, schemes.Service} {
		d, err := schemefile.Example(name)
		if err != nil {
			t.Fatal(err)
		}
		if p := d.Validate(); len(p) > 0 {
			t.Errorf("%s: %v", name, p)
		}
	}
}

// Importing the demo schemes twice changes nothing; a rules edit makes a new rules version and a
// form edit a new form version, each in the audit trail with the actor; drafts then answer the
// new form while the version history keeps the old one.
func TestImportIsIdempotentAndVersions(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	at := time.Date(2026, 10, 25, 1, 30, 0, 0, scheme.London) // the night the clocks go back
	if err := demo.Seed(ctx, st, at); err != nil {
		t.Fatal(err)
	}
	count := func() int {
		e, err := st.AdminEvents(ctx, store.AdminEventFilter{SubjectKind: "scheme"}) // the seed's budgets are recorded too
		if err != nil {
			t.Fatal(err)
		}
		return len(e)
	}
	first := count()
	if first != 4 { // two schemes created, two forms saved
		t.Errorf("seeding recorded %d admin events, want 4", first)
	}
	if err := demo.Seed(ctx, st, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	d, _ := schemefile.Example(schemes.Grassroots)
	res, err := schemefile.Import(ctx, st, d, store.SystemActor("test"), at, "")
	if err != nil || !res.Unchanged || res.RulesVersion != 1 || res.FormVersion != 1 {
		t.Fatalf("importing the same file again: %+v, %v", res, err)
	}
	if n := count(); n != first {
		t.Errorf("importing again recorded %d more events", n-first)
	}

	d.Rules.MaxAmount += 100
	d.Form.Sections[1].Questions[0].MaxWords = 500
	d.Form.Sections[1].Questions[0].MaxLength = 0
	res, err = schemefile.Import(ctx, st, d, store.Actor{Name: "Hana Head", Role: "head_of_commissioning"}, at, "Larger grants")
	if err != nil || !res.RulesChanged || res.RulesVersion != 2 || !res.FormChanged || res.FormVersion != 2 {
		t.Fatalf("importing a changed file: %+v, %v", res, err)
	}
	events, _ := st.AdminEvents(ctx, store.AdminEventFilter{SubjectID: res.Scheme.ID, Action: "rules."})
	if len(events) != 1 || events[0].ActorName != "Hana Head" || events[0].Why != "Larger grants" {
		t.Errorf("rules.versioned events = %+v", events)
	}
	f, err := schemefile.FormOf(ctx, st, res.Scheme, 0)
	if err != nil {
		t.Fatal(err)
	}
	if q, _, _ := f.Question("description"); q.MaxWords != 500 {
		t.Errorf("the form drafts answer has description %+v", q)
	}
	history, _ := st.SchemeForms(ctx, res.Scheme.ID)
	if len(history) != 2 || history[1].Version != 1 {
		t.Errorf("form history = %d versions", len(history))
	}
	// A word limit refuses a long answer, naming the words.
	long := questions.Answers{}
	long.Set("description", strings.Repeat("word ", 501))
	if p := questions.CheckDraft(f, long); len(p) != 1 || !strings.Contains(p[0].Reason, "at most 500 words (it has 501)") {
		t.Errorf("501 words: %+v", p)
	}
	// Options from the rules follow a rules edit without a new form.
	d.Rules.Wards = append(d.Rules.Wards, "Rutland: Oakham North West")
	res, _ = schemefile.Import(ctx, st, d, store.SystemActor("test"), at, "A new ward")
	f, _ = schemefile.FormOf(ctx, st, res.Scheme, 0)
	if q, _, _ := f.Question("wards"); q.Options[len(q.Options)-1].Value != "Rutland: Oakham North West" || res.FormChanged {
		t.Errorf("wards after the rules edit: %+v (form changed %v)", q.Options[len(q.Options)-1], res.FormChanged)
	}
}

// Every problem of a form definition names its path.
func TestFormProblemsNameTheirPath(t *testing.T) {
	d, _ := schemefile.Example(schemes.Grassroots)
	f := d.Form
	about := &f.Sections[1]
	about.Questions = append(about.Questions,
		questions.Question{ID: "need", Label: "Again", Kind: questions.Text},                                                                                                             // [3] duplicate id
		questions.Question{ID: "colour", Label: "Colour", Kind: questions.Choice},                                                                                                        // [4] no options
		questions.Question{ID: "why", Label: "Why", Kind: questions.Textarea, RequiredWhen: &questions.Condition{Question: "ghost", Equals: "yes"}},                                      // [5]
		questions.Question{ID: "place", Label: "Place", Kind: questions.Checkboxes, OptionsFrom: "counties"},                                                                             // [6]
		questions.Question{ID: "Bad-ID", Label: "x", Kind: "essay"},                                                                                                                      // [7]
		questions.Question{ID: "tbl", Label: "Table", Kind: questions.Lines, SumsTo: "title", MaxLines: 3, Columns: []questions.Question{{ID: "n", Label: "N", Kind: questions.Number}}}, // [8]
	)
	d.Rules.Criteria[0].Questions = []string{"nothing"}
	got := map[string]bool{}
	for _, p := range schemefile.FormProblems(d.Rules, f, "form") {
		got[p.Path] = true
	}
	for _, want := range []string{"form.sections[1].questions[3].id", "form.sections[1].questions[4].options",
		"form.sections[1].questions[5].required_when.question", "form.sections[1].questions[6].options_from",
		"form.sections[1].questions[7].id", "form.sections[1].questions[7].kind", "form.sections[1].questions[8].sums_to",
		"rules.criteria[0].questions[0]"} {
		if !got[want] {
			t.Errorf("no problem at %s; got %v", want, got)
		}
	}
	// The project section must ask the core questions.
	d, _ = schemefile.Example(schemes.Grassroots)
	f = d.Form
	f.Sections = f.Sections[1:]
	if p := questions.Validate(f, scheme.Grassroots, "form"); len(p) != 2 || p[0].Path != "form.sections" {
		t.Errorf("no project section: %v", p)
	}
	if _, err := schemefile.ParseForm([]byte("sections:\n  - id: a\n    title: 3\n    questions: []\n    colour: red\n")); err == nil || !strings.Contains(err.Error(), "colour: is not a field") {
		t.Errorf("an unknown field of a form: %v", err)
	}
}
