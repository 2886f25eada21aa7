package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
)

// Staff steps on the application page, against the whole running system: the applicant applies
// through the JSON API, and assessors, officers and the Commissioner take their steps on the page,
// as people without JavaScript would.

// scoreForm is the scoring form filled in: deliverability scored as given, every other criterion
// scored and explained.
func scoreForm(deliverability string) url.Values {
	v := url.Values{"staff-form": {"assess"}, "assess-no-conflict": {"yes"}, "assess-recommendation": {"fund"},
		"assess-comment": {"A strong local project"}}
	for i, s := range []string{"4", "4", deliverability, "3", "5"} {
		v.Set(fmt.Sprintf("assess-score-%d", i), s)
		v.Set(fmt.Sprintf("assess-comment-%d", i), fmt.Sprintf("Reason for criterion %d", i+1))
	}
	return v
}

// approveForm is the approval form filled in.
func approveForm(amount string) url.Values {
	return url.Values{"staff-form": {"approve"}, "decision-outcome": {"approve"}, "approve-no-conflict": {"yes"}, "decision-amount": {amount},
		"decision-purpose":    {"Evening detached youth work in Melton town centre."},
		"decision-conditions": {"Acknowledge the Commissioner's funding in publicity\r\nKeep an up-to-date safeguarding policy"},
		"decision-reasons":    {"Targets the anti-social behaviour hotspots identified by the neighbourhood policing team."}}
}

func (s *system) status(t *testing.T, token string, id int64) string {
	t.Helper()
	return s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d", id), token, nil).str("status")
}

