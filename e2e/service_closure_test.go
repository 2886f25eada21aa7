package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// underspentFinalReport runs a one-year award (£120,000.00 for 2026-27, in the Commissioner's band)
// on a system whose clock is at the very start of the financial year, so its first tranche is
// released at once: finance pays it, the Commissioner ends the award early and the provider's final
// report shows £20,000.00 of the £30,000.00 paid as spent. The report awaits review with the Q1
// return never sent. It returns the provider's token, the application and its scheme.
func (s *system) underspentFinalReport(t *testing.T, org string) (provider string, id, schemeID int64) {
	t.Helper()
	const perYear = 12_000_000
	provider, id = s.serviceApplication(t, org, perYear, 2026, 1)
	s.driveToActive(t, provider, id, perYear, 2026, 1)
	officer := s.staff(t, "officer")
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.awaitTranches(t, officer, id, "released", "scheduled", "scheduled", "scheduled")
	s.signOffPayment(t, path, 1)
	s.must(t, http.StatusOK, "POST", path+"/payments", s.staff(t, "finance"), map[string]any{
		"tranche": 1, "amount_pence": perYear / 4, "paid_on": "2026-04-01", "reference": "BACS-1"})
	s.must(t, http.StatusOK, "POST", path+"/termination", s.staff(t, "commissioner"), map[string]any{"reason": "The partnership dissolved."})
	ended := s.awaitStatus(t, provider, id, "final_report")
	s.must(t, http.StatusOK, "POST", path+"/report", provider, map[string]any{
		"summary": "Advocacy for 40 victims in April and May.", "outcomes": "Safety plans for 31.", "spent_pence": 2_000_000})
	s.awaitStatus(t, officer, id, "final_report_submitted")
	return provider, id, int64(dig(ended.Body, "scheme_id").(float64))
}

