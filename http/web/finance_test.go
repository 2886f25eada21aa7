package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/grant"
	"grantflow/http/apiv1"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// financeBook is what finance has to work on, made through the store as the workflows'
// activities make it: two accepted one-off grants (one accepted today, one three weeks ago, to an
// organisation whose name is a spreadsheet formula), an offered one not yet accepted, and a
// service award with a tranche due two weeks ago, held and released today, one due and released
// today, and one held.
type financeBook struct {
	today, late, offered int64 // one-off grants
	service              int64
	todayRef, lateRef    string
	serviceRef           string
	todayNotice          int64 // the award notice's document
	trancheNotice        int64 // tranche 2's payment notice's document
	trancheDue           time.Time
	// The service award's agreement: the financial year it was made in.
	agreementStart, agreementEnd time.Time
}

const formulaOrg = `=HYPERLINK("http://evil.example/","Click me")`

func newFinanceBook(t *testing.T, st *store.Store) financeBook {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	applicant, err := st.UserByEmail(ctx, demo.Accounts[0].Email)
	must(err)
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	must(err)
	formula, formulaUser, err := st.CreateOrganisationWithUser(ctx, store.Organisation{Name: formulaOrg, Type: scheme.OrgCommunityGroup,
		Address: "1 Cell Street, Leicester", Postcode: "LE1 1AA"}, store.NewUser{Email: "formula@example.org", Name: "Formula Person",
		Role: scheme.RoleApplicant, Password: "a long enough password"})
	must(err)
	rounds := map[string][2]int64{}
	schemes, err := st.Schemes(ctx)
	must(err)
	for _, sc := range schemes {
		rs, err := st.Rounds(ctx, sc.ID)
		must(err)
		rounds[sc.Slug] = [2]int64{sc.ID, rs[0].ID}
	}
	events := 0
	event := func(app int64, at time.Time, status string) store.Event {
		events++
		return store.Event{Application: app, Key: fmt.Sprintf("finance-page-test-%d", events), At: at, ActorName: "Test", ActorRole: "system", What: status, Status: status}
	}
	now := time.Now()
	// award makes an approved application with its finance award notice, accepted at the time given
	// unless that is zero; a service award's agreement runs from start to end.
	award := func(slug string, org, user int64, title string, amount money.Pence, acceptedAt time.Time, agreement ...*time.Time) (int64, store.Award, store.FinanceNotice) {
		t.Helper()
		id, err := st.CreateDraft(ctx, org, user, store.Draft{SchemeID: rounds[slug][0], RoundID: rounds[slug][1], Title: title})
		must(err)
		if slug == "commissioned-services" {
			must(st.SaveServiceDetails(ctx, id, grant.ServiceDetails{Service: title, Years: []grant.YearAmount{{FinancialYear: scheme.FinancialYear(now), Amount: amount}}}))
		}
		decided := now.AddDate(0, -2, 0)
		a := store.Award{ApplicationID: id, Reference: fmt.Sprintf("GCF-TEST-%d", id), Amount: amount, Purpose: title,
			Conditions: json.RawMessage("[]"), Reasons: "Reasons", ApprovedBy: officer.ID, ApprovedRole: "officer", DelegationBand: "officer",
			RulesVersion: 1, DecidedAt: decided, AcceptBy: now.AddDate(0, 1, 0)}
		if len(agreement) == 2 {
			a.StartDate, a.EndDate = agreement[0], agreement[1]
		}
		aw, err := st.CreateAward(ctx, a, event(id, decided, "approved"))

		must(err)
		noticeAt := decided
		if acceptedAt.IsZero() {
			noticeAt = now // an offer made this week
		}
		n, err := st.SaveFinanceNotice(ctx, store.FinanceNotice{AwardID: aw.ID, Kind: "award", Reference: aw.Reference + "-AN", Payee: "Payee of " + title,
			Amount: amount, Schedule: json.RawMessage("[]"), CostCentre: "OPCC-GCF-4410", CreatedAt: noticeAt},
			store.Document{ApplicationID: id, Kind: "finance_award_notice", Filename: aw.Reference + "-AN.pdf", Content: []byte("%PDF-1.3 " + title)},
			event(id, noticeAt, "offered"))
		must(err)
		if !acceptedAt.IsZero() {
			must(st.SetAwardStatus(ctx, id, "accepted", &user, event(id, acceptedAt, "accepted")))
		}
		return id, aw, n
	}
	var b financeBook
	var aw store.Award
	var n store.FinanceNotice
	b.today, aw, n = award("grassroots", applicant.Organisations[0], applicant.ID, "Summer youth club", money.Pounds(3000), now)
	b.todayRef, b.todayNotice = aw.Reference, n.DocumentID
	b.late, aw, _ = award("grassroots", formula.ID, formulaUser.ID, "Cell block", money.Pence(125050), now.AddDate(0, 0, -21))
	b.lateRef = aw.Reference
	b.offered, _, _ = award("grassroots", applicant.Organisations[0], applicant.ID, "Not yet accepted", money.Pounds(900), time.Time{})

	fy := scheme.FinancialYear(now)
	b.agreementStart, b.agreementEnd = time.Date(fy, time.April, 1, 0, 0, 0, 0, time.UTC), time.Date(fy+1, time.March, 31, 0, 0, 0, 0, time.UTC)
	b.service, aw, _ = award("commissioned-services", applicant.Organisations[0], applicant.ID, "Victim service", money.Pounds(100000), now.AddDate(0, -1, 0),
		&b.agreementStart, &b.agreementEnd)
	b.serviceRef = aw.Reference
	london := now.In(scheme.London)
	b.trancheDue = time.Date(london.Year(), london.Month(), london.Day(), 0, 0, 0, 0, time.UTC)
	must(st.ScheduleTranches(ctx, aw.ID, []grant.Tranche{
		{No: 1, FinancialYear: fy, Quarter: 1, DueOn: b.trancheDue.AddDate(0, 0, -14), Amount: money.Pounds(25000), Status: "scheduled"},
		{No: 2, FinancialYear: fy, Quarter: 2, DueOn: b.trancheDue, Amount: money.Pounds(25000), Status: "scheduled"},
		{No: 3, FinancialYear: fy, Quarter: 3, DueOn: b.trancheDue, Amount: money.Pounds(25000), Status: "scheduled"},
		{No: 4, FinancialYear: fy, Quarter: 4, DueOn: b.trancheDue.AddDate(0, 3, 0), Amount: money.Pounds(25000), Status: "scheduled"},
	}))
	must(st.SetAwardYears(ctx, aw.ID, []grant.YearAmount{{FinancialYear: fy, Amount: money.Pounds(100000)}}))
	must(st.HoldTranche(ctx, aw.ID, 1, "the Q4 2025-26 monitoring return has not been accepted", event(b.service, now.AddDate(0, 0, -14), "active")))
	must(st.HoldTranche(ctx, aw.ID, 3, "the Q2 monitoring return has not been accepted", event(b.service, now, "active")))
	for _, no := range []int{1, 2} {
		ref := fmt.Sprintf("%s-T%02d", aw.Reference, no)
		tn, err := st.ReleaseTranche(ctx, aw.ID, no, store.FinanceNotice{Reference: ref, Payee: "Riverside Youth Project", Amount: money.Pounds(25000),
			Schedule: json.RawMessage("[]"), CostCentre: "OPCC-CSF-4420", CreatedAt: now},
			store.Document{ApplicationID: b.service, Kind: "payment_notice", Version: no, Filename: ref + ".pdf", Content: []byte("%PDF-1.3 " + ref)},
			event(b.service, now, "active"))
		must(err)
		b.trancheNotice = tn.DocumentID // tranche 2's, the last
	}
	return b
}