// An assessor scores a grant on the page and an officer approves it there; each mistake is refused
// with the field named and the answers kept, and nothing moves until the form is right.
func TestWebStaffScoreAndApproveAGrant(t *testing.T) {
	s := newSystem(t)
	applicant := s.signIn(t, webApplicant, demo.Password)
	id := s.applyFor(t, applicant, 450000)
	path := fmt.Sprintf("/applications/%d", id)

	assessor := s.webSignIn(t, "assessor@opcc.example.org")
	work := assessor.get("/work")
	work.mustSay(t, http.StatusOK, "Awaiting your scores", "Safer Streets after dark", "Score the application")
	assessor.get(path).mustSay(t, http.StatusOK, "Score the application", "Fit with Police and Crime Plan priorities", "Weight 30%",
		"A score below 2 makes the application not fundable.")

	// A criterion left unscored: refused on the page, every answer kept, nothing sent.
	missing := scoreForm("")
	p := assessor.post(path+"/assessments", missing)
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Select a score for Deliverability and governance")
	if !strings.Contains(p.Body, `href="#assess-score-2"`) || !strings.Contains(p.Body, "Reason for criterion 5") {
		t.Errorf("the error is not linked to its field, or the answers were lost:\n%s", p.text())
	}
	// What the API refuses comes back on its field too.
	long := scoreForm("4")
	long.Set("assess-comment-0", strings.Repeat("a", 5001))
	p = assessor.post(path+"/assessments", long)
	p.mustSay(t, http.StatusUnprocessableEntity, "Why Fit with Police and Crime Plan priorities scored as it did must be at most 5000 characters")
	if !strings.Contains(p.Body, `<a href="#assess-comment-0">`) {
		t.Errorf("the refusal is not linked to the comment:\n%s", p.text())
	}
	if got := s.status(t, applicant, id); got != "assessment" {
		t.Fatalf("after a refused form the status is %s", got)
	}
	done := assessor.post(path+"/assessments", scoreForm("4"))
	done.mustSay(t, http.StatusOK, "Your assessment has been recorded", "Weighted score", "Reason for criterion 3")
	if done.Path != path+"?done=assessed" {
		t.Errorf("after scoring the assessor is at %s", done.Path)
	}
	if got := s.status(t, applicant, id); got != "decision" {
		t.Fatalf("after scoring the status is %s", got)
	}

	// A second officer declares a conflict (saying what it is): the scores and the decision are no
	// longer theirs to see.
	orla := s.webSignIn(t, "officer2@opcc.example.org")
	orla.get(path).mustSay(t, http.StatusOK, "Declare a conflict of interest", "Reason for criterion 1")
	p = orla.post(path+"/conflicts", url.Values{"staff-form": {"conflict"}, "conflict": {"yes"}})
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Details of the conflict: say what the conflict of interest is")
	if !strings.Contains(p.Body, `<a href="#conflict-details">`) {
		t.Errorf("the refusal is not linked to the details:\n%s", p.text())
	}
	p = orla.post(path+"/conflicts", url.Values{"staff-form": {"conflict"}, "conflict": {"yes"}, "conflict-details": {"My sister chairs the group."}})
	p.mustSay(t, http.StatusOK, "Your declaration has been recorded")
	for _, hidden := range []string{"Reason for criterion 1", "Approve a grant", "Weighted score"} {
		if strings.Contains(p.text(), hidden) {
			t.Errorf("after declaring a conflict the page still shows %q", hidden)
		}
	}

	officer := s.webSignIn(t, "officer@opcc.example.org")
	officer.get("/work").mustSay(t, http.StatusOK, "Decision (1)", "Safer Streets after dark")
	officer.get(path).mustSay(t, http.StatusOK, "Decide on the application", "Alex Assessor", "Delegated authority",
		"The full amount requested (£4,500.00) falls in the Commissioning officer band.", "You may approve awards up to £5,000.00.",
		"Budget left in the Grassroots Community Fund", "£150,000.00")

	// An amount that is not money never reaches the workflow.
	p = officer.post(path+"/decision", approveForm("abc"))
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Enter the amount to award in pounds and pence, like 4,250.00")
	if !strings.Contains(p.Body, `value="abc"`) || !strings.Contains(p.Body, "Keep an up-to-date safeguarding policy") {
		t.Errorf("the answers were not kept:\n%s", p.text())
	}
	// More than was asked for: the workflow's refusal, on the amount.
	p = officer.post(path+"/decision", approveForm("4,600.00"))
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "£4,600.00 is more than the £4,500.00 requested")
	if !strings.Contains(p.Body, `<a href="#decision-amount">`) {
		t.Errorf("the refusal is not linked to the amount:\n%s", p.text())
	}
	// No conditions: the workflow names the field.
	noConditions := approveForm("4,250.00")
	noConditions.Set("decision-conditions", " \r\n ")
	officer.post(path+"/decision", noConditions).mustSay(t, http.StatusUnprocessableEntity,
		"Conditions of grant: give at least one condition of grant; the award letter lists them")
	if got := s.status(t, applicant, id); got != "decision" {
		t.Fatalf("after refused decisions the status is %s", got)
	}

	officer.post(path+"/decision", approveForm("4,250.00")).mustSay(t, http.StatusOK, "The decision has been recorded")
	s.awaitStatus(t, applicant, id, "offered")
	officer.get(path).mustSay(t, http.StatusOK, "Offer made", "£4,250.00")
	if q := officer.get("/work"); !strings.Contains(q.text(), "Decision (0)") {
		t.Errorf("the decision queue still lists the grant:\n%s", q.text())
	}

	// Accepted, paid and reported on: the officer reviews the report on the page.
	api := fmt.Sprintf("/api/v1/applications/%d", id)
	s.must(t, http.StatusOK, "POST", api+"/acceptance", applicant, testBank)
	s.signOffPayment(t, api, 0)
	s.must(t, http.StatusOK, "POST", api+"/payments", s.staff(t, "finance"), map[string]any{
		"amount_pence": 425000, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-1"})
	s.must(t, http.StatusOK, "POST", api+"/report", applicant, map[string]any{
		"summary": "Ran 30 evening sessions.", "outcomes": "ASB reports in the area fell.", "spent_pence": 425000})
	officer.get("/work").mustSay(t, http.StatusOK, "Returns and reports to review (1)", "End-of-grant report")
	officer.get(path).mustSay(t, http.StatusOK, "Review the end-of-grant report", "Version 1, sent", "reports £4,250.00 spent")
	officer.post(path+"/report-review", url.Values{"staff-form": {"report"}, "report-review-outcome": {"request_changes"}}).
		mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "The comment: say what needs to change")
	officer.post(path+"/report-review", url.Values{"staff-form": {"report"}, "report-review-outcome": {"accept"}, "report-review-comment": {"Thank you."}}).
		mustSay(t, http.StatusOK, "Your review has been recorded", "Closed")
}