// TestServiceAwardClosureRecoversTheUnderspend runs a one-year award (£120,000.00 for 2026-27) on a
// clock at the very start of the financial year, so its first tranche is released at once. The
// Commissioner ends it early after that tranche is paid; the provider reports £20,000.00 of the
// £30,000.00 paid as spent. The final review is refused while the first quarter's return is
// missing, until the head of commissioning waives it; accepting the report then starts the
// recovery of the £10,000.00 underspend: finance receives a recovery notice and the provider a
// repayment letter, finance records a part and then the rest, and only then is the budget credited
// and the grant closed.
func TestServiceAwardClosureRecoversTheUnderspend(t *testing.T) {
	s := newSystemAt(t, time.Date(2026, time.April, 1, 10, 0, 0, 0, scheme.London))
	provider, id, schemeID := s.underspentFinalReport(t, "Northfields Advocacy Partnership")
	officer, finance := s.staff(t, "officer"), s.staff(t, "finance")
	head := s.staff(t, "head_of_commissioning")
	path := fmt.Sprintf("/api/v1/applications/%d", id)

	// The Q1 return was never sent: acceptance is refused naming it, until it is waived.
	missing := s.must(t, http.StatusConflict, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"})
	if msg := missing.str("error", "message"); !strings.Contains(msg, "monitoring returns are missing: Q1 2026-27 (awaiting)") {
		t.Fatalf("accepting with a return missing = %s, want it refused naming Q1 2026-27", missing.Raw)
	}
	waiver := map[string]any{"quarters": []any{map[string]any{"financial_year": 2026, "quarter": 1}}, "reason": "The service stopped in May; the final report covers it."}
	if msg := s.must(t, http.StatusForbidden, "POST", path+"/return-waivers", officer, waiver).str("error", "message"); !strings.Contains(msg, "only the head of commissioning") {
		t.Fatalf("the officer's waiver = %s, want it refused naming the head of commissioning", msg)
	}
	bad := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/return-waivers", head, map[string]any{
		"quarters": []any{map[string]any{"financial_year": 2026, "quarter": 2}}, "reason": "x"})
	if dig(bad.Body, "error", "fields", "quarters[0]") == nil {
		t.Fatalf("waiving a return not required = %s, want quarters[0] named", bad.Raw)
	}
	waived := s.must(t, http.StatusOK, "POST", path+"/return-waivers", head, waiver)
	if got := dig(waived.Body, "application", "return_schedule", "0", "status"); got != "waived" {
		t.Fatalf("Q1 after the waiver = %v, want waived", got)
	}

	accepted := s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"})
	if got := accepted.str("application", "status"); got != "recovery" {
		t.Fatalf("status after accepting the final report = %q, want recovery", got)
	}
	fin := s.must(t, http.StatusOK, "GET", path+"/finance", finance, nil)
	rec := dig(fin.Body, "recovery")
	if dig(rec, "owed_pence") != float64(1_000_000) || dig(rec, "outstanding_pence") != float64(1_000_000) || dig(rec, "due_on") != "2026-05-01" {
		t.Fatalf("recovery after the final report = %v, want £10,000.00 owed by 1 May 2026", rec)
	}
	ref := fmt.Sprint(dig(rec, "reference"))
	s.wantSchemeYear(t, officer, schemeID, 2026, 3_000_000, 3_000_000) // nothing credited yet

	// Finance's notice, listed once, and the provider's letter (finance's notice is not theirs).
	var noticeDoc int64
	for _, n := range dig(s.must(t, http.StatusOK, "GET", "/api/v1/finance/notices", finance, nil).Body, "notices").([]any) {
		if dig(n, "kind") == "recovery" && dig(n, "application_id") == float64(id) {
			if noticeDoc != 0 {
				t.Fatal("two recovery notices for one award")
			}
			noticeDoc = int64(dig(n, "document_id").(float64))
			if dig(n, "amount_pence") != float64(1_000_000) || dig(n, "reference") != ref {
				t.Errorf("recovery notice %v", n)
			}
		}
	}
	if noticeDoc == 0 {
		t.Fatal("finance has no recovery notice")
	}
	notice := s.pdfText(t, finance, noticeDoc)
	for _, want := range []string{ref, "£10,000.00", "1 May 2026", "Pay to", "Northfields Advocacy Partnership"} {
		if !strings.Contains(notice, want) {
			t.Errorf("the recovery notice lacks %q:\n%s", want, notice)
		}
	}
	mine := s.must(t, http.StatusOK, "GET", path, provider, nil)
	letter := s.pdfText(t, provider, documentID(t, mine, "repayment_letter", 1))
	if !strings.Contains(letter, "Please repay £10,000.00 by 1 May 2026, quoting reference "+ref) {
		t.Errorf("the repayment letter does not say how much, by when and what to quote:\n%s", letter)
	}
	for _, d := range dig(mine.Body, "documents").([]any) {
		if dig(d, "kind") == "recovery_notice" {
			t.Error("the provider is shown finance's recovery notice")
		}
	}

	// Repayments: more than is owed is refused naming the field; a part, then the rest.
	over := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/repayments", finance, map[string]any{
		"amount_pence": 1_000_001, "received_on": "2026-04-01", "reference": "RTN-1"})
	if got := fmt.Sprint(dig(over.Body, "error", "fields", "amount_pence")); !strings.Contains(got, "more than the £10,000.00 still owed") {
		t.Fatalf("over-repayment = %s, want amount_pence named", over.Raw)
	}
	s.must(t, http.StatusForbidden, "POST", path+"/repayments", provider, map[string]any{"amount_pence": 400_000, "received_on": "2026-04-01", "reference": "RTN-1"})
	s.must(t, http.StatusOK, "POST", path+"/repayments", finance, map[string]any{"amount_pence": 400_000, "received_on": "2026-04-01", "reference": "RTN-1"})
	fin = s.must(t, http.StatusOK, "GET", path+"/finance", finance, nil)
	if dig(fin.Body, "recovery", "repaid_pence") != float64(400_000) || dig(fin.Body, "recovery", "outstanding_pence") != float64(600_000) {
		t.Fatalf("recovery after a part repayment = %v", dig(fin.Body, "recovery"))
	}
	s.wantSchemeYear(t, officer, schemeID, 2026, 3_000_000, 3_000_000) // credited only once the whole is repaid
	// The officer who moderated it may not write it off.
	if msg := s.must(t, http.StatusForbidden, "POST", path+"/write-off", officer, map[string]any{"reason": "r"}).str("error", "message"); !strings.Contains(msg, "you recommended this award") {
		t.Errorf("the moderator's write-off = %q, want refused", msg)
	}
	closed := s.must(t, http.StatusOK, "POST", path+"/repayments", finance, map[string]any{"amount_pence": 600_000, "received_on": "2026-04-01", "reference": "RTN-2"})
	if got := closed.str("application", "status"); got != "closed" {
		t.Fatalf("status after full repayment = %q, want closed", got)
	}
	if a := dig(closed.Body, "application", "award"); dig(a, "status") != "closed" || dig(a, "underspend_pence") != float64(1_000_000) {
		t.Fatalf("award at closure = %v", a)
	}
	s.wantSchemeYear(t, officer, schemeID, 2026, 2_000_000, 3_000_000)
	fin = s.must(t, http.StatusOK, "GET", path+"/finance", finance, nil)
	if dig(fin.Body, "recovery", "outstanding_pence") != float64(0) || len(dig(fin.Body, "recovery", "repayments").([]any)) != 2 {
		t.Fatalf("recovery at closure = %v", dig(fin.Body, "recovery"))
	}
	story := timelineText(dig(closed.Body, "application", "timeline"))
	for _, want := range []string{"Monitoring returns waived: Q1 2026-27: The service stopped in May",
		"Underspend of £10,000.00 to be repaid by 1 May 2026: recovery notice sent to finance",
		"Repayment of £4,000.00 received: £6,000.00 still owed", "Underspend repaid in full: £6,000.00 received",
		"Grant reconciled and closed: Awarded £30,000.00, paid £30,000.00, spent £20,000.00; underspend £10,000.00 repaid and returned to the budget."} {
		if !strings.Contains(story, want) {
			t.Errorf("timeline lacks %q:\n%s", want, story)
		}
	}
	recordHistory(t, s, id, "service_recovered.json")
}
