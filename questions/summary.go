package questions

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"grantflow/money"
)

// Snapshot is the frozen copy of a submission: the questions as they were asked and every answer
// as given (core answers included), so it reads the same whatever later changes to the form.
// Service holds a service scheme's details (grant.ServiceDetails) as submitted.
type Snapshot struct {
	Form    Form            `json:"form"`
	Answers Answers         `json:"answers"`
	Service json.RawMessage `json:"service,omitempty"`
}

// SectionSummary is one section of answers as the check-answers page, the staff view and the
// frozen copy show it.
type SectionSummary struct {
	ID     string
	Title  string
	Status Status
	Rows   []Row
}

// Row is one question and its answer, written out: Values has one entry per line (a row of a
// budget, each option chosen); none means not answered.
type Row struct {
	ID     string
	Label  string
	Values []string
}

// Summarise writes out every answer, section by section, in the form's order.
func Summarise(f Form, a Answers) []SectionSummary {
	problems := Incomplete(f, a)
	out := make([]SectionSummary, 0, len(f.Sections))
	for _, s := range f.Sections {
		ss := SectionSummary{ID: s.ID, Title: s.Title, Status: SectionStatus(s, a, problems)}
		for _, q := range s.Questions {
			if q.Asked() {
				ss.Rows = append(ss.Rows, Row{ID: q.ID, Label: q.Label, Values: show(q, a)})
			}
		}
		out = append(out, ss)
	}
	return out
}

// show writes out an answer (one function per kind, as CheckDraft checks them).
func show(q Question, a Answers) []string {
	if !a.Has(q.ID) {
		if q.Kind == Confirm {
			return []string{"Not confirmed"}
		}
		return nil
	}
	raw := a[q.ID]
	switch q.Kind {
	case Lines:
		rows := a.Lines(q.ID)
		var out []string
		for _, r := range rows {
			var cells []string
			for _, c := range q.Columns {
				if v := show(c, Answers(r)); len(v) > 0 {
					cells = append(cells, strings.Join(v, ", "))
				}
			}
			out = append(out, strings.Join(cells, " — "))
		}
		if q.SumsTo != "" {
			out = append(out, "Total: "+total(q, rows).String())
		}
		return out
	case Checkboxes:
		l, _ := list(raw)
		out := make([]string, len(l))
		for i, v := range l {
			out[i] = q.label(v)
		}
		return out
	}
	return []string{one(q, raw)}
}

func one(q Question, raw json.RawMessage) string {
	switch q.Kind {
	case Number:
		n, _ := number(raw)
		return groupThousands(n)
	case Money:
		n, _ := number(raw)
		return money.Pence(n).String()
	case YesNo:
		if s, _ := text(raw); s == "yes" {
			return "Yes"
		}
		return "No"
	case Confirm:
		if b, _ := flag(raw); b {
			return "Confirmed"
		}
		return "Not confirmed"
	case Date:
		s, _ := text(raw)
		if t, err := time.Parse(time.DateOnly, s); err == nil {
			return t.Format("2 January 2006")
		}
		return s
	case Choice:
		s, _ := text(raw)
		return q.label(s)
	case File:
		n, _ := number(raw)
		return fmt.Sprintf("Upload %d", n) // pages name the file (see FileNames)
	}
	s, _ := text(raw)
	return s
}

func (q Question) label(v string) string {
	for _, o := range q.Options {
		if o.Value == v {
			return o.Label
		}
	}
	return v
}

func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
