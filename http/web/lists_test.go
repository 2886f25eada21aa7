package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// acceptedGrants makes n accepted one-off grants to the demo applicant's organisation, titled
// "Grant 01" on, decided a minute apart (the register lists them in that order), each due to be
// paid: as the workflows' activities leave them.
func acceptedGrants(t *testing.T, st *store.Store, n int) []string {
	t.Helper()
	ctx := context.Background()
	applicant, err := st.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	gcf := schemeID(t, st, "grassroots")
	rounds, err := st.Rounds(ctx, gcf)
	if err != nil {
		t.Fatal(err)
	}
	decided := time.Now().AddDate(0, -1, 0).Truncate(time.Minute)
	var refs []string
	for i := range n {
		title := fmt.Sprintf("Grant %02d", i+1)
		id, err := st.CreateDraft(ctx, applicant.Organisations[0], applicant.ID, store.Draft{SchemeID: gcf, RoundID: rounds[0].ID, Title: title})
		if err != nil {
			t.Fatal(err)
		}
		at := decided.Add(time.Duration(i) * time.Minute)
		event := func(status string) store.Event {
			return store.Event{Application: id, Key: fmt.Sprintf("lists-test-%d-%s", id, status), At: at, ActorName: "Test", ActorRole: "system", What: status, Status: status}
		}
		aw, err := st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: fmt.Sprintf("GCF-LIST-%03d", i+1), Amount: money.Pounds(1000), Purpose: title,
			Conditions: json.RawMessage("[]"), Reasons: "Reasons", ApprovedBy: officer.ID, ApprovedRole: "officer", DelegationBand: "officer",
			RulesVersion: 1, DecidedAt: at, AcceptBy: at.AddDate(0, 1, 0)}, event("approved"))
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetAwardStatus(ctx, id, "accepted", &applicant.ID, event("accepted")); err != nil {
			t.Fatal(err)
		}
		refs = append(refs, aw.Reference)
	}
	return refs
}

// walkPages follows a page's "Next" links to the end and its "Previous" links back to the start,
// returning the ids of the elements each page lists (by idPrefix) and the count each page shows.
func walkPages(t *testing.T, b *browser, first string, anchor, idPrefix, countID string) (forward, back []string, counts []string) {
	t.Helper()
	ids := func(r response) []string {
		var out []string
		for _, n := range findAll(r.Doc, func(n *html.Node) bool { return strings.HasPrefix(attr(n, "id"), idPrefix) }) {
			out = append(out, attr(n, "id"))
		}
		return out
	}
	p := b.get(first)
	for pages := 0; ; pages++ {
		if p.Status != http.StatusOK || pages > 10 {
			t.Fatalf("%s: %d after %d pages", p.Path, p.Status, pages)
		}
		checkMarkup(t, p)
		forward = append(forward, ids(p)...)
		if countID != "" {
			counts = append(counts, strings.TrimSpace(textOf(byID(p.Doc, countID))))
		}
		next := pageLinks(p)["Next page"]
		if next == "" {
			break
		}
		if anchor != "" && !strings.HasSuffix(next, "#"+anchor) {
			t.Errorf("the next page %q does not go to the list's heading #%s", next, anchor)
		}
		p = b.get(next)
	}
	var pages [][]string
	for prev := pageLinks(p)["Previous page"]; prev != ""; {
		r := b.get(prev)
		pages = append([][]string{ids(r)}, pages...)
		prev = pageLinks(r)["Previous page"]
	}
	for _, pg := range pages {
		back = append(back, pg...)
	}
	return forward, back, counts
}

