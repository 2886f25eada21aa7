// Package schemefile owns the scheme definition file: one YAML or JSON document with a scheme's
// slug, name, description, rules, application form and optionally rounds and budgets (see
// docs/schemes.md). It parses and validates a definition, naming every problem by its path, and
// imports it: `grantflow schemes import`, the demo seed and the admin form page all come here.
package schemefile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"grantflow/examples/schemes"
	"grantflow/money"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/store"
)

// Definition is one scheme definition file.
type Definition struct {
	Slug        string         `json:"slug"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Rules       scheme.Rules   `json:"rules"`
	Form        questions.Form `json:"form"`
	Rounds      []Round        `json:"rounds,omitempty"`
	Budgets     []Budget       `json:"budgets,omitempty"`
}

// Round is a round the import opens unless one of its name exists.
type Round struct {
	Name     string    `json:"name"`
	OpensAt  time.Time `json:"opens_at"`
	ClosesAt time.Time `json:"closes_at"`
}

// Budget is a financial year's budget the import sets.
type Budget struct {
	FinancialYear int         `json:"financial_year"` // the year it starts: 2026 for 2026-27
	Amount        money.Pence `json:"amount_pence"`
}

// Problems are everything wrong with a definition, each with its path.
type Problems []questions.Flaw

func (p Problems) Error() string {
	lines := make([]string, len(p))
	for i, f := range p {
		lines[i] = f.Error()
	}
	return strings.Join(lines, "\n")
}

// MaxSize is the largest definition file read.
const MaxSize = 1 << 20

// Parse reads a definition from YAML or JSON (YAML is turned into JSON, then read with the
// json names): a field of no definition, or a value of the wrong type, is a problem with its path.
func Parse(data []byte) (Definition, error) {
	var d Definition
	if len(data) > MaxSize {
		return d, Problems{{Path: "", Reason: fmt.Sprintf("is larger than %d bytes", MaxSize)}}
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return d, Problems{{Path: "", Reason: "is not YAML or JSON: " + err.Error()}}
	}
	if err := decodeStrict(js, &d); err != nil {
		return d, err
	}
	return d, nil
}

// ParseForm reads a form on its own (the admin page's YAML) as Parse reads a definition.
func ParseForm(data []byte) (questions.Form, error) {
	var f questions.Form
	if len(data) > MaxSize {
		return f, Problems{{Path: "form", Reason: fmt.Sprintf("is larger than %d bytes", MaxSize)}}
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return f, Problems{{Path: "form", Reason: "is not YAML or JSON: " + err.Error()}}
	}
	if err := decodeStrict(js, &f); err != nil {
		var p Problems
		if errors.As(err, &p) {
			for i := range p {
				p[i].Path = strings.TrimSuffix("form."+p[i].Path, ".")
			}
		}
		return f, err
	}
	return f, nil
}

func decodeStrict(js []byte, v any) error {
	if string(bytes.TrimSpace(js)) == "null" {
		return Problems{{Path: "", Reason: "is empty"}}
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(new(any)) != io.EOF {
			return Problems{{Path: "", Reason: "holds more than one document"}}
		}
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return Problems{{Path: typeErr.Field, Reason: fmt.Sprintf("must be %s, not %s", typeName(typeErr.Type.String()), typeErr.Value)}}
	}
	var timeErr *time.ParseError
	if errors.As(err, &timeErr) {
		return Problems{{Path: "rounds", Reason: "dates must be like 2027-04-01T00:00:00+01:00: " + timeErr.Error()}}
	}
	msg := err.Error()
	if field, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return Problems{{Path: strings.Trim(field, `"`), Reason: "is not a field of a scheme definition (see docs/schemes.md)"}}
	}
	return Problems{{Path: "", Reason: strings.TrimPrefix(msg, "json: ")}}
}

