package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/http/web"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// These tests need no workflow: the application page reads what the store holds, and every
// refusal checked here comes before a step would be sent. The steps themselves are driven in
// e2e/web_applicant_test.go.

// signInAs signs a demo or registered account in through the sign-in page.
func signInAs(t *testing.T, s *site, email string) *browser {
	t.Helper()
	b := s.browser()
	b.fill("/sign-in", "/sign-in", url.Values{"email": {email}, "password": {demo.Password}})
	return b
}

// registerOther registers another organisation and signs its applicant in.
func registerOther(t *testing.T, s *site) *browser {
	t.Helper()
	b := s.browser()
	b.fill("/register", "/register", url.Values{
		"organisation.name": {"Hilltop Tenants' Association"}, "organisation.type": {"community_group"},
		"organisation.address": {"2 Hill Road"}, "organisation.postcode": {"LE13 0ZZ"},
		"user.name": {"Sam Example"}, "user.email": {"sam@hilltop.example.org"}, "user.password": {"correct horse battery"},
	}).mustBe(t, http.StatusOK, "/applications?registered=1")
	return b
}

// offeredGrant puts a grassroots application of the demo applicant at the offered stage, with the
// award and its letter, as the workflow's activities would have recorded them.
func offeredGrant(t *testing.T, st *store.Store) (appID, letterID int64) {
	t.Helper()
	ctx := context.Background()
	u, err := st.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	gcf := schemeID(t, st, "grassroots")
	rounds, _ := st.Rounds(ctx, gcf)
	start, end := time.Now().AddDate(0, 1, 0), time.Now().AddDate(0, 10, 0)
	appID, err = st.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: gcf, RoundID: rounds[0].ID, Title: "Summer youth club",
		Purpose: "Weekly sessions for 11 to 16 year olds", AmountRequested: money.Pounds(4500), ProjectStart: &start, ProjectEnd: &end,
		Areas: []string{"Melton"}, Priorities: []string{"Anti-social behaviour"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.MarkSubmitted(ctx, appID, workflows.ApplicationWorkflowID(appID), time.Now()); err != nil {
		t.Fatal(err)
	}
	conditions, _ := json.Marshal([]string{"Acknowledge the Commissioner's funding in publicity"})
	_, err = st.CreateAward(ctx, store.Award{ApplicationID: appID, Reference: "GCF-TEST-001", Amount: money.Pounds(4250), Purpose: "Evening youth work in Melton",
		Conditions: conditions, Reasons: "Targets the hotspots", ApprovedBy: u.ID, ApprovedRole: "officer", DelegationBand: "officer", RulesVersion: 1,
		DecidedAt: time.Now(), AcceptBy: time.Now().AddDate(0, 0, 28)},
		store.Event{Application: appID, Key: fmt.Sprintf("test-approved-%d", appID), At: time.Now(), ActorName: "Olu Officer", ActorRole: "officer",
			What: "Approved: £4,250.00 awarded", Why: "Targets the hotspots", Status: string(workflows.StageApproved)})
	if err != nil {
		t.Fatal(err)
	}
	letter, err := st.SaveDocument(ctx, store.Document{ApplicationID: appID, Kind: "award_letter", Filename: "award-letter-GCF-TEST-001.pdf",
		Content: []byte("%PDF-1.4 a test letter")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.SaveDocument(ctx, store.Document{ApplicationID: appID, Kind: "finance_award_notice", Filename: "notice.pdf",
		Content: []byte("%PDF-1.4 finance only")}); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordEvent(ctx, store.Event{Application: appID, Key: fmt.Sprintf("test-offered-%d", appID), At: time.Now(), ActorName: "Grantflow",
		ActorRole: "system", What: "Award letter issued", Status: string(workflows.StageOffered)}); err != nil {
		t.Fatal(err)
	}
	return appID, letter.ID
}

// The applicant reads their offered grant: what happens next, the offer with its letter, the
// history; the letter downloads as an attachment. Accepting without ticking the confirmation is
// refused on the page, naming the box, and changes nothing. Staff see the page without the
// applicant's forms; another organisation finds nothing at all, by reading or by posting.
func TestApplicationPageForAnOffer(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	id, letterID := offeredGrant(t, s.Store)
	path := fmt.Sprintf("/applications/%d", id)

	b := signInAs(t, s, demo.Accounts[0].Email)
	p := b.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	p.mustContain(t, fmt.Sprintf("Application reference APP-%06d", id)) // as the submission's confirmation gave it
	p.mustContain(t, "Summer youth club", "Riverside Youth Project", "Grassroots Community Fund", "Offer made",
		"What you need to do Accept the offer of a grant.", "Your offer", "£4,250.00", "Evening youth work in Melton",
		"Acknowledge the Commissioner's funding in publicity", "Award letter (PDF)", "Approved: £4,250.00 awarded", "Olu Officer (Commissioning Officer)",
		"Supporting documents (for example your safeguarding policy)")
	p.mustNotContain(t, "Finance award notice")
	if l := findAll(p.Doc, func(n *html.Node) bool {
		return n.Data == "a" && attr(n, "href") == fmt.Sprintf("/documents/%d", letterID)
	}); len(l) == 0 {
		t.Error("no link to the award letter")
	}

	doc := b.get(fmt.Sprintf("/documents/%d", letterID))
	if doc.Status != http.StatusOK || !strings.HasPrefix(doc.Body, "%PDF") || doc.Header.Get("Content-Type") != "application/pdf" ||
		doc.Header.Get("Content-Disposition") != `attachment; filename=award-letter-GCF-TEST-001.pdf` {
		t.Fatalf("award letter: %d %v %q", doc.Status, doc.Header, doc.Body)
	}

	// Nothing given: the bank details and the box are each named and linked, and the offer still stands.
	refused := b.fill(path, path+"/acceptance", nil)
	refused.mustBe(t, http.StatusUnprocessableEntity, path+"/acceptance")
	checkMarkup(t, refused)
	got := refused.summary()
	var hrefs []string
	for _, e := range got {
		hrefs = append(hrefs, e.Href)
	}
	if strings.Join(hrefs, " ") != "#bank-account-name #bank-sort-code #bank-account-number #confirm" || !strings.Contains(got[3].Message, "accept its terms") ||
		got[1].Message != "Enter the sort code" {
		t.Errorf("error summary: %v", got)
	}
	if app, _ := s.Store.Application(ctx, id); app.Status != string(workflows.StageOffered) {
		t.Errorf("status is %s after a refused acceptance", app.Status)
	}

	// The box ticked but a sort code the account number fails the modulus check at: the account
	// number is named, nothing is kept, and what was typed is shown again to mend.
	badBank := b.fill(path, path+"/acceptance", url.Values{"confirm": {"yes"}, "bank.account_name": {"Riverside Youth Project"},
		"bank.sort_code": {"08-99-99"}, "bank.account_number": {"66374959"}})
	badBank.mustBe(t, http.StatusUnprocessableEntity, path+"/acceptance")
	checkMarkup(t, badBank)
	if got := badBank.summary(); len(got) != 1 || got[0].Href != "#bank-account-number" || !strings.HasPrefix(got[0].Message, "This account number is not a valid number at sort code 08-99-99") {
		t.Errorf("error summary for a failed modulus check: %v", got)
	}
	if !strings.Contains(badBank.Body, `value="66374959"`) || !strings.Contains(badBank.Body, `value="Riverside Youth Project"`) {
		t.Error("the refused form does not show again what was typed")
	}
	if _, err := s.Store.PayeeBankDetails(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused bank details were kept: %v", err)
	}
	if app, _ := s.Store.Application(ctx, id); app.Status != string(workflows.StageOffered) {
		t.Errorf("status is %s after refused bank details", app.Status)
	}

	// Staff read the page too, with no applicant's forms.
	officer := signInAs(t, s, "officer@opcc.example.org")
	staffView := officer.get(path)
	staffView.mustBe(t, http.StatusOK, path)
	checkMarkup(t, staffView)
	staffView.mustContain(t, "Summer youth club", "Finance award notice")
	staffView.mustNotContain(t, "Your offer", "What you need to do")

	// Another organisation: not found for the page, the letter and every form.
	other := registerOther(t, s)
	other.get(path).mustBe(t, http.StatusNotFound, path)
	other.get(fmt.Sprintf("/documents/%d", letterID)).mustBe(t, http.StatusNotFound, fmt.Sprintf("/documents/%d", letterID))
	token := other.get("/sign-out").formToken(t, "/sign-out")
	for _, step := range []string{"/acceptance", "/information-response", "/report", "/returns"} {
		r := other.post(path+step, url.Values{"csrf_token": {token}, "confirm": {"yes"}, "answer": {"Mine"}})
		r.mustBe(t, http.StatusNotFound, path+step)
		r.mustContain(t, "Page not found")
	}
	other.get("/documents/999999999").mustBe(t, http.StatusNotFound, "/documents/999999999")
	other.get("/documents/x").mustBe(t, http.StatusNotFound, "/documents/x")
}

// A question asked: the page shows it with its deadline and the answer box; an empty answer is
// refused on the page and nothing is recorded. At the paid stage the report form refuses what is
// not money and keeps everything typed.
func TestApplicantFormsRefuseBadAnswersOnThePage(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	id, _ := offeredGrant(t, s.Store)
	path := fmt.Sprintf("/applications/%d", id)
	u, _ := s.Store.UserByEmail(ctx, "officer@opcc.example.org")
	deadline := time.Date(2031, time.March, 3, 23, 59, 0, 0, time.UTC)
	if err := s.Store.SaveInformationRequest(ctx, store.InformationRequest{ApplicationID: id, Seq: 1, Question: "How many young people will attend each week?",
		Deadline: deadline, AskedBy: u.ID, AskedAt: time.Now()}, store.Event{Application: id, Key: fmt.Sprintf("test-asked-%d", id), At: time.Now(),
		ActorName: "Olu Officer", ActorRole: "officer", What: "Information requested", Status: string(workflows.StageInformationRequested)}); err != nil {
		t.Fatal(err)
	}
	b := signInAs(t, s, demo.Accounts[0].Email)
	p := b.get(path)
	checkMarkup(t, p)
	p.mustContain(t, "Information requested", "Answer our question", "How many young people will attend each week?", "Send your answer by 3 March 2031")

	empty := b.fill(path, path+"/information-response", url.Values{"answer": {"   "}})
	empty.mustBe(t, http.StatusUnprocessableEntity, path+"/information-response")
	checkMarkup(t, empty)
	if got := empty.summary(); len(got) != 1 || got[0].Href != "#answer" || got[0].Message != "Enter your answer to the question" {
		t.Errorf("error summary: %v", got)
	}
	reqs, _ := s.Store.InformationRequests(ctx, id)
	if len(reqs) != 1 || reqs[0].Answer != nil {
		t.Errorf("an empty answer was recorded: %+v", reqs)
	}

	// Paid: the report form keeps what was typed when the amount is not money.
	if err := s.Store.RecordEvent(ctx, store.Event{Application: id, Key: fmt.Sprintf("test-paid-%d", id), At: time.Now(), ActorName: "Fran Finance",
		ActorRole: "finance", What: "Payment recorded: £4,250.00", Status: string(workflows.StagePaid)}); err != nil {
		t.Fatal(err)
	}
	// It asks who the project reached: the application serves Melton, whose wards the scheme
	// lists, and named none of them, so every ward of Melton it lists, by age band.
	p = b.get(path)
	p.mustContain(t, "How many people did the project reach?", "Melton: Melton Egerton", "Melton: Melton Warwick", "Under 18", "18 to 24", "25 and over")
	for _, id := range []string{"report-reached-0-under-18", "report-reached-3-25-plus"} {
		if byID(p.Doc, id) == nil {
			t.Errorf("no box %s", id)
		}
	}
	bad := b.fill(path, path+"/report", url.Values{"report.summary": {"Ran 30 evening sessions."}, "report.spent": {"about four grand"},
		"report.reached.0.18_24": {"lots"}, "report.reached.1.under_18": {"12"}})
	bad.mustBe(t, http.StatusUnprocessableEntity, path+"/report")
	checkMarkup(t, bad)
	want := []summaryItem{{"#report-outcomes", "Enter the outcomes: what changed because of the funding"},
		{"#report-spent", "Enter the amount spent in pounds and pence, like 1,250.00"},
		{"#report-reached-0-18-24", "The number of people aged 18 to 24 in Melton: Melton Egerton must be a whole number, like 12"}}
	if got := bad.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("error summary:\n got %v\nwant %v", got, want)
	}
	if got := textOf(byID(bad.Doc, "report-summary")); got != "Ran 30 evening sessions." {
		t.Errorf("summary kept as %q", got)
	}
	if got := attr(byID(bad.Doc, "report-spent"), "value"); got != "about four grand" {
		t.Errorf("amount kept as %q", got)
	}
	if got := attr(byID(bad.Doc, "report-reached-1-under-18"), "value"); got != "12" {
		t.Errorf("people reached kept as %q", got)
	}
	// Nothing said of who it reached: asked for, even with everything else in order.
	unsaid := b.fill(path, path+"/report", url.Values{"report.summary": {"Ran 30 evening sessions."}, "report.outcomes": {"ASB fell."},
		"report.spent": {"4,250.00"}})
	unsaid.mustBe(t, http.StatusUnprocessableEntity, path+"/report")
	want = []summaryItem{{"#report-reached-0-under-18", "Enter how many people the project reached in each place and age group, or 0 if it reached none there"}}
	if got := unsaid.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("error summary with no one reached:\n got %v\nwant %v", got, want)
	}
	// Text that is not UTF-8 in a box of people reached is refused, never sent.
	garbled := b.fill(path, path+"/report", url.Values{"report.summary": {"Ran 30 evening sessions."}, "report.outcomes": {"ASB fell."},
		"report.spent": {"4,250.00"}, "report.reached.2.25_plus": {"\xff\xfe"}})
	garbled.mustBe(t, http.StatusUnprocessableEntity, path+"/report")
	if reports, _ := s.Store.GrantReports(ctx, id); len(reports) != 0 {
		t.Errorf("a report was recorded: %+v", reports)
	}
}

// The applicant's list links each application: a draft to its form, a submitted one to its page.
func TestApplicationsListLinksEachApplication(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	id, _ := offeredGrant(t, s.Store)
	u, _ := s.Store.UserByEmail(ctx, demo.Accounts[0].Email)
	gcf := schemeID(t, s.Store, "grassroots")
	rounds, _ := s.Store.Rounds(ctx, gcf)
	draft, err := s.Store.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: gcf, RoundID: rounds[0].ID, Title: "Not finished"})
	if err != nil {
		t.Fatal(err)
	}
	list := signInAs(t, s, demo.Accounts[0].Email).get("/applications")
	checkMarkup(t, list)
	for row, href := range map[string]string{fmt.Sprintf("application-%d", id): fmt.Sprintf("/applications/%d", id),
		fmt.Sprintf("application-%d", draft): fmt.Sprintf("/applications/%d/edit", draft)} {
		tr := byID(list.Doc, row)
		if tr == nil || len(findAll(tr, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == href })) != 1 {
			t.Errorf("row %s does not link to %s", row, href)
		}
	}
}