// signedIn is a browser signed in as the demo account.
func (s *site) signedIn(email string) *browser {
	s.t.Helper()
	b := s.browser()
	r := b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {demo.Password}})
	if r.Status != http.StatusOK || r.Path == "/sign-in" {
		s.t.Fatalf("signing %s in: %d at %s", email, r.Status, r.Path)
	}
	return b
}

func inputValue(t *testing.T, r response, id string) string {
	t.Helper()
	n := byID(r.Doc, id)
	if n == nil || n.Data != "input" {
		t.Fatalf("%s: no input #%s", r.Path, id)
	}
	return attr(n, "value")
}

func TestFinancePageListsPaymentsDueHeldTranchesAndNotices(t *testing.T) {
	s := newSite(t)
	book := newFinanceBook(t, s.Store)
	b := s.signedIn("finance@opcc.example.org")

	p := b.get("/finance")
	p.mustBe(t, http.StatusOK, "/finance")
	checkMarkup(t, p)
	fy := scheme.FinancialYearLabel(scheme.FinancialYear(time.Now()))
	p.mustContain(t, "Payments and notices", "Payments due",
		book.todayRef+": One-off grant", "Riverside Youth Project", "Summer youth club", "£3,000.00",
		book.lateRef+": One-off grant Overdue", formulaOrg, "£1,250.50",
		book.serviceRef+": Tranche 2 (Q2 ", "£25,000.00", book.trancheDue.Format("2 January 2006"),
		"Held tranches", "Tranche 3 (Q3 ", "Held because the Q2 monitoring return has not been accepted.",
		"Notices received", book.serviceRef+"-T02", "Payment notice, tranche 2", "New this week")
	// The offer not yet accepted is not due; its notice, sent this week, is listed as new.
	offeredRef := fmt.Sprintf("GCF-TEST-%d", book.offered)
	p.mustNotContain(t, offeredRef+": One-off grant", book.todayRef+": One-off grant Overdue", book.serviceRef+": Tranche 3")
	p.mustContain(t, offeredRef+"-AN")
	// Tranche 1 fell due two weeks ago but was held until today: it is due today, not overdue,
	// and listed with today's payments rather than as the oldest.
	tranche1 := byID(p.Doc, fmt.Sprintf("payment-%d-1", book.service))
	if tranche1 == nil {
		t.Fatal("tranche 1, released today, is not due")
	}
	if got := strings.Join(strings.Fields(textOf(tranche1)), " "); !strings.Contains(got, "Tranche 1 (Q1 "+fy+") View application") ||
		!strings.Contains(got, "Due "+book.trancheDue.Format("2 January 2006")) {
		t.Errorf("tranche 1 released today: %s", got)
	}
	// The service award's agreement dates are with each of its payments, held tranches and notices;
	// a one-off grant has none.
	period := book.agreementStart.Format("2 January 2006") + " to " + book.agreementEnd.Format("2 January 2006")
	if got := strings.Join(strings.Fields(textOf(tranche1)), " "); !strings.Contains(got, "Agreement "+period) {
		t.Errorf("tranche 1 does not give the agreement's dates (%s): %s", period, got)
	}
	if got := textOf(byID(p.Doc, fmt.Sprintf("payment-%d-0", book.today))); strings.Contains(got, "Agreement") {
		t.Errorf("a one-off grant is given agreement dates: %s", got)
	}
	for _, caption := range []string{"Tranches held back from payment", "Award, payment and recovery notices sent to finance"} {
		tables := findAll(p.Doc, func(n *html.Node) bool { return n.Data == "table" && strings.Contains(textOf(n), caption) })
		if len(tables) != 1 {
			t.Fatalf("no table %q", caption)
		}
		rows := findAll(tables[0], func(n *html.Node) bool {
			return n.Data == "tr" && strings.Contains(textOf(n), book.serviceRef) && strings.Contains(textOf(n), period)
		})
		if len(rows) == 0 {
			t.Errorf("the table %q does not give the service award's agreement dates (%s)", caption, period)
		}
	}
	if strings.Count(p.text(), period) < 5 { // tranches 1 and 2, the held tranche 3, both payment notices
		t.Errorf("the agreement's dates are given %d times, want 5 or more", strings.Count(p.text(), period))
	}
	var cards []string
	for _, n := range findAll(p.Doc, hasClass("govuk-summary-card")) {
		cards = append(cards, attr(n, "id"))
	}
	if len(cards) != 4 || cards[0] != fmt.Sprintf("payment-%d-0", book.late) {
		t.Errorf("payments due in the order %v: the late grant first, then today's", cards)
	}
	// Each payment's fields say, to a screen reader, which payment they are for.
	for id, label := range map[string]string{fmt.Sprintf("amount-%d-1", book.service): "Amount paid", fmt.Sprintf("reference-%d-1", book.service): "Payment reference"} {
		got := findAll(p.Doc, func(n *html.Node) bool { return n.Data == "label" && attr(n, "for") == id })
		if want := label + " for " + book.serviceRef + ": Tranche 1 (Q1 " + fy + ")"; len(got) != 1 || strings.TrimSpace(textOf(got[0])) != want {
			t.Errorf("the label of #%s is not %q", id, want)
		}
	}
	// Each payment has its own form, its amount filled in, its notice a link away.
	if got := inputValue(t, p, fmt.Sprintf("amount-%d-0", book.today)); got != "3,000.00" {
		t.Errorf("the grant's amount is filled in as %q", got)
	}
	if got := inputValue(t, p, fmt.Sprintf("amount-%d-2", book.service)); got != "25,000.00" {
		t.Errorf("the tranche's amount is filled in as %q", got)
	}
	for _, href := range []string{fmt.Sprintf("/documents/%d", book.todayNotice), fmt.Sprintf("/documents/%d", book.trancheNotice), "/finance/payments-due.csv"} {
		if len(findAll(p.Doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == href })) == 0 {
			t.Errorf("no link to %s", href)
		}
	}
	for _, action := range []string{fmt.Sprintf("/applications/%d/payments", book.today), fmt.Sprintf("/applications/%d/payments", book.service)} {
		p.formToken(t, action)
	}

	// An application's pages come under finance's own navigation item, as the finance page does.
	for _, path := range []string{fmt.Sprintf("/applications/%d", book.service), fmt.Sprintf("/applications/%d/uploads", book.service)} {
		current := findAll(b.get(path).Doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "aria-current") == "page" })
		if len(current) != 1 || attr(current[0], "href") != "/finance" {
			t.Errorf("%s: the current navigation item is not Finance", path)
		}
	}

	// Only the keys of confirmations are shown, never text from the address.
	b.get("/finance?done=paid").mustContain(t, "The payment has been recorded")
	b.get("/finance?done=%3Cb%3Ehello").mustNotContain(t, "Success", "hello")
}