// An officer whose delegated limit is below the amount is told so before and when approving, on
// the amount; the head of commissioning approves it.
func TestWebStaffApprovalAboveTheOfficersBand(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	// This scheme's officers may approve up to £1,000.00.
	list, err := s.Store.Schemes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		if sc.Slug == "grassroots" {
			sc.Rules.Delegation[0].UpTo = money.Pounds(1000)
			if _, err := s.Store.UpsertScheme(ctx, sc); err != nil {
				t.Fatal(err)
			}
		}
	}
	applicant := s.signIn(t, webApplicant, demo.Password)
	id := s.applyFor(t, applicant, 450000)
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/assessments", id), s.staff(t, "assessor"), map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Strong local project"})
	path := fmt.Sprintf("/applications/%d", id)

	officer := s.webSignIn(t, "officer@opcc.example.org")
	officer.get(path).mustSay(t, http.StatusOK, "You may approve awards up to £1,000.00.",
		"The full amount requested (£4,500.00) falls in the Head of commissioning band.",
		"You cannot approve the full amount requested: £4,500.00 needs approval by the Head of commissioning")
	p := officer.post(path+"/decision", approveForm("4,500.00"))
	p.mustSay(t, http.StatusForbidden, "There is a problem",
		"£4,500.00 needs approval by the Head of commissioning (band over £1,000.00 up to £100,000.00); a Commissioning officer may approve up to £1,000.00")
	if !strings.Contains(p.Body, `<a href="#decision-amount">`) || !strings.Contains(p.Body, `value="4,500.00"`) {
		t.Errorf("the refusal is not on the amount, or the amount was lost:\n%s", p.text())
	}
	if got := s.status(t, applicant, id); got != "decision" {
		t.Fatalf("after a refused approval the status is %s", got)
	}

	head := s.webSignIn(t, "head@opcc.example.org")
	head.get(path).mustSay(t, http.StatusOK, "You may approve awards up to £100,000.00.")
	head.post(path+"/decision", approveForm("4,500.00")).mustSay(t, http.StatusOK, "The decision has been recorded")
	s.awaitStatus(t, applicant, id, "offered")
}

