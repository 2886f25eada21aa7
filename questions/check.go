package questions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"grantflow/money"
)

// Problem is one thing wrong with, or missing from, the answers: the question, the row and
// column of a lines question (Line is -1 for none), the API's reason ("is required") and the
// sentence a page shows.
type Problem struct {
	Section  string
	Question string
	Line     int
	Column   string
	Reason   string
	Message  string
}

// Path is the field the JSON API names: "answers.budget_lines[2].amount_pence"; a core
// question is a top-level field ("project_start").
func (p Problem) Path() string {
	if p.Section == ProjectSection {
		return p.Question
	}
	return "answers." + p.pathIn()
}

func (p Problem) pathIn() string {
	s := p.Question
	if p.Line >= 0 {
		s += fmt.Sprintf("[%d]", p.Line)
	}
	if p.Column != "" {
		s += "." + p.Column
	}
	return s
}

// Field is the name of the field on a section's page: "budget_lines.2.amount_pence".
func (p Problem) Field() string { return FieldName(p.Question, p.Line, p.Column) }

// FieldName names a question's field on its page; a row's column is "id.row.column".
func FieldName(question string, line int, column string) string {
	if line < 0 {
		return question
	}
	if column == "" {
		return fmt.Sprintf("%s.%d", question, line)
	}
	return fmt.Sprintf("%s.%d.%s", question, line, column)
}

type checker struct {
	section  string
	problems []Problem
}

func (c *checker) add(question string, line int, col, reason, message string) {
	c.problems = append(c.problems, Problem{Section: c.section, Question: question, Line: line, Column: col, Reason: reason, Message: message})
}

// CheckDraft finds what a draft's answers cannot hold: an answer to no question of the form (or
// to a core question, which the application's own fields answer), or one of the wrong kind, too
// long or not among the options. Anything may be missing until submission.
func CheckDraft(f Form, a Answers) []Problem { return check(f, a, false) }

// check is CheckDraft; withCore accepts answers to core questions (as Incomplete is given them).
func check(f Form, a Answers, withCore bool) []Problem {
	c := &checker{}
	known := map[string]bool{}
	for _, s := range f.Sections {
		c.section = s.ID
		for _, q := range s.Questions {
			known[q.ID] = !q.Core || withCore
			if raw, ok := a[q.ID]; ok && !q.Core {
				c.value(q, q.ID, -1, "", raw, q.Label)
			}
		}
	}
	c.section = ""
	var unknown []string
	for id := range a {
		if !known[id] {
			unknown = append(unknown, id)
		}
	}
	slices.Sort(unknown)
	for _, id := range unknown {
		c.problems = append(c.problems, Problem{Question: id, Line: -1, Reason: "is not a question of this scheme's form", Message: "Answer only the questions on the form"})
	}
	return c.problems
}