func TestFinancePaymentFormMistakes(t *testing.T) {
	s := newSite(t)
	book := newFinanceBook(t, s.Store)
	b := s.signedIn("finance@opcc.example.org")
	action := fmt.Sprintf("/applications/%d/payments", book.today)
	key := fmt.Sprintf("%d-0", book.today)
	fields := func(amount, day, month, year, reference string) url.Values {
		return url.Values{"tranche": {"0"}, "return": {"finance"}, "amount-" + key: {amount}, "paid-on-" + key + "-day": {day},
			"paid-on-" + key + "-month": {month}, "paid-on-" + key + "-year": {year}, "reference-" + key: {reference}}
	}
	nothingPaid := func() {
		t.Helper()
		app, err := s.Store.Application(context.Background(), book.today)
		if err != nil || app.Status != "accepted" {
			t.Fatalf("after a refused payment the grant is %q (%v), want accepted", app.Status, err)
		}
	}

	// Our own checks: an amount that is not money, an impossible date, no reference.
	r := b.fill("/finance", action, fields("three thousand", "31", "2", "2026", ""))
	r.mustBe(t, http.StatusUnprocessableEntity, action)
	checkMarkup(t, r)
	want := []summaryItem{
		{"#amount-" + key, "Enter the amount paid in pounds and pence, like 4,250.00"},
		{"#paid-on-" + key + "-day", "The date the payment was made must be a real date"},
		{"#reference-" + key, "Enter the payment reference"},
	}
	if got := r.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary = %v\nwant %v", got, want)
	}
	// What was typed stays; the other payments keep their amounts.
	if got := inputValue(t, r, "amount-"+key); got != "three thousand" {
		t.Errorf("the amount typed came back as %q", got)
	}
	if got := inputValue(t, r, "paid-on-"+key+"-day"); got != "31" {
		t.Errorf("the day typed came back as %q", got)
	}
	if got := inputValue(t, r, fmt.Sprintf("amount-%d-2", book.service)); got != "25,000.00" {
		t.Errorf("another payment's amount became %q", got)
	}
	r.mustContain(t, book.serviceRef+": Tranche 2")
	nothingPaid()

	// The API's checks, named in the page's words: an amount larger than any grant, a reference too
	// long. (A plausible payment would go on to the workflow, which these tests do not run.)
	r = b.fill("/finance", action, fields("200,000,000.00", "1", "2", "2026", strings.Repeat("R", 101)))
	r.mustBe(t, http.StatusUnprocessableEntity, action)
	checkMarkup(t, r)
	want = []summaryItem{
		{"#amount-" + key, "Amount paid is larger than any grant"},
		{"#reference-" + key, "Payment reference must be at most 100 characters"},
	}
	if got := r.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary = %v\nwant %v", got, want)
	}
	if got := inputValue(t, r, "reference-"+key); got != strings.Repeat("R", 101) {
		t.Errorf("the reference typed came back as %q", got)
	}
	nothingPaid()

	// Text PostgreSQL cannot keep, a date with a part missing, nothing at all.
	r = b.fill("/finance", action, fields("0", "1", "", "2026", "BACS\x00"))
	r.mustBe(t, http.StatusUnprocessableEntity, action)
	checkMarkup(t, r)
	want = []summaryItem{
		{"#amount-" + key, "Amount paid must be more than £0.00"},
		{"#paid-on-" + key + "-month", "The date the payment was made must include a month"},
		{"#reference-" + key, `Payment reference must not contain a NUL character (\u0000)`},
	}
	if got := r.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("summary = %v\nwant %v", got, want)
	}
	r = b.fill("/finance", action, url.Values{"tranche": {"0"}})
	r.mustBe(t, http.StatusUnprocessableEntity, action)
	if len(r.summary()) != 3 {
		t.Errorf("an empty form: summary = %v", r.summary())
	}

	// A form that does not say which payment it is.
	r = b.fill("/finance", action, url.Values{"tranche": {"first"}, "amount-" + key: {"3000"}})
	r.mustBe(t, http.StatusUnprocessableEntity, action)
	r.mustContain(t, "The payment could not be recorded", "which payment this is", "Nothing has been changed")

	// A payment that is not on the page (an offer not yet accepted) gets its problems on a page
	// of their own rather than links to fields that are not there.
	offered := fmt.Sprintf("/applications/%d/payments", book.offered)
	token := b.get("/finance").formToken(t, action) // every form of the page carries the same token
	r = b.post(offered, url.Values{"csrf_token": {token}, "tranche": {"0"}, fmt.Sprintf("amount-%d-0", book.offered): {"lots"}})
	r.mustBe(t, http.StatusUnprocessableEntity, offered)
	checkMarkup(t, r)
	r.mustContain(t, "The payment could not be recorded", "Enter the amount paid in pounds and pence", "Nothing has been changed")
	nothingPaid()
}

