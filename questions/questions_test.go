package questions_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/questions"
)

// complete is a complete grassroots application asking for £2,000: the demo answers with the
// core answers the application's own fields would give.
func complete() questions.Answers {
	a := demo.GrassrootsAnswers(money.Pounds(2000))
	for id, v := range map[string]any{"title": "Evening youth work", "purpose": "Youth work", "amount_requested_pence": money.Pounds(2000),
		"project_start": "2027-01-04", "project_end": "2027-12-17", "areas": []string{"Melton"}, "priorities": []string{"Anti-social behaviour"}} {
		a.Set(id, v)
	}
	return a
}

func paths(ps []questions.Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Path())
	}
	return out
}

func TestCompleteAnswersHaveNoProblems(t *testing.T) {
	f := demo.GrassrootsForm(demo.GrassrootsRules())
	if got := questions.Incomplete(f, complete()); len(got) != 0 {
		t.Fatalf("the demo answers should be complete: %v", got)
	}
	for _, s := range questions.Summarise(f, complete()) {
		if s.Status != questions.Completed {
			t.Errorf("section %s is %s, want completed", s.ID, s.Status)
		}
	}
}

// Each kind is checked as a draft is saved, naming the field by its path.
func TestCheckDraftRefusesEachKindNamingTheField(t *testing.T) {
	f := demo.GrassrootsForm(demo.GrassrootsRules())
	a := questions.Answers{}
	for id, raw := range map[string]string{
		"description":            `"` + strings.Repeat("x", 5001) + `"`,
		"beneficiaries":          `-3`,
		"beneficiaries_under_25": `2.5`,
		"age_bands":              `["11_17", "teenagers"]`,
		"wards":                  `["Nowhere"]`,
		"other_funding":          `"maybe"`,
		"declare_true":           `"yes"`,
		"budget_lines":           `[{"item": "Hall", "amount_pence": 100}, {"item": "Kit", "amount_pence": "ten"}, {"item": "x", "colour": "red"}]`,
		"funding_lines":          `[{"funder": "Council", "amount_pence": 5, "status": "promised"}]`,
		"safeguarding_lead":      `"Sam\u0000"`,
		"favourite_colour":       `"blue"`,
		"title":                  `"core answers are the application's own fields"`,
	} {
		a[id] = json.RawMessage(raw)
	}
	got := paths(questions.CheckDraft(f, a))
	want := []string{"answers.description", "answers.beneficiaries", "answers.beneficiaries_under_25", "answers.age_bands[1]", "answers.wards[0]",
		"answers.budget_lines[1].amount_pence", "answers.budget_lines[2].colour", "answers.other_funding", "answers.funding_lines[0].status",
		"answers.safeguarding_lead", "answers.declare_true", "answers.favourite_colour", "answers.title"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("problems at\n%v\nwant\n%v", got, want)
	}
	// A draft may be incomplete: only what it holds is checked.
	if got := questions.CheckDraft(f, questions.Answers{"description": json.RawMessage(`"Started"`)}); len(got) != 0 {
		t.Fatalf("a partial draft is fine: %v", got)
	}
}

func TestSubmissionNeedsEveryRequiredAnswerTheDeclarationsAndABudgetThatAddsUp(t *testing.T) {
	f := demo.GrassrootsForm(demo.GrassrootsRules())
	a := complete()
	delete(a, "need")
	delete(a, "data_protection_consent")
	a.Set("declare_use", false)
	a.Set("beneficiaries_under_25", 151)
	a.Set("budget_lines", []map[string]any{{"item": "Hall", "amount_pence": 150000}, {"item": "", "amount_pence": 20000}})
	got := paths(questions.Incomplete(f, a))
	want := []string{"answers.need", "answers.beneficiaries_under_25", "answers.budget_lines[1].item", "answers.budget_lines",
		"answers.declare_use", "answers.data_protection_consent"}
	if !slices.Equal(got, want) {
		t.Fatalf("problems at %v, want %v", got, want)
	}
	for _, p := range questions.Incomplete(f, a) {
		if p.Question == "budget_lines" && p.Line < 0 && !strings.Contains(p.Message, "£1,700.00") {
			t.Errorf("the budget message should say what the lines add up to: %q", p.Message)
		}
	}
	// Other funding is needed only when the applicant says there is some.
	b := complete()
	delete(b, "funding_lines")
	if got := paths(questions.Incomplete(f, b)); !slices.Equal(got, []string{"answers.funding_lines"}) {
		t.Fatalf("other funding said yes without lines: %v", got)
	}
	b.Set("other_funding", "no")
	if got := questions.Incomplete(f, b); len(got) != 0 {
		t.Fatalf("no other funding needs no lines: %v", got)
	}
}