func typeName(t string) string {
	switch {
	case strings.HasPrefix(t, "int"), t == "money.Pence":
		return "a whole number"
	case t == "string", t == "scheme.Kind", t == "scheme.Role", t == "questions.Kind":
		return "text"
	case t == "bool":
		return "true or false"
	case strings.HasPrefix(t, "[]"):
		return "a list"
	}
	return "an object"
}

// Validate finds everything wrong with a definition, each problem named by its path.
func (d Definition) Validate() Problems {
	var p Problems
	add := func(path, reason string) { p = append(p, questions.Flaw{Path: path, Reason: reason}) }
	if !validSlug(d.Slug) {
		add("slug", "must be lower-case letters, digits and hyphens, like grassroots or commissioned-services")
	}
	if strings.TrimSpace(d.Name) == "" {
		add("name", "is required")
	}
	if d.Rules.Version != 0 {
		add("rules.version", "is numbered by Grantflow: leave it out")
	}
	if err := d.Rules.Validate(); err != nil {
		add("rules", err.Error())
	}
	p = append(p, FormProblems(d.Rules, d.Form, "form")...)
	for i, r := range d.Rounds {
		rp := fmt.Sprintf("rounds[%d]", i)
		if strings.TrimSpace(r.Name) == "" {
			add(rp+".name", "is required")
		}
		if r.OpensAt.IsZero() || r.ClosesAt.IsZero() {
			add(rp, "opens_at and closes_at are required")
		} else if !r.ClosesAt.After(r.OpensAt) {
			add(rp+".closes_at", "must be after opens_at")
		}
	}
	seen := map[int]bool{}
	for i, b := range d.Budgets {
		bp := fmt.Sprintf("budgets[%d]", i)
		if b.FinancialYear < 2000 || b.FinancialYear > 2100 {
			add(bp+".financial_year", "must be the year the financial year starts, like 2026 for 2026-27")
		}
		if seen[b.FinancialYear] {
			add(bp+".financial_year", "is given twice")
		}
		seen[b.FinancialYear] = true
		if b.Amount < 0 {
			add(bp+".amount_pence", "cannot be negative")
		}
	}
	return p
}

// FormProblems checks a form for a scheme with these rules: the form itself (questions.Validate)
// and that every criterion's questions are questions of the form.
func FormProblems(r scheme.Rules, f questions.Form, prefix string) Problems {
	p := Problems(questions.Validate(f, r.Kind, prefix))
	for i, c := range r.Criteria {
		for j, id := range c.Questions {
			if _, _, ok := f.Question(id); !ok {
				p = append(p, questions.Flaw{Path: fmt.Sprintf("rules.criteria[%d].questions[%d]", i, j),
					Reason: fmt.Sprintf("%q is not a question of the scheme's form", id)})
			}
		}
	}
	return p
}