func TestFinancePaymentsDueCSV(t *testing.T) {
	s := newSite(t)
	book := newFinanceBook(t, s.Store)
	b := s.signedIn("finance@opcc.example.org")

	r := b.get("/finance/payments-due.csv")
	r.mustBe(t, http.StatusOK, "/finance/payments-due.csv")
	today := time.Now().In(scheme.London).Format(time.DateOnly)
	if got := r.Header.Get("Content-Type"); got != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got, want := r.Header.Get("Content-Disposition"), `attachment; filename=payments-due-`+today+`.csv`; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
	body, bom := strings.CutPrefix(r.Body, "\uFEFF")
	if !bom {
		t.Error("the CSV does not start with a byte order mark: Excel would misread the names")
	}
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 {
		t.Fatalf("CSV has %d rows, want a header and 4 payments:\n%s", len(rows), r.Body)
	}
	if got := strings.Join(rows[0], "|"); got != "Due date|Overdue|Award reference|Payee|Project|Payment|Tranche|Amount (GBP)|Application" {
		t.Errorf("header = %s", got)
	}
	byRef := map[string][]string{}
	for _, row := range rows[1:] {
		byRef[row[2]+"/"+row[6]] = row
	}
	late := byRef[book.lateRef+"/"]
	if late == nil || late[1] != "yes" || late[3] != "'"+formulaOrg || late[4] != "Cell block" || late[7] != "1250.50" ||
		late[8] != fmt.Sprint(book.late) || late[0] != time.Now().AddDate(0, 0, -21).In(scheme.London).Format(time.DateOnly) {
		t.Errorf("the late grant's row = %q", late)
	}
	if got := byRef[book.todayRef+"/"]; got == nil || got[0] != today || got[1] != "no" || got[3] != "Riverside Youth Project" || got[7] != "3000.00" {
		t.Errorf("today's grant's row = %q", got)
	}
	if got := byRef[book.serviceRef+"/2"]; got == nil || got[0] != book.trancheDue.Format(time.DateOnly) || got[7] != "25000.00" || !strings.HasPrefix(got[5], "Tranche 2 (Q2 ") {
		t.Errorf("the tranche's row = %q", got)
	}
	if got := byRef[book.serviceRef+"/1"]; got == nil || got[0] != book.trancheDue.Format(time.DateOnly) || got[1] != "no" {
		t.Errorf("the tranche held and released today: %q, want due today and not overdue", got)
	}
	if rows[1][2] != book.lateRef {
		t.Errorf("the earliest due should come first: %q", rows[1])
	}
}

