// Package questions is the one definition of what a grassroots application form asks: its
// sections, their questions, and what makes an answer acceptable in a draft and complete at
// submission. The task list, each section's page, the check-answers page, the staff view, the
// frozen copy of a submission and the JSON API all read it, so a scheme's questions can later
// become data an administrator edits without touching any of them.
package questions

import (
	"encoding/json"
	"fmt"
	"strings"

	"grantflow/money"
	"grantflow/scheme"
)

// Kind is what sort of answer a question takes, and so how it is asked, checked and shown.
type Kind string

const (
	Text       Kind = "text"       // one line of text
	Textarea   Kind = "textarea"   // paragraphs
	Number     Kind = "number"     // a whole number, 0 or more
	Money      Kind = "money"      // a whole number of pence
	Choice     Kind = "choice"     // one of the options
	Checkboxes Kind = "checkboxes" // any of the options
	YesNo      Kind = "yes_no"     // "yes" or "no"
	Date       Kind = "date"       // YYYY-MM-DD
	Confirm    Kind = "confirm"    // a box ticked to agree (true); complete only when ticked
	Lines      Kind = "lines"      // repeating rows, each answering the question's columns
)

// Option is one choice of a choice or checkboxes question.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Question is one thing the form asks. Core questions are kept in the application's own columns
// (title, amount, dates, areas, priorities) and answered on the project details page; the others
// are kept in its answers.
type Question struct {
	ID        string     `json:"id"`
	Label     string     `json:"label"`
	Hint      string     `json:"hint,omitempty"`
	Kind      Kind       `json:"kind"`
	Required  bool       `json:"required"`
	MaxLength int        `json:"max_length,omitempty"` // text: characters
	Max       int64      `json:"max,omitempty"`        // number and money: the largest accepted
	Options   []Option   `json:"options,omitempty"`
	Columns   []Question `json:"columns,omitempty"`   // lines: what each row answers
	MaxLines  int        `json:"max_lines,omitempty"` // lines
	// RequiredWhen makes the question required only while another answer has a value ("yes").
	RequiredWhen *Condition `json:"required_when,omitempty"`
	// AtMost names a number question this one may not exceed (under-25s of all who benefit).
	AtMost string `json:"at_most,omitempty"`
	// SumsTo names the money question that a lines question's money column must add up to.
	SumsTo string `json:"sums_to,omitempty"`
	Core   bool   `json:"core,omitempty"`
	// Missing is the page's error message when a required answer is missing, in the GOV.UK
	// style ("Enter a description of the project"): a label does not make a sentence.
	Missing string `json:"missing,omitempty"`
}

// Condition is another question's answer having a value.
type Condition struct {
	Question string `json:"question"`
	Equals   string `json:"equals"`
}

// Section is one task of the task list: a page of questions saved together.
type Section struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Questions []Question `json:"questions"`
}

// Form is every section, in order.
type Form struct {
	Sections []Section `json:"sections"`
}

// Section finds a section by id.
func (f Form) Section(id string) (Section, bool) {
	for _, s := range f.Sections {
		if s.ID == id {
			return s, true
		}
	}
	return Section{}, false
}

// Question finds a question by id, with its section.
func (f Form) Question(id string) (Question, Section, bool) {
	for _, s := range f.Sections {
		for _, q := range s.Questions {
			if q.ID == id {
				return q, s, true
			}
		}
	}
	return Question{}, Section{}, false
}

// The core questions' ids: the application's own columns, and the API's top-level fields.
const (
	CoreTitle      = "title"
	CorePurpose    = "purpose"
	CoreAmount     = "amount_requested_pence"
	CoreStart      = "project_start"
	CoreEnd        = "project_end"
	CoreAreas      = "areas"
	CorePriorities = "priorities"
)

// ProjectSection is the core section's id: its page is the project details form.
const ProjectSection = "project"

// AgeBands are the age bands of those who benefit; the first three are under 25.
var AgeBands = []Option{
	{"under_11", "Under 11"}, {"11_17", "11 to 17"}, {"18_24", "18 to 24"}, {"25_64", "25 to 64"}, {"65_over", "65 and over"},
}

// FundingStatuses say how far another funder's money has got.
var FundingStatuses = []Option{{"applied", "Applied for"}, {"secured", "Secured"}}

