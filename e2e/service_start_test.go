package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// TestServiceAwardApprovedMidYearStartsItsTimetableThen is the award of issue 9 as a user sees it
// through the API: £150,000 a year for three years, approved on 6 December 2026 (Q3 of 2026-27).
// The agreement starts that day and ends on 31 March 2029; 2026-27 is pro-rated to its 2 remaining
// quarters (£75,000.00), committed and read back so per year; tranche 1 is Q3's, due on
// 6 December, and released at once, with nothing paid for April to September; the first return is
// Q3's, due 15 January 2027, and nothing is overdue or held for a quarter before the award existed.
func TestServiceAwardApprovedMidYearStartsItsTimetableThen(t *testing.T) {
	s := newSystemAt(t, time.Date(2026, time.December, 6, 10, 0, 0, 0, scheme.London))
	const perYear = 15_000_000
	provider, id := s.serviceApplication(t, "Safe Haven Domestic Abuse Partnership", perYear, 2026, 3)
	active := s.driveToActive(t, provider, id, perYear, 2026, 3)
	officer, finance := s.staff(t, "officer"), s.staff(t, "finance")
	path := fmt.Sprintf("/api/v1/applications/%d", id)

	agreement := s.documentText(t, provider, active, "grant_agreement")
	for _, want := range []string{"Agreement starts", "6 December 2026", "Agreement ends", "31 March 2029", "the first due on 6 December 2026",
		"£375,000.00", "£75,000.00", "£37,500.00", "15 January 2027"} {
		if !strings.Contains(agreement, want) {
			t.Errorf("the grant agreement does not say %q:\n%s", want, agreement)
		}
	}
	for _, never := range []string{"Q1 2026-27", "Q2 2026-27", "1 April 2026", "15 July 2026"} {
		if strings.Contains(agreement, never) {
			t.Errorf("the grant agreement names %q, before the award began", never)
		}
	}

	s.awaitTranches(t, officer, id, "released", "scheduled", "scheduled")
	fin := s.must(t, http.StatusOK, "GET", path+"/finance", officer, nil)
	if fin.str("start_date") != "2026-12-06" || fin.str("end_date") != "2029-03-31" {
		t.Errorf("finance dates %s to %s; want 2026-12-06 to 2029-03-31", fin.str("start_date"), fin.str("end_date"))
	}
	for i, want := range []float64{7_500_000, 15_000_000, 15_000_000} {
		if got := dig(fin.Body, "years", fmt.Sprint(i), "awarded_pence"); got != want {
			t.Errorf("year %d awarded %v; want %v", i, got, want)
		}
	}
	if got := dig(fin.Body, "total", "awarded_pence"); got != float64(37_500_000) {
		t.Errorf("total awarded %v; want £375,000.00", got)
	}
	first := dig(fin.Body, "tranches", "0")
	if dig(first, "no") != float64(1) || dig(first, "quarter") != float64(3) || dig(first, "amount_pence") != float64(3_750_000) ||
		!strings.HasPrefix(fmt.Sprint(dig(first, "due_on")), "2026-12-06") {
		t.Errorf("tranche 1 %v; want Q3's £37,500.00 due 2026-12-06", first)
	}
	if n := len(dig(fin.Body, "tranches").([]any)); n != 10 {
		t.Errorf("%d tranches; want 10 (2 in 2026-27, then 4 a year)", n)
	}
	detail := s.must(t, http.StatusOK, "GET", path, provider, nil)
	if r := dig(detail.Body, "return_schedule", "0"); dig(r, "label") != "Q3 2026-27" || !strings.HasPrefix(fmt.Sprint(dig(r, "due")), "2027-01-15") ||
		dig(r, "status") != "awaiting" {
		t.Errorf("first return %v; want Q3 2026-27 due 15 January 2027, awaiting", r)
	}
	if got := dig(detail.Body, "award", "start_date"); !strings.HasPrefix(fmt.Sprint(got), "2026-12-06") {
		t.Errorf("award start date %v; want 2026-12-06", got)
	}
	schemeID := dig(detail.Body, "scheme_id").(float64)
	years := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/schemes/%d/years", int64(schemeID)), officer, nil)
	committed := map[float64]any{}
	for _, y := range dig(years.Body, "years").([]any) {
		committed[dig(y, "financial_year").(float64)] = dig(y, "committed_pence")
	}
	if committed[2026] != float64(7_500_000) || committed[2027] != float64(15_000_000) || committed[2028] != float64(15_000_000) {
		t.Errorf("scheme budgets committed %v; want £75,000.00 in 2026-27, then £150,000.00 a year", committed)
	}
	s.signOffPayment(t, path, 1)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"tranche": 1, "amount_pence": 3_750_000, "paid_on": "2026-12-06", "reference": "BACS-1"})
	s.must(t, http.StatusUnprocessableEntity, "POST", path+"/returns", provider, quarterReturn(2026, 2, 41, 30)) // not a quarter of the award

	// Q3's return, sent from two weeks before the quarter ends and accepted: tranche 2 goes out on
	// 1 January 2027 with nothing held.
	s.advanceTo(t, id, time.Date(2026, time.December, 20, 10, 0, 0, 0, scheme.London))
	s.must(t, http.StatusOK, "POST", path+"/returns", provider, quarterReturn(2026, 3, 58, 40))
	s.must(t, http.StatusOK, "POST", path+"/return-reviews", officer, map[string]any{
		"financial_year": 2026, "quarter": 3, "outcome": "accept", "rag": "green"})
	s.advanceTo(t, id, time.Date(2027, time.January, 2, 10, 0, 0, 0, scheme.London))
	s.awaitTranches(t, officer, id, "paid", "released", "scheduled")
	for _, e := range dig(s.must(t, http.StatusOK, "GET", path, officer, nil).Body, "timeline").([]any) {
		// Tranche 1 waited only for the conditions precedent, confirmed the day it was due.
		what := fmt.Sprint(dig(e, "what"), " ", dig(e, "why"))
		if strings.Contains(what, "overdue") || strings.Contains(what, "Q1 2026-27") || strings.Contains(what, "Q2 2026-27") {
			t.Errorf("timeline says %q: nothing is overdue, and no quarter before the award began is named", what)
		}
	}
	recordHistory(t, s, id, "service_mid_year_start.json")
}