func TestSectionStatuses(t *testing.T) {
	f := demo.GrassrootsForm(demo.GrassrootsRules())
	a := complete()
	delete(a, "evidence")
	for _, id := range []string{"safeguarding_policy", "safeguarding_lead"} {
		delete(a, id)
	}
	want := map[string]questions.Status{"project": questions.Completed, "about": questions.InProgress, "safeguarding": questions.NotStarted,
		"budget": questions.Completed, "declarations": questions.Completed}
	for _, s := range questions.Summarise(f, a) {
		if w, ok := want[s.ID]; ok && s.Status != w {
			t.Errorf("section %s is %s, want %s", s.ID, s.Status, w)
		}
	}
}

// Wards are asked only where the scheme lists them.
func TestWardsOnlyWhereTheSchemeListsThem(t *testing.T) {
	rules := demo.GrassrootsRules()
	if _, _, ok := demo.GrassrootsForm(rules).Question("wards"); !ok {
		t.Fatal("the demo grassroots scheme lists wards: the form should ask for them")
	}
	rules.Wards = nil
	f := demo.GrassrootsForm(rules)
	if q, _, _ := f.Question("wards"); q.Asked() || q.Required {
		t.Fatal("a scheme without wards should not ask for them")
	}
	a := complete()
	if got := paths(questions.Incomplete(f, a)); !slices.Equal(got, []string{"answers.wards[0]"}) {
		t.Fatalf("a ward named where the scheme lists none: %v", got)
	}
	delete(a, "wards")
	if got := questions.Incomplete(f, a); len(got) != 0 {
		t.Fatalf("no wards needed: %v", got)
	}
}

func TestSummaryWritesAnswersOut(t *testing.T) {
	f := demo.GrassrootsForm(demo.GrassrootsRules())
	var budget, bands []string
	for _, s := range questions.Summarise(f, complete()) {
		for _, r := range s.Rows {
			switch r.ID {
			case "budget_lines":
				budget = r.Values
			case "age_bands":
				bands = r.Values
			}
		}
	}
	if want := []string{"Youth workers' time — £1,500.00", "Sports equipment and hall hire — £500.00", "Total: £2,000.00"}; !slices.Equal(budget, want) {
		t.Errorf("budget %q, want %q", budget, want)
	}
	if want := []string{"11 to 17", "18 to 24"}; !slices.Equal(bands, want) {
		t.Errorf("age bands %q, want %q", bands, want)
	}
}

// Every answer that can be missing has its own message in the GOV.UK style, so the page never
// makes one from a label ("Enter describe the project").
func TestEveryRequiredQuestionSaysWhatToDo(t *testing.T) {
	form := demo.GrassrootsForm(demo.GrassrootsRules())
	var walk func(qs []questions.Question)
	walk = func(qs []questions.Question) {
		for _, q := range qs {
			if q.Required || q.RequiredWhen != nil {
				verb, _, _ := strings.Cut(q.Missing, " ")
				if !slices.Contains([]string{"Enter", "Select", "Add", "Confirm", "Agree"}, verb) {
					t.Errorf("%s: missing message %q", q.ID, q.Missing)
				}
			}
			walk(q.Columns)
		}
	}
	for _, s := range form.Sections {
		walk(s.Questions)
	}
}

// The demo fund requires a ward, so every area it serves offers at least one.
func TestEveryDemoAreaHasAWard(t *testing.T) {
	for _, area := range demo.Areas {
		if !slices.ContainsFunc(demo.Wards, func(w string) bool { return strings.HasPrefix(w, area+": ") }) {
			t.Errorf("%s has no ward to choose", area)
		}
	}
}