// Grassroots is the grassroots scheme's form under these rules: the areas, priorities and (where
// the scheme lists them) wards are the scheme's own.
func Grassroots(r scheme.Rules) Form {
	beneficiaries := []Question{
		{ID: "beneficiaries", Label: "How many people will benefit?", Missing: "Enter how many people will benefit", Hint: "An estimate is fine.", Kind: Number, Required: true, Max: 10_000_000},
		{ID: "beneficiaries_under_25", Label: "How many of them are under 25?", Missing: "Enter how many of the people who will benefit are under 25", Kind: Number, Required: true, Max: 10_000_000, AtMost: "beneficiaries"},
		{ID: "age_bands", Label: "Which age groups will benefit?", Missing: "Select which age groups will benefit", Hint: "Select all that apply.", Kind: Checkboxes, Required: true, Options: AgeBands},
	}
	// Wards are asked (and required) only where the scheme lists them; without options no answer
	// is accepted and no page shows the question.
	beneficiaries = append(beneficiaries, Question{ID: "wards", Label: "Which wards will the project serve?", Missing: "Select which wards the project will serve", Hint: "Select all that apply.",
		Kind: Checkboxes, Required: len(r.Wards) > 0, Options: options(r.Wards)})
	return Form{Sections: []Section{
		{ID: ProjectSection, Title: "Project details", Questions: []Question{
			{ID: CoreTitle, Label: "Project title", Missing: "Enter a project title", Kind: Text, Required: true, MaxLength: 200, Core: true},
			{ID: CorePurpose, Label: "What the money is for", Missing: "Enter what the money is for", Kind: Textarea, Required: true, MaxLength: 5000, Core: true},
			{ID: CoreAmount, Label: "Amount requested", Missing: "Enter the amount requested", Kind: Money, Required: true, Core: true},
			{ID: CoreStart, Label: "Project start", Missing: "Enter the date the project starts", Kind: Date, Required: true, Core: true},
			{ID: CoreEnd, Label: "Project end", Missing: "Enter the date the project ends", Kind: Date, Required: true, Core: true},
			{ID: CoreAreas, Label: "Areas served", Missing: "Select the areas the project will serve", Kind: Checkboxes, Required: true, Options: options(r.Areas), Core: true},
			{ID: CorePriorities, Label: "Police and Crime Plan priorities", Missing: "Select the Police and Crime Plan priorities the project meets", Kind: Checkboxes, Required: true, Options: options(r.Priorities), Core: true},
		}},
		{ID: "about", Title: "About the project", Questions: []Question{
			{ID: "description", Label: "Describe the project", Missing: "Enter a description of the project", Hint: "What you will do, where, when and who will run it.", Kind: Textarea, Required: true, MaxLength: 5000},
			{ID: "need", Label: "Why is the project needed?", Missing: "Enter why the project is needed", Hint: "The problem it tackles in your area.", Kind: Textarea, Required: true, MaxLength: 5000},
			{ID: "evidence", Label: "What evidence shows the need?", Missing: "Enter the evidence that shows the need", Hint: "For example, local crime figures, surveys or what people have told you.", Kind: Textarea, Required: true, MaxLength: 5000},
		}},
		{ID: "beneficiaries", Title: "Who will benefit", Questions: beneficiaries},
		{ID: "outcomes", Title: "Outcomes", Questions: []Question{
			{ID: "outcomes", Label: "Outcomes", Missing: "Add at least one outcome", Hint: "Each change the project will bring about, and how you will know it has.", Kind: Lines, Required: true, MaxLines: 10, Columns: []Question{
				{ID: "outcome", Label: "Outcome", Missing: "Enter the outcome", Kind: Text, Required: true, MaxLength: 300},
				{ID: "measure", Label: "How you will know", Missing: "Enter how you will know the outcome is achieved", Kind: Text, Required: true, MaxLength: 500},
			}},
		}},
		{ID: "budget", Title: "Budget", Questions: []Question{
			{ID: "budget_lines", Label: "Budget", Missing: "Add at least one budget line", Hint: "What the money will be spent on. The lines must add up to the amount requested.", Kind: Lines, Required: true, MaxLines: 20, SumsTo: CoreAmount, Columns: []Question{
				{ID: "item", Label: "Item", Missing: "Enter what the money will be spent on", Kind: Text, Required: true, MaxLength: 200},
				{ID: "amount_pence", Label: "Cost", Missing: "Enter the cost", Kind: Money, Required: true, Max: 100_000_000_00},
			}},
		}},
		{ID: "funding", Title: "Other funding", Questions: []Question{
			{ID: "other_funding", Label: "Have you applied for or secured other funding for this project?", Missing: "Select yes if you have applied for or secured other funding", Kind: YesNo, Required: true},
			{ID: "funding_lines", Label: "Other funding", Missing: "Add the other funding you have applied for or secured", Kind: Lines, RequiredWhen: &Condition{Question: "other_funding", Equals: "yes"}, MaxLines: 10, Columns: []Question{
				{ID: "funder", Label: "Funder", Missing: "Enter who the funding is from", Kind: Text, Required: true, MaxLength: 200},
				{ID: "amount_pence", Label: "Amount", Missing: "Enter the amount of funding", Kind: Money, Required: true, Max: 100_000_000_00},
				{ID: "status", Label: "Applied for or secured", Missing: "Select whether the funding is applied for or secured", Kind: Choice, Required: true, Options: FundingStatuses},
			}},
		}},
		{ID: "safeguarding", Title: "Safeguarding", Questions: []Question{
			{ID: "safeguarding_policy", Label: "Does your organisation have a safeguarding policy?", Missing: "Select yes if your organisation has a safeguarding policy", Kind: YesNo, Required: true},
			{ID: "safeguarding_lead", Label: "Who is your named safeguarding lead?", Missing: "Enter the name of your safeguarding lead", Hint: "Their full name.", Kind: Text, Required: true, MaxLength: 200},
		}},
		{ID: "declarations", Title: "Declarations", Questions: []Question{
			{ID: "declare_true", Label: "The information in this application is true and complete to the best of my knowledge", Missing: "Confirm that the information is true and complete", Kind: Confirm, Required: true},
			{ID: "declare_use", Label: "Any grant will be spent only on the project described, and unspent money returned", Missing: "Confirm that any grant will be spent only on the project described", Kind: Confirm, Required: true},
			{ID: "declare_authorised", Label: "I am authorised to apply on behalf of the organisation", Missing: "Confirm that you are authorised to apply for the organisation", Kind: Confirm, Required: true},
			{ID: "data_protection_consent", Label: "I agree that the Office of the Police and Crime Commissioner may process the information in this application to assess it, administer any grant and meet its legal duties", Missing: "Agree to the Office processing the information in this application", Kind: Confirm, Required: true},
		}},
	}}
}

