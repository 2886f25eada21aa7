package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/internal/pdftext"
	"grantflow/money"
)

// registerApplicant registers an organisation, follows the link e-mailed to confirm the address and
// signs in; it returns the token.
func (s *system) registerApplicant(t *testing.T, org, email string) string {
	t.Helper()
	s.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", map[string]any{
		"organisation": map[string]string{"name": org, "type": "charitable_company", "company_number": "09999999",
			"address": "2 Market Place, Melton Mowbray", "postcode": "le13 1xx"},
		"user": map[string]string{"name": "Jo Tester", "email": email, "password": "a long enough password"},
	})
	s.confirmAddress(t, email)
	return s.signIn(t, email, "a long enough password")
}

// grassrootsRound finds the demo grassroots scheme's open round.
func (s *system) grassrootsRound(t *testing.T, token string) (schemeID, roundID float64) {
	t.Helper()
	list := s.must(t, http.StatusOK, "GET", "/api/v1/schemes", "", nil)
	for _, sc := range dig(list.Body, "schemes").([]any) {
		if dig(sc, "slug") == "grassroots" {
			schemeID = dig(sc, "id").(float64)
		}
	}
	detail := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/schemes/%d", int64(schemeID)), "", nil)
	return schemeID, dig(detail.Body, "rounds", "0", "id").(float64)
}

