package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// TestServiceAwardVariedThenEndedEarly varies a three-year award in its first year (a smaller
// second year, no third), which the Commissioner decides and which re-issues the agreement as
// version 2 for the provider to accept afresh; the award is then ended early (the returns of
// quarters that had not begun are not required), the provider still sends the last quarter's
// return and its final report, and the grant closes with the underspend returned to the budget.
// The clock is 20 October 2026, so the first two quarters can be paid at once.
func TestServiceAwardVariedThenEndedEarly(t *testing.T) {
	clock := time.Date(2026, time.October, 20, 10, 0, 0, 0, scheme.London)
	s := newSystemAt(t, yearStart) // decided on 1 April 2026, the agreement starting then; later moved to clock
	const perYear = 15_000_000     // £150,000.00 a year, £450,000.00 in all
	provider, id := s.serviceApplication(t, "Safe Haven Domestic Abuse Partnership", perYear, 2026, 3)
	s.driveToActive(t, provider, id, perYear, 2026, 3)
	s.advanceTo(t, id, clock)
	officer, finance, commissioner := s.staff(t, "officer"), s.staff(t, "finance"), s.staff(t, "commissioner")
	path := fmt.Sprintf("/api/v1/applications/%d", id)

	// Q1 is paid; its return is accepted, so Q2 is released and paid too: £75,000.00 out.
	s.awaitTranches(t, officer, id, "released", "held", "held", "scheduled")
	s.signOffPayment(t, path, 1)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"tranche": 1, "amount_pence": perYear / 4, "paid_on": "2026-10-20", "reference": "BACS-1"})
	s.must(t, http.StatusOK, "POST", path+"/returns", provider, quarterReturn(2026, 1, 58, 40))
	s.must(t, http.StatusOK, "POST", path+"/return-reviews", officer, map[string]any{
		"financial_year": 2026, "quarter": 1, "outcome": "accept", "rag": "green"})
	s.awaitTranches(t, officer, id, "paid", "released", "held", "scheduled")
	s.signOffPayment(t, path, 2)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"tranche": 2, "amount_pence": perYear / 4, "paid_on": "2026-10-20", "reference": "BACS-2"})

	// The variation: £130,000.00 this year (£55,000.00 left for Q3 and Q4), £120,000.00 next year,
	// none in 2028-29. £250,000.00 in all is still the Commissioner's to approve.
	variation := map[string]any{
		"years":      []map[string]any{{"financial_year": 2026, "amount_pence": 13_000_000}, {"financial_year": 2027, "amount_pence": 12_000_000}},
		"conditions": []string{"Quarterly attendance at the domestic abuse partnership board", "Two advocates in post until March 2028"},
		"summary":    "One advocate post ends in 2027-28 and the service is not commissioned for 2028-29.",
	}
	// The officer moderated it, so may not vary it; the refusal says why.
	denied := s.must(t, http.StatusForbidden, "POST", path+"/variations", officer, variation)
	if !strings.Contains(denied.str("error", "message"), "you recommended this award") {
		t.Fatalf("the moderating officer's refused variation should say they recommended it: %s", denied.Raw)
	}
	s.must(t, http.StatusOK, "POST", path+"/variations", commissioner, variation)
	varied := s.awaitDocumentVersion(t, provider, id, "grant_agreement", 2)
	if got := dig(varied.Body, "award", "version"); got != float64(2) {
		t.Fatalf("award version after the variation = %v, want 2", got)
	}
	if got := dig(varied.Body, "award", "amount_pence"); got != float64(25_000_000) {
		t.Fatalf("award amount after the variation = %v, want 25000000", got)
	}
	if got := dig(varied.Body, "variations", "0", "award_version"); got != float64(2) {
		t.Fatalf("variations = %v, want one at version 2", dig(varied.Body, "variations"))
	}
	// The provider is to accept the varied agreement; an older version is not the one offered.
	if got := varied.str("status"); got != "variation_offered" {
		t.Fatalf("status after the variation = %q, want variation_offered", got)
	}
	if actions := fmt.Sprint(dig(varied.Body, "actions")); !strings.Contains(actions, "accept_variation") {
		t.Fatalf("the provider's actions after the variation = %s, want accept_variation", actions)
	}
	if dig(varied.Body, "variations", "0", "accept_by") == nil || dig(varied.Body, "variations", "0", "accepted_at") != nil {
		t.Fatalf("the variation = %v, want a date to accept it by and no acceptance yet", dig(varied.Body, "variations", "0"))
	}
	agreement := s.pdfText(t, provider, documentID(t, varied, "grant_agreement", 2))
	for _, want := range []string{"version 2", "£250,000.00", "One advocate post ends in 2027-28", "Two advocates in post until March 2028", "Q4 2027-28"} {
		if !strings.Contains(agreement, want) {
			t.Errorf("the re-issued agreement lacks %q:\n%s", want, agreement)
		}
	}
	if strings.Contains(agreement, "Q1 2028-29") {
		t.Errorf("the re-issued agreement still schedules 2028-29:\n%s", agreement)
	}
	// The Commissioner's variation has its own numbered decision record, after the approval's.
	if got := dig(s.must(t, http.StatusOK, "GET", path, officer, nil).Body, "decision_records"); got == nil || len(got.([]any)) != 2 {
		t.Fatalf("decision records after the variation = %v, want the approval's and the variation's", got)
	}
	// Both are public at once, the variation's newest first, saying what it changed; by office, never by name.
	public := dig(s.must(t, http.StatusOK, "GET", "/api/v1/decisions", "", nil).Body, "decisions").([]any)
	if len(public) != 2 || dig(public[0], "decision") != "variation" || dig(public[1], "decision") != "award" ||
		dig(public[0], "amount_pence") != float64(25000000) || dig(public[0], "office") != "Police and Crime Commissioner" {
		t.Fatalf("the public decisions after the variation = %v; want the variation (£250,000.00) then the award", public)
	}
	record := s.must(t, http.StatusOK, "GET", "/api/v1/decisions/"+dig(public[0], "id").(string), "", nil)
	if st := record.str("statement"); !strings.Contains(st, "has decided to vary the grant") || !strings.Contains(st, "One advocate post ends in 2027-28") ||
		strings.Contains(string(record.Raw), "Casey Commissioner") {
		t.Errorf("the variation's public record: %s", record.Raw)
	}
	// Q3 and Q4 now pay £27,500.00 each; 2027-28 £30,000.00 a quarter; 2028-29 is cancelled.
	fin := s.must(t, http.StatusOK, "GET", path+"/finance", officer, nil)
	wantTranches := []string{"paid 3750000", "paid 3750000", "held 2750000", "scheduled 2750000", "scheduled 3000000", "scheduled 3000000",
		"scheduled 3000000", "scheduled 3000000", "cancelled", "cancelled", "cancelled", "cancelled"}
	for i, want := range wantTranches {
		tr := dig(fin.Body, "tranches", fmt.Sprint(i))
		got := fmt.Sprintf("%v %.0f", dig(tr, "status"), dig(tr, "amount_pence"))
		if !strings.HasPrefix(got, want) {
			t.Errorf("tranche %d after the variation = %s, want %s", i+1, got, want)
		}
	}

	stale := s.must(t, http.StatusConflict, "POST", path+"/variation-acceptance", provider, map[string]any{"version": 1})
	if !strings.Contains(stale.str("error", "message"), "version 2 of the grant agreement is the one to accept") {
		t.Fatalf("accepting version 1 = %s, want it refused naming version 2", stale.Raw)
	}
	s.must(t, http.StatusForbidden, "POST", path+"/variation-acceptance", officer, map[string]any{"version": 2})
	accepted := s.must(t, http.StatusOK, "POST", path+"/variation-acceptance", provider, map[string]any{"version": 2})
	if got := accepted.str("application", "status"); got != "active" {
		t.Fatalf("status after accepting the varied agreement = %q, want active", got)
	}
	if dig(accepted.Body, "application", "variations", "0", "accepted_at") == nil {
		t.Fatalf("the variation after its acceptance = %v, want accepted_at", dig(accepted.Body, "application", "variations", "0"))
	}

	// Ended early: what was not released goes back to the budget, and the provider is asked for a
	// final report.
	s.must(t, http.StatusOK, "POST", path+"/termination", commissioner, map[string]any{
		"reason": "The provider's premises closed in October; the service cannot continue."})
	ended := s.awaitStatus(t, provider, id, "final_report")
	if got := dig(ended.Body, "award", "status"); got != "terminated" {
		t.Fatalf("award status after the termination = %v, want terminated", got)
	}
	s.awaitTranches(t, officer, id, "paid", "paid", "cancelled", "cancelled", "cancelled")
	schemeID := int64(dig(ended.Body, "scheme_id").(float64))
	s.wantSchemeYear(t, officer, schemeID, 2026, 7_500_000, 7_500_000)
	s.wantSchemeYear(t, officer, schemeID, 2027, 0, 0)
	// Q1's return was accepted; Q2's and Q3's are owed (those quarters ran); the rest are not required.
	var schedule []string
	for _, r := range dig(ended.Body, "return_schedule").([]any) {
		schedule = append(schedule, fmt.Sprintf("%v %v", dig(r, "label"), dig(r, "status")))
	}
	wantSchedule := []string{"Q1 2026-27 accepted", "Q2 2026-27 awaiting", "Q3 2026-27 awaiting", "Q4 2026-27 not_required",
		"Q1 2027-28 not_required", "Q2 2027-28 not_required", "Q3 2027-28 not_required", "Q4 2027-28 not_required"}
	if strings.Join(schedule, ", ") != strings.Join(wantSchedule, ", ") {
		t.Fatalf("return schedule after the termination = %q, want %q", schedule, wantSchedule)
	}
	notRequired := s.must(t, http.StatusConflict, "POST", path+"/returns", provider, quarterReturn(2027, 1, 50, 40))
	if !strings.Contains(notRequired.str("error", "message"), "the Q1 2027-28 return is not required") {
		t.Fatalf("a return for a quarter after the ending = %s, want it refused as not required", notRequired.Raw)
	}

	// The Q2 return is still owed for a quarter that ran, and is reviewed as before.
	s.must(t, http.StatusOK, "POST", path+"/returns", provider, quarterReturn(2026, 2, 55, 41))
	s.must(t, http.StatusOK, "POST", path+"/return-reviews", officer, map[string]any{
		"financial_year": 2026, "quarter": 2, "outcome": "accept", "rag": "amber", "comment": "Service wound down from September."})

	// Final report: £72,000.00 spent of the £75,000.00 paid; the £3,000.00 underspend is repaid,
	// then goes back to the 2026-27 budget and the grant closes.
	s.must(t, http.StatusUnprocessableEntity, "POST", path+"/report", provider, map[string]any{
		"summary": "s", "outcomes": "o", "spent_pence": 7_500_001})
	s.must(t, http.StatusOK, "POST", path+"/report", provider, map[string]any{
		"summary":  "Advocacy for 113 high-risk victims until the premises closed.",
		"outcomes": "Safety plans for 81; cases handed to the county IDVA service.", "spent_pence": 7_200_000})
	s.awaitStatus(t, officer, id, "final_report_submitted")
	// The Q3 return is still missing: the head of commissioning waives it so the grant may close.
	s.must(t, http.StatusConflict, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"})
	s.must(t, http.StatusOK, "POST", path+"/return-waivers", s.staff(t, "head_of_commissioning"), map[string]any{
		"quarters": []any{map[string]any{"financial_year": 2026, "quarter": 3}}, "reason": "The premises closed in October."})
	// The £3,000.00 underspend is owed back; the grant closes once finance records it repaid.
	if got := s.must(t, http.StatusOK, "POST", path+"/report-review", officer, map[string]any{"outcome": "accept"}).str("application", "status"); got != "recovery" {
		t.Fatalf("after accepting the final report status = %q, want recovery", got)
	}
	s.wantSchemeYear(t, officer, schemeID, 2026, 7_500_000, 7_500_000)
	closed := s.must(t, http.StatusOK, "POST", path+"/repayments", finance, map[string]any{"amount_pence": 300_000, "received_on": "2026-10-20", "reference": "RTN-1"})
	if got := closed.str("application", "status"); got != "closed" {
		t.Fatalf("after the repayment status = %q, want closed", got)
	}
	award := dig(closed.Body, "application", "award")
	if dig(award, "status") != "closed" || dig(award, "spent_pence") != float64(7_200_000) || dig(award, "underspend_pence") != float64(300_000) {
		t.Fatalf("closed award = %v", award)
	}
	s.wantSchemeYear(t, officer, schemeID, 2026, 7_200_000, 7_500_000)
	story := timelineText(dig(closed.Body, "application", "timeline"))
	for _, want := range []string{"Award varied (version 2): £250,000.00 over 2 years", "Grant agreement re-issued as version 2",
		"Varied agreement accepted (version 2)", "Award ended early: future tranches stopped", "Q2 2026-27 monitoring return accepted (amber)", "Final report accepted",
		"Grant reconciled and closed", "underspend £3,000.00 repaid and returned to the budget"} {
		if !strings.Contains(story, want) {
			t.Errorf("timeline lacks %q:\n%s", want, story)
		}
	}
	// service_varied_terminated.json is this test recorded before varied agreements were accepted
	// afresh and before returns read "not required": kept, so those runs are still replayed.
	recordHistory(t, s, id, "service_varied_reaccepted_terminated.json")
}

