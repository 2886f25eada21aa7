package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// performanceBook is a service award of 2026-27 as its activities leave it: its first tranche
// paid, its second held, its Q1 return accepted and rated green, its Q2 return never sent; to an
// organisation whose name a spreadsheet would take for a formula.
type performanceBook struct {
	app       int64
	reference string
}

func newPerformanceBook(t *testing.T, st *store.Store) performanceBook {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	must(err)
	finance, err := st.UserByEmail(ctx, "finance@opcc.example.org")
	must(err)
	org, user, err := st.CreateOrganisationWithUser(ctx, store.Organisation{Name: formulaOrg, Type: scheme.OrgCommunityGroup,
		Address: "1 Cell Street, Leicester", Postcode: "LE1 1AA"}, store.NewUser{Email: "formula@example.org", Name: "Formula Person",
		Role: scheme.RoleApplicant, Password: "a long enough password"})
	must(err)
	sid := schemeID(t, st, "commissioned-services")
	rounds, err := st.Rounds(ctx, sid)
	must(err)
	app, err := st.CreateDraft(ctx, org.ID, user.ID, store.Draft{SchemeID: sid, RoundID: rounds[0].ID, Title: "Victim support",
		Areas: []string{"Leicester"}, Priorities: []string{"Victim Services"}})
	must(err)
	must(st.SaveServiceDetails(ctx, app, grant.ServiceDetails{Service: "Victim support service", Outcomes: []grant.Outcome{{Outcome: "Victims helped",
		Indicators: []grant.Indicator{{Key: "referrals", Name: "Referrals taken", Unit: "people", QuarterlyTarget: 50}}}}}))
	n := 0
	event := func(at time.Time, status string) store.Event {
		n++
		return store.Event{Application: app, Key: fmt.Sprintf("performance-page-%d", n), At: at, ActorName: "Test", ActorRole: "system", What: status, Status: status}
	}
	decided := time.Date(2026, 4, 20, 9, 0, 0, 0, time.UTC)
	aw, err := st.CreateAward(ctx, store.Award{ApplicationID: app, Reference: "CSF-2026-PERF", Amount: money.Pounds(100000), Purpose: "Support",
		Conditions: json.RawMessage("[]"), Reasons: "Reasons", ApprovedBy: officer.ID, ApprovedRole: "head_of_commissioning", DelegationBand: "head",
		RulesVersion: 1, DecidedAt: decided, AcceptBy: decided.AddDate(0, 0, 28)}, event(decided, "approved"))
	must(err)
	must(st.SetAwardStatus(ctx, app, "accepted", &user.ID, event(decided.Add(time.Hour), "accepted")))
	must(st.SetAwardYears(ctx, aw.ID, []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(100000)}}))
	var plan []grant.Tranche
	for q := 1; q <= 4; q++ {
		plan = append(plan, grant.Tranche{No: q, FinancialYear: 2026, Quarter: q, DueOn: time.Date(2026, time.Month(3*q+1), 1, 0, 0, 0, 0, time.UTC),
			Amount: money.Pounds(25000), Status: "scheduled"})
	}
	must(st.ScheduleTranches(ctx, aw.ID, plan))
	released := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	_, err = st.ReleaseTranche(ctx, aw.ID, 1, store.FinanceNotice{Reference: "CSF-2026-PERF-T01", Payee: formulaOrg, Amount: money.Pounds(25000),
		Schedule: json.RawMessage("[]"), CostCentre: "CC", CreatedAt: released},
		store.Document{ApplicationID: app, Kind: "payment_notice", Version: 1, Filename: "T01.pdf", Content: []byte("%PDF-1.3 T01")}, event(released, "active"))
	must(err)
	_, err = st.RecordTranchePayment(ctx, store.Payment{AwardID: aw.ID, Tranche: 1, Amount: money.Pounds(25000), PaidOn: time.Date(2026, 5, 3, 0, 0, 0, 0, time.UTC),
		Reference: "BACS", RecordedBy: finance.ID, RecordedAt: released.AddDate(0, 0, 2)}, app, event(released.AddDate(0, 0, 2), "active"))
	must(err)
	must(st.HoldTranche(ctx, aw.ID, 2, "the Q1 2026-27 monitoring return has not been accepted", event(time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC), "active")))
	content := `{"indicators":[{"key":"referrals","actual":41}],"beneficiaries":[{"area":"Leicester","ward":"Leicester: Abbey","age_band":"under_18","count":9},` +
		`{"area":"Leicester","age_band":"25_plus","count":3}],"narrative":"Steady."}`
	sent := time.Date(2026, 7, 10, 9, 0, 0, 0, time.UTC)
	must(st.SaveReturn(ctx, store.MonitoringReturn{ApplicationID: app, FinancialYear: 2026, Quarter: 1, Version: 1, Content: json.RawMessage(content),
		SubmittedBy: user.ID, SubmittedAt: sent}, event(sent, "active")))
	must(st.ReviewReturn(ctx, app, 2026, 1, 1, "accept", "green", "Good", officer.ID, event(sent.Add(24*time.Hour), "active")))
	return performanceBook{app: app, reference: aw.Reference}
}

