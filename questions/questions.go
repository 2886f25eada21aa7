// Package questions says what an application form is: its sections, their questions, and what
// makes an answer acceptable in a draft and complete at submission. A scheme's form is data (its
// definition file, stored per scheme and version, see schemefile and store.SchemeForm), checked
// by Validate and given the scheme's current options by Resolve; the task list, each section's
// page, the check-answers page, the staff view, the frozen copy of a submission and the JSON API
// all read the one form an application answers.
package questions

import (
	"encoding/json"
	"fmt"
	"strings"

	"grantflow/money"
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
	Lines      Kind = "lines"      // repeating rows, each answering the question's columns (a table)
	File       Kind = "file"       // one of the application's uploads, by its id
)

// Kinds lists every kind, for validating a form definition.
var Kinds = []Kind{Text, Textarea, Number, Money, Choice, Checkboxes, YesNo, Date, Confirm, Lines, File}

// Option is one choice of a choice or checkboxes question.
type Option struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Question is one thing the form asks. Core questions are kept in the application's own columns
// (title, amount, dates, areas, priorities) and answered on the project details page; the others
// are kept in its answers.
type Question struct {
	ID        string   `json:"id"`
	Label     string   `json:"label"`
	Hint      string   `json:"hint,omitempty"`
	Kind      Kind     `json:"kind"`
	Required  bool     `json:"required"`
	MaxLength int      `json:"max_length,omitempty"` // text: characters
	MaxWords  int      `json:"max_words,omitempty"`  // text: words
	Max       int64    `json:"max,omitempty"`        // number and money: the largest accepted
	Options   []Option `json:"options,omitempty"`
	// OptionsFrom takes a choice's options from the scheme's rules (areas, wards or priorities),
	// so a rules edit changes them; Resolve fills them in.
	OptionsFrom string `json:"options_from,omitempty"`
	// RowLabel names a lines question's rows on pages: "Budget line" (then "Budget line 2").
	RowLabel string     `json:"row_label,omitempty"`
	Columns  []Question `json:"columns,omitempty"`   // lines: what each row answers
	MaxLines int        `json:"max_lines,omitempty"` // lines
	// RequiredWhen makes the question required only while another answer has a value ("yes").
	RequiredWhen *Condition `json:"required_when,omitempty"`
	// AtMost names a number question this one may not exceed (under-25s of all who benefit).
	AtMost string `json:"at_most,omitempty"`
	// AtMostMessage is the page's error when the answer is more than AtMost's.
	AtMostMessage string `json:"at_most_message,omitempty"`
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
	Help      string     `json:"help,omitempty"` // guidance shown under the section's title
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
