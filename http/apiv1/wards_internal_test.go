package apiv1

import (
	"encoding/json"
	"fmt"
	"testing"

	"grantflow/questions"
	"grantflow/scheme"
)

// A draft's wards are its ward question's answer, whatever the question's id; a service's wards
// must be among those the scheme lists, where it lists any; and at submission each ward must lie in
// one of the areas the project serves.
func TestDraftWardsAreTheWardQuestionsAndTheSchemes(t *testing.T) {
	form := questions.Form{Sections: []questions.Section{
		{ID: "project", Questions: []questions.Question{{ID: "areas", Kind: questions.Checkboxes, OptionsFrom: questions.FromAreas}}},
		{ID: "where", Questions: []questions.Question{{ID: "neighbourhoods", Kind: questions.Checkboxes, OptionsFrom: questions.FromWards}}},
	}}
	answers := questions.Answers{"areas": json.RawMessage(`["Melton"]`), "neighbourhoods": json.RawMessage(`["Melton: Melton Newport","Blaby: all wards"]`)}
	if got := fmt.Sprint(wardsAnswered(form, answers)); got != "[Melton: Melton Newport Blaby: all wards]" {
		t.Errorf("wards answered %s", got)
	}
	if got := wardsAnswered(form, questions.Answers{}); got == nil || len(got) != 0 {
		t.Errorf("wards with no answer %#v; want an empty list (saved as none, not kept)", got)
	}

	rules := scheme.Rules{Areas: []string{"Melton", "Blaby"}, Wards: []string{"Melton: Melton Newport", "Blaby: all wards"}}
	p := problems{}
	checkListedWards(p, rules, "service.wards", []string{"Melton: Melton Newport", "Melton Newport"})
	if len(p) != 1 || p["service.wards[1]"] != `"Melton Newport" is not one of the scheme's wards: name them as it lists them, such as "Melton: Melton Newport"` {
		t.Errorf("problems with a service's wards %v", p)
	}
	p = problems{}
	checkListedWards(p, scheme.Rules{Areas: rules.Areas}, "service.wards", []string{"Anywhere at all"})
	if len(p) != 0 {
		t.Errorf("a scheme that lists no wards refused %v", p)
	}
	p = problems{}
	checkWardsInAreas(p, "answers.neighbourhoods", []string{"Melton: Melton Newport", "Blaby: all wards"}, []string{"Melton"})
	if len(p) != 1 || p["answers.neighbourhoods[1]"] != `"Blaby: all wards" is in Blaby, which is not one of the areas the project serves: add Blaby to the areas, or leave the ward out` {
		t.Errorf("problems with wards outside the areas %v", p)
	}
}
