package apiv1

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"grantflow/http/httperr"
	"grantflow/money"
)

// jsonFieldError names the field behind a JSON type error, when there is one.
func jsonFieldError(err error) (field, reason string, ok bool) {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return typeErr.Field, fmt.Sprintf("must be a %s", jsonKind(typeErr.Type.Kind().String())), true
	}
	return "", "", false
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "number"
	case k == "slice":
		return "list"
	case k == "struct", k == "map":
		return "object"
	case k == "bool":
		return "true or false"
	}
	return k
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
