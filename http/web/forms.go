package web

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
)

// form is what a person sent and what is wrong with it, in the order the fields appear, so the
// error summary and the fields say the same things.
type form struct {
	values url.Values
	errors []fieldError
}

// fieldError is one problem: the field's name, the id of the element the summary links to, and
// the message.
type fieldError struct {
	Name    string
	Href    string
	Message string
}

// readForm takes the posted fields (parsed and size-limited by verifyCSRF). Text that is not valid
// UTF-8 is refused against its field, as the JSON API refuses it: it would otherwise be stored (and
// published) as something other than what was sent. Every handler shows the form's problems before
// taking a step; the text is kept mended only to be shown back on the form.
func readForm(c *gin.Context) *form {
	f := &form{values: url.Values{}}
	for _, k := range slices.Sorted(maps.Keys(c.Request.PostForm)) {
		if k == csrfField {
			continue
		}
		for _, s := range c.Request.PostForm[k] {
			if !utf8.ValidString(k) || !utf8.ValidString(s) {
				name := strings.ToValidUTF8(k, "\uFFFD")
				f.addAt(dateOf(name), htmlID(name), "This contains characters that could not be read (it is not valid UTF-8): type it again")
			}
			f.values.Add(strings.ToValidUTF8(k, "\uFFFD"), strings.ToValidUTF8(s, "\uFFFD"))
		}
	}
	return f
}

// add records a problem with a field; the first problem of each field is the one shown.
func (f *form) add(name, message string) { f.addAt(name, htmlID(name), message) }

// addAt records a problem whose summary link goes to a particular element (the day of a date).
func (f *form) addAt(name, href, message string) {
	if f.Error(name) != "" {
		return
	}
	f.errors = append(f.errors, fieldError{Name: name, Href: href, Message: message})
}

// Value is the trimmed text of a field.
func (f *form) Value(name string) string { return strings.TrimSpace(f.values.Get(name)) }

// Raw is the text of a field as sent (passwords).
func (f *form) Raw(name string) string { return f.values.Get(name) }