func TestFinancePagesAreForFinanceAndCommissioning(t *testing.T) {
	s := newSite(t)
	book := newFinanceBook(t, s.Store)

	for _, email := range []string{demo.Accounts[0].Email, "assessor@opcc.example.org"} {
		b := s.signedIn(email)
		for _, path := range []string{"/finance", "/finance/payments-due.csv"} {
			r := b.get(path)
			r.mustBe(t, http.StatusForbidden, path)
			r.mustContain(t, "This page is not available to your account")
			r.mustNotContain(t, book.todayRef, formulaOrg)
		}
	}

	// Officers see the week's money but no forms: recording payments is finance's.
	officer := s.signedIn("officer@opcc.example.org")
	r := officer.get("/finance")
	r.mustBe(t, http.StatusOK, "/finance")
	checkMarkup(t, r)
	r.mustContain(t, book.todayRef, book.serviceRef+"-T02", "Finance records payments when they have been made.")
	if forms := findAll(r.Doc, func(n *html.Node) bool { return n.Data == "form" && strings.HasSuffix(attr(n, "action"), "/payments") }); len(forms) != 0 {
		t.Errorf("an officer is shown %d payment forms", len(forms))
	}

	// An applicant posting a payment for another organisation's grant finds nothing there.
	applicant := s.signedIn(demo.Accounts[0].Email)
	token := applicant.get("/sign-out").formToken(t, "/sign-out")
	path := fmt.Sprintf("/applications/%d/payments", book.late)
	key := fmt.Sprintf("%d-0", book.late)
	r = applicant.post(path, url.Values{"csrf_token": {token}, "tranche": {"0"}, "amount-" + key: {"1250.50"}, "paid-on-" + key + "-day": {"1"},
		"paid-on-" + key + "-month": {"2"}, "paid-on-" + key + "-year": {"2026"}, "reference-" + key: {"BACS"}})
	r.mustBe(t, http.StatusNotFound, path)
	r.mustContain(t, "Page not found")
}

