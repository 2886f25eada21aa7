package apiv1

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/mail"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"grantflow/http/httperr"
	"grantflow/money"
)

// jsonFieldError names the field behind a JSON type error, when there is one.
func jsonFieldError(err error) (field, reason string, ok bool) {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return typeErr.Field, "must be " + jsonKind(typeErr.Type.Kind().String()), true
	}
	return "", "", false
}

// notObject reports a body that is JSON but not an object (an array, a string, a number).
func notObject(err error) bool {
	var typeErr *json.UnmarshalTypeError
	return errors.As(err, &typeErr) && typeErr.Field == ""
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"):
		return "a whole number"
	case strings.HasPrefix(k, "float"):
		return "a number"
	case k == "slice":
		return "a list"
	case k == "struct", k == "map":
		return "an object"
	case k == "bool":
		return "true or false"
	}
	return "a " + k
}

// Text the server stores must be valid UTF-8 without NUL characters: PostgreSQL cannot store a NUL
// (an activity saving it would fail on every retry), and bytes that are not UTF-8 would be silently
// replaced by U+FFFD on the way in (JSON decoding does it), so what was published would not be what
// was sent. These are the reasons a request is refused for either.
const (
	reasonNUL     = "must not contain a NUL character (\\u0000)"
	reasonNotUTF8 = "must be valid UTF-8 text (it holds bytes that are not)"
)

// badText names the first text in a decoded request that cannot be stored as sent, with the reason:
// "organisation.name", "scores[2].comment". Requests decoded from JSON have had invalid UTF-8
// replaced already; bind finds that in the raw body (notUTF8Field).
func badText(v reflect.Value, path string) (field, reason string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return badText(v.Elem(), path)
		}
	case reflect.String:
		switch {
		case strings.ContainsRune(v.String(), 0):
			return path, reasonNUL
		case !utf8.ValidString(v.String()):
			return path, reasonNotUTF8
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if f, r := badText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f, r
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			sf := v.Type().Field(i)
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if !sf.IsExported() || name == "-" {
				continue
			}
			field := joinField(path, name)
			switch {
			case sf.Anonymous && name == "": // an embedded struct's fields are the request's own
				field = path
			case name == "":
				field = joinField(path, sf.Name)
			}
			if f, r := badText(v.Field(i), field); f != "" {
				return f, r
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			field := joinField(path, fmt.Sprint(k))
			if f, r := badText(k, field); f != "" {
				return f, r
			}
			if f, r := badText(v.MapIndex(k), field); f != "" {
				return f, r
			}
		}
	}
	return "", ""
}

func joinField(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// notUTF8Field names the first value in a JSON body holding bytes that are not UTF-8, by the path
// the caller wrote ("service.outcomes[0].indicators[1].name"), or "" when the body is valid UTF-8.
// A key that is not UTF-8 is named by the object holding it ("body" at the top).
func notUTF8Field(raw []byte, path string) string {
	if utf8.Valid(raw) {
		return ""
	}
	var object map[string]json.RawMessage
	if json.Unmarshal(raw, &object) == nil {
		for _, key := range slices.Sorted(maps.Keys(object)) {
			if f := notUTF8Field(object[key], joinField(path, key)); f != "" {
				return f
			}
		}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) == nil {
		for i, item := range list {
			if f := notUTF8Field(item, fmt.Sprintf("%s[%d]", path, i)); f != "" {
				return f
			}
		}
	}
	if path == "" {
		return "body"
	}
	return path
}

// refuseBadText refuses a request holding text that cannot be stored as sent, naming the first such
// field, as bind does: for methods the pages call without JSON.
func refuseBadText(req any) error {
	if f, reason := badText(reflect.ValueOf(req), ""); f != "" {
		return httperr.Field(f, reason)
	}
	return nil
}

// problems collects every field error of a request, so the caller can mend them all at once.
type problems map[string]string

func (p problems) add(field, reason string) {
	if _, seen := p[field]; !seen {
		p[field] = reason
	}
}

func (p problems) required(field, v string) {
	if strings.TrimSpace(v) == "" {
		p.add(field, "is required")
	}
}

func (p problems) maxLen(field, v string, n int) {
	if len([]rune(v)) > n {
		p.add(field, fmt.Sprintf("must be at most %d characters", n))
	}
}

// eachMaxLen checks every text of a list: "areas[3]".
func (p problems) eachMaxLen(field string, list []string, n int) {
	for i, v := range list {
		p.maxLen(fmt.Sprintf("%s[%d]", field, i), v, n)
	}
}

func (p problems) amount(field string, v money.Pence) {
	switch {
	case v <= 0:
		p.add(field, "must be more than £0.00 (in pence)")
	case v > money.Pounds(100_000_000):
		p.add(field, "is larger than any grant")
	}
}

func (p problems) email(field, v string) {
	if a, err := mail.ParseAddress(v); err != nil || a.Address != strings.TrimSpace(v) {
		p.add(field, "must be an e-mail address like name@example.org")
	}
}

// date parses "2026-05-01"; an empty string gives nil.
func (p problems) date(field, v string) *time.Time {
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		p.add(field, "must be a date like 2026-05-01")
		return nil
	}
	return &t
}

// err returns the collected problems as one 422, or nil.
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	return httperr.Fields(p)
}

// withoutEmbedded drops from a decoder's field path the names of embedded structs, whose fields
// the caller sends as the request's own: "Rules.max_amount_pence" is "max_amount_pence".
func withoutEmbedded(t reflect.Type, path string) string {
	var out []string
	for _, part := range strings.Split(path, ".") {
		for t != nil && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map) {
			t = t.Elem()
		}
		if t == nil || t.Kind() != reflect.Struct {
			t = nil
			out = append(out, part)
			continue
		}
		if sf, ok := t.FieldByName(part); ok && sf.Anonymous {
			t = sf.Type
			continue
		}
		var next reflect.Type
		for i := range t.NumField() {
			if name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); name == part {
				next = t.Field(i).Type
			}
		}
		t = next
		out = append(out, part)
	}
	return strings.Join(out, ".")
}
