package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/scheme"
)

// An applicant's steps on the application page, against the whole running system: the officers
// move the grant on through the JSON API, and the applicant answers, accepts and reports on the
// page, as a person without JavaScript would.

const webApplicant = "applicant@riverside-youth.example.org"

// documentLink finds the page's download link for the document named (e.g. "Award letter").
func documentLink(t *testing.T, p page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`href="(/documents/\d+)"[^>]*>` + regexp.QuoteMeta(name)).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("%s has no link to the %s:\n%s", p.Path, name, p.text())
	}
	return m[1]
}

func TestWebApplicantAnswersAcceptsAndReports(t *testing.T) {
	s := newSystem(t)
	applicant := s.signIn(t, webApplicant, demo.Password)
	assessor, officer, finance := s.staff(t, "assessor"), s.staff(t, "officer"), s.staff(t, "finance")
	id := s.applyFor(t, applicant, 450000)
	api := fmt.Sprintf("/api/v1/applications/%d", id)
	path := fmt.Sprintf("/applications/%d", id)

	// Another organisation's applicant, signed in on the pages.
	s.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", map[string]any{
		"organisation": map[string]string{"name": "Hilltop Tenants Association", "type": "community_group", "address": "2 Hill Road, Melton Mowbray", "postcode": "LE13 0ZZ"},
		"user":         map[string]string{"name": "Sam Example", "email": "sam@hilltop.example.org", "password": demo.Password},
	})
	other := s.webSignIn(t, "sam@hilltop.example.org")

	w := s.webSignIn(t, webApplicant)
	w.get(path).mustSay(t, http.StatusOK, "Safer Streets after dark", "Being assessed", "What happens next", "An assessor is scoring the application")

	// The officer asks a question; the page shows it with the answer box.
	s.must(t, http.StatusOK, "POST", api+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Strong local project"})
	deadline := time.Now().AddDate(0, 0, 14)
	s.must(t, http.StatusOK, "POST", api+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "request_information", "question": "How many young people will each session reach?", "deadline": deadline.Format(time.DateOnly)})
	s.awaitStatus(t, applicant, id, "information_requested")
	w.get(path).mustSay(t, http.StatusOK, "Information requested", "Answer the questions we have asked you", "How many young people will each session reach?",
		"Send your answer by "+deadline.In(scheme.London).Format("2 January 2006"))

	// An empty answer is refused on the page; nothing is sent.
	w.post(path+"/information-response", url.Values{"answer": {" "}}).mustSay(t, http.StatusUnprocessableEntity,
		"There is a problem", "Enter your answer to the question")
	if got := s.must(t, http.StatusOK, "GET", api, applicant, nil).str("status"); got != "information_requested" {
		t.Fatalf("after an empty answer the status is %s", got)
	}
	// Another organisation finds nothing to answer.
	other.get("/sign-out")
	other.post(path+"/information-response", url.Values{"answer": {"Ours now"}}).mustSay(t, http.StatusNotFound, "Page not found")

	answered := w.post(path+"/information-response", url.Values{"answer": {"About twenty a session, aged 11 to 17."}})
	answered.mustSay(t, http.StatusOK, "Your answer has been sent", "About twenty a session, aged 11 to 17.")
	if answered.Path != path+"?done=answered" {
		t.Errorf("after answering the page is %s", answered.Path)
	}
	s.awaitStatus(t, applicant, id, "assessment")

	// Assessed again and approved: the offer is on the page with its letter.
	s.must(t, http.StatusOK, "POST", api+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Numbers confirmed"})
	s.must(t, http.StatusOK, "POST", api+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 425000, "purpose": "Evening detached youth work in Melton town centre.",
		"conditions": []string{"Acknowledge the Commissioner's funding in publicity"}, "reasons": "Targets the hotspots."})
	s.awaitStatus(t, applicant, id, "offered")
	s.awaitDocument(t, applicant, id, "award_letter")
	offer := w.get(path)
	offer.mustSay(t, http.StatusOK, "Accept the offer of a grant", "Your offer", "£4,250.00", "Evening detached youth work in Melton town centre.",
		"Acknowledge the Commissioner's funding in publicity", "Award letter (PDF)")
	letter := documentLink(t, offer, "Award letter")
	if pdf := w.get(letter); pdf.Status != http.StatusOK || !strings.HasPrefix(pdf.Body, "%PDF") {
		t.Fatalf("the award letter did not download as a PDF: %d %.20q", pdf.Status, pdf.Body)
	}
	other.get(letter).mustSay(t, http.StatusNotFound, "Page not found")
	other.get(path).mustSay(t, http.StatusNotFound, "Page not found")

	// Accepting without the confirmation is refused; with it, accepted.
	w.get(path)
	w.post(path+"/acceptance", nil).mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Confirm that you have read the offer and accept its terms and conditions")
	if got := s.must(t, http.StatusOK, "GET", api, applicant, nil).str("status"); got != "offered" {
		t.Fatalf("after a refused acceptance the status is %s", got)
	}
	other.post(path+"/acceptance", acceptForm()).mustSay(t, http.StatusNotFound, "Page not found")
	w.post(path+"/acceptance", acceptForm()).mustSay(t, http.StatusOK, "You have accepted the offer", "Offer accepted")
	s.awaitStatus(t, applicant, id, "accepted")
	w.post(path+"/acceptance", acceptForm()).mustSay(t, http.StatusConflict, "This could not be done", "Nothing has been changed.")

	// Paid: the payment is on the page, and the report is sent there. Spending more than was paid
	// is the workflow's refusal, shown against the amount with everything typed kept.
	s.signOffPayment(t, api, 0)
	s.must(t, http.StatusOK, "POST", api+"/payments", finance, map[string]any{
		"amount_pence": 425000, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-20261122-01"})
	s.awaitStatus(t, applicant, id, "paid")
	w.get(path).mustSay(t, http.StatusOK, "Send your report", "Payments made", "BACS-20261122-01", "You have been paid £4,250.00")
	report := url.Values{"report.summary": {"Ran 30 evening sessions for 212 young people."}, "report.outcomes": {"Anti-social behaviour reports fell by a fifth."}}
	report.Set("report.spent", "5,000.00")
	// Who it reached, by age, in the ward its form named (the scheme lists Melton's wards).
	w.get(path).mustSay(t, http.StatusOK, "How many people did the project reach?", "Melton: Melton Egerton")
	report.Set("report.reached.0.under_18", "150")
	report.Set("report.reached.0.18_24", "62")
	tooMuch := w.post(path+"/report", report)
	tooMuch.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Amount spent: £5,000.00 is more than the £4,250.00 paid",
		"Ran 30 evening sessions for 212 young people.")
	if !strings.Contains(tooMuch.Body, `href="#report-spent"`) || !strings.Contains(tooMuch.Body, `value="5,000.00"`) {
		t.Errorf("the refusal is not linked to the amount, or the amount was not kept:\n%s", tooMuch.text())
	}
	other.post(path+"/report", report).mustSay(t, http.StatusNotFound, "Page not found")
	report.Set("report.spent", "4,250.00")
	w.post(path+"/report", report).mustSay(t, http.StatusOK, "Your report has been sent", "Report sent", "Anti-social behaviour reports fell by a fifth.")
	s.awaitStatus(t, applicant, id, "report_submitted")
	reached := s.must(t, http.StatusOK, "GET", api, applicant, nil)
	if got := fmt.Sprint(dig(reached.Body, "reports", "0", "beneficiaries")); got != "[map[age_band:under_18 area:Melton count:150 ward:Melton: Melton Egerton] map[age_band:18_24 area:Melton count:62 ward:Melton: Melton Egerton]]" {
		t.Errorf("the report sent from the page reached %s", got)
	}
	w.get(path).mustSay(t, http.StatusOK, "People the project reached: report version 1", "Melton: Melton Egerton")

	// The list links to the page; the history tells the story newest first.
	list := w.get("/applications")
	list.mustSay(t, http.StatusOK, "Safer Streets after dark", "Report sent")
	if !strings.Contains(list.Body, fmt.Sprintf(`href="%s"`, path)) {
		t.Errorf("the list does not link to %s", path)
	}
	story := w.get(path).text()
	if i, j := strings.Index(story, "End-of-grant report submitted"), strings.Index(story, "Offer accepted"); i < 0 || j < 0 || i > j {
		t.Errorf("the history is not newest first:\n%s", story)
	}
}