// The yearly figures on a service award's page are those GET /applications/{id}/finance gives,
// made from the award's years and tranches the page has already read.
func TestAwardFinanceFromTheApplicationIsTheAPIs(t *testing.T) {
	s := newSite(t)
	book := newFinanceBook(t, s.Store)
	ctx := context.Background()
	api := &apiv1.Server{Store: s.Store}
	officer, err := s.Store.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	d, err := api.Application(ctx, officer, book.service)
	if err != nil {
		t.Fatal(err)
	}
	fin, err := api.Finance(ctx, officer, book.service)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(apiv1.FinanceOf(*d.Award, d.AwardYears, d.Tranches))
	want, _ := json.Marshal(fin)
	if string(got) != string(want) {
		t.Errorf("from the application:\n%s\nfrom the API:\n%s", got, want)
	}
	if fin.Total.Released != money.Pounds(50000) || fin.Total.Held != money.Pounds(25000) || len(fin.Years) != 1 {
		t.Errorf("the book's award is %+v, want two tranches released and one held", fin)
	}
	if fin.StartDate != book.agreementStart.Format(time.DateOnly) || fin.EndDate != book.agreementEnd.Format(time.DateOnly) {
		t.Errorf("the award's agreement runs %s to %s, want %s to %s", fin.StartDate, fin.EndDate, book.agreementStart, book.agreementEnd)
	}
	for _, who := range []string{"officer@opcc.example.org", "finance@opcc.example.org"} {
		p := s.signedIn(who).get(fmt.Sprintf("/applications/%d", book.service))
		checkMarkup(t, p)
		p.mustContain(t, "£50,000.00", "£25,000.00", "Agreement starts "+book.agreementStart.Format("2 January 2006"),
			"Agreement ends "+book.agreementEnd.Format("2 January 2006"))
	}
}
