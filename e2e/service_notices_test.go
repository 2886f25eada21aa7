package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// financeNotice finds the notice with this reference among those finance reads.
func (s *system) financeNotice(t *testing.T, token, reference string) any {
	t.Helper()
	for _, n := range dig(s.must(t, http.StatusOK, "GET", "/api/v1/finance/notices", token, nil).Body, "notices").([]any) {
		if dig(n, "reference") == reference {
			return n
		}
	}
	t.Fatalf("finance has no notice %s", reference)
	return nil
}

// rows writes a notice's list of tranches as "tranche:amount[:status]".
func rows(list any) []string {
	var out []string
	for _, r := range list.([]any) {
		s := fmt.Sprintf("%v:%.0f", dig(r, "tranche"), dig(r, "amount_pence"))
		if st := dig(r, "status"); st != nil {
			s += fmt.Sprintf(":%v", st)
		}
		out = append(out, s)
	}
	return out
}

// TestServiceAwardVariationThenEndingReachFinance: on 1 April 2026 a three-year award of £150,000.00 a
// year (from 2026-27) pays its first tranche, is varied (2027-28 cut to £100,000.00, 2028-29 no
// longer funded), accepted afresh, then ended early. Finance reads a revised notice for each change
// at /api/v1/finance/notices and on the finance page; the award's figures then show it as it now
// stands, and closure reconciles against them.
func TestServiceAwardVariationThenEndingReachFinance(t *testing.T) {
	clock := time.Date(2026, time.April, 1, 10, 0, 0, 0, scheme.London)
	s := newSystemAt(t, clock)
	const perYear = 15_000_000
	provider, id := s.serviceApplication(t, "Northgate Recovery Partnership", perYear, 2026, 3)
	s.driveToActive(t, provider, id, perYear, 2026, 3)
	officer, finance, commissioner := s.staff(t, "officer"), s.staff(t, "finance"), s.staff(t, "commissioner")
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.awaitTranches(t, officer, id, "released", "scheduled")
	s.signOffPayment(t, path, 1)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"tranche": 1, "amount_pence": perYear / 4, "paid_on": "2026-04-01", "reference": "BACS-1"})
	ref := s.must(t, http.StatusOK, "GET", path, officer, nil).str("award", "reference")

	s.must(t, http.StatusOK, "POST", path+"/variations", commissioner, map[string]any{
		"years":      []map[string]any{{"financial_year": 2026, "amount_pence": perYear}, {"financial_year": 2027, "amount_pence": 10_000_000}},
		"conditions": []string{"Quarterly attendance at the domestic abuse partnership board"},
		"summary":    "The service is smaller in 2027-28 and not commissioned for 2028-29.",
	})
	varied := s.awaitDocumentVersion(t, provider, id, "grant_agreement", 2)
	agreement := s.pdfText(t, provider, documentID(t, varied, "grant_agreement", 2))
	for _, want := range []string{"What this version changes", "2027-28 £150,000.00 £100,000.00 -£50,000.00", "Paid on 1 April 2026"} {
		if !strings.Contains(agreement, want) {
			t.Errorf("the varied agreement lacks %q:\n%s", want, agreement)
		}
	}
	fn2 := s.financeNotice(t, finance, ref+"-FN2")
	if dig(fn2, "kind") != "variation" || dig(fn2, "seq") != float64(2) || dig(fn2, "amount_pence") != float64(25_000_000) || dig(fn2, "previous_amount_pence") != float64(45_000_000) {
		t.Errorf("variation notice %v; want version 2: £250,000.00 now, £450,000.00 before", fn2)
	}
	var changes []string
	for _, c := range dig(fn2, "changes").([]any) {
		changes = append(changes, fmt.Sprintf("%v %.0f→%.0f", dig(c, "label"), dig(c, "before_pence"), dig(c, "after_pence")))
	}
	if want := []string{"2026-27 15000000→15000000", "2027-28 15000000→10000000", "2028-29 15000000→0"}; !slices.Equal(changes, want) {
		t.Errorf("variation notice changes %q; want %q", changes, want)
	}
	if got, want := rows(dig(fn2, "cancelled")), []string{"9:3750000", "10:3750000", "11:3750000", "12:3750000"}; !slices.Equal(got, want) {
		t.Errorf("cancelled by the variation %q; want %q", got, want)
	}
	if got := rows(dig(fn2, "schedule")); len(got) != 8 || got[0] != "1:3750000:paid" || got[4] != "5:2500000:scheduled" {
		t.Errorf("schedule after the variation %q; want 8 tranches, the first paid, 2027-28's at £25,000.00", got)
	}
	notice := s.pdfText(t, finance, int64(dig(fn2, "document_id").(float64)))
	for _, want := range []string{"Revised finance award notice", "Amount awarded now £250,000.00", "Cancelled £150,000.00"} {
		if !strings.Contains(notice, want) {
			t.Errorf("the revised notice lacks %q:\n%s", want, notice)
		}
	}

	s.must(t, http.StatusOK, "POST", path+"/variation-acceptance", provider, map[string]any{"version": 2})
	s.awaitStatus(t, officer, id, "active")
	s.must(t, http.StatusOK, "POST", path+"/termination", commissioner, map[string]any{"reason": "The provider's funding partner withdrew."})
	ended := s.awaitStatus(t, officer, id, "final_report")

	end := s.financeNotice(t, finance, ref+"-FN-END")
	if dig(end, "kind") != "termination" || dig(end, "amount_pence") != float64(3_750_000) || dig(end, "previous_amount_pence") != float64(25_000_000) {
		t.Errorf("ending notice %v; want £37,500.00 now, £250,000.00 before", end)
	}
	if got := rows(dig(end, "cancelled")); len(got) != 7 || got[0] != "2:3750000" || got[6] != "8:2500000" {
		t.Errorf("cancelled by the ending %q; want tranches 2 to 8", got)
	}
	if got := rows(dig(end, "schedule")); !slices.Equal(got, []string{"1:3750000:paid"}) {
		t.Errorf("schedule after the ending %q; want the paid first tranche only", got)
	}
	var ours []string
	for _, n := range dig(s.must(t, http.StatusOK, "GET", "/api/v1/finance/notices", finance, nil).Body, "notices").([]any) {
		if dig(n, "award_reference") == ref {
			ours = append(ours, fmt.Sprint(dig(n, "reference")))
		}
	}
	if want := []string{ref + "-FN-END", ref + "-FN2", ref + "-T01", ref + "-FN1"}; !slices.Equal(ours, want) {
		t.Errorf("finance's notices for the award %q; want %q (newest first, one of each)", ours, want)
	}

	// The award as it now stands: the £37,500.00 paid, £212,500.00 cancelled, ended on 1 April and
	// funded to the end of that quarter.
	award := dig(ended.Body, "award")
	if dig(award, "amount_pence") != float64(3_750_000) || dig(award, "cancelled_pence") != float64(21_250_000) ||
		!strings.HasPrefix(fmt.Sprint(dig(award, "ended_early_on")), "2026-04-01") || !strings.HasPrefix(fmt.Sprint(dig(award, "end_date")), "2026-06-30") {
		t.Errorf("the ended award %v; want £37,500.00, £212,500.00 cancelled, ended 2026-04-01, ending 2026-06-30", award)
	}
	fin := s.must(t, http.StatusOK, "GET", path+"/finance", officer, nil)
	if dig(fin.Body, "total", "awarded_pence") != float64(3_750_000) || dig(fin.Body, "total", "remaining_pence") != float64(0) {
		t.Errorf("the ended award's finance %v; want £37,500.00 awarded, nothing remaining", dig(fin.Body, "total"))
	}
	story := timelineText(dig(ended.Body, "timeline"))
	for _, want := range []string{"Grant agreement issued", "Revised finance award notice sent (version 2)", "Finance notice sent: award ended early"} {
		if !strings.Contains(story, want) {
			t.Errorf("timeline lacks %q:\n%s", want, story)
		}
	}
	if strings.Contains(story, "Award letter") {
		t.Errorf("the service award's timeline speaks of an award letter:\n%s", story)
	}

	// The pages say the same.
	s.webSignIn(t, "finance@opcc.example.org").get("/finance").mustSay(t, http.StatusOK, ref+"-FN2",
		"Revised award notice: varied (version 2), was £450,000.00", ref+"-FN-END", "Revised award notice: ended early, was £250,000.00")
	s.webSignIn(t, "officer@opcc.example.org").get(fmt.Sprintf("/applications/%d", id)).mustSay(t, http.StatusOK,
		"Amount awarded £37,500.00", "Ended early 1 April 2026", "Amount cancelled £212,500.00", "Agreement ends 30 June 2026")

	// Closure reconciles against the award as it stood when it ended.
	s.must(t, http.StatusOK, "POST", path+"/report", provider, map[string]any{
		"summary": "Recovery support until the partner withdrew.", "outcomes": "Cases handed to the county service.", "spent_pence": 3_500_000})
	s.awaitStatus(t, officer, id, "final_report_submitted")
	// The quarter it ended in never sent its return: the head of commissioning waives it, and the
	// £2,500.00 underspend is repaid before the grant closes.
	s.must(t, http.StatusOK, "POST", path+"/return-waivers", s.staff(t, "head_of_commissioning"), map[string]any{
		"quarters": []any{map[string]any{"financial_year": 2026, "quarter": 1}}, "reason": "The partner withdrew; the final report covers the quarter."})
	owed := s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"})
	if story := timelineText(dig(owed.Body, "application", "timeline")); !strings.Contains(story, "Awarded £37,500.00, paid £37,500.00, spent £35,000.00") {
		t.Errorf("closure does not reconcile against the ended award:\n%s", story)
	}
	s.must(t, http.StatusOK, "POST", path+"/repayments", s.staff(t, "finance"), map[string]any{"amount_pence": 250_000, "received_on": "2026-04-01", "reference": "RTN-7"})
	s.awaitStatus(t, officer, id, "closed")
	recordHistory(t, s, id, "service_varied_ended_notices.json")
}
