package questions

import (
	"fmt"
	"slices"
	"strings"

	"grantflow/scheme"
)

// The rules' lists a choice question may take its options from.
const (
	FromAreas      = "areas"
	FromWards      = "wards"
	FromPriorities = "priorities"
)

// Resolve is the form as an applicant answers it under these rules: each question whose options
// come from the rules (options_from) gets the rules' current list. A question whose list is empty
// is not asked, and so not required (a scheme that lists no wards does not ask for them).
func (f Form) Resolve(r scheme.Rules) Form {
	out := Form{Sections: make([]Section, len(f.Sections))}
	for i, s := range f.Sections {
		s.Questions = slices.Clone(s.Questions)
		for j, q := range s.Questions {
			s.Questions[j] = q.resolve(r)
		}
		out.Sections[i] = s
	}
	return out
}

func (q Question) resolve(r scheme.Rules) Question {
	if q.OptionsFrom != "" {
		var values []string
		switch q.OptionsFrom {
		case FromAreas:
			values = r.Areas
		case FromWards:
			values = r.Wards
		case FromPriorities:
			values = r.Priorities
		}
		q.Options = make([]Option, len(values))
		for i, v := range values {
			q.Options[i] = Option{Value: v, Label: v}
		}
		if len(values) == 0 {
			q.Required = false
		}
	}
	if len(q.Columns) > 0 {
		q.Columns = slices.Clone(q.Columns)
		for i, c := range q.Columns {
			q.Columns[i] = c.resolve(r)
		}
	}
	return q
}

// Flaw is one thing wrong with a form definition: where (the path in the definition, as
// "form.sections[2].questions[0].options") and why.
type Flaw struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

func (f Flaw) Error() string { return f.Path + ": " + f.Reason }

// coreKinds are the core questions: the application's own columns, answered on the project
// details page, with the kind each must have.
var coreKinds = map[string]Kind{CoreTitle: Text, CorePurpose: Textarea, CoreAmount: Money, CoreStart: Date, CoreEnd: Date, CoreAreas: Checkboxes, CorePriorities: Checkboxes}

// CoreFor lists the core questions a scheme of the kind must ask in its project section: a
// service scheme asks its amounts and dates in its service details instead.
func CoreFor(k scheme.Kind) []string {
	if k == scheme.Service {
		return []string{CoreTitle, CorePurpose, CoreAreas, CorePriorities}
	}
	return []string{CoreTitle, CorePurpose, CoreAmount, CoreStart, CoreEnd, CoreAreas, CorePriorities}
}