// value checks one answer against its question's kind (one check per kind): owner is the
// question's id, or the lines question's for a column (line and col then say where). what names
// it in messages: the question's label, or "Budget line 2: cost".
func (c *checker) value(q Question, owner string, line int, col string, raw json.RawMessage, what string) {
	if string(raw) == "null" {
		return // no answer
	}
	if q.Kind != Lines && q.Kind != Checkboxes && (!utf8.Valid(raw) || hasNUL(raw)) { // rows and options are checked one by one
		c.add(owner, line, col, "must be ordinary text (valid UTF-8, without NUL characters)", what+": type it again without unusual characters")
		return
	}
	at := func(reason, message string) { c.add(owner, line, col, reason, message) }
	switch q.Kind {
	case Text, Textarea:
		s, ok := text(raw)
		switch {
		case !ok:
			at("must be text", what+" must be text")
		case q.MaxLength > 0 && utf8.RuneCountInString(s) > q.MaxLength:
			at(fmt.Sprintf("must be at most %d characters", q.MaxLength), fmt.Sprintf("%s must be %d characters or fewer", what, q.MaxLength))
		case q.MaxWords > 0 && Words(s) > q.MaxWords:
			at(fmt.Sprintf("must be at most %d words (it has %d)", q.MaxWords, Words(s)), fmt.Sprintf("%s must be %d words or fewer", what, q.MaxWords))
		}
	case File:
		if n, ok := number(raw); !ok || n <= 0 {
			at("must be the id of one of the application's uploads", "Choose a file you have uploaded for "+lowerFirst(what))
		}
	case Number:
		if n, ok := number(raw); !ok || n < 0 || (q.Max > 0 && n > q.Max) {
			at("must be a whole number, 0 or more", what+" must be a whole number, like 25")
		}
	case Money:
		if n, ok := number(raw); !ok || n < 0 || (q.Max > 0 && n > q.Max) {
			at("must be a whole number of pence, 0 or more", what+" must be an amount in pounds and pence, like 250.00")
		}
	case Choice, YesNo:
		s, ok := text(raw)
		if !ok || !q.allows(s) {
			at("must be one of: "+q.values(), "Select an answer for "+lowerFirst(what))
		}
	case Checkboxes:
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			at("must be a list of options", "Select from the options for "+lowerFirst(what))
			return
		}
		l := make([]string, len(items))
		for i, item := range items {
			if json.Unmarshal(item, &l[i]) != nil || !utf8.Valid(item) || hasNUL(item) {
				c.add(owner, i, "", "must be text, one of: "+q.values(), "Select from the options for "+lowerFirst(what))
				return
			}
		}
		for i, v := range l {
			if !q.allows(v) || slices.Index(l, v) != i {
				c.add(owner, i, "", "must be one of the options, each once: "+q.values(), "Select from the options for "+lowerFirst(what))
				return
			}
		}
	case Date:
		s, ok := text(raw)
		if _, err := time.Parse(time.DateOnly, s); !ok || err != nil {
			at("must be a date like 2027-03-31", what+" must be a real date")
		}
	case Confirm:
		if _, ok := flag(raw); !ok {
			at("must be true or false", "Tick the box to confirm: "+lowerFirst(what))
		}
	case Lines:
		var items []json.RawMessage
		switch {
		case json.Unmarshal(raw, &items) != nil:
			at("must be a list of rows, each an object", what+" could not be read")
			return
		case q.MaxLines > 0 && len(items) > q.MaxLines:
			at(fmt.Sprintf("must have at most %d rows", q.MaxLines), fmt.Sprintf("%s can have at most %d rows", what, q.MaxLines))
			return
		}
		rows := make([]Line, len(items))
		for i, item := range items {
			if json.Unmarshal(item, &rows[i]) != nil {
				c.add(owner, i, "", "must be an object", rowName(q, i)+" could not be read")
				return
			}
		}
		for i, row := range rows {
			for k := range row {
				if !slices.ContainsFunc(q.Columns, func(col Question) bool { return col.ID == k }) {
					c.add(owner, i, k, "is not a column of "+q.ID, what+" could not be read")
				}
			}
			for _, col := range q.Columns {
				if v, ok := row[col.ID]; ok {
					c.value(col, owner, i, col.ID, v, rowName(q, i)+": "+lowerFirst(col.Label))
				}
			}
		}
	}
}

// rowName is how pages name a row: "Budget line 3" (its row label, else "Row 3").
func rowName(q Question, i int) string {
	label := q.RowLabel
	if label == "" {
		label = "Row"
	}
	return fmt.Sprintf("%s %d", label, i+1)
}

// Words counts the words of a text answer as a word limit does: runs of letters between spaces.
func Words(s string) int { return len(strings.Fields(s)) }

// RowName is how pages name a row of a lines question: "Budget line 3".
func RowName(q Question, i int) string { return rowName(q, i) }