func TestGrantsRegisterPagesAndSearch(t *testing.T) {
	s := newSite(t)
	refs := acceptedGrants(t, s.Store, store.DefaultPageSize+2)
	b := s.browser()
	var want []string
	for _, r := range refs {
		want = append(want, "grant-"+r)
	}
	forward, back, counts := walkPages(t, b, "/grants", "", "grant-GCF-LIST-", "grants-shown")
	if !slices.Equal(forward, want) {
		t.Errorf("the register's pages list %v, want every grant once, oldest first: %v", forward, want)
	}
	if !slices.Equal(back, want[:store.DefaultPageSize]) {
		t.Errorf("back from the last page: %v", back)
	}
	if wantCounts := []string{"Showing 1 to 50 of 52 grants", "Showing 51 to 52 of 52 grants"}; !slices.Equal(counts, wantCounts) {
		t.Errorf("the pages say %q, want %q", counts, wantCounts)
	}
	// The totals are of every grant, on every page.
	p := b.get("/grants")
	if got := strings.Join(strings.Fields(textOf(byID(p.Doc, "grants-totals"))), " "); !strings.Contains(got, "Grants 52") || !strings.Contains(got, "£52,000.00") {
		t.Errorf("the totals: %s", got)
	}

	// The search is literal and is carried to the downloads and the API.
	one := b.get("/grants?q=" + url.QueryEscape("LIST-007"))
	one.mustContain(t, "1 grant", "Grant 07")
	one.mustNotContain(t, "Grant 08", "Showing")
	if got := attr(byID(one.Doc, "download-csv"), "href"); got != "/grants.csv?q=LIST-007" {
		t.Errorf("the download of a search is %q", got)
	}
	b.get("/grants?q="+url.QueryEscape("100%")).mustContain(t, "No grants match these filters.")
	b.get("/grants?q=_").mustContain(t, "No grants match these filters.")
	bad := b.get("/grants?q=%00")
	if bad.Status != http.StatusUnprocessableEntity || !slices.Equal(bad.summary(), []summaryItem{{Href: "#q", Message: "Search terms must be ordinary text of 200 characters or fewer"}}) {
		t.Errorf("a search with a NUL: %d %+v", bad.Status, bad.summary())
	}
	// A cursor that is not one of ours shows the first page.
	if p := b.get("/grants?after=forged"); p.Status != http.StatusOK || !strings.Contains(p.text(), "Showing 1 to 50 of 52 grants") {
		t.Errorf("a forged cursor: %d", p.Status)
	}

	// The API pages the same way, and refuses page numbers and offsets.
	api := func(query string) (int, map[string]any) {
		res, err := http.Get(s.URL + "/api/v1/register?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body map[string]any
		json.NewDecoder(res.Body).Decode(&body)
		return res.StatusCode, body
	}
	status, first := api("per_page=50")
	grants, _ := first["grants"].([]any)
	next, _ := first["next"].(string)
	if status != http.StatusOK || len(grants) != 50 || first["count"] != float64(52) || next == "" || first["previous"] != nil {
		t.Fatalf("the API's first page: %d, %d grants, count %v, next %q, previous %v", status, len(grants), first["count"], next, first["previous"])
	}
	status, second := api("after=" + url.QueryEscape(next))
	if grants, _ := second["grants"].([]any); status != http.StatusOK || len(grants) != 2 || second["next"] != nil || second["previous"] == nil {
		t.Errorf("the API's second page: %d %v", status, second)
	}
	for _, c := range []struct{ query, field string }{
		{"page=2", "page"}, {"offset=50", "offset"}, {"per_page=501", "per_page"}, {"after=forged", "after"}, {"q=%00", "q"},
	} {
		status, body := api(c.query)
		fields, _ := body["error"].(map[string]any)["fields"].(map[string]any)
		if status != http.StatusUnprocessableEntity || fields[c.field] == nil {
			t.Errorf("%s: %d %v, want 422 naming %s", c.query, status, body, c.field)
		}
		if c.field == "page" || c.field == "offset" {
			if msg, _ := fields[c.field].(string); !strings.Contains(msg, "after") || !strings.Contains(msg, "cursor") {
				t.Errorf("%s: %q does not say to use the after and before cursors", c.query, msg)
			}
		}
	}
}

func TestFinancePageSearchesAndPagesPaymentsDue(t *testing.T) {
	s := newSite(t)
	book := newFinanceBook(t, s.Store)
	refs := acceptedGrants(t, s.Store, store.DefaultPageSize)
	b := s.signedIn("finance@opcc.example.org")

	// 54 payments due: the two grants and two tranches of the book, and the 50 grants.
	forward, back, _ := walkPages(t, b, "/finance", "due", "payment-", "")
	if len(forward) != store.DefaultPageSize+4 || len(back) != store.DefaultPageSize {
		t.Errorf("the payments due's pages list %d and %d back, want 54 and 50", len(forward), len(back))
	}
	seen := map[string]bool{}
	for _, id := range forward {
		if seen[id] {
			t.Errorf("%s is on two pages", id)
		}
		seen[id] = true
	}

	// A search narrows the payments due, the held tranches and the repayments alike.
	cell := b.get("/finance?q=" + url.QueryEscape("cell"))
	checkMarkup(t, cell)
	cell.mustContain(t, book.lateRef+": One-off grant", "No held tranches match your search.", "No repayments due match your search.")
	cell.mustNotContain(t, book.todayRef+": One-off grant", refs[0])
	if got := attr(byID(cell.Doc, "q"), "value"); got != "cell" {
		t.Errorf("the search box holds %q", got)
	}
	b.get("/finance?q="+url.QueryEscape("100%")).mustContain(t, "No payments due match your search.")
	byRef := b.get("/finance?q=" + url.QueryEscape(book.serviceRef))
	byRef.mustContain(t, book.serviceRef+": Tranche 1", book.serviceRef+": Tranche 2", "Held because the Q2 monitoring return has not been accepted.")
	byRef.mustNotContain(t, book.lateRef+": One-off grant")
	bad := b.get("/finance?q=%00")
	if bad.Status != http.StatusUnprocessableEntity || !slices.Equal(bad.summary(), []summaryItem{{Href: "#q", Message: "Search terms must be ordinary text"}}) {
		t.Errorf("a search with a NUL: %d %+v", bad.Status, bad.summary())
	}
	// The spreadsheet of payments due has every one, not a page.
	csv := b.get("/finance/payments-due.csv")
	if rows := strings.Count(csv.Body, "\n"); rows != store.DefaultPageSize+4+1 {
		t.Errorf("the spreadsheet has %d lines, want a heading and 54 payments", rows)
	}
}

func TestStaffListPagesAndSearch(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	for i := range store.DefaultPageSize {
		if _, err := s.Store.CreateUser(ctx, store.NewUser{Email: fmt.Sprintf("assessor%02d@opcc.example.org", i), Name: fmt.Sprintf("Assessor %02d", i),
			Role: scheme.RoleAssessor, Password: "an assessor password"}); err != nil {
			t.Fatal(err)
		}
	}
	var staff []store.StaffMember
	staff, err := s.Store.Staff(ctx)
	if err != nil || len(staff) <= store.DefaultPageSize {
		t.Fatalf("%d staff (%v)", len(staff), err)
	}
	var want []string
	for _, m := range staff {
		want = append(want, fmt.Sprintf("staff-%d", m.ID))
	}
	b := s.signedIn("admin@opcc.example.org")
	forward, back, _ := walkPages(t, b, "/admin/users", "", "staff-", "")
	if !slices.Equal(forward, want) || !slices.Equal(back, want[:store.DefaultPageSize]) {
		t.Errorf("the staff list's pages: %v and back %v, want %v", forward, back, want)
	}
	found := b.get("/admin/users?q=" + url.QueryEscape("ASSESSOR07@"))
	checkMarkup(t, found)
	found.mustContain(t, "Assessor 07")
	found.mustNotContain(t, "Assessor 08")
	b.get("/admin/users?q=_").mustContain(t, "No staff match your search.")
	if bad := b.get("/admin/users?q=%00"); bad.Status != http.StatusUnprocessableEntity {
		t.Errorf("a search with a NUL: %d", bad.Status)
	}
}

func TestApplicantsListPagesAndSearch(t *testing.T) {
	s := newSite(t)
	acceptedGrants(t, s.Store, store.DefaultPageSize+1)
	b := signInAs(t, s, demo.Accounts[0].Email)
	forward, back, counts := walkPages(t, b, "/applications", "", "application-", "results-count")
	if len(forward) != store.DefaultPageSize+1 || len(back) != store.DefaultPageSize {
		t.Errorf("the applicant's pages list %d, and %d back", len(forward), len(back))
	}
	if want := []string{"Showing 1 to 50 of 51 applications", "Showing 51 to 51 of 51 applications"}; !slices.Equal(counts, want) {
		t.Errorf("the pages say %q, want %q", counts, want)
	}
	one := b.get("/applications?q=" + url.QueryEscape("grant 07"))
	checkMarkup(t, one)
	one.mustContain(t, "1 application", "Grant 07")
	one.mustNotContain(t, "Grant 08")
	part := b.get("/applications?q=" + url.QueryEscape("APP-00"))
	part.mustContain(t, "No applications match your search.", "enter the whole reference, like APP-000123")
	if bad := b.get("/applications?q=%00"); bad.Status != http.StatusUnprocessableEntity ||
		!slices.Equal(bad.summary(), []summaryItem{{Href: "#q", Message: "Search terms must be ordinary text"}}) {
		t.Errorf("a search with a NUL: %d %+v", bad.Status, bad.summary())
	}
}