// List is every value of a field (checkboxes), trimmed, blanks dropped.
func (f *form) List(name string) []string {
	var out []string
	for _, v := range f.values[name] {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// Has reports whether a checkbox or radio of that value was chosen.
func (f *form) Has(name, value string) bool {
	for _, v := range f.values[name] {
		if strings.TrimSpace(v) == value {
			return true
		}
	}
	return false
}

// Error is the message for a field, or "".
func (f *form) Error(name string) string {
	for _, e := range f.errors {
		if e.Name == name {
			return e.Message
		}
	}
	return ""
}

// Errors are the problems in the order they were found (the order of the form).
func (f *form) Errors() []fieldError { return f.errors }

func (f *form) invalid() bool { return len(f.errors) > 0 }

// noNUL refuses text holding a NUL character in the given fields, as the JSON API does: PostgreSQL
// cannot store it. It reports whether any was found.
func (f *form) noNUL(labels map[string]string, names ...string) bool {
	found := false
	for _, n := range names {
		for _, v := range f.values[n] {
			if strings.ContainsRune(v, 0) {
				f.add(n, labels[n]+" must not contain a NUL character (\\u0000)")
				found = true
				break
			}
		}
	}
	return found
}

// htmlID turns a field name into the id of its element: "organisation.charity_number" →
// "organisation-charity-number".
func htmlID(name string) string { return strings.NewReplacer(".", "-", "_", "-").Replace(name) }

// fieldView is one text input, textarea or group of radios or checkboxes as a template draws it.
type fieldView struct {
	Name, ID, Label, Hint, Error, Value string
	Type, Autocomplete, Class, Prefix   string
	InputMode                           string
	Rows                                int
	NoSpellcheck                        bool
	Items                               []itemView
	Multiple                            bool // checkboxes rather than radios
	LegendClass                         string
	Context                             string // visually hidden words after the label: " for GCF-2026-0012"
}

// DescribedBy lists the ids of the hint and the error message, for aria-describedby.
func (v fieldView) DescribedBy() string {
	var ids []string
	if v.Hint != "" {
		ids = append(ids, v.ID+"-hint")
	}
	if v.Error != "" {
		ids = append(ids, v.ID+"-error")
	}
	return strings.Join(ids, " ")
}

// templateOptions reads a template function's "key=value" options into the strings named by key;
// any other key is a defect of the template, which the tests' pages find at once.
func templateOptions(what string, opts []string, into map[string]*string) {
	for _, o := range opts {
		k, val, _ := strings.Cut(o, "=")
		to, ok := into[k]
		if !ok {
			panic(fmt.Sprintf("%s: unknown option %q", what, o))
		}
		*to = val
	}
}

// option is one radio or checkbox.
type option struct {
	Value, Label, Hint string
}

type itemView struct {
	ID, Value, Label, Hint string
	Checked                bool
}

// fieldFor builds a text input's view from the page's form. Options are "key=value" strings:
// hint, type, autocomplete, class, prefix, inputmode, rows, spellcheck=false, legend (its class)
// and context (words only a screen reader reads after the label, telling apart fields that share
// one, as on a page of several payments).
func fieldFor(p page, name, label string, opts ...string) fieldView {
	v := fieldView{Name: name, ID: htmlID(name), Label: label, Type: "text"}
	var rows, spellcheck string
	templateOptions("field "+name, opts, map[string]*string{"hint": &v.Hint, "type": &v.Type, "autocomplete": &v.Autocomplete,
		"class": &v.Class, "prefix": &v.Prefix, "inputmode": &v.InputMode, "rows": &rows, "spellcheck": &spellcheck,
		"legend": &v.LegendClass, "context": &v.Context})
	v.Rows, _ = strconv.Atoi(rows)
	v.NoSpellcheck = spellcheck == "false"
	if p.Form != nil {
		v.Error = p.Form.Error(name)
		if v.Type != "password" { // a password is never sent back
			v.Value = p.Form.Value(name)
		}
	}
	return v
}

// choicesFor builds a group of radios (or checkboxes with "multiple=true").
func choicesFor(p page, name, legend string, items []option, opts ...string) fieldView {
	var rest []string
	multiple := false
	for _, o := range opts {
		if o == "multiple=true" {
			multiple = true
		} else {
			rest = append(rest, o)
		}
	}
	v := fieldFor(p, name, legend, rest...)
	v.Multiple = multiple
	for i, it := range items {
		id := v.ID
		if i > 0 {
			id = fmt.Sprintf("%s-%d", v.ID, i+1)
		}
		v.Items = append(v.Items, itemView{ID: id, Value: it.Value, Label: it.Label, Hint: it.Hint, Checked: p.Form != nil && p.Form.Has(name, it.Value)})
	}
	return v
}

// dateView is a GOV.UK date input: day, month and year fields named name-day and so on.
type dateView struct {
	Name, ID, Legend, Hint, Error string
	Day, Month, Year              string
	Context                       string // as fieldView's, after the legend
}

// dateFor builds a date input's view; its one option is "context=…", as fieldFor's.
func dateFor(p page, name, legend, hint string, opts ...string) dateView {
	v := dateView{Name: name, ID: htmlID(name), Legend: legend, Hint: hint}
	templateOptions("date "+name, opts, map[string]*string{"context": &v.Context})
	if p.Form != nil {
		v.Error = p.Form.Error(name)
		v.Day, v.Month, v.Year = p.Form.Value(name+"-day"), p.Form.Value(name+"-month"), p.Form.Value(name+"-year")
	}
	return v
}

// Or fills the date input with t unless the form was the one sent, whose values it keeps.
func (v dateView) Or(sent bool, t time.Time) dateView {
	if !sent && !t.IsZero() {
		v.Day, v.Month, v.Year = strconv.Itoa(t.Day()), strconv.Itoa(int(t.Month())), strconv.Itoa(t.Year())
	}
	return v
}

// date reads a GOV.UK date input, recording what is wrong with it in the words the Design System
// suggests. what names the date in messages: "the date the project starts".
func (f *form) date(name, what string) (time.Time, bool) {
	parts := []string{"day", "month", "year"}
	var missing []string
	nums := map[string]int{}
	for _, p := range parts {
		v := f.Value(name + "-" + p)
		if v == "" {
			missing = append(missing, p)
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			nums[p] = -1
			continue
		}
		nums[p] = n
	}
	href := htmlID(name) + "-day"
	switch {
	case len(missing) == 3:
		f.addAt(name, href, "Enter "+what)
		return time.Time{}, false
	case len(missing) > 0:
		f.addAt(name, htmlID(name)+"-"+missing[0], upperFirst(what)+" must include a "+strings.Join(missing, " and a "))
		return time.Time{}, false
	}
	d, m, y := nums["day"], nums["month"], nums["year"]
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if d < 1 || m < 1 || m > 12 || y < 1000 || y > 9999 || t.Day() != d || int(t.Month()) != m {
		f.addAt(name, href, upperFirst(what)+" must be a real date")
		return time.Time{}, false
	}
	return t, true
}

// dateOf is the name of the date a part of a date input belongs to ("project-start" for
// "project-start-day"), where its problems are shown; other names are their own.
func dateOf(name string) string {
	for _, part := range []string{"-day", "-month", "-year"} {
		if base, ok := strings.CutSuffix(name, part); ok {
			return base
		}
	}
	return name
}

// upperFirst capitalises the first letter, whole: a message may start with "£".
func upperFirst(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
