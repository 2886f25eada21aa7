package web

import (
	"sort"
	"strings"

	"grantflow/http/httperr"
)

// The one way a page puts the JSON API's refusal back on its form. The API names the fields it
// refuses in its own terms ("years[1].amount_pence", "service.outcomes[0].indicators[2].name");
// each form lists fieldRules that tie those names to its own fields and the words that name them,
// and form.refused puts every reason against the field it belongs to, in the error summary and on
// the field, in the order of the form.

// fieldRule ties the API's name for a field to the form's: "conditions" also covers
// "conditions[2]", and "years[1]" covers "years[1].amount_pence", the most specific rule winning.
// A form whose API indexes lists (the i-th indicator sent, the i-th year) lists a rule per index.
type fieldRule struct {
	api   string            // the API's name for the field
	page  string            // the form's field
	href  string            // the element the summary links to; "" is the field itself
	label string            // names the field in messages: "The amount to award"
	says  map[string]string // the form's own words for some of the API's reasons ("is required")
}

func on(api, page, label string) fieldRule { return fieldRule{api: api, page: page, label: label} }

// onDate is a rule for a date input, whose summary link goes to its day.
func onDate(api, page, label string) fieldRule {
	return fieldRule{api: api, page: page, href: htmlID(page) + "-day", label: label}
}

// saying gives the form's own words for one of the API's reasons: "Enter a project title" rather
// than "Project title is required".
func (r fieldRule) saying(reason, message string) fieldRule {
	says := map[string]string{reason: message}
	for k, v := range r.says {
		if k != reason {
			says[k] = v
		}
	}
	r.says = says
	return r
}

// missing is what the form says when the API finds the field empty.
func (r fieldRule) missing(message string) fieldRule { return r.saying("is required", message) }

// covers reports whether the rule is for the API's field k.
func (r fieldRule) covers(k string) bool {
	return k == r.api || strings.HasPrefix(k, r.api+"[") || strings.HasPrefix(k, r.api+".")
}

// message is what the form says of the API's reason for this field.
func (r fieldRule) message(reason string) string {
	if m, ok := r.says[reason]; ok {
		return m
	}
	return refusalMessage(r.label, reason)
}

// refusalMessage writes the API's reason as a sentence naming the field in the form's words: a
// reason that reads on from the field's name follows it ("Postcode is required", "Payment
// reference must be at most 100 characters", "The date the payment was made cannot be in the
// future"); any other follows a colon ("Amount spent: £5,000.00 is more than the £4,250.00 paid").
// With no label, the reason is already a sentence about the field and stands alone.
func refusalMessage(label, reason string) string {
	if label == "" { // a reason written as a whole sentence naming its field ("enter the sort code")
		return upperFirst(reason)
	}
	for _, verb := range []string{"is ", "must ", "cannot "} {
		if strings.HasPrefix(reason, verb) {
			return label + " " + reason
		}
	}
	return label + ": " + reason
}

// refused puts the API's refusal of fields on the form: each field the API names goes on the
// field of the rule most specific to it, and one the form lacks on the form's first field, in the
// form's words (never the API's name for it). The problems are listed in the order of the rules,
// which is the order of the form. It reports false, putting nothing on the form, when the API
// named none of the form's fields: then the refusal is about the step, not what was typed, and
// the caller says so on a page of its own (refusalLines).
func (f *form) refused(he *httperr.Error, rules []fieldRule) bool {
	if len(rules) == 0 || len(he.Fields) == 0 {
		return false
	}
	byRule := make([][]string, len(rules))
	matched := false
	for _, k := range sortedFields(he) {
		best := -1
		for i, r := range rules {
			if r.covers(k) && (best < 0 || len(r.api) > len(rules[best].api)) {
				best = i
			}
		}
		if best >= 0 {
			matched = true
		} else {
			best = 0 // a field this form does not have: shown on its first, rather than lost
		}
		byRule[best] = append(byRule[best], k)
	}
	if !matched {
		return false
	}
	for i, r := range rules {
		href := r.href
		if href == "" {
			href = htmlID(r.page)
		}
		for _, k := range byRule[i] {
			f.addAt(r.page, href, r.message(he.Fields[k]))
		}
	}
	return true
}

// refusalLines say why a step was refused, for a page of its own: each reason the API gave,
// without the API's names for fields, or its message when it named none.
func refusalLines(he *httperr.Error) []string {
	if len(he.Fields) == 0 {
		return []string{upperFirst(he.Message) + "."}
	}
	var out []string
	for _, k := range sortedFields(he) {
		out = append(out, upperFirst(he.Fields[k])+".")
	}
	return out
}

func sortedFields(he *httperr.Error) []string {
	keys := make([]string, 0, len(he.Fields))
	for k := range he.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
