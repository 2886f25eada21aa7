package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/money"
	"grantflow/store"
	"grantflow/workflows"
)

// pageLinks are the pagination component's links, by their text ("1", "Next page", ...).
func pageLinks(r response) map[string]string {
	out := map[string]string{}
	for _, nav := range findAll(r.Doc, hasClass("govuk-pagination")) {
		for _, a := range findAll(nav, func(n *html.Node) bool { return n.Data == "a" }) {
			out[strings.Join(strings.Fields(textOf(a)), " ")] = attr(a, "href")
		}
	}
	return out
}

// selected is the value of the option chosen in a select.
func selected(t *testing.T, r response, id string) string {
	t.Helper()
	sel := byID(r.Doc, id)
	if sel == nil {
		t.Fatalf("%s: no select %q", r.Path, id)
	}
	for _, o := range findAll(sel, func(n *html.Node) bool { return n.Data == "option" && hasAttr(n, "selected") }) {
		return attr(o, "value")
	}
	return ""
}

func TestFindApplications(t *testing.T) {
	s := newSite(t)
	st := s.Store
	officer := signInAs(t, s, "officer@opcc.example.org")

	empty := officer.get("/staff/applications")
	empty.mustBe(t, http.StatusOK, "/staff/applications")
	checkMarkup(t, empty)
	empty.mustContain(t, "Find an application", "There are no applications yet.")
	if n := byID(empty.Doc, "navigation"); n == nil || !strings.Contains(textOf(n), "Find an application") {
		t.Error("staff navigation does not link to the search")
	}

	now := time.Now()
	for i := range store.DefaultPageSize + 1 {
		submitted(t, st, "grassroots", fmt.Sprintf("Closed project %02d", i+1), money.Pounds(1000), workflows.StageClosed, now.AddDate(0, 0, -30))
	}
	offered := submitted(t, st, "grassroots", "100% safer underpass", money.Pounds(2500), workflows.StageOffered, now.AddDate(0, 0, -2))

	all := officer.get("/staff/applications")
	checkMarkup(t, all)
	all.mustContain(t, "Showing 1 to 50 of 52 applications", "100% safer underpass", "Offer made")
	links := pageLinks(all)
	if !strings.HasPrefix(links["Next page"], "/staff/applications?after=") || links["Previous page"] != "" {
		t.Errorf("page 1's pagination links %v", links)
	}
	second := officer.get(links["Next page"])
	second.mustContain(t, "Showing 51 to 52 of 52 applications", "Closed project 01")
	if links := pageLinks(second); !strings.HasPrefix(links["Previous page"], "/staff/applications?before=") || links["Next page"] != "" {
		t.Errorf("page 2's pagination links %v", links)
	} else if back := officer.get(links["Previous page"]); !strings.Contains(back.text(), "100% safer underpass") || strings.Contains(back.text(), "Closed project 01") {
		t.Errorf("back to page 1:\n%s", back.text())
	}

	// The text matches literally: "100%" finds the one title with it, not every title.
	literal := officer.get("/staff/applications?q=" + url.QueryEscape("100%"))
	literal.mustContain(t, "1 application", "100% safer underpass")
	literal.mustNotContain(t, "Showing", "1 applications")
	literal.mustNotContain(t, "Closed project")
	if v := attr(byID(literal.Doc, "q"), "value"); v != "100%" {
		t.Errorf("the search box holds %q, want 100%%", v)
	}

	// Filters are kept in the form and in the pagination links.
	grass := schemeID(t, st, "grassroots")
	q := url.Values{"scheme": {fmt.Sprint(grass)}, "stage": {"closed"}}
	filtered := officer.get("/staff/applications?" + q.Encode())
	checkMarkup(t, filtered)
	filtered.mustContain(t, "Showing 1 to 50 of 51 applications")
	filtered.mustNotContain(t, "100% safer underpass")
	if selected(t, filtered, "scheme") != fmt.Sprint(grass) || selected(t, filtered, "stage") != "closed" || selected(t, filtered, "year") != "" {
		t.Errorf("the form does not keep the filters: scheme %q, stage %q", selected(t, filtered, "scheme"), selected(t, filtered, "stage"))
	}
	next, _ := url.Parse(pageLinks(filtered)["Next page"])
	if next == nil || next.Query().Get("scheme") != q.Get("scheme") || next.Query().Get("stage") != "closed" || next.Query().Get("after") == "" {
		t.Errorf("next page %q, want the filters kept: %v", pageLinks(filtered)["Next page"], q.Encode())
	}
	if last := officer.get(next.String()); !strings.Contains(last.text(), "Closed project 01") || strings.Contains(last.text(), "Closed project 51") {
		t.Errorf("the second page of closed applications:\n%s", last.text())
	}

	// The reference the applicant quotes finds it, and each row shows it.
	byRef := officer.get("/staff/applications?q=" + url.QueryEscape(fmt.Sprintf("app-%06d", offered)))
	byRef.mustContain(t, "1 application", "100% safer underpass", fmt.Sprintf("APP-%06d", offered))
	// A reference is matched whole, however it is typed (without the zeros, or its six digits
	// alone); part of one finds nothing, and the page says to enter the whole reference.
	for _, whole := range []string{fmt.Sprintf("APP-%d", offered), fmt.Sprintf("app%06d", offered), fmt.Sprintf("%06d", offered)} {
		r := officer.get("/staff/applications?q=" + url.QueryEscape(whole))
		r.mustContain(t, "1 application", "100% safer underpass")
		r.mustNotContain(t, "Closed project")
	}
	for _, part := range []string{"APP-00", fmt.Sprintf("APP-%06d", offered)[:8], "0000"} {
		r := officer.get("/staff/applications?q=" + url.QueryEscape(part))
		r.mustContain(t, "No applications match your search.", "enter the whole reference, like APP-000123")
	}
	officer.get("/staff/applications?q=nothing").mustNotContain(t, "enter the whole reference")

	none := officer.get("/staff/applications?q=nothing+like+this")
	none.mustContain(t, "No applications match your search.")
	if byID(none.Doc, "results-count") != nil {
		t.Error("an empty result still shows a count")
	}

	// A bad filter is named in the error summary and beside its field; nothing is listed.
	for _, c := range []struct{ query, href, message string }{
		{"stage=bogus", "#stage", "Select a stage from the list"},
		{"scheme=abc", "#scheme", "Select a fund from the list"},
		{"round=99999", "#round", "Select a funding round from the list"},
		{"year=26", "#year", "Select a financial year from the list"},
		{"q=%00", "#q", "Search terms must be ordinary text"},
	} {
		bad := officer.get("/staff/applications?" + c.query)
		if bad.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", c.query, bad.Status)
		}
		checkMarkup(t, bad)
		if got := bad.summary(); !slices.Equal(got, []summaryItem{{Href: c.href, Message: c.message}}) {
			t.Errorf("%s: error summary %+v, want %s %q", c.query, got, c.href, c.message)
		}
		bad.mustNotContain(t, "100% safer underpass")
	}
	// A cursor that is not one of ours (a hand-edited address) shows the first page, not an error.
	for _, query := range []string{"after=forged", "before=%00", "after=" + strings.Repeat("x", 300)} {
		if p := officer.get("/staff/applications?" + query); p.Status != http.StatusOK || !strings.Contains(p.text(), "Showing 1 to 50 of 52 applications") {
			t.Errorf("%s: status %d, want the first page", query, p.Status)
		}
	}
	if p := officer.get(fmt.Sprintf("/staff/applications?q=%d", offered)); p.Status != http.StatusOK {
		t.Errorf("a number as text: %d", p.Status)
	}
}