// applyFor creates and submits a complete grassroots application and waits until it awaits assessment.
func (s *system) applyFor(t *testing.T, token string, amountPence int64) int64 {
	t.Helper()
	schemeID, roundID := s.grassrootsRound(t, token)
	start := time.Now().AddDate(0, 1, 0).Format(time.DateOnly)
	end := time.Now().AddDate(0, 10, 0).Format(time.DateOnly)
	draft := s.must(t, http.StatusCreated, "POST", "/api/v1/applications", token, map[string]any{
		"scheme_id": schemeID, "round_id": roundID, "title": "Safer Streets after dark",
	})
	id := int64(dig(draft.Body, "id").(float64))
	// An incomplete draft cannot be submitted, and says what is missing.
	missing := s.must(t, http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", id), token, nil)
	if dig(missing.Body, "error", "fields", "purpose") == nil || dig(missing.Body, "error", "fields", "areas") == nil {
		t.Fatalf("submitting an incomplete draft should name purpose and areas: %s", missing.Raw)
	}
	body := map[string]any{
		"scheme_id": schemeID, "round_id": roundID, "title": "Safer Streets after dark",
		"purpose":                "Evening detached youth work in Melton to reduce anti-social behaviour.",
		"amount_requested_pence": amountPence, "project_start": start, "project_end": end,
		"areas": []string{"Melton"}, "priorities": []string{"Anti-social behaviour", "Serious violence"},
	}
	// The project details alone are not enough: the rest of the form is named field by field.
	s.must(t, http.StatusOK, "PUT", fmt.Sprintf("/api/v1/applications/%d", id), token, body)
	missing = s.must(t, http.StatusUnprocessableEntity, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", id), token, nil)
	for _, f := range []string{"answers.need", "answers.budget_lines", "answers.safeguarding_lead", "answers.declare_true", "answers.data_protection_consent"} {
		if dig(missing.Body, "error", "fields", f) == nil {
			t.Fatalf("submitting without the rest of the form should name %s: %s", f, missing.Raw)
		}
	}
	answers := demo.GrassrootsAnswers(money.Pence(amountPence))
	body["answers"] = answers
	saved := s.must(t, http.StatusOK, "PUT", fmt.Sprintf("/api/v1/applications/%d", id), token, body)
	if dig(saved.Body, "answers", "safeguarding_lead") != "Sam Lead" {
		t.Fatalf("the saved answers are not in the draft: %s", saved.Raw)
	}
	s.must(t, http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/applications/%d/submitted", id), token, nil) // a draft has no submitted copy
	s.must(t, http.StatusAccepted, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", id), token, nil)
	s.must(t, http.StatusConflict, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", id), token, nil)
	submitted := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d/submitted", id), token, nil)
	if dig(submitted.Body, "answers", "title") != "Safer Streets after dark" || dig(submitted.Body, "answers", "safeguarding_lead") != "Sam Lead" ||
		dig(submitted.Body, "submitted_by", "id") != s.userID(t, token) || dig(submitted.Body, "submitted_by", "name") == "" {
		t.Fatalf("the submitted copy should hold every answer and who submitted: %s", submitted.Raw)
	}
	s.awaitStatus(t, token, id, "assessment")
	return id
}

func scores(deliverability int) []map[string]any {
	return []map[string]any{
		{"criterion": "fit", "score": 4, "comment": "Clear fit with anti-social behaviour priority"},
		{"criterion": "need", "score": 4, "comment": "Police data shows evening hotspots"},
		{"criterion": "deliverability", "score": deliverability, "comment": "Experienced youth workers"},
		{"criterion": "value", "score": 3, "comment": "Reasonable costs"},
		{"criterion": "partnership", "score": 5, "comment": "Works with the neighbourhood team"},
	}
}

func TestGrassrootsGrantFromRegistrationToClosed(t *testing.T) {
	s := newSystem(t)
	applicant := s.registerApplicant(t, "Café Naïve Ltd", "jo@cafe-naive.example.org")
	other := s.registerApplicant(t, "Another Group", "sam@another.example.org")
	assessor, officer, finance := s.staff(t, "assessor"), s.staff(t, "officer"), s.staff(t, "finance")

	id := s.applyFor(t, applicant, 450000)
	path := fmt.Sprintf("/api/v1/applications/%d", id)

	// Another organisation cannot see or act on it.
	s.must(t, http.StatusNotFound, "GET", path, other, nil)
	s.must(t, http.StatusNotFound, "POST", path+"/acceptance", other, testBank)

	// The assessor scores; bad scores are refused with the field named and nothing recorded.
	bad := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(7), "recommendation": "fund"})
	if dig(bad.Body, "error", "fields", "scores[2].score") == nil {
		t.Fatalf("an out-of-range score should name scores[2].score: %s", bad.Raw)
	}
	s.must(t, http.StatusForbidden, "POST", path+"/decision", assessor, map[string]any{"no_conflict": true, "outcome": "approve"})
	s.must(t, http.StatusConflict, "POST", path+"/acceptance", applicant, testBank)
	r := s.must(t, http.StatusOK, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Strong local project"})
	if got := r.str("application", "status"); got != "decision" {
		t.Fatalf("after assessment status = %q, want decision", got)
	}

	// The officer approves within delegation: £4,250.00 of the £4,500.00 asked.
	tooMuch := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 460000, "purpose": "p", "reasons": "r"})
	if !strings.Contains(tooMuch.str("error", "message"), "more than the £4,500.00 requested") {
		t.Fatalf("approving more than requested should say so: %s", tooMuch.Raw)
	}
	s.must(t, http.StatusOK, "POST", path+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 425000,
		"purpose":    "Evening detached youth work in Melton town centre.",
		"conditions": []string{"Acknowledge the Commissioner's funding in publicity", "Keep an up-to-date safeguarding policy"},
		"reasons":    "Targets the anti-social behaviour hotspots identified by the neighbourhood policing team.",
	})
	offered := s.awaitStatus(t, applicant, id, "offered")
	if got := offered.str("actions", "0"); got != "accept_offer" {
		t.Fatalf("applicant's next action = %q, want accept_offer", got)
	}

	// The award letter reads right.
	letterText := s.documentText(t, applicant, offered, "award_letter")
	for _, want := range []string{"£4,250.00", "Café Naïve Ltd", "GCF-", "Grassroots Community Fund", "Acknowledge the Commissioner", "Olu Officer"} {
		if !strings.Contains(letterText, want) {
			t.Errorf("award letter lacks %q:\n%s", want, letterText)
		}
	}
	// Applicants never see finance's notice; finance lists it with payee, amount and cost centre.
	for _, d := range dig(offered.Body, "documents").([]any) {
		if dig(d, "kind") == "finance_award_notice" {
			t.Fatal("the applicant can see the finance award notice")
		}
	}
	s.must(t, http.StatusForbidden, "GET", "/api/v1/finance/notices", applicant, nil)
	notices := s.must(t, http.StatusOK, "GET", "/api/v1/finance/notices", finance, nil)
	notice := dig(notices.Body, "notices", "0")
	if dig(notice, "payee") != "Café Naïve Ltd" || dig(notice, "amount_pence") != float64(425000) || dig(notice, "cost_centre") != "OPCC-GCF-4410" {
		t.Fatalf("finance notice = %v", notice)
	}
	noticeText := s.pdfText(t, finance, int64(dig(notice, "document_id").(float64)))
	for _, want := range []string{"£4,250.00", "OPCC-GCF-4410", "Café Naïve Ltd"} {
		if !strings.Contains(noticeText, want) {
			t.Errorf("finance notice lacks %q:\n%s", want, noticeText)
		}
	}

	// Acceptance, payment, report, review, closed.
	s.must(t, http.StatusConflict, "POST", path+"/payments", finance, map[string]any{ // not accepted yet
		"amount_pence": 425000, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-0"})
	s.must(t, http.StatusOK, "POST", path+"/acceptance", applicant, testBank)
	s.signOffPayment(t, path, 0)
	s.must(t, http.StatusUnprocessableEntity, "POST", path+"/payments", finance, map[string]any{
		"amount_pence": 100, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-1"})
	s.must(t, http.StatusForbidden, "POST", path+"/payments", officer, map[string]any{
		"amount_pence": 425000, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-1"})
	paid := s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"amount_pence": 425000, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-20261122-01"})
	if got := paid.str("application", "award", "status"); got != "paid" {
		t.Fatalf("award status after payment = %q, want paid", got)
	}
	s.must(t, http.StatusOK, "POST", path+"/report", applicant, map[string]any{
		"summary": "Ran 30 evening sessions.", "outcomes": "ASB reports in the area fell.", "spent_pence": 425000})
	s.must(t, http.StatusUnprocessableEntity, "POST", path+"/report-review", officer, map[string]any{"outcome": "request_changes"})
	s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "request_changes", "comment": "Add attendance figures."})
	// The revised report says who the project reached, to ward level: the scheme lists Melton's wards.
	revised := map[string]any{"summary": "Ran 30 evening sessions for 212 young people.", "outcomes": "ASB reports fell by a fifth.", "spent_pence": 425000,
		"beneficiaries": []any{map[string]any{"area": "Melton", "ward": "Melton: Melton Egerton", "age_band": "under_18", "count": 150},
			map[string]any{"area": "Melton", "ward": "Melton: Melton Newport", "age_band": "18_24", "count": 62}}}
	outside := setAt(revised, []string{"beneficiaries", "[0]", "ward"}, "Leicester: Abbey")
	refused := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/report", applicant, outside)
	if got := dig(refused.Body, "error", "fields", "beneficiaries[0].ward"); got != `"Leicester: Abbey" is in Leicester, not Melton` {
		t.Errorf("a ward outside its area is refused with %v: %s", got, refused.Raw)
	}
	s.must(t, http.StatusOK, "POST", path+"/report", applicant, revised)
	closed := s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"})
	if got := closed.str("application", "status"); got != "closed" {
		t.Fatalf("after accepting the report status = %q, want closed", got)
	}
	if got := fmt.Sprint(dig(closed.Body, "application", "wards")); got != "[Melton: Melton Egerton]" {
		t.Errorf("the application names wards %s, want the ward its form named", got)
	}
	reached := fmt.Sprint(dig(closed.Body, "application", "reports", "0", "beneficiaries"), dig(closed.Body, "application", "reports", "1", "beneficiaries"))
	if reached != "[] [map[age_band:under_18 area:Melton count:150 ward:Melton: Melton Egerton] map[age_band:18_24 area:Melton count:62 ward:Melton: Melton Newport]]" {
		t.Errorf("the reports' people reached: %s; want none in the first and the revised report's rows", reached)
	}

	// The timeline tells the story, with who did what in which role.
	timeline := dig(closed.Body, "application", "timeline").([]any)
	var lines []string
	for _, e := range timeline {
		lines = append(lines, fmt.Sprintf("%s (%s): %s", dig(e, "actor"), dig(e, "role"), dig(e, "what")))
	}
	story := strings.Join(lines, "\n")
	for _, want := range []string{"Eligible", "Alex Assessor (assessor): Assessment submitted", "Olu Officer (officer): Approved: £4,250.00 awarded",
		"Award letter issued", "Finance award notice sent", "Jo Tester (applicant): Offer accepted", "Fran Finance (finance): Payment recorded",
		"changes requested", "grant closed"} {
		if !strings.Contains(story, want) {
			t.Errorf("timeline lacks %q:\n%s", want, story)
		}
	}
	// The budget carries exactly one commitment of £4,250.00.
	list := s.must(t, http.StatusOK, "GET", "/api/v1/schemes", "", nil)
	schemeID := int64(dig(list.Body, "schemes", "0", "id").(float64))
	scheme := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/schemes/%d", schemeID), "", nil)
	if got := dig(scheme.Body, "budgets", "0", "committed_pence"); got != float64(425000) {
		t.Fatalf("committed = %v, want 425000", got)
	}
	recordHistory(t, s, id, "grassroots_closed.json")
}

func TestGrassrootsDeclined(t *testing.T) {
	s := newSystem(t)
	applicant := s.registerApplicant(t, "Hilltop Residents Association", "lee@hilltop.example.org")
	assessor, officer := s.staff(t, "assessor"), s.staff(t, "officer")
	id := s.applyFor(t, applicant, 300000)
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.must(t, http.StatusOK, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(1), "recommendation": "do_not_fund", "comment": "Governance is not yet in place"})
	notFundable := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 300000, "purpose": "p", "reasons": "r"})
	if !strings.Contains(notFundable.str("error", "message"), "not fundable") {
		t.Fatalf("approving a not-fundable application should be refused clearly: %s", notFundable.Raw)
	}
	s.must(t, http.StatusUnprocessableEntity, "POST", path+"/decision", officer, map[string]any{"no_conflict": true, "outcome": "decline"})
	s.must(t, http.StatusOK, "POST", path+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "decline", "decline_reasons": []string{"The group does not yet have a constitution and a bank account in its own name."}})
	declined := s.awaitDocument(t, applicant, id, "decline_letter")
	text := s.documentText(t, applicant, declined, "decline_letter")
	if !strings.Contains(text, "does not yet have a constitution") || !strings.Contains(text, "Hilltop Residents Association") {
		t.Fatalf("decline letter lacks the reasons or the recipient:\n%s", text)
	}
	if got := declined.str("status"); got != "declined" {
		t.Fatalf("status = %q, want declined", got)
	}
	s.must(t, http.StatusConflict, "POST", path+"/acceptance", applicant, testBank)
	recordHistory(t, s, id, "grassroots_declined.json")
}

// TestGrassrootsSecondAssessmentAfterInformationRequest: the officer asks the applicant a
// question after the first assessment; the answer sends the application back to assessment, where
// a different assessor scores it again. The bar on deciding moves to that second assessor, and the
// grant goes on to its offer, payment and closure.
func TestGrassrootsSecondAssessmentAfterInformationRequest(t *testing.T) {
	s := newSystem(t)
	applicant := s.registerApplicant(t, "Wreake Valley Youth Trust", "kim@wreake.example.org")
	assessor, officer, finance := s.staff(t, "assessor"), s.staff(t, "officer"), s.staff(t, "finance")
	officer2 := s.signIn(t, "officer2@opcc.example.org", "grantflow-demo")
	id := s.applyFor(t, applicant, 480000)
	path := fmt.Sprintf("/api/v1/applications/%d", id)

	s.must(t, http.StatusOK, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(2), "recommendation": "fund", "comment": "Unclear how many young people each session reaches"})
	deadline := time.Now().AddDate(0, 0, 14).Format(time.DateOnly)
	s.must(t, http.StatusOK, "POST", path+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "request_information", "question": "How many young people will each session reach, and who leads it?", "deadline": deadline})
	s.awaitStatus(t, applicant, id, "information_requested")
	s.must(t, http.StatusConflict, "POST", path+"/assessments", officer2, map[string]any{ // not while the question is open
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "c"})
	s.must(t, http.StatusOK, "POST", path+"/information-response", applicant, map[string]any{
		"answer": "About twenty a session, aged 11 to 17, led by two qualified youth workers."})
	s.awaitStatus(t, applicant, id, "assessment")

	// The second assessment, by another assessor: Orla Officer, who may then not decide; Olu may.
	second := s.must(t, http.StatusOK, "POST", path+"/assessments", officer2, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "The answer settles deliverability"})
	if got := second.str("application", "status"); got != "decision" {
		t.Fatalf("after the second assessment status = %q, want decision", got)
	}
	if got := dig(s.must(t, http.StatusOK, "GET", path, officer2, nil).Body, "actions"); fmt.Sprint(got) != "[declare_conflict]" {
		t.Errorf("the second assessor is offered %v; want only a declaration of interest, not the decision", got)
	}
	if got := dig(s.must(t, http.StatusOK, "GET", path, officer, nil).Body, "actions"); !strings.Contains(fmt.Sprint(got), "decide") {
		t.Errorf("the officer who asked the question is offered %v; want decide", got)
	}
	refused := s.must(t, http.StatusForbidden, "POST", path+"/decision", officer2, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 480000, "purpose": "p", "reasons": "r", "conditions": []string{"c"}})
	if !strings.Contains(refused.str("error", "message"), "you assessed this application") {
		t.Fatalf("the second assessor's decision should be refused as theirs to assess, not decide: %s", refused.Raw)
	}
	detail := s.must(t, http.StatusOK, "GET", path, officer, nil)
	first, latest := dig(detail.Body, "assessments", "1"), dig(detail.Body, "assessments", "0")
	if dig(first, "round") != float64(1) || dig(latest, "round") != float64(2) || dig(first, "assessor_id") == dig(latest, "assessor_id") ||
		dig(latest, "assessor_id") != s.userID(t, officer2) || dig(latest, "fundable") != true {
		t.Fatalf("assessments = %v; want round 1 by Alex and a fundable round 2 by Orla", dig(detail.Body, "assessments"))
	}
	if got := dig(detail.Body, "information_requests", "0", "answer"); !strings.Contains(fmt.Sprint(got), "two qualified youth workers") {
		t.Fatalf("information requests = %v", dig(detail.Body, "information_requests"))
	}

	s.must(t, http.StatusOK, "POST", path+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 480000, "purpose": "Evening detached youth work in Syston and Thurmaston.",
		"conditions": []string{"Acknowledge the Commissioner's funding in publicity"}, "reasons": "Reaches young people at the hotspots the neighbourhood team named."})
	offered := s.awaitStatus(t, applicant, id, "offered")
	if letter := s.documentText(t, applicant, offered, "award_letter"); !strings.Contains(letter, "£4,800.00") || !strings.Contains(letter, "Wreake Valley Youth Trust") {
		t.Errorf("award letter lacks the amount or the recipient:\n%s", letter)
	}
	s.must(t, http.StatusOK, "POST", path+"/acceptance", applicant, testBank)
	s.signOffPayment(t, path, 0)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"amount_pence": 480000, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-20261201-07"})
	s.must(t, http.StatusOK, "POST", path+"/report", applicant, map[string]any{
		"summary": "Ran 36 evening sessions for 240 young people.", "outcomes": "ASB reports in Syston fell by a quarter.", "spent_pence": 480000})
	closed := s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"})
	if got := closed.str("application", "status"); got != "closed" {
		t.Fatalf("after accepting the report status = %q, want closed", got)
	}
	story := timelineText(dig(closed.Body, "application", "timeline"))
	for _, want := range []string{"Alex Assessor (assessor): Assessment submitted", "Olu Officer (officer): More information requested",
		"Jo Tester (applicant): Information provided: back to assessment", "Orla Officer (officer): Assessment submitted",
		"Olu Officer (officer): Approved: £4,800.00 awarded", "grant closed"} {
		if !strings.Contains(story, want) {
			t.Errorf("timeline lacks %q:\n%s", want, story)
		}
	}
	recordHistory(t, s, id, "grassroots_second_assessment.json")
}

// awaitDocument polls until a document of the kind is listed.
func (s *system) awaitDocument(t *testing.T, token string, id int64, kind string) response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		r := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d", id), token, nil)
		for _, d := range dig(r.Body, "documents").([]any) {
			if dig(d, "kind") == kind {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s for application %d", kind, id)
	return response{}
}

func (s *system) documentText(t *testing.T, token string, app response, kind string) string {
	t.Helper()
	for _, d := range dig(app.Body, "documents").([]any) {
		if dig(d, "kind") == kind {
			return s.pdfText(t, token, int64(dig(d, "id").(float64)))
		}
	}
	t.Fatalf("no %s among %v", kind, dig(app.Body, "documents"))
	return ""
}

func (s *system) pdfText(t *testing.T, token string, documentID int64) string {
	t.Helper()
	r := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/documents/%d", documentID), token, nil)
	text, err := pdftext.Text(r.Raw)
	if err != nil {
		t.Fatalf("document %d is not a readable PDF: %v", documentID, err)
	}
	return text
}