// A service provider sends a quarterly monitoring return on the page: the quarters open now are
// offered, mistakes are named, and the return reaches the officer's review.
func TestWebApplicantSendsAMonitoringReturn(t *testing.T) {
	clock := time.Date(2026, time.October, 20, 10, 0, 0, 0, scheme.London)
	s := newSystemAt(t, yearStart) // decided on 1 April 2026, the agreement starting then; later moved to clock
	const perYear = 15_000_000
	provider, id := s.serviceApplication(t, "Safe Haven Domestic Abuse Partnership", perYear, 2026, 3)
	s.driveToActive(t, provider, id, perYear, 2026, 3)
	s.advanceTo(t, id, clock)
	path := fmt.Sprintf("/applications/%d", id)

	w := s.webSignInWith(t, "safe@provider.example.org", "a long enough password")
	p := w.get(path)
	p.mustSay(t, http.StatusOK, "Send your monitoring return", "Send a monitoring return", "Q1 2026-27", "Q2 2026-27",
		"High-risk victims supported", "Quarterly payments", "Grant agreement (PDF)")
	if strings.Contains(p.text(), "Q3 2026-27 Due by") {
		t.Error("the Q3 return is offered before it opens")
	}

	// Mistakes: each named, nothing sent.
	ret := url.Values{"return.quarter": {"2026-1"}, "return.indicators.0": {"58"}, "return.indicators.1": {"forty"},
		"return.spend": {"30,000.00"}, "return.incidents": {"1"}, "return.beneficiaries.0.18_24": {"12"}, "return.beneficiaries.1.25_plus": {"46"}}
	w.post(path+"/returns", ret).mustSay(t, http.StatusUnprocessableEntity, "There is a problem",
		"The figure for Safety plans completed must be a whole number, like 12", "Tell us how the quarter went")
	if got := s.must(t, http.StatusOK, "GET", "/api/v1"+path, provider, nil); dig(got.Body, "returns") != nil && len(dig(got.Body, "returns").([]any)) > 0 {
		t.Fatalf("a return with mistakes was recorded: %v", dig(got.Body, "returns"))
	}

	ret.Set("return.indicators.1", "40")
	ret.Set("return.narrative", "Caseloads steady; one safeguarding referral made to adult social care.")
	sent := w.post(path+"/returns", ret)
	sent.mustSay(t, http.StatusOK, "Your monitoring return has been sent", "Monitoring returns", "Q1 2026-27", "Awaiting review")
	detail := s.must(t, http.StatusOK, "GET", "/api/v1"+path, provider, nil)
	if got := dig(detail.Body, "returns", "0", "content", "indicators", "1", "actual"); got != float64(40) {
		t.Fatalf("the return's second indicator = %v, want 40: %v", got, dig(detail.Body, "returns"))
	}
	if got := dig(detail.Body, "returns", "0", "content", "beneficiaries", "1", "count"); got != float64(46) {
		t.Fatalf("the return's beneficiaries = %v", dig(detail.Body, "returns", "0", "content", "beneficiaries"))
	}
	// Q1 now awaits review: it is no longer offered, and sending it again is refused on the page.
	if strings.Contains(sent.text(), "Q1 2026-27 Due by") {
		t.Error("Q1 is still offered while its return awaits review")
	}
	w.post(path+"/returns", ret).mustSay(t, http.StatusUnprocessableEntity, "Select one of the quarters listed")
}