func hasNUL(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	var walk func(any) bool
	walk = func(v any) bool {
		switch t := v.(type) {
		case string:
			return strings.ContainsRune(t, 0)
		case []any:
			return slices.ContainsFunc(t, walk)
		case map[string]any:
			for k, e := range t {
				if strings.ContainsRune(k, 0) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

func (q Question) allows(v string) bool {
	if q.Kind == YesNo {
		return v == "yes" || v == "no"
	}
	return slices.ContainsFunc(q.Options, func(o Option) bool { return o.Value == v })
}

func (q Question) values() string {
	if q.Kind == YesNo {
		return "yes, no"
	}
	vs := make([]string, len(q.Options))
	for i, o := range q.Options {
		vs[i] = o.Value
	}
	return strings.Join(vs, ", ")
}

// Incomplete finds everything that stops the answers being submitted, in the form's order: what
// CheckDraft refuses, required questions unanswered, declarations not ticked, rows with a blank
// column, a number above the one it is part of, and budget lines that do not add up to the
// amount requested. a holds the core questions' answers too (see the API's answers of an
// application).
func Incomplete(f Form, a Answers) []Problem {
	c := &checker{problems: check(f, a, true)}
	for _, s := range f.Sections {
		c.section = s.ID
		for _, q := range s.Questions {
			c.complete(q, a)
		}
	}
	return c.problems
}

func (c *checker) complete(q Question, a Answers) {
	required := q.Required || (q.RequiredWhen != nil && a.Text(q.RequiredWhen.Question) == q.RequiredWhen.Equals)
	if !a.Has(q.ID) {
		if required {
			c.add(q.ID, -1, "", missingReason(q), missingMessage(q))
		}
		return
	}
	switch {
	case q.Kind == Confirm && !a.Confirmed(q.ID) && required:
		c.add(q.ID, -1, "", missingReason(q), missingMessage(q))
	case q.Kind == Lines:
		rows := a.Lines(q.ID)
		for i, row := range rows {
			for _, col := range q.Columns {
				if col.Required && !Answers(row).Has(col.ID) {
					c.add(q.ID, i, col.ID, "is required", rowName(q, i)+": "+missingMessage(col))
				}
			}
		}
		if q.SumsTo != "" && a.Has(q.SumsTo) {
			if got, want := total(q, rows), money.Pence(a.Number(q.SumsTo)); got != want {
				c.add(q.ID, -1, "", fmt.Sprintf("add up to %s, not the %s requested", got, want),
					fmt.Sprintf("The %s add up to %s but you are applying for %s: they must be the same", rowsName(q), got, want))
			}
		}
	case q.AtMost != "" && a.Has(q.AtMost) && a.Number(q.ID) > a.Number(q.AtMost):
		msg := q.AtMostMessage
		if msg == "" {
			msg = strings.TrimSuffix(q.Label, "?") + ": the answer cannot be more than the answer to another question"
		}
		c.add(q.ID, -1, "", "cannot be more than "+q.AtMost, msg)
	}
}

func missingReason(q Question) string {
	switch q.Kind {
	case Confirm:
		return "must be confirmed (true)"
	case Lines:
		return "needs at least one row"
	case Checkboxes:
		return "choose at least one"
	}
	return "is required"
}

func missingMessage(q Question) string {
	if q.Missing != "" {
		return q.Missing
	}
	switch q.Kind {
	case Confirm:
		return "Tick the box to confirm: " + lowerFirst(q.Label)
	case Lines:
		return "Add at least one row to " + lowerFirst(q.Label)
	case Checkboxes, Choice, YesNo:
		return "Select an answer: " + lowerFirst(q.Label)
	}
	return "Enter " + lowerFirst(strings.TrimSuffix(q.Label, "?"))
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if strings.HasPrefix(s, "I ") { // the pronoun keeps its capital
		return s
	}
	if r >= 'A' && r <= 'Z' && !(n < len(s) && s[n] >= 'A' && s[n] <= 'Z') {
		return strings.ToLower(s[:n]) + s[n:]
	}
	return s
}

// rowsName names a table's rows together: "budget lines".
func rowsName(q Question) string {
	if q.RowLabel == "" {
		return "rows of " + lowerFirst(q.Label)
	}
	return strings.ToLower(q.RowLabel) + "s"
}

// Status is where a section of the task list stands.
type Status string

const (
	NotStarted Status = "not_started"
	InProgress Status = "in_progress"
	Completed  Status = "completed"
)

// Label is how the task list shows a status.
func (s Status) Label() string {
	switch s {
	case Completed:
		return "Completed"
	case InProgress:
		return "In progress"
	}
	return "Not started"
}

// SectionStatus is a section's status: not started while none of its questions has an answer,
// completed once nothing in it stops submission, in progress in between. problems are the
// answers' Incomplete problems.
func SectionStatus(s Section, a Answers, problems []Problem) Status {
	started := slices.ContainsFunc(s.Questions, func(q Question) bool { return a.Has(q.ID) })
	if !started {
		return NotStarted
	}
	if slices.ContainsFunc(problems, func(p Problem) bool { return p.Section == s.ID }) {
		return InProgress
	}
	return Completed
}