// A service award on the pages, on a clock set to 20 October 2026 so that the first quarters'
// returns can be sent at once: the officer names the panel (too small a panel is refused on the
// field), the panel scores, the officer moderates (an amount above the request is refused on its
// year), the head of commissioning is told the award is above their band, the Commissioner
// approves; after acceptance the officer confirms the conditions precedent and reviews a return,
// the Commissioner varies the award (the officer may not) and the officer ends it early.
func TestWebStaffServiceAwardFromPanelToTermination(t *testing.T) {
	s := newSystemAt(t, yearStart) // decided on 1 April 2026, the agreement starting then; moved to 20 October for the returns
	fy := 2026
	const perYear = 15_000_000 // £150,000.00 a year for two years: the Commissioner's band
	provider, id := s.serviceApplication(t, "Safe Haven Domestic Abuse Partnership", perYear, fy, 2)
	path := fmt.Sprintf("/applications/%d", id)
	assessorToken, officer2Token := s.staff(t, "assessor"), s.signIn(t, "officer2@opcc.example.org", demo.Password)
	alex, orla := strconv.FormatInt(int64(s.userID(t, assessorToken)), 10), strconv.FormatInt(int64(s.userID(t, officer2Token)), 10)

	officer := s.webSignIn(t, "officer@opcc.example.org")
	officer.get("/work").mustSay(t, http.StatusOK, "IDVA service", "Name the assessment panel")
	officer.get(path).mustSay(t, http.StatusOK, "Name the assessment panel", "Alex Assessor", "Orla Officer", "Select at least 2 people")
	due := s.now().AddDate(0, 0, 14)
	panelForm := url.Values{"staff-form": {"panel"}, "panel-assessors": {alex},
		"panel-deadline-day": {strconv.Itoa(due.Day())}, "panel-deadline-month": {strconv.Itoa(int(due.Month()))}, "panel-deadline-year": {strconv.Itoa(due.Year())}}
	p := officer.post(path+"/panel", panelForm)
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Assessors: the panel needs at least 2 assessors without a conflict of interest")
	if !strings.Contains(p.Body, `<a href="#panel-assessors">`) {
		t.Errorf("the refusal is not linked to the assessors:\n%s", p.text())
	}
	panelForm["panel-assessors"] = []string{alex, orla}
	officer.post(path+"/panel", panelForm).mustSay(t, http.StatusOK, "The panel has been named", "Assessment panel", "Alex Assessor", "Orla Officer")

	// Each panel member scores on the page; the second sees the first's scores only after scoring.
	assessor := s.webSignIn(t, "assessor@opcc.example.org")
	assessor.get("/work").mustSay(t, http.StatusOK, "Your scores are needed")
	assessor.get(path)
	assessor.post(path+"/assessments", scoreForm("4")).mustSay(t, http.StatusOK, "Your assessment has been recorded")
	orlaWeb := s.webSignIn(t, "officer2@opcc.example.org")
	before := orlaWeb.get(path)
	before.mustSay(t, http.StatusOK, "Score the application", "Shown once you have scored")
	if strings.Contains(before.text(), "Reason for criterion 1") {
		t.Error("a panel member who has not scored can read another's scores")
	}
	orlaWeb.post(path+"/assessments", scoreForm("3")).mustSay(t, http.StatusOK, "Your assessment has been recorded", "Reason for criterion 1")
	s.awaitStatus(t, provider, id, "moderation")

	// Moderation starts at the amounts asked for.
	mod := officer.get(path)
	mod.mustSay(t, http.StatusOK, "Moderate the panel's scores", "Amount for "+scheme.FinancialYearLabel(fy), "Budget left in the Commissioned Services Fund")
	mod.mustSay(t, http.StatusOK, "When does the grant agreement start?", "Proposed start Not given",
		"An agreement starting on 1 April 2026 is funded for whole years: the amounts below are those asked for.")
	if !strings.Contains(mod.Body, `value="150,000.00"`) {
		t.Errorf("the moderation form does not start at the amounts asked for:\n%s", mod.text())
	}
	moderation := url.Values{"staff-form": {"moderation"}, "moderation-recommendation": {"fund"},
		"moderation-start-date-day": {"1"}, "moderation-start-date-month": {"4"}, "moderation-start-date-year": {"2026"},
		fmt.Sprintf("moderation-amount-%d", fy): {"150,000.00"}, fmt.Sprintf("moderation-amount-%d", fy+1): {"160,000.00"},
		"moderation-conditions":           {"Quarterly attendance at the domestic abuse partnership board"},
		"moderation-conditions-precedent": {"An up-to-date safeguarding policy approved by the board"},
		"moderation-reasons":              {"Meets the Victim Services priority; advocacy reduces repeat victimisation."}}
	// A start date that has passed, or a first year above its share for a later start, is refused
	// by the workflow on its field, keeping what was typed.
	moderation.Set("moderation-start-date-day", "31")
	moderation.Set("moderation-start-date-month", "3")
	p = officer.post(path+"/moderation", moderation)
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem",
		"The date the agreement starts: 31 March 2026 has passed: the agreement cannot start before it is decided, so give a date from 1 April 2026")
	if !strings.Contains(p.Body, `<a href="#moderation-start-date-day">`) || !strings.Contains(p.Body, `id="moderation-start-date-day" name="moderation-start-date-day" type="text" inputmode="numeric" value="31"`) {
		t.Errorf("the refusal is not on the start date, or what was typed was lost:\n%s", p.text())
	}
	moderation.Set("moderation-start-date-day", "6")
	moderation.Set("moderation-start-date-month", "12")
	moderation.Set(fmt.Sprintf("moderation-amount-%d", fy+1), "150,000.00")
	p = officer.post(path+"/moderation", moderation)
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "£150,000.00 is more than the £75,000.00 requested for "+
		scheme.FinancialYearLabel(fy)+" pro-rated to the 2 of its 4 quarters from the start date")
	if !strings.Contains(p.Body, fmt.Sprintf(`<a href="#moderation-amount-%d">`, fy)) || !strings.Contains(p.Body, `value="6"`) {
		t.Errorf("the refusal is not on the first year's amount, or the start date typed was lost:\n%s", p.text())
	}
	moderation.Set("moderation-start-date-day", "1")
	moderation.Set("moderation-start-date-month", "4")
	moderation.Set(fmt.Sprintf("moderation-amount-%d", fy+1), "160,000.00")
	p = officer.post(path+"/moderation", moderation)
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "£160,000.00 is more than the £150,000.00 requested for "+scheme.FinancialYearLabel(fy+1))
	if !strings.Contains(p.Body, fmt.Sprintf(`<a href="#moderation-amount-%d">`, fy+1)) || !strings.Contains(p.Body, `value="160,000.00"`) {
		t.Errorf("the refusal is not on the second year's amount, or it was lost:\n%s", p.text())
	}
	moderation.Set(fmt.Sprintf("moderation-amount-%d", fy+1), "150,000.00")
	officer.post(path+"/moderation", moderation).mustSay(t, http.StatusOK, "The moderation has been recorded", "The panel's recommendation",
		"Fund: £300,000.00 in all")
	s.awaitStatus(t, provider, id, "decision")

	// The head of commissioning is warned, and refused with the band named; nothing is recorded.
	head := s.webSignIn(t, "head@opcc.example.org")
	head.get(path).mustSay(t, http.StatusOK, "This award (£300,000.00) falls in the Police and Crime Commissioner band.",
		"You cannot approve this award")
	head.post(path+"/decision", url.Values{"decision-outcome": {"approve"}, "approve-no-conflict": {"yes"}}).mustSay(t, http.StatusForbidden, "You cannot do this",
		"£300,000.00 needs approval by the Police and Crime Commissioner")
	commissioner := s.webSignIn(t, "commissioner@opcc.example.org")
	commissioner.get(path).mustSay(t, http.StatusOK, "You may approve awards of any amount.", "Approve the award")
	commissioner.post(path+"/decision", url.Values{"decision-outcome": {"approve"}, "approve-no-conflict": {"yes"}}).mustSay(t, http.StatusOK, "The decision has been recorded")
	s.awaitStatus(t, provider, id, "offered")

	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/acceptance", id), provider, testBank)
	s.awaitStatus(t, provider, id, "accepted")
	// The officer who moderated confirms the conditions, but may not vary or end the award: as with
	// the decision, that is for someone else, within their band (here the Commissioner's).
	officer.get(path).mustSay(t, http.StatusOK, "Confirm the conditions precedent are met", "An up-to-date safeguarding policy approved by the board")
	commissioner.get(path).mustSay(t, http.StatusOK, "Vary the award", "End the award early")
	officer.post(path+"/conditions-precedent", url.Values{"staff-form": {"conditions"}, "conditions-note": {"Policy seen, dated May 2026."}}).
		mustSay(t, http.StatusOK, "The conditions precedent are recorded as met")
	s.awaitStatus(t, provider, id, "active")

	// The Q1 return, sent once the quarter is over: the review needs a rating, and a return sent
	// back needs a comment.
	s.advanceTo(t, id, time.Date(2026, time.October, 20, 10, 0, 0, 0, scheme.London))
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/returns", id), provider, quarterReturn(fy, 1, 58, 40))
	q1 := "Q1 " + scheme.FinancialYearLabel(fy)
	officer.get("/work").mustSay(t, http.StatusOK, q1+" monitoring return (version 1)")
	officer.get(path).mustSay(t, http.StatusOK, "Review a monitoring return", q1+" return (version 1", "High-risk victims supported", "58 (target 60)",
		"People helped 58 (12 under 25)")
	review := url.Values{"staff-form": {"return"}, "return-review-quarter": {q1}, "return-review-outcome": {"request_changes"}}
	officer.post(path+"/return-reviews", review).mustSay(t, http.StatusUnprocessableEntity, "Select a RAG rating")
	review.Set("return-review-rag", "amber")
	p = officer.post(path+"/return-reviews", review)
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "The comment: say what needs to change")
	if !strings.Contains(p.Body, `<a href="#return-review-comment">`) {
		t.Errorf("the refusal is not linked to the comment:\n%s", p.text())
	}
	review.Set("return-review-outcome", "accept")
	review.Set("return-review-rag", "green")
	officer.post(path+"/return-reviews", review).mustSay(t, http.StatusOK, "Your review has been recorded", "Accepted")

	// A variation to £290,000.00 is still the Commissioner's to approve.
	vary := commissioner.get(path)
	vary.mustSay(t, http.StatusOK, "Vary the award", "The award is £300,000.00 in all", "Amount for "+scheme.FinancialYearLabel(fy+2))
	variation := url.Values{"staff-form": {"vary"}, fmt.Sprintf("vary-amount-%d", fy): {"150,000.00"}, fmt.Sprintf("vary-amount-%d", fy+1): {"140,000.00"},
		"vary-conditions": {"Quarterly attendance at the domestic abuse partnership board"}, "vary-summary": {"A smaller second year: one advocate post ends."}}
	head.post(path+"/variations", variation).mustSay(t, http.StatusForbidden, "You cannot do this",
		"£300,000.00 needs approval by the Police and Crime Commissioner")
	commissioner.get(path).mustSay(t, http.StatusOK, "Vary the award", "You may approve awards of any amount.")
	commissioner.post(path+"/variations", variation).mustSay(t, http.StatusOK, "The variation has been recorded", "The award is £290,000.00 in all")

	// The provider accepts the varied agreement on their page (the box ticked, as for the offer).
	providerWeb := s.webSignInWith(t, "safe@provider.example.org", "a long enough password")
	providerWeb.get(path).mustSay(t, http.StatusOK, "Accept the varied grant agreement", "A smaller second year: one advocate post ends.",
		"Grant agreement (version 2) (PDF)")
	providerWeb.post(path+"/variation-acceptance", url.Values{"variation.version": {"2"}}).mustSay(t, http.StatusUnprocessableEntity,
		"There is a problem", "Confirm that you have read the varied grant agreement and accept it")
	providerWeb.post(path+"/variation-acceptance", url.Values{"variation.version": {"2"}, "variation.confirm": {"yes"}}).
		mustSay(t, http.StatusOK, "You have accepted the varied grant agreement", "Funded")
	s.awaitStatus(t, provider, id, "active")

	// Ending the award early needs a reason, and the Commissioner's authority at £290,000.00.
	commissioner.get(path)
	commissioner.post(path+"/termination", url.Values{"staff-form": {"terminate"}, "termination-reason": {" "}}).
		mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "The reason: say why the award is ending early")
	commissioner.post(path+"/termination", url.Values{"staff-form": {"terminate"}, "termination-reason": {"The service has closed."}}).
		mustSay(t, http.StatusOK, "The award has been ended")
	s.awaitStatus(t, provider, id, "final_report")
}
