package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"grantflow/internal/demo"
)

// The registration page and POST /api/v1/registrations refuse the same answers, naming the same
// fields with the same reasons.
func TestRegistrationRefusesWhatTheAPIRefuses(t *testing.T) {
	s := newSite(t)
	b := s.browser()
	type answers struct {
		name, orgType, charity, company, address, postcode, person, email, password string
	}
	cases := map[string]answers{
		"nothing":                  {},
		"charity without a number": {"Canal Friends", "registered_charity", "", "", "1 Lock Lane", "LE2 7AA", "Ann Example", "ann@canal.example.org", "a long enough password"},
		"CIO without a number":     {"Canal Friends", "cio", " ", "", "1 Lock Lane", "LE2 7AA", "Ann Example", "ann@canal.example.org", "a long enough password"},
		"CIC without a number":     {"Canal Friends", "cic", "", "", "1 Lock Lane", "LE2 7AA", "Ann Example", "ann@canal.example.org", "a long enough password"},
		"unknown type, too long": {strings.Repeat("n", 201), "charity", strings.Repeat("1", 51), strings.Repeat("2", 51), strings.Repeat("a", 501),
			strings.Repeat("P", 21), strings.Repeat("p", 201), "Ann <ann@canal.example.org>", strings.Repeat("x", 73)},
		"blank text":         {"   ", "community_group", "", "", "  ", " ", " ", " ann@canal.example.org", "         9"},
		"a NUL":              {"Canal Friends", "community_group", "", "", "1 Lock Lane", "LE2 7AA", "Ann\x00Example", "ann@canal.example.org", "a long enough password"},
		"address with NULs":  {"Canal Friends", "community_group", "", "", "1 Lock\x00Lane", "LE2\x007AA", "Ann Example", "ann@canal.example.org", "a long enough password"},
		"already registered": {"Riverside Again", "community_group", "", "", "1 Lock Lane", "LE2 7AA", "Ann Example", demo.Accounts[0].Email, "a long enough password"},
	}
	for name, a := range cases {
		t.Run(name, func(t *testing.T) {
			status, body := s.api(http.MethodPost, "/api/v1/registrations", "", map[string]any{
				"organisation": map[string]string{"name": a.name, "type": a.orgType, "charity_number": a.charity, "company_number": a.company, "address": a.address, "postcode": a.postcode},
				"user":         map[string]string{"name": a.person, "email": a.email, "password": a.password},
			})
			if status != http.StatusUnprocessableEntity {
				t.Fatalf("the API answered %d: %v", status, body)
			}
			fields := body["error"].(map[string]any)["fields"].(map[string]any)
			page := b.fill("/register", "/register", url.Values{
				"organisation.name": {a.name}, "organisation.type": {a.orgType}, "organisation.charity_number": {a.charity},
				"organisation.company_number": {a.company}, "organisation.address": {a.address}, "organisation.postcode": {a.postcode},
				"user.name": {a.person}, "user.email": {a.email}, "user.password": {a.password}})
			page.mustBe(t, http.StatusUnprocessableEntity, "/register")
			checkMarkup(t, page)
			var want, got []string
			for f, reason := range fields {
				want = append(want, "#"+strings.NewReplacer(".", "-", "_", "-").Replace(f)+" … "+reason.(string))
			}
			for _, item := range page.summary() {
				found := false
				for f, reason := range fields {
					r := reason.(string)
					if item.Href == "#"+strings.NewReplacer(".", "-", "_", "-").Replace(f) && strings.HasSuffix(strings.ToLower(item.Message), strings.ToLower(r)) {
						got, found = append(got, item.Href+" … "+r), true
					}
				}
				if !found {
					got = append(got, fmt.Sprintf("%s … %s (not the API's)", item.Href, item.Message))
				}
			}
			sort.Strings(want)
			sort.Strings(got)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("the page and the API disagree.\npage:\n%s\nAPI:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