func options(values []string) []Option {
	out := make([]Option, len(values))
	for i, v := range values {
		out[i] = Option{Value: v, Label: v}
	}
	return out
}

// Asked reports whether a page asks the question: a choice without options is not asked.
func (q Question) Asked() bool {
	return (q.Kind != Choice && q.Kind != Checkboxes) || len(q.Options) > 0
}

// Answers are an application's answers by question id, each as its JSON value.
type Answers map[string]json.RawMessage

// Has reports whether a question has an answer that is not blank.
func (a Answers) Has(id string) bool {
	raw, ok := a[id]
	if !ok {
		return false
	}
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null" && s != `""` && s != "[]" && s != "false"
}

// Set stores a value; a nil value removes the answer.
func (a Answers) Set(id string, v any) {
	if v == nil {
		delete(a, id)
		return
	}
	raw, err := json.Marshal(v)
	if err != nil { // only ever called with strings, numbers, booleans and lists of them
		panic(fmt.Sprintf("questions: answer %s: %v", id, err))
	}
	a[id] = raw
}

// Line is one row of a lines question.
type Line map[string]json.RawMessage

// text, number and the rest read an answer as its kind, reporting false for anything else.
func text(raw json.RawMessage) (string, bool) {
	var s string
	return s, json.Unmarshal(raw, &s) == nil
}

func number(raw json.RawMessage) (int64, bool) {
	var n int64
	return n, json.Unmarshal(raw, &n) == nil
}

func list(raw json.RawMessage) ([]string, bool) {
	var l []string
	return l, json.Unmarshal(raw, &l) == nil
}

func flag(raw json.RawMessage) (bool, bool) {
	var b bool
	return b, json.Unmarshal(raw, &b) == nil
}

func lines(raw json.RawMessage) ([]Line, bool) {
	var l []Line
	return l, json.Unmarshal(raw, &l) == nil
}

// Lines reads a lines answer (nil when there is none or it is not a list of rows).
func (a Answers) Lines(id string) []Line {
	l, _ := lines(a[id])
	return l
}

// Text reads a text answer of a row ("" when there is none).
func (l Line) Text(col string) string { s, _ := text(l[col]); return s }

// Number reads a number or money answer of a row (0 when there is none).
func (l Line) Number(col string) int64 { n, _ := number(l[col]); return n }

// Text reads a text, choice or yes/no answer ("" when there is none).
func (a Answers) Text(id string) string { s, _ := text(a[id]); return s }

// Number reads a number or money answer (0 when there is none).
func (a Answers) Number(id string) int64 { n, _ := number(a[id]); return n }

// List reads a checkboxes answer.
func (a Answers) List(id string) []string { l, _ := list(a[id]); return l }

// Confirmed reads a confirm answer.
func (a Answers) Confirmed(id string) bool { b, _ := flag(a[id]); return b }

// total is what a lines question's money column adds up to.
func total(q Question, rows []Line) money.Pence {
	var sum money.Pence
	for _, c := range q.Columns {
		if c.Kind != Money {
			continue
		}
		for _, r := range rows {
			sum += money.Pence(r.Number(c.ID))
		}
	}
	return sum
}

// Total is what a lines question's money column adds up to in these answers.
func (a Answers) Total(q Question) money.Pence { return total(q, a.Lines(q.ID)) }