// TestServiceAwardVariationUndoneWhenItsDocumentsFail: the provider's organisation record has lost
// its name (damaged outside Grantflow, here by SQL), so the variation's decision record cannot be
// written. The variation does not stand: the award, its budget and its documents are as they were,
// and the timeline says why. Once the record is mended the Commissioner varies it again, under the
// decision record number the first attempt was given, and the provider accepts it.
func TestServiceAwardVariationUndoneWhenItsDocumentsFail(t *testing.T) {
	clock := time.Date(2026, time.October, 20, 10, 0, 0, 0, scheme.London)
	s := newSystemAt(t, yearStart) // decided on 1 April 2026, the agreement starting then; later moved to clock
	const perYear = 15_000_000
	const org = "Harbour Lights Advocacy"
	provider, id := s.serviceApplication(t, org, perYear, 2026, 3)
	s.driveToActive(t, provider, id, perYear, 2026, 3)
	s.advanceTo(t, id, clock)
	officer, commissioner := s.staff(t, "officer"), s.staff(t, "commissioner")
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	setName := func(name string) {
		t.Helper()
		if _, err := s.Store.DB.Exec(`UPDATE organisations SET name = $2 WHERE id = (SELECT organisation_id FROM applications WHERE id = $1)`, id, name); err != nil {
			t.Fatal(err)
		}
	}
	before := s.must(t, http.StatusOK, "GET", path, officer, nil)
	schemeID := int64(dig(before.Body, "scheme_id").(float64))
	variation := map[string]any{
		"years": []map[string]any{{"financial_year": 2026, "amount_pence": perYear}, {"financial_year": 2027, "amount_pence": perYear + 1_000_000},
			{"financial_year": 2028, "amount_pence": perYear}},
		"conditions": []string{"Quarterly attendance at the domestic abuse partnership board"},
		"summary":    "A second advocate in 2027-28.",
	}

	setName("")
	failed := s.must(t, http.StatusConflict, "POST", path+"/variations", commissioner, variation)
	if msg := failed.str("error", "message"); !strings.Contains(msg, "nothing was changed") || !strings.Contains(msg, "decision record cannot be written") {
		t.Fatalf("the variation whose documents cannot be written = %s, want refused saying nothing changed and why", failed.Raw)
	}
	after := s.must(t, http.StatusOK, "GET", path, officer, nil)
	if got := after.str("status"); got != "active" {
		t.Fatalf("status after the failed variation = %q, want active", got)
	}
	if dig(after.Body, "award", "version") != float64(1) || dig(after.Body, "award", "amount_pence") != float64(3*perYear) || dig(after.Body, "variations") != nil {
		t.Fatalf("award %v and variations %v after the failed variation; want version 1 unchanged and none", dig(after.Body, "award"), dig(after.Body, "variations"))
	}
	s.wantSchemeYear(t, officer, schemeID, 2027, perYear, 0)
	for _, d := range dig(after.Body, "documents").([]any) {
		if dig(d, "version") == float64(2) && (dig(d, "kind") == "grant_agreement" || dig(d, "kind") == "decision_record") {
			t.Errorf("%v version 2 is listed although the variation did not stand", dig(d, "kind"))
		}
	}
	if story := timelineText(dig(after.Body, "timeline")); !strings.Contains(story, "Variation could not be completed: the award stands as version 1") {
		t.Errorf("timeline lacks the failed variation:\n%s", story)
	}

	setName(org)
	s.must(t, http.StatusOK, "POST", path+"/variations", commissioner, variation)
	varied := s.awaitDocumentVersion(t, provider, id, "grant_agreement", 2)
	if got := varied.str("status"); got != "variation_offered" {
		t.Fatalf("status after varying again = %q, want variation_offered", got)
	}
	s.wantSchemeYear(t, officer, schemeID, 2027, perYear+1_000_000, 0)
	var numbers []string
	for _, r := range dig(s.must(t, http.StatusOK, "GET", path, officer, nil).Body, "decision_records").([]any) {
		numbers = append(numbers, fmt.Sprint(dig(r, "number")))
	}
	if len(numbers) != 2 || numbers[1] != "PCC/2026/002" {
		t.Fatalf("decision records %v, want the approval's and PCC/2026/002 for the variation", numbers)
	}
	s.must(t, http.StatusOK, "POST", path+"/variation-acceptance", provider, map[string]any{"version": 2})
	s.awaitStatus(t, officer, id, "active")
	// Ending the award closes the workflow's story for the recorded history.
	s.must(t, http.StatusOK, "POST", path+"/termination", commissioner, map[string]any{"reason": "The service moved to another funder."})
	s.awaitStatus(t, provider, id, "final_report")
	recordHistory(t, s, id, "service_variation_undone.json")
}