func validSlug(s string) bool {
	if s == "" || len(s) > 60 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// Result is what an import did.
type Result struct {
	Scheme       store.Scheme
	Created      bool
	Updated      bool
	RulesVersion int // the rules' version now
	RulesChanged bool
	FormVersion  int
	FormChanged  bool
	RoundsOpened []string
	BudgetsSet   []int
	Unchanged    bool
}

// Import validates a definition completely and, only when nothing is wrong, creates or updates
// its scheme with rules and form in one transaction as by (each change in the audit trail), then
// opens its rounds not yet open and sets its budgets. Importing it again changes nothing.
func Import(ctx context.Context, st *store.Store, d Definition, by store.Actor, at time.Time, why string) (Result, error) {
	if p := d.Validate(); len(p) > 0 {
		return Result{}, p
	}
	form, err := json.Marshal(d.Form)
	if err != nil {
		return Result{}, err
	}
	if why == "" {
		why = "Imported from a scheme definition"
	}
	imp, err := st.ImportScheme(ctx, store.Scheme{Slug: d.Slug, Name: d.Name, Description: d.Description, Rules: d.Rules}, form, by, at, why)
	if err != nil {
		return Result{}, fmt.Errorf("import scheme %s: %w", d.Slug, err)
	}
	res := Result{Scheme: imp.Scheme, Created: imp.Created, Updated: imp.Updated, RulesVersion: imp.Scheme.Rules.Version,
		RulesChanged: !imp.Created && imp.Scheme.Rules.Version != imp.RulesBefore, FormVersion: imp.Form.Version, FormChanged: imp.FormSaved}
	if len(d.Rounds) > 0 {
		existing, err := st.Rounds(ctx, imp.Scheme.ID)
		if err != nil {
			return res, err
		}
		for _, r := range d.Rounds {
			if slices.ContainsFunc(existing, func(e store.Round) bool { return e.Name == r.Name }) {
				continue
			}
			if _, err := st.AddRound(ctx, store.Round{SchemeID: imp.Scheme.ID, Name: r.Name, OpensAt: r.OpensAt, ClosesAt: r.ClosesAt}); err != nil {
				return res, fmt.Errorf("import scheme %s: round %s: %w", d.Slug, r.Name, err)
			}
			res.RoundsOpened = append(res.RoundsOpened, r.Name)
		}
	}
	for _, b := range d.Budgets {
		got, err := st.Budget(ctx, imp.Scheme.ID, b.FinancialYear)
		if err == nil && got.BudgetPence == b.Amount {
			continue
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return res, err
		}
		if err := st.SetBudget(ctx, imp.Scheme.ID, b.FinancialYear, b.Amount); err != nil {
			return res, fmt.Errorf("import scheme %s: budget %s: %w", d.Slug, scheme.FinancialYearLabel(b.FinancialYear), err)
		}
		res.BudgetsSet = append(res.BudgetsSet, b.FinancialYear)
	}
	res.Unchanged = !res.Created && !res.Updated && !res.RulesChanged && !res.FormChanged && len(res.RoundsOpened) == 0 && len(res.BudgetsSet) == 0
	return res, nil
}

// Example reads one of the embedded example definitions (schemes.Grassroots, schemes.Service).
func Example(name string) (Definition, error) {
	data, err := schemes.Files.ReadFile(name)
	if err != nil {
		return Definition{}, err
	}
	d, err := Parse(data)
	if err != nil {
		return Definition{}, fmt.Errorf("example %s: %w", name, err)
	}
	return d, nil
}

// DefaultForm is the form of a scheme of the kind whose own form has never been saved: the
// example scheme's of that kind.
func DefaultForm(k scheme.Kind) questions.Form {
	name := schemes.Grassroots
	if k == scheme.Service {
		name = schemes.Service
	}
	d, err := Example(name)
	if err != nil { // the examples are embedded and tested: this is a build defect
		panic(err)
	}
	return d.Form
}

// FormOf is the form an application to the scheme in the round answers now, with its options
// from the scheme's current rules: the round's own form, else the scheme's, else its kind's
// default. roundID 0 asks for the scheme's own.
func FormOf(ctx context.Context, st *store.Store, sc store.Scheme, roundID int64) (questions.Form, error) {
	f, _, err := StoredForm(ctx, st, sc, roundID)
	if err != nil {
		return questions.Form{}, err
	}
	return f.Resolve(sc.Rules), nil
}

// StoredForm is the form definition as saved (options_from unresolved) and its version (0 for
// the kind's default).
func StoredForm(ctx context.Context, st *store.Store, sc store.Scheme, roundID int64) (questions.Form, int, error) {
	saved, err := st.SchemeForm(ctx, sc.ID, roundID)
	if errors.Is(err, store.ErrNotFound) {
		return DefaultForm(sc.Kind), 0, nil
	}
	if err != nil {
		return questions.Form{}, 0, err
	}
	var f questions.Form
	if err := json.Unmarshal(saved.Definition, &f); err != nil {
		return questions.Form{}, 0, fmt.Errorf("scheme %d form version %d: %w", sc.ID, saved.Version, err)
	}
	return f, saved.Version, nil
}