// serviceFormSite is a site whose submissions go to the Submitter returned, and the page that
// starts an application to the service scheme's first round.
func serviceFormSite(t *testing.T) (*site, *fakeSubmitter, string) {
	t.Helper()
	sub := &fakeSubmitter{}
	s := newSiteWith(t, web.Options{InsecureCookies: true, Submitter: sub})
	rounds, err := s.Store.Rounds(context.Background(), schemeID(t, s.Store, "commissioned-services"))
	if err != nil || len(rounds) == 0 {
		t.Fatal(rounds, err)
	}
	return s, sub, fmt.Sprintf("/applications/new?round=%d", rounds[0].ID)
}

// A service provider starts a service application: one box per financial year the scheme allows,
// outcome and indicator rows, safeguarding and governance. Mistakes are named and linked with
// everything typed kept; good answers are saved as the API would save them and are there on
// return; submitting an incomplete one lists what the API finds missing against the boxes.
func TestServiceApplicationForm(t *testing.T) {
	s, sub, newPath := serviceFormSite(t)
	ctx := context.Background()
	fy := scheme.FinancialYear(time.Now())
	y1, y2, y3 := fmt.Sprintf("service.years.%d", fy), fmt.Sprintf("service.years.%d", fy+1), fmt.Sprintf("service.years.%d", fy+5)

	b := signInAs(t, s, demo.Accounts[0].Email)
	blank := b.get(newPath)
	blank.mustBe(t, http.StatusOK, newPath)
	checkMarkup(t, blank)
	blank.mustContain(t, "Commissioned Services Fund", "Name of the service", "How much do you want to apply for each financial year?",
		fmt.Sprintf("%d-%02d", fy, (fy+1)%100), fmt.Sprintf("%d-%02d", fy+4, (fy+5)%100), "Outcome 3", "Who is your safeguarding lead?")
	blank.mustNotContain(t, "When will the project start?", fmt.Sprintf("%d-%02d", fy+5, (fy+6)%100))
	if byID(blank.Doc, "service-years-"+fmt.Sprint(fy+5)) != nil {
		t.Error("a box for a sixth year is offered")
	}

	typed := url.Values{
		"title": {"IDVA service"}, "purpose": {"Independent advocacy for high-risk victims"}, "areas": {"Leicester"},
		"service.service": {"Independent domestic violence advocacy"}, "service.wards": {"Leicester: Braunstone Park\n\n Charnwood: Loughborough Hastings "},
		y1: {"150,000"}, y2: {"lots"}, y3: {"1"},
		"service.outcomes.0.outcome": {"Victims at high risk are safer"}, "service.outcomes.0.indicators.0.name": {"High-risk victims supported"},
		"service.outcomes.0.indicators.0.unit": {"people"}, "service.outcomes.0.indicators.0.target": {"sixty"},
		"service.safeguarding.policy_reviewed_on-day": {"31"}, "service.safeguarding.policy_reviewed_on-month": {"2"}, "service.safeguarding.policy_reviewed_on-year": {"2026"},
		"service.governance.trustees": {"seven"},
	}
	bad := b.fill(newPath, newPath, typed)
	bad.mustBe(t, http.StatusUnprocessableEntity, newPath)
	checkMarkup(t, bad)
	want := []summaryItem{
		{"#service-years-" + fmt.Sprint(fy+1), fmt.Sprintf("Enter the amount for %d-%02d in pounds and pence, like 150,000.00", fy+1, (fy+2)%100)},
		{"#service-outcomes-0-indicators-0-target", "Target for indicator 1 of outcome 1 must be a whole number, like 60"},
		{"#service-safeguarding-policy-reviewed-on-day", "The date your safeguarding policy was last reviewed must be a real date"},
		{"#service-governance-trustees", "Number of trustees or directors must be a whole number, like 7"},
	}
	if got := bad.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("error summary:\n got %v\nwant %v", got, want)
	}
	for id, v := range map[string]string{"service-years-" + fmt.Sprint(fy+1): "lots", "service-outcomes-0-indicators-0-target": "sixty",
		"service-outcomes-0-indicators-0-name": "High-risk victims supported", "service-service": "Independent domestic violence advocacy"} {
		if got := attr(byID(bad.Doc, id), "value"); got != v {
			t.Errorf("%s kept as %q, want %q", id, got, v)
		}
	}
	if byID(bad.Doc, "service-years-"+fmt.Sprint(fy+5)) != nil {
		t.Error("a year the scheme does not offer was given a box")
	}

	// Good answers are saved (the sixth year's box was never offered, so its value is not read).
	typed.Set(y2, "150,000.00")
	typed.Set("service.outcomes.0.indicators.0.target", "60")
	typed.Set("service.outcomes.0.indicators.1.name", "Safety plans completed")
	typed.Set("service.outcomes.0.indicators.1.target", "45")
	typed.Set("service.safeguarding.policy_reviewed_on-day", "1")
	typed.Set("service.safeguarding.dbs_checks", "yes")
	typed.Set("service.governance.trustees", "7")
	saved := b.fill(newPath, newPath, typed)
	if saved.Status != http.StatusOK || !strings.HasSuffix(saved.Path, "/edit?saved=1") {
		t.Fatalf("saving: %d at %s\n%s", saved.Status, saved.Path, saved.text())
	}
	checkMarkup(t, saved)
	var id int64
	fmt.Sscanf(saved.Path, "/applications/%d/edit", &id)
	app, err := s.Store.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	svc, _ := app.Service()
	if app.AmountRequested != money.Pounds(300000) || len(svc.Years) != 2 || svc.Years[1].FinancialYear != fy+1 ||
		fmt.Sprint(svc.Wards) != "[Leicester: Braunstone Park Charnwood: Loughborough Hastings]" ||
		len(svc.Outcomes) != 1 || len(svc.Outcomes[0].Indicators) != 2 || svc.Outcomes[0].Indicators[0].Key != "high_risk_victims_supported" ||
		svc.Outcomes[0].Indicators[1].QuarterlyTarget != 45 || svc.Safeguarding.PolicyReviewedOn != "2026-02-01" || !svc.Safeguarding.DBSChecks ||
		svc.Governance.Trustees != 7 {
		t.Fatalf("saved as %+v: %+v", app, svc)
	}

	// On return everything is there.
	editPath := fmt.Sprintf("/applications/%d/edit", id)
	again := signInAs(t, s, demo.Accounts[0].Email).get(editPath)
	checkMarkup(t, again)
	for id, v := range map[string]string{"service-years-" + fmt.Sprint(fy): "150,000.00", "service-outcomes-0-indicators-1-target": "45",
		"service-safeguarding-policy-reviewed-on-month": "2", "service-governance-trustees": "7"} {
		if got := attr(byID(again.Doc, id), "value"); got != v {
			t.Errorf("on return %s is %q, want %q", id, got, v)
		}
	}
	if !hasAttr(byID(again.Doc, "service-safeguarding-dbs-checks"), "checked") {
		t.Error("on return the DBS answer is not chosen")
	}
	again.mustContain(t, "Supporting documents (for example your safeguarding policy)")

	// Submitting: the API finds the lead and priorities missing, and the first year too small.
	typed.Set(y1, "20,000")
	b.fill(editPath, editPath, typed).mustBe(t, http.StatusOK, editPath+"?saved=1")
	api := &apiv1.Server{Store: s.Store}
	sub.then = api.SubmitApplication
	missing := b.fill(editPath, fmt.Sprintf("/applications/%d/submit", id), nil)
	missing.mustBe(t, http.StatusUnprocessableEntity, fmt.Sprintf("/applications/%d/submit", id))
	checkMarkup(t, missing)
	want = []summaryItem{
		{"#priorities", "Priorities: name at least one Police and Crime Plan priority"},
		{"#service-description", "Describe the service"},
		{"#service-years-" + fmt.Sprint(fy), fmt.Sprintf("Amount for %d-%02d must be between £25,000.00 and £500,000.00 a year", fy, (fy+1)%100)},
		{"#service-safeguarding-lead", "Enter the name or role of your safeguarding lead"},
	}
	if got := missing.summary(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("submission refused:\n got %v\nwant %v", got, want)
	}

	// Another organisation cannot read or change it.
	other := registerOther(t, s)
	other.get(editPath).mustBe(t, http.StatusNotFound, editPath)
	token := other.get("/sign-out").formToken(t, "/sign-out")
	other.post(editPath, url.Values{"csrf_token": {token}, "service.service": {"Mine now"}}).mustBe(t, http.StatusNotFound, editPath)
	if app, _ := s.Store.Application(ctx, id); !strings.Contains(string(app.ServiceJSON), "Independent domestic violence advocacy") {
		t.Error("another organisation changed the service")
	}

	// A refusal of no field says so on its own page.
	sub.then = func(context.Context, store.User, int64) error {
		return httperr.Conflict("round_closed", "the round has closed")
	}
	b.fill(editPath, fmt.Sprintf("/applications/%d/submit", id), nil).mustContain(t, "Your application could not be submitted", "The round has closed.")
}