// Validate finds everything wrong with a form definition for a scheme of the kind, each flaw
// named by its path under prefix ("form"): ids unique and present, kinds known, choices with
// options (or options from the rules), required_when, at_most and sums_to naming questions of
// the right kind, tables with columns, and the project section asking the core questions.
func Validate(f Form, k scheme.Kind, prefix string) []Flaw {
	v := &validator{}
	if len(f.Sections) == 0 {
		v.add(prefix+".sections", "must list at least one section")
		return v.flaws
	}
	all := map[string]Question{}
	sections := map[string]bool{}
	for i, s := range f.Sections {
		sp := fmt.Sprintf("%s.sections[%d]", prefix, i)
		switch {
		case !validID(s.ID):
			v.add(sp+".id", "must be lower-case letters, digits and underscores, starting with a letter")
		case sections[s.ID]:
			v.add(sp+".id", fmt.Sprintf("%q is the id of another section", s.ID))
		}
		sections[s.ID] = true
		if strings.TrimSpace(s.Title) == "" {
			v.add(sp+".title", "is required")
		}
		if len(s.Questions) == 0 {
			v.add(sp+".questions", "must list at least one question")
		}
		for j, q := range s.Questions {
			qp := fmt.Sprintf("%s.questions[%d]", sp, j)
			if validID(q.ID) {
				if _, dup := all[q.ID]; dup {
					v.add(qp+".id", fmt.Sprintf("%q is the id of another question", q.ID))
				}
				all[q.ID] = q
			}
			v.question(q, qp, false)
			if q.Core {
				want, known := coreKinds[q.ID]
				switch {
				case !known:
					v.add(qp+".core", fmt.Sprintf("only these questions are core: %s", strings.Join(CoreFor(scheme.Grassroots), ", ")))
				case s.ID != ProjectSection:
					v.add(qp+".core", "core questions belong to the project section")
				case q.Kind != want:
					v.add(qp+".kind", fmt.Sprintf("the core question %s must be %s", q.ID, want))
				}
			} else if _, known := coreKinds[q.ID]; known {
				v.add(qp+".core", "must be true: "+q.ID+" is kept in the application's own fields")
			}
			if s.ID == ProjectSection && !q.Core {
				v.add(qp, "the project section holds only the core questions (its page is the project details form)")
			}
		}
	}
	// The project section asks the core questions the scheme's kind needs.
	project, ok := f.Section(ProjectSection)
	if !ok {
		v.add(prefix+".sections", "must have a section with id \"project\" asking "+strings.Join(CoreFor(k), ", "))
	} else {
		for _, id := range CoreFor(k) {
			if !slices.ContainsFunc(project.Questions, func(q Question) bool { return q.ID == id }) {
				v.add(prefix+".sections[project].questions", "must ask "+id)
			}
		}
		if k == scheme.Service {
			for _, q := range project.Questions {
				if q.ID == CoreAmount || q.ID == CoreStart || q.ID == CoreEnd {
					v.add(prefix+".sections[project].questions", q.ID+" is asked by a service scheme's service details, not its form")
				}
			}
		}
	}
	// References between questions.
	for i, s := range f.Sections {
		for j, q := range s.Questions {
			qp := fmt.Sprintf("%s.sections[%d].questions[%d]", prefix, i, j)
			if c := q.RequiredWhen; c != nil {
				other, ok := all[c.Question]
				switch {
				case c.Question == q.ID:
					v.add(qp+".required_when.question", "cannot be the question itself")
				case !ok:
					v.add(qp+".required_when.question", fmt.Sprintf("%q is not a question of this form", c.Question))
				case other.Kind != YesNo && other.Kind != Choice:
					v.add(qp+".required_when.question", fmt.Sprintf("%q must be a yes_no or choice question", c.Question))
				case other.Kind == YesNo && c.Equals != "yes" && c.Equals != "no":
					v.add(qp+".required_when.equals", "must be yes or no")
				case other.Kind == Choice && other.OptionsFrom == "" && !other.allows(c.Equals):
					v.add(qp+".required_when.equals", fmt.Sprintf("must be one of the options of %s: %s", c.Question, other.values()))
				}
				if q.Required {
					v.add(qp+".required", "cannot be true with required_when (required_when makes it required only then)")
				}
			}
			if q.AtMost != "" {
				if other, ok := all[q.AtMost]; !ok || other.Kind != q.Kind || (q.Kind != Number && q.Kind != Money) {
					v.add(qp+".at_most", fmt.Sprintf("%q must be a number or money question of this form, like this one", q.AtMost))
				}
			}
			if q.SumsTo != "" {
				other, ok := all[q.SumsTo]
				switch {
				case q.Kind != Lines:
					v.add(qp+".sums_to", "only a lines question adds up to another")
				case !ok || other.Kind != Money:
					v.add(qp+".sums_to", fmt.Sprintf("%q must be a money question of this form", q.SumsTo))
				case !slices.ContainsFunc(q.Columns, func(c Question) bool { return c.Kind == Money }):
					v.add(qp+".columns", "needs a money column to add up")
				}
			}
		}
	}
	return v.flaws
}

type validator struct{ flaws []Flaw }

func (v *validator) add(path, reason string) {
	v.flaws = append(v.flaws, Flaw{Path: path, Reason: reason})
}