// awaitDocumentVersion polls until the application lists the given version of a document.
func (s *system) awaitDocumentVersion(t *testing.T, token string, id int64, kind string, version int) response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var r response
	for time.Now().Before(deadline) {
		r = s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d", id), token, nil)
		for _, d := range dig(r.Body, "documents").([]any) {
			if dig(d, "kind") == kind && dig(d, "version") == float64(version) {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no %s version %d for application %d among %v", kind, version, id, dig(r.Body, "documents"))
	return r
}

// documentID is the id of the given version of a document listed on the application.
func documentID(t *testing.T, app response, kind string, version int) int64 {
	t.Helper()
	for _, d := range dig(app.Body, "documents").([]any) {
		if dig(d, "kind") == kind && dig(d, "version") == float64(version) {
			return int64(dig(d, "id").(float64))
		}
	}
	t.Fatalf("no %s version %d among %v", kind, version, dig(app.Body, "documents"))
	return 0
}

// wantSchemeYear checks a scheme year's committed and paid totals.
func (s *system) wantSchemeYear(t *testing.T, token string, schemeID int64, fy int, committed, paid int64) {
	t.Helper()
	years := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/schemes/%d/years", schemeID), token, nil)
	for _, y := range dig(years.Body, "years").([]any) {
		if dig(y, "financial_year") == float64(fy) {
			if dig(y, "committed_pence") != float64(committed) || dig(y, "paid_pence") != float64(paid) {
				t.Fatalf("scheme year %s = %v, want committed %d and paid %d", scheme.FinancialYearLabel(fy), y, committed, paid)
			}
			return
		}
	}
	if committed != 0 || paid != 0 {
		t.Fatalf("scheme years %v lack %s", dig(years.Body, "years"), scheme.FinancialYearLabel(fy))
	}
}

// timelineText is the timeline as lines of "actor (role): what: why".
func timelineText(timeline any) string {
	var lines []string
	for _, e := range timeline.([]any) {
		lines = append(lines, fmt.Sprintf("%s (%s): %s: %s", dig(e, "actor"), dig(e, "role"), dig(e, "what"), dig(e, "why")))
	}
	return strings.Join(lines, "\n")
}