// The service form asks when the applicant would like the service to start, as a GOV.UK date
// input: a date that is not real or lacks its day is refused on the field with everything typed
// kept; a good one is saved with the draft and is there on return; one outside the first year
// asked for is refused at submission by the API's own rule, on the same field. Staff read it on
// the application page as the proposed start.
func TestServiceApplicationProposedStart(t *testing.T) {
	s, sub, newPath := serviceFormSite(t)
	ctx := context.Background()
	fy := scheme.FinancialYear(time.Now())
	b := signInAs(t, s, demo.Accounts[0].Email)
	b.get(newPath).mustContain(t, "When would you like the service to start? (optional)", "It must be in the first financial year you apply for")

	typed := url.Values{"title": {"IDVA service"}, "service.service": {"Independent domestic violence advocacy"},
		fmt.Sprintf("service.years.%d", fy): {"150,000.00"}, fmt.Sprintf("service.years.%d", fy+1): {"150,000.00"}}
	for name, c := range map[string]struct {
		day, month, year string
		want             summaryItem
	}{
		"not a real date": {"31", "2", fmt.Sprint(fy + 1), summaryItem{"#service-start-date-day", "The date you propose the service starts must be a real date"}},
		"no day":          {"", "12", fmt.Sprint(fy), summaryItem{"#service-start-date-day", "The date you propose the service starts must include a day"}},
		"no year":         {"6", "12", "", summaryItem{"#service-start-date-year", "The date you propose the service starts must include a year"}},
	} {
		t.Run(name, func(t *testing.T) {
			typed.Set("service.start_date-day", c.day)
			typed.Set("service.start_date-month", c.month)
			typed.Set("service.start_date-year", c.year)
			bad := b.fill(newPath, newPath, typed)
			bad.mustBe(t, http.StatusUnprocessableEntity, newPath)
			checkMarkup(t, bad)
			if got := bad.summary(); len(got) != 1 || got[0] != c.want {
				t.Errorf("error summary %v, want [%v]", got, c.want)
			}
			if msg := byID(bad.Doc, "service-start-date-error"); msg == nil || !strings.Contains(textOf(msg), c.want.Message) {
				t.Error("the message is not on the field")
			}
			for id, v := range map[string]string{"service-start-date-day": c.day, "service-start-date-month": c.month, "service-start-date-year": c.year,
				"service-service": "Independent domestic violence advocacy", fmt.Sprintf("service-years-%d", fy+1): "150,000.00"} {
				if got := attr(byID(bad.Doc, id), "value"); got != v {
					t.Errorf("%s kept as %q, want %q", id, got, v)
				}
			}
		})
	}

	// A good date is saved with the draft, as the API saves service.start_date, and shown on return.
	typed.Set("service.start_date-day", "6")
	typed.Set("service.start_date-month", "12")
	typed.Set("service.start_date-year", fmt.Sprint(fy))
	saved := b.fill(newPath, newPath, typed)
	if saved.Status != http.StatusOK || !strings.HasSuffix(saved.Path, "/edit?saved=1") {
		t.Fatalf("saving: %d at %s\n%s", saved.Status, saved.Path, saved.text())
	}
	var id int64
	fmt.Sscanf(saved.Path, "/applications/%d/edit", &id)
	app, err := s.Store.Application(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if svc, _ := app.Service(); svc.StartDate != fmt.Sprintf("%d-12-06", fy) {
		t.Errorf("saved start date %q, want %d-12-06", svc.StartDate, fy)
	}
	editPath := fmt.Sprintf("/applications/%d/edit", id)
	again := b.get(editPath)
	checkMarkup(t, again)
	for id, v := range map[string]string{"service-start-date-day": "6", "service-start-date-month": "12", "service-start-date-year": fmt.Sprint(fy)} {
		if got := attr(byID(again.Doc, id), "value"); got != v {
			t.Errorf("on return %s is %q, want %q", id, got, v)
		}
	}

	// A date in the second year asked for is saved (a draft may hold it) but refused at submission,
	// by the API's rule, on the field; the draft is shown as saved.
	typed.Set("service.start_date-year", fmt.Sprint(fy+1))
	b.fill(editPath, editPath, typed).mustBe(t, http.StatusOK, editPath+"?saved=1")
	sub.then = (&apiv1.Server{Store: s.Store}).SubmitApplication
	submitPath := fmt.Sprintf("/applications/%d/submit", id)
	refused := b.fill(editPath, submitPath, nil)
	refused.mustBe(t, http.StatusUnprocessableEntity, submitPath)
	checkMarkup(t, refused)
	want := summaryItem{"#service-start-date-day", fmt.Sprintf("The date you propose the service starts must fall in %s, the first financial year asked for",
		scheme.FinancialYearLabel(fy))}
	if got := refused.summary(); !slices.Contains(got, want) {
		t.Errorf("submission refused with %v; want it to include %v", got, want)
	}
	if got := attr(byID(refused.Doc, "service-start-date-year"), "value"); got != fmt.Sprint(fy+1) {
		t.Errorf("the saved year is shown as %q", got)
	}
	if len(sub.calls) != 1 {
		t.Fatalf("submitter called %v", sub.calls)
	}
	// Submitted with the date in the first year, staff read it on the application page.
	typed.Set("service.start_date-year", fmt.Sprint(fy))
	b.fill(editPath, editPath, typed).mustBe(t, http.StatusOK, editPath+"?saved=1")
	if err := s.Store.MarkSubmitted(ctx, id, workflows.ApplicationWorkflowID(id), time.Now()); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/applications/%d", id)
	page := signInAs(t, s, "officer@opcc.example.org").get(path)
	page.mustBe(t, http.StatusOK, path)
	checkMarkup(t, page)
	if got := strings.TrimSpace(textOf(byID(page.Doc, "proposed-start"))); got != fmt.Sprintf("6 December %d", fy) {
		t.Errorf("the application page's proposed start is %q", got)
	}
	page.mustContain(t, "Proposed start")
}