// A commissioning officer chooses a period and reads its figures: totals, each priority and area
// (with its ONS code) in a table beside a chart that is one named image, a service's indicator
// against its target and its ratings in words, the overdue return and the held tranche linking to
// the application; the spreadsheet of the same period is a link away.
func TestPerformancePageShowsTheFiguresBesideTheirCharts(t *testing.T) {
	s := newSite(t)
	book := newPerformanceBook(t, s.Store)
	officer := s.signedIn("officer@opcc.example.org")

	r := officer.get("/performance?financial_year=2026&quarter=3")
	r.mustBe(t, http.StatusOK, "/performance?financial_year=2026&quarter=3")
	checkMarkup(t, r)
	r.mustContain(t, "Performance 2026-27 Q3", "From 1 April 2026 to 31 December 2026", "Awards decided", "£100,000.00", "£25,000.00",
		"Viable Partnerships", "Value for Money", "Leicester", "E06000016", "Rutland", "E06000017", "Leicester: Abbey", "E05010458",
		"Victim support service", "Referrals taken (people): target 50 a quarter", "41", "No figure", "Green", "Not rated",
		"2026-27 Q2", "15 October 2026", "The Q1 2026-27 monitoring return has not been accepted")
	if got := textOf(byID(r.Doc, "priority-table")); !strings.Contains(strings.Join(strings.Fields(got), " "), "Victim Services 1 £100,000.00 £25,000.00 £25,000.00 12 9") {
		t.Errorf("the priority table: %s", strings.Join(strings.Fields(got), " "))
	}
	if href := attr(byID(r.Doc, "performance-csv"), "href"); href != "/performance.csv?financial_year=2026&quarter=3" {
		t.Errorf("the CSV link is %q", href)
	}
	for _, id := range []string{"overdue-table", "held-table"} {
		links := findAll(byID(r.Doc, id), func(n *html.Node) bool { return n.Data == "a" })
		if len(links) != 1 || attr(links[0], "href") != fmt.Sprintf("/applications/%d", book.app) || textOf(links[0]) != book.reference {
			t.Errorf("%s does not link the award to its application", id)
		}
	}
	// Charts: each an image named by its title and described, beside a table; no inline styles
	// (the pages' policy refuses them), no script.
	charts := findAll(r.Doc, func(n *html.Node) bool { return n.Data == "svg" && attr(n, "role") == "img" })
	if len(charts) != 5 { // committed and paid by priority and by area, and the indicator's trend
		t.Errorf("%d charts, want 5", len(charts))
	}
	for _, c := range charts {
		ids := strings.Fields(attr(c, "aria-labelledby"))
		if len(ids) != 2 || byID(r.Doc, ids[0]) == nil || byID(r.Doc, ids[0]).Data != "title" || byID(r.Doc, ids[1]).Data != "desc" {
			t.Errorf("a chart is not named by its title and desc: %v", c.Attr)
		}
	}
	if regexp.MustCompile(`<svg[^>]*\sstyle=|\sstyle="`).MatchString(r.Body) {
		t.Error("the page carries inline styles, which its content security policy refuses")
	}
	// Ratings are words in tags, not colour alone.
	tags := findAll(r.Doc, func(n *html.Node) bool {
		return n.Data == "strong" && strings.Contains(attr(n, "class"), "govuk-tag--green")
	})
	if len(tags) != 1 || textOf(tags[0]) != "Green" {
		t.Errorf("the green rating is not a tag saying so")
	}
	// The navigation leads here.
	nav := findAll(r.Doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/performance" })
	if len(nav) != 1 || attr(nav[0], "aria-current") != "page" {
		t.Error("the staff navigation has no current Performance link")
	}

	// With no period chosen, the current quarter in London.
	now := reportingPeriodNow()
	r = officer.get("/performance")
	r.mustBe(t, http.StatusOK, "/performance")
	r.mustContain(t, "Performance "+now)

	// The spreadsheet: the same figures, a formula in a name kept as text.
	csvRes := officer.get("/performance.csv?financial_year=2026&quarter=3")
	if csvRes.Status != http.StatusOK || !strings.HasPrefix(csvRes.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(csvRes.Header.Get("Content-Disposition"), "performance-2026-q3.csv") {
		t.Fatalf("the CSV: %d %v", csvRes.Status, csvRes.Header)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(csvRes.Body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var committed, formula bool
	for _, row := range rows {
		committed = committed || strings.Join(row, "|") == "figures|priority||Victim Services||2026-27 Q3|committed_gbp|100000.00"
		formula = formula || (row[0] == "rating" && row[1] == "'"+formulaOrg)
		for _, cell := range row {
			if strings.HasPrefix(cell, "=") {
				t.Errorf("a cell a spreadsheet would run: %q", cell)
			}
		}
	}
	if !committed || !formula {
		t.Errorf("the CSV lacks the priority's committed figure (%v) or the guarded name (%v)", committed, formula)
	}
}

// reportingPeriodNow is the current quarter in London as the page heads it: "2026-27 Q3".
func reportingPeriodNow() string {
	t := time.Now().In(scheme.London)
	return fmt.Sprintf("%s Q%d", scheme.FinancialYearLabel(scheme.FinancialYear(t)), (int(t.Month())+8)%12/3+1)
}

// A period that is not one is named in the error summary, as a 422, and no figures are shown.
func TestPerformancePageRefusesBadPeriods(t *testing.T) {
	s := newSite(t)
	officer := s.signedIn("officer@opcc.example.org")
	for _, c := range []struct {
		query string
		want  []summaryItem
	}{
		{"quarter=7", []summaryItem{{"#quarter", "Select a quarter from the list"}}},
		{"financial_year=abc&quarter=2", []summaryItem{{"#financial-year", "Select a financial year from the list"}}},
		{"financial_year=1999&quarter=0", []summaryItem{{"#financial-year", "Select a financial year from the list"}, {"#quarter", "Select a quarter from the list"}}},
		{"financial_year=%FF%FE", []summaryItem{{"#financial-year", "Select from the list"}}},
	} {
		for _, path := range []string{"/performance?" + c.query, "/performance.csv?" + c.query} {
			r := officer.get(path)
			if r.Status != http.StatusUnprocessableEntity {
				t.Errorf("%s: %d, want 422", path, r.Status)
				continue
			}
			checkMarkup(t, r)
			if got := r.summary(); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: error summary %v, want %v", path, got, c.want)
			}
			r.mustNotContain(t, "Totals", "Download every figure")
		}
	}
}

// The figures are for the office's staff (scheme.Role.SeesPerformance): applicants and assessors
// (who may be panel members from outside the office) are refused the page and its spreadsheet, and
// their navigation does not offer it. Administrators see it: they may make the Panel's reports.
func TestPerformanceIsForTheStaffWhoWorkWithGrants(t *testing.T) {
	s := newSite(t)
	for _, email := range []string{demo.Accounts[0].Email, "assessor@opcc.example.org"} {
		b := s.signedIn(email)
		for _, path := range []string{"/performance", "/performance.csv"} {
			r := b.get(path)
			r.mustBe(t, http.StatusForbidden, path)
			r.mustContain(t, "This page is not available to your account")
		}
		if home := b.get("/"); len(findAll(home.Doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/performance" })) != 0 {
			t.Errorf("%s is offered the performance page", email)
		}
	}
	for _, email := range []string{"head@opcc.example.org", "commissioner@opcc.example.org", "finance@opcc.example.org", "admin@opcc.example.org"} {
		s.signedIn(email).get("/performance").mustBe(t, http.StatusOK, "/performance")
	}
	if r := s.browser().get("/performance"); !strings.HasPrefix(r.Path, "/sign-in") {
		t.Errorf("someone not signed in ends at %s", r.Path)
	}
}
