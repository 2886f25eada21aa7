package scheme

import (
	"fmt"
	"slices"
	"strings"
)

// Change is one rule that differs between two versions, in words: "Maximum amount: £5,000.00 →
// £6,000.00", "Areas: added Rutland (E06000017)".
type Change struct {
	Field string `json:"field"` // the rule's JSON name
	Label string `json:"label"`
	Text  string `json:"text"` // the whole sentence, label first
}

// Differences lists, rule by rule in the editor's order, what changed from old to new. The
// version number itself is not a rule.
func Differences(old, new Rules) []Change {
	var out []Change
	for _, f := range Fields {
		var parts []string
		switch f.Kind {
		case FieldText, FieldMoney, FieldNumber, FieldKindChoice:
			if a, b := f.Words(old), f.Words(new); a != b {
				parts = append(parts, a+" → "+b)
			}
		case FieldOrganisationTypes:
			parts = listChanges(old.OrganisationTypes, new.OrganisationTypes, OrganisationTypeName)
		case FieldLines:
			parts = listChanges(stringsOf(f, old), stringsOf(f, new), nil)
		case FieldAreas:
			parts = placeChanges(old.Areas, new.Areas, old.AreaCodes, new.AreaCodes)
		case FieldWards:
			parts = placeChanges(old.Wards, new.Wards, old.WardCodes, new.WardCodes)
		case FieldCriteria:
			parts = criteriaChanges(old.Criteria, new.Criteria)
		case FieldBands:
			parts = bandChanges(old.Delegation, new.Delegation)
		}
		if len(parts) > 0 {
			out = append(out, Change{Field: f.Key, Label: f.Label, Text: f.Label + ": " + strings.Join(parts, "; ")})
		}
	}
	return out
}

func stringsOf(f Field, r Rules) []string {
	v := f.value(&r)
	out := make([]string, v.Len())
	for i := range out {
		out[i] = v.Index(i).String()
	}
	return out
}

// listChanges says what was added to and removed from a list, and whether its order changed.
func listChanges(old, new []string, name func(string) string) []string {
	if name == nil {
		name = func(s string) string { return s }
	}
	var added, removed []string
	for _, v := range new {
		if !slices.Contains(old, v) {
			added = append(added, name(v))
		}
	}
	for _, v := range old {
		if !slices.Contains(new, v) {
			removed = append(removed, name(v))
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+strings.Join(removed, ", "))
	}
	if len(parts) == 0 && !slices.Equal(old, new) {
		parts = append(parts, "order changed")
	}
	return parts
}

// placeChanges says what happened to areas or wards and their codes.
func placeChanges(old, new []string, oldCodes, newCodes map[string]string) []string {
	withCode := func(codes map[string]string) func(string) string {
		return func(name string) string {
			if c := codes[name]; c != "" {
				return name + " (" + c + ")"
			}
			return name
		}
	}
	var added, removed []string
	for _, v := range new {
		if !slices.Contains(old, v) {
			added = append(added, withCode(newCodes)(v))
		}
	}
	for _, v := range old {
		if !slices.Contains(new, v) {
			removed = append(removed, withCode(oldCodes)(v))
		}
	}
	var parts []string
	if len(added) > 0 {
		parts = append(parts, "added "+strings.Join(added, ", "))
	}
	if len(removed) > 0 {
		parts = append(parts, "removed "+strings.Join(removed, ", "))
	}
	for _, name := range new {
		if !slices.Contains(old, name) {
			continue
		}
		switch a, b := oldCodes[name], newCodes[name]; {
		case a == b:
		case a == "":
			parts = append(parts, fmt.Sprintf("%s's code set to %s", name, b))
		case b == "":
			parts = append(parts, fmt.Sprintf("%s's code %s removed", name, a))
		default:
			parts = append(parts, fmt.Sprintf("%s's code %s → %s", name, a, b))
		}
	}
	if len(parts) == 0 && !slices.Equal(old, new) {
		parts = append(parts, "order changed")
	}
	return parts
}

func criterionWords(c Criterion) string {
	s := fmt.Sprintf("%s (%d%%", c.Name, c.Weight)
	if c.Minimum > 0 {
		s += fmt.Sprintf(", minimum %d", c.Minimum)
	}
	return s + ")"
}

func criteriaChanges(old, new []Criterion) []string {
	byKey := func(list []Criterion, key string) (Criterion, bool) {
		i := slices.IndexFunc(list, func(c Criterion) bool { return c.Key == key })
		if i < 0 {
			return Criterion{}, false
		}
		return list[i], true
	}
	var parts []string
	for _, c := range new {
		was, ok := byKey(old, c.Key)
		if !ok {
			parts = append(parts, "added "+criterionWords(c))
			continue
		}
		if was.Name != c.Name {
			parts = append(parts, fmt.Sprintf("%s renamed %s", was.Name, c.Name))
		}
		if was.Weight != c.Weight {
			parts = append(parts, fmt.Sprintf("%s weight %d%% → %d%%", c.Name, was.Weight, c.Weight))
		}
		if was.Minimum != c.Minimum {
			parts = append(parts, fmt.Sprintf("%s minimum %d → %d", c.Name, was.Minimum, c.Minimum))
		}
		if !slices.Equal(was.Questions, c.Questions) {
			parts = append(parts, fmt.Sprintf("%s questions to read %s → %s", c.Name, listWords(was.Questions), listWords(c.Questions)))
		}
	}
	for _, c := range old {
		if _, ok := byKey(new, c.Key); !ok {
			parts = append(parts, "removed "+criterionWords(c))
		}
	}
	if len(parts) == 0 && !slices.EqualFunc(old, new, func(a, b Criterion) bool { return a.Key == b.Key }) {
		parts = append(parts, "order changed")
	}
	return parts
}

func bandWords(b Band) string {
	limit := "no limit"
	if b.UpTo > 0 {
		limit = "up to " + b.UpTo.String()
	}
	title := b.Title
	if title == "" {
		title = b.Role.Title()
	}
	return fmt.Sprintf("%s (%s), %s", title, b.Role.Noun(), limit)
}

func bandChanges(old, new []Band) []string {
	var parts []string
	for i := range max(len(old), len(new)) {
		switch {
		case i >= len(old):
			parts = append(parts, fmt.Sprintf("added band %d: %s", i+1, bandWords(new[i])))
		case i >= len(new):
			parts = append(parts, fmt.Sprintf("removed band %d: %s", i+1, bandWords(old[i])))
		case old[i] != new[i]:
			parts = append(parts, fmt.Sprintf("band %d: %s → %s", i+1, bandWords(old[i]), bandWords(new[i])))
		}
	}
	return parts
}

func listWords(l []string) string {
	if len(l) == 0 {
		return "none"
	}
	return strings.Join(l, ", ")
}
