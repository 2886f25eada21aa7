package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// A one-off grant paid the two-person way through the batch API: Fran proposes, Fran cannot approve
// her own proposal, Fola approves, and finance marks the batch paid with the bank's reference; a
// retried batch reports the payment already recorded instead of recording it twice.
func TestGrassrootsTwoPersonPaymentBatch(t *testing.T) {
	s := newSystem(t)
	applicant := s.registerApplicant(t, "Quorn Village Youth Club", "kit@quorn-youth.example.org")
	assessor, officer := s.staff(t, "assessor"), s.staff(t, "officer")
	fran := s.signIn(t, "finance@opcc.example.org", "grantflow-demo")
	fola := s.signIn(t, "finance2@opcc.example.org", "grantflow-demo")
	id := s.applyFor(t, applicant, 300000)
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.must(t, http.StatusOK, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Well run"})
	s.must(t, http.StatusOK, "POST", path+"/decision", officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 300000, "purpose": "Weekly youth club evenings.",
		"conditions": []string{"Keep a safeguarding policy"}, "reasons": "Diverts young people from anti-social behaviour."})
	s.awaitStatus(t, applicant, id, "offered")
	s.must(t, http.StatusOK, "POST", path+"/acceptance", applicant, testBank)

	batch := map[string]any{"payments": []map[string]any{{"application_id": id}}}
	outcome := func(r response) (string, string) {
		return r.str("results", "0", "outcome"), r.str("results", "0", "message")
	}

	// Nothing proposed yet: paying is refused, and says why.
	today := time.Now().In(scheme.London).Format(time.DateOnly)
	early := s.must(t, http.StatusOK, "POST", "/api/v1/payments/paid", fran, map[string]any{
		"payments": []map[string]any{{"application_id": id}}, "reference": "BACS-EARLY", "paid_on": today})
	if o, msg := outcome(early); o != "refused" || !strings.Contains(msg, "has not been proposed") {
		t.Fatalf("paying before the proposal: %s %q; want refused, not proposed", o, msg)
	}
	if o, _ := outcome(s.must(t, http.StatusOK, "POST", "/api/v1/payments/proposals", fran, batch)); o != "proposed" {
		t.Fatalf("proposal outcome %q; want proposed", o)
	}
	if o, msg := outcome(s.must(t, http.StatusOK, "POST", "/api/v1/payments/approvals", fran, batch)); o != "refused" ||
		msg != "you proposed this payment, so another member of finance must approve it" {
		t.Fatalf("Fran approving her own proposal: %s %q; want refused with the reason", o, msg)
	}
	s.must(t, http.StatusForbidden, "POST", path+"/payment-approval", fran, map[string]any{})
	if o, _ := outcome(s.must(t, http.StatusOK, "POST", "/api/v1/payments/approvals", fola, batch)); o != "approved" {
		t.Fatalf("Fola's approval outcome %q; want approved", o)
	}

	// Bad batches name their fields; a payment dated tomorrow (London) is refused.
	bad := s.must(t, http.StatusUnprocessableEntity, "POST", "/api/v1/payments/paid", fran, map[string]any{"payments": []any{}, "paid_on": "tomorrow"})
	for _, field := range []string{"payments", "reference", "paid_on"} {
		if dig(bad.Body, "error", "fields", field) == nil {
			t.Errorf("a bad batch does not name %s: %s", field, bad.Raw)
		}
	}
	tomorrow := time.Now().In(scheme.London).AddDate(0, 0, 1).Format(time.DateOnly)
	future := s.must(t, http.StatusOK, "POST", "/api/v1/payments/paid", fran, map[string]any{
		"payments": []map[string]any{{"application_id": id}}, "reference": "BACS-FUTURE", "paid_on": tomorrow})
	if o, msg := outcome(future); o != "refused" || msg != "paid_on: cannot be in the future" {
		t.Fatalf("a payment dated tomorrow: %s %q; want refused, paid_on in the future", o, msg)
	}

	paidBatch := map[string]any{"payments": []map[string]any{{"application_id": id}}, "reference": "BANK-20261206-7", "paid_on": today}
	if o, msg := outcome(s.must(t, http.StatusOK, "POST", "/api/v1/payments/paid", fran, paidBatch)); o != "paid" {
		t.Fatalf("marking paid: %s %q; want paid", o, msg)
	}
	again := s.must(t, http.StatusOK, "POST", "/api/v1/payments/paid", fran, paidBatch)
	if o, msg := outcome(again); o != "already_recorded" || !strings.Contains(msg, "BANK-20261206-7") {
		t.Fatalf("a retried batch: %s %q; want already_recorded with the reference", o, msg)
	}
	app := s.awaitStatus(t, fran, id, "paid")
	payments, _ := dig(app.Body, "payments").([]any)
	if len(payments) != 1 || dig(payments[0], "reference") != "BANK-20261206-7" || dig(payments[0], "proposed_by") == nil || dig(payments[0], "approved_by") == nil ||
		dig(payments[0], "proposed_by") == dig(payments[0], "approved_by") {
		t.Fatalf("payments %v; want one, with its two different people", payments)
	}
	var lines []string
	for _, e := range dig(app.Body, "timeline").([]any) {
		lines = append(lines, fmt.Sprintf("%s (%s): %s — %s", dig(e, "actor"), dig(e, "role"), dig(e, "what"), dig(e, "why")))
	}
	story := strings.Join(lines, "\n")
	for _, want := range []string{"Fran Finance (finance): Payment proposed: £3,000.00", "Fola Finance (finance): Payment approved: £3,000.00",
		"Payment recorded: £3,000.00 — Reference BANK-20261206-7; proposed by Fran Finance, approved by Fola Finance"} {
		if !strings.Contains(story, want) {
			t.Errorf("timeline lacks %q:\n%s", want, story)
		}
	}

	s.must(t, http.StatusOK, "POST", path+"/report", applicant, map[string]any{
		"summary": "Forty club evenings.", "outcomes": "Fewer call-outs on club nights.", "spent_pence": 300000})
	s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"})
	s.awaitStatus(t, applicant, id, "closed")
	recordHistory(t, s, id, "grassroots_two_person_paid.json")
}
