package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// TestServiceAwardHoldsItsAgendaWhenAStepFailsForGood: a tranche's payment notice cannot be
// written because the provider's organisation record has lost its name (damaged outside
// Grantflow, here by SQL). The activity fails for good (a letter that cannot be written is not
// retried), so the award is not ended: the officer is told, the tranche stays held, and once the
// record is mended the next step anyone takes on the award (finance paying the previous tranche)
// runs the agenda again and the tranche is released.
func TestServiceAwardHoldsItsAgendaWhenAStepFailsForGood(t *testing.T) {
	clock := time.Date(2026, time.October, 20, 10, 0, 0, 0, scheme.London)
	s := newSystemAt(t, yearStart) // decided on 1 April 2026, the agreement starting then; later moved to clock
	const perYear = 15_000_000
	const org = "Harbour Lights Advocacy"
	provider, id := s.serviceApplication(t, org, perYear, 2026, 3)
	s.driveToActive(t, provider, id, perYear, 2026, 3)
	s.advanceTo(t, id, clock)
	officer, finance := s.staff(t, "officer"), s.staff(t, "finance")
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.awaitTranches(t, officer, id, "released", "held", "held", "scheduled")

	setName := func(name string) {
		t.Helper()
		if _, err := s.Store.DB.Exec(`UPDATE organisations SET name = $2 WHERE id = (SELECT organisation_id FROM applications WHERE id = $1)`, id, name); err != nil {
			t.Fatal(err)
		}
	}
	setName("")

	// Accepting the Q1 return makes tranche 2 due for release; its payment notice cannot be written.
	s.must(t, http.StatusOK, "POST", path+"/returns", provider, quarterReturn(2026, 1, 58, 40))
	s.must(t, http.StatusOK, "POST", path+"/return-reviews", officer, map[string]any{
		"financial_year": 2026, "quarter": 1, "outcome": "accept", "rag": "green"})
	told := s.awaitAgendaFailures(t, officer, id, 1)
	reference := dig(told.Body, "award", "reference").(string)
	msg := dig(agendaFailures(told)[0], "message").(string)
	for _, want := range []string{reference + ": a scheduled step could not be done and will be tried again", "payment notice cannot be written",
		"Payee.Organisation is required"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the officer's notice lacks %q: %s", want, msg)
		}
	}
	if got := told.str("status"); got != "active" {
		t.Fatalf("after the failed step the award is %q, want still active", got)
	}
	s.awaitTranches(t, officer, id, "released", "held", "held", "scheduled")
	if n := len(s.paymentNotices(t, finance, id)); n != 1 {
		t.Fatalf("finance has %d payment notices for the award, want only tranche 1's", n)
	}

	// Mended; finance pays tranche 1, which runs the agenda again: tranche 2 is released to the payee.
	setName(org)
	s.signOffPayment(t, path, 1)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"tranche": 1, "amount_pence": perYear / 4, "paid_on": "2026-10-20", "reference": "BACS-1"})
	s.awaitTranches(t, officer, id, "paid", "released", "held", "scheduled")
	notices := s.paymentNotices(t, finance, id)
	if len(notices) != 2 || dig(notices[0], "seq") != float64(2) || dig(notices[0], "payee") != org || dig(notices[0], "amount_pence") != float64(perYear/4) {
		t.Fatalf("finance's payment notices for the award = %v, want tranche 2's to %s after tranche 1's", notices, org)
	}
	s.signOffPayment(t, path, 2)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"tranche": 2, "amount_pence": perYear / 4, "paid_on": "2026-10-20", "reference": "BACS-2"})
	s.awaitTranches(t, officer, id, "paid", "paid", "held", "scheduled")
	after := s.must(t, http.StatusOK, "GET", path, officer, nil)
	if n := len(agendaFailures(after)); n != 1 {
		t.Fatalf("the officer was told of %d failed steps, want 1", n)
	}
	if story := timelineText(dig(after.Body, "timeline")); !strings.Contains(story, "Tranche 2 (Q2 2026-27) released: £37,500.00 payment notice sent to finance") {
		t.Errorf("timeline lacks tranche 2's release:\n%s", story)
	}
	recordHistory(t, s, id, "service_agenda_failure_hold.json")
}

// agendaFailures are the officer's notifications that a scheduled step failed.
func agendaFailures(app response) []any {
	var out []any
	list, _ := dig(app.Body, "notifications").([]any)
	for _, n := range list {
		if dig(n, "audience") == "officer" && dig(n, "kind") == "escalation" && strings.Contains(fmt.Sprint(dig(n, "message")), "a scheduled step could not be done") {
			out = append(out, n)
		}
	}
	return out
}

// awaitAgendaFailures polls until the officer has been told of n failed scheduled steps.
func (s *system) awaitAgendaFailures(t *testing.T, token string, id int64, n int) response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var r response
	for time.Now().Before(deadline) {
		r = s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d", id), token, nil)
		if len(agendaFailures(r)) >= n {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the officer was not told of %d failed steps; notifications: %v", n, dig(r.Body, "notifications"))
	return r
}

// paymentNotices lists finance's payment notices for the application's award, newest first.
func (s *system) paymentNotices(t *testing.T, finance string, id int64) []any {
	t.Helper()
	var out []any
	for _, x := range dig(s.must(t, http.StatusOK, "GET", "/api/v1/finance/notices", finance, nil).Body, "notices").([]any) {
		if dig(x, "kind") == "payment" && dig(x, "application_id") == float64(id) {
			out = append(out, x)
		}
	}
	return out
}