func validID(id string) bool {
	if id == "" || len(id) > 64 || id[0] < 'a' || id[0] > 'z' {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// question checks one question's own fields; column says it is a column of a table.
func (v *validator) question(q Question, qp string, column bool) {
	if !validID(q.ID) {
		v.add(qp+".id", "must be lower-case letters, digits and underscores, starting with a letter")
	}
	if strings.TrimSpace(q.Label) == "" {
		v.add(qp+".label", "is required")
	}
	if !slices.Contains(Kinds, q.Kind) {
		vs := make([]string, len(Kinds))
		for i, k := range Kinds {
			vs[i] = string(k)
		}
		v.add(qp+".kind", fmt.Sprintf("%q is not a kind of question; the kinds are %s", q.Kind, strings.Join(vs, ", ")))
		return
	}
	if q.MaxLength < 0 || q.MaxWords < 0 || q.Max < 0 || q.MaxLines < 0 {
		v.add(qp, "max_length, max_words, max and max_lines cannot be negative")
	}
	if (q.MaxLength > 0 || q.MaxWords > 0) && q.Kind != Text && q.Kind != Textarea {
		v.add(qp+".max_words", "word and character limits are for text and textarea questions")
	}
	if q.Max > 0 && q.Kind != Number && q.Kind != Money {
		v.add(qp+".max", "is for number and money questions")
	}
	switch q.Kind {
	case Choice, Checkboxes:
		switch {
		case q.OptionsFrom != "" && len(q.Options) > 0:
			v.add(qp+".options", "give options or options_from, not both")
		case q.OptionsFrom != "" && q.OptionsFrom != FromAreas && q.OptionsFrom != FromWards && q.OptionsFrom != FromPriorities:
			v.add(qp+".options_from", fmt.Sprintf("%q is not a list of the rules; use areas, wards or priorities", q.OptionsFrom))
		case q.OptionsFrom == "" && len(q.Options) == 0:
			v.add(qp+".options", "a choice needs options (or options_from: areas, wards or priorities)")
		}
		seen := map[string]bool{}
		for i, o := range q.Options {
			op := fmt.Sprintf("%s.options[%d]", qp, i)
			switch {
			case strings.TrimSpace(o.Value) == "":
				v.add(op+".value", "is required")
			case seen[o.Value]:
				v.add(op+".value", fmt.Sprintf("%q is another option's value", o.Value))
			}
			seen[o.Value] = true
			if strings.TrimSpace(o.Label) == "" {
				v.add(op+".label", "is required")
			}
		}
	default:
		if len(q.Options) > 0 || q.OptionsFrom != "" {
			v.add(qp+".options", "only choice and checkboxes questions have options")
		}
	}
	if q.Kind == Lines {
		if column {
			v.add(qp+".kind", "a table's column cannot be a table")
			return
		}
		if len(q.Columns) == 0 {
			v.add(qp+".columns", "a lines question (a table) needs columns")
		}
		if q.MaxLines <= 0 {
			v.add(qp+".max_lines", "a lines question needs max_lines, the most rows it takes")
		} else if q.MaxLines > 100 {
			v.add(qp+".max_lines", "can be at most 100")
		}
		seen := map[string]bool{}
		for i, c := range q.Columns {
			cp := fmt.Sprintf("%s.columns[%d]", qp, i)
			if seen[c.ID] {
				v.add(cp+".id", fmt.Sprintf("%q is the id of another column", c.ID))
			}
			seen[c.ID] = true
			if c.RequiredWhen != nil || c.AtMost != "" || c.SumsTo != "" || c.Core || c.OptionsFrom != "" {
				v.add(cp, "a column cannot have required_when, at_most, sums_to, options_from or core")
			}
			if c.Kind == File {
				v.add(cp+".kind", "a table's column cannot be a file")
			}
			v.question(c, cp, true)
		}
	} else if len(q.Columns) > 0 || q.MaxLines > 0 || q.RowLabel != "" {
		v.add(qp+".columns", "only a lines question has columns, max_lines and row_label")
	}
}
