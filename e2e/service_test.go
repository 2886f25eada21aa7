package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/workflows"
)

// serviceApplication registers a provider and submits a three-year service application to the
// Commissioned Services Fund, returning the provider's token and the application id.
func (s *system) serviceApplication(t *testing.T, org string, perYear int64, firstFY, nYears int) (string, int64) {
	t.Helper()
	provider := s.registerProvider(t, org)
	list := s.must(t, http.StatusOK, "GET", "/api/v1/schemes", "", nil)
	var schemeID float64
	for _, sc := range dig(list.Body, "schemes").([]any) {
		if dig(sc, "slug") == "commissioned-services" {
			schemeID = dig(sc, "id").(float64)
		}
	}
	detail := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/schemes/%d", int64(schemeID)), "", nil)
	roundID := dig(detail.Body, "rounds", "0", "id")
	service := map[string]any{
		"service":     "Independent domestic violence advocacy",
		"description": "Advocates supporting high-risk victims of domestic abuse across the city and county.",
		"wards":       []string{"Leicester: Braunstone Park and Rowley Fields", "Charnwood: Loughborough Hastings"},
		"years":       yearsOf(perYear, firstFY, nYears),
		"outcomes": []map[string]any{{
			"outcome": "Victims at high risk are safer",
			"indicators": []map[string]any{
				{"key": "referrals", "name": "High-risk victims supported", "unit": "people", "quarterly_target": 60},
				{"key": "safety_plans", "name": "Safety plans completed", "unit": "plans", "quarterly_target": 45},
			},
		}},
		"safeguarding": map[string]any{"policy_reviewed_on": "2026-05-01", "lead": "Designated safeguarding lead", "dbs_checks": true},
		"governance":   map[string]any{"trustees": 7, "latest_accounts_year": "2025-26"},
	}
	draft := s.must(t, http.StatusCreated, "POST", "/api/v1/applications", provider, map[string]any{
		"scheme_id": schemeID, "round_id": roundID, "title": "IDVA service",
		"purpose": "Independent advocacy for high-risk victims of domestic abuse.",
		"areas":   []string{"Leicester", "Charnwood"}, "priorities": []string{"Victim Services", "Domestic violence and abuse"},
		"service": service,
	})
	id := int64(dig(draft.Body, "id").(float64))
	if got := dig(draft.Body, "amount_requested_pence"); got != float64(int64(nYears)*perYear) {
		t.Fatalf("whole-life amount requested = %v, want %d", got, int64(nYears)*perYear)
	}
	s.must(t, http.StatusAccepted, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", id), provider, nil)
	s.awaitStatus(t, provider, id, "assessment")
	return provider, id
}

func (s *system) registerProvider(t *testing.T, org string) string {
	t.Helper()
	email := strings.ToLower(strings.Fields(org)[0]) + "@provider.example.org"
	s.must(t, http.StatusCreated, "POST", "/api/v1/registrations", "", map[string]any{
		"organisation": map[string]string{"name": org, "type": "cio", "charity_number": "1199999",
			"address": "10 Granby Street, Leicester", "postcode": "LE1 6XX"},
		"user": map[string]string{"name": "Sam Provider", "email": email, "password": "a long enough password"},
	})
	s.confirmAddress(t, email)
	return s.signIn(t, email, "a long enough password")
}

func (s *system) userID(t *testing.T, token string) float64 {
	t.Helper()
	return dig(s.must(t, http.StatusOK, "GET", "/api/v1/me", token, nil).Body, "id").(float64)
}

// driveToAccepted takes a submitted service application through panel, moderation, a
// Commissioner's decision and acceptance; it returns the application as offered.
func (s *system) driveToAccepted(t *testing.T, provider string, id int64, perYear int64, firstFY, nYears int) response {
	t.Helper()
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	assessor, officer, officer2 := s.staff(t, "assessor"), s.staff(t, "officer"), s.signIn(t, "officer2@opcc.example.org", "grantflow-demo")
	head, commissioner := s.staff(t, "head_of_commissioning"), s.staff(t, "commissioner")

	s.must(t, http.StatusUnprocessableEntity, "POST", path+"/panel", officer, map[string]any{
		"assessor_ids": []float64{s.userID(t, assessor)}, "deadline": "2099-01-01"}) // a panel of one is too small
	s.must(t, http.StatusOK, "POST", path+"/panel", officer, map[string]any{
		"assessor_ids": []float64{s.userID(t, assessor), s.userID(t, officer2)}, "deadline": s.now().AddDate(0, 0, 14).Format(time.DateOnly)})

	s.must(t, http.StatusOK, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Strong track record"})
	// One panel member cannot see the other's scores until they have scored.
	if got := dig(s.must(t, http.StatusOK, "GET", path, officer2, nil).Body, "assessments"); got != nil {
		t.Fatalf("a panel member who has not scored can see the panel's scores: %v", got)
	}
	s.must(t, http.StatusOK, "POST", path+"/assessments", officer2, map[string]any{
		"no_conflict": true, "scores": scores(3), "recommendation": "fund", "comment": "Good partnership links"})
	s.awaitStatus(t, officer, id, "moderation")

	// The agreement starts on 1 April of the first year, or today once that has passed, with the
	// first year pro-rated to the quarters left (as the moderation page proposes).
	start := (workflows.Quarter{FY: firstFY, Q: 1}).Start()
	if today := s.now().In(scheme.London); today.After(start) {
		start = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, scheme.London)
	}
	years := yearsOf(perYear, firstFY, nYears)
	years[0]["amount_pence"] = int64(workflows.ProRate(money.Pence(perYear), workflows.QuarterOf(start)))
	s.must(t, http.StatusForbidden, "POST", path+"/moderation", officer2, map[string]any{ // a panel member cannot moderate
		"recommendation": "fund", "years": years, "reasons": "r"})
	s.must(t, http.StatusOK, "POST", path+"/moderation", officer, map[string]any{
		"recommendation": "fund", "years": years, "start_date": start.Format(time.DateOnly),
		"conditions":           []string{"Quarterly attendance at the domestic abuse partnership board"},
		"conditions_precedent": []string{"An up-to-date safeguarding policy approved by the board"},
		"reasons":              "Meets the Victim Services priority; advocacy reduces repeat victimisation of high-risk victims.",
	})
	decision := s.awaitStatus(t, officer, id, "decision")
	if len(s.documentText(t, officer, decision, "decision_pack")) == 0 {
		t.Fatal("no decision pack")
	}
	// The pack holds every assessor's scores: never for the applicant.
	for _, d := range dig(decision.Body, "documents").([]any) {
		if dig(d, "kind") == "decision_pack" {
			s.must(t, http.StatusNotFound, "GET", fmt.Sprintf("/api/v1/documents/%d", int64(dig(d, "id").(float64))), provider, nil)
		}
	}
	for _, d := range dig(s.must(t, http.StatusOK, "GET", path, provider, nil).Body, "documents").([]any) {
		if dig(d, "kind") == "decision_pack" {
			t.Fatal("the applicant is shown the decision pack")
		}
	}

	s.must(t, http.StatusForbidden, "POST", path+"/decision", officer, map[string]any{"no_conflict": true, "outcome": "approve"}) // the moderator
	denied := s.must(t, http.StatusForbidden, "POST", path+"/decision", head, map[string]any{"no_conflict": true, "outcome": "approve"})
	if !strings.Contains(denied.str("error", "message"), "Commissioner") {
		t.Fatalf("the head of commissioning's refusal should name the band: %s", denied.Raw)
	}
	s.must(t, http.StatusOK, "POST", path+"/decision", commissioner, map[string]any{"no_conflict": true, "outcome": "approve"})
	offered := s.awaitStatus(t, provider, id, "offered")
	record := s.documentText(t, provider, offered, "decision_record")
	var whole int64
	for _, y := range years {
		whole += y["amount_pence"].(int64)
	}
	total := fmt.Sprintf("£%s", commas(whole/100))
	for _, want := range []string{"PCC/", total, "Decision maker Police and Crime Commissioner", "reduces repeat victimisation"} {
		if !strings.Contains(record, want) {
			t.Errorf("decision record lacks %q:\n%s", want, record)
		}
	}
	if strings.Contains(record, "Casey Commissioner") { // the record is published: it names the office, not the person
		t.Errorf("the decision record names the Commissioner:\n%s", record)
	}
	agreement := s.documentText(t, provider, offered, "grant_agreement")
	for _, want := range []string{total, workflows.QuarterOf(start).Label(), "safeguarding policy approved by the board", "High-risk victims supported",
		"the first due on " + start.Format("2 January 2006")} {
		if !strings.Contains(agreement, want) {
			t.Errorf("grant agreement lacks %q", want)
		}
	}
	s.must(t, http.StatusOK, "POST", path+"/acceptance", provider, testBank)
	s.awaitStatus(t, officer, id, "accepted")
	return offered
}

// driveToActive takes a submitted service application through panel, moderation, a Commissioner's
// decision, acceptance and conditions precedent.
func (s *system) driveToActive(t *testing.T, provider string, id int64, perYear int64, firstFY, nYears int) response {
	t.Helper()
	s.driveToAccepted(t, provider, id, perYear, firstFY, nYears)
	return s.confirmConditions(t, provider, id)
}

// confirmConditions has the officer confirm an accepted award's conditions precedent.
func (s *system) confirmConditions(t *testing.T, provider string, id int64) response {
	t.Helper()
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	officer := s.staff(t, "officer")
	s.must(t, http.StatusForbidden, "POST", path+"/conditions-precedent", provider, map[string]any{})
	s.must(t, http.StatusOK, "POST", path+"/conditions-precedent", officer, map[string]any{"note": "Policy seen, dated May 2026."})
	return s.awaitStatus(t, provider, id, "active")
}

// TestServiceAwardPanelDecisionAndFirstTwoQuarters runs a three-year award decided on a clock set to
// 1 April 2026, its agreement starting that day, then moves the clock to 20 October 2026 (third
// quarter), so the first two quarters' tranches and returns can be driven at once.
func TestServiceAwardPanelDecisionAndFirstTwoQuarters(t *testing.T) {
	s := newSystemAt(t, time.Date(2026, time.April, 1, 10, 0, 0, 0, scheme.London))
	const perYear = 15_000_000 // £150,000.00 a year, £450,000.00 in all: the Commissioner's band
	provider, id := s.serviceApplication(t, "Safe Haven Domestic Abuse Partnership", perYear, 2026, 3)
	s.driveToActive(t, provider, id, perYear, 2026, 3)
	s.advanceTo(t, id, time.Date(2026, time.October, 20, 10, 0, 0, 0, scheme.London))
	officer, finance := s.staff(t, "officer"), s.staff(t, "finance")
	path := fmt.Sprintf("/api/v1/applications/%d", id)

	// Q1's tranche is released at once; Q2's and Q3's wait for the previous quarters' returns.
	s.awaitTranches(t, officer, id, "released", "held", "held", "scheduled")
	fin := s.must(t, http.StatusOK, "GET", path+"/finance", officer, nil)
	if got := dig(fin.Body, "tranches", "1", "held_reason"); !strings.Contains(fmt.Sprint(got), "Q1 2026-27 monitoring return has not been accepted") {
		t.Fatalf("tranche 2's hold should say why: %v", got)
	}
	s.must(t, http.StatusConflict, "POST", path+"/payments", finance, map[string]any{ // held, not payable
		"tranche": 2, "amount_pence": perYear / 4, "paid_on": "2026-10-20", "reference": "BACS-2"})
	s.signOffPayment(t, path, 1)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"tranche": 1, "amount_pence": perYear / 4, "paid_on": "2026-10-20", "reference": "BACS-1"})

	// Q1 return accepted: tranche 2 released.
	s.must(t, http.StatusOK, "POST", path+"/returns", provider, quarterReturn(2026, 1, 58, 40))
	s.must(t, http.StatusOK, "POST", path+"/return-reviews", officer, map[string]any{
		"financial_year": 2026, "quarter": 1, "outcome": "accept", "rag": "green"})
	s.awaitTranches(t, officer, id, "paid", "released", "held", "scheduled")

	// Q2 return sent back, then accepted: tranche 3 released.
	s.must(t, http.StatusOK, "POST", path+"/returns", provider, quarterReturn(2026, 2, 41, 30))
	bad := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/return-reviews", officer, map[string]any{
		"financial_year": 2026, "quarter": 2, "outcome": "request_changes", "rag": "purple"})
	if dig(bad.Body, "error", "fields", "rag") == nil {
		t.Fatalf("a bad RAG rating should name the field: %s", bad.Raw)
	}
	s.must(t, http.StatusOK, "POST", path+"/return-reviews", officer, map[string]any{
		"financial_year": 2026, "quarter": 2, "outcome": "request_changes", "rag": "amber", "comment": "Explain the dip in referrals."})
	s.must(t, http.StatusOK, "POST", path+"/returns", provider, quarterReturn(2026, 2, 41, 30))
	s.must(t, http.StatusOK, "POST", path+"/return-reviews", officer, map[string]any{
		"financial_year": 2026, "quarter": 2, "outcome": "accept", "rag": "amber", "comment": "Staff vacancy now filled."})
	s.awaitTranches(t, officer, id, "paid", "released", "released", "scheduled")
	s.signOffPayment(t, path, 2)
	s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
		"tranche": 2, "amount_pence": perYear / 4, "paid_on": "2026-10-20", "reference": "BACS-2"})

	// What finance and officers read: per award and per scheme year.
	fin = s.must(t, http.StatusOK, "GET", path+"/finance", officer, nil)
	year1 := dig(fin.Body, "years", "0")
	if dig(year1, "paid_pence") != float64(perYear/2) || dig(year1, "released_pence") != float64(perYear/4) || dig(year1, "remaining_pence") != float64(perYear/4) {
		t.Fatalf("2026-27 finance = %v", year1)
	}
	notices := s.must(t, http.StatusOK, "GET", "/api/v1/finance/notices", finance, nil)
	payments := 0
	for _, n := range dig(notices.Body, "notices").([]any) {
		if dig(n, "kind") == "payment" {
			payments++
		}
	}
	if payments != 3 {
		t.Fatalf("finance has %d payment notices, want 3 (tranches 1-3)", payments)
	}
	schemeID := dig(s.must(t, http.StatusOK, "GET", path, officer, nil).Body, "scheme_id").(float64)
	years := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/schemes/%d/years", int64(schemeID)), officer, nil)
	fy := dig(years.Body, "years", "0")
	if dig(fy, "committed_pence") != float64(perYear) || dig(fy, "paid_pence") != float64(perYear/2) {
		t.Fatalf("scheme year 2026-27 = %v", fy)
	}
	// Indicator trends, quarter by quarter.
	ind := s.must(t, http.StatusOK, "GET", path+"/indicators", provider, nil)
	if got := dig(ind.Body, "indicators", "0", "quarters", "1", "actual"); got != float64(41) {
		t.Fatalf("referrals in Q2 = %v, want 41: %s", got, ind.Raw)
	}
	if got := dig(ind.Body, "indicators", "0", "quarters", "0", "target"); got != float64(60) {
		t.Fatalf("referrals target = %v, want 60", got)
	}
	recordHistory(t, s, id, "service_two_quarters.json")
}

func quarterReturn(fy, q int, referrals, plans int) map[string]any {
	return map[string]any{"financial_year": fy, "quarter": q, "content": map[string]any{
		"indicators":          []map[string]any{{"key": "referrals", "actual": referrals}, {"key": "safety_plans", "actual": plans}},
		"spend_to_date_pence": 3_000_000 * q,
		"beneficiaries": []map[string]any{{"area": "Leicester", "age_band": "18_24", "count": 12},
			{"area": "Charnwood", "age_band": "25_plus", "count": referrals - 12}},
		"safeguarding_incidents": 1,
		"narrative":              "Caseloads steady; one safeguarding referral made to adult social care.",
	}}
}

// awaitTranches polls the award's finance until its first tranches have these statuses.
func (s *system) awaitTranches(t *testing.T, token string, id int64, want ...string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got []string
	for time.Now().Before(deadline) {
		fin := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d/finance", id), token, nil)
		got = got[:0]
		for i := range want {
			got = append(got, fmt.Sprint(dig(fin.Body, "tranches", fmt.Sprint(i), "status")))
		}
		if strings.Join(got, ",") == strings.Join(want, ",") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("tranche statuses %v, want %v", got, want)
}

func commas(pounds int64) string {
	s := fmt.Sprint(pounds)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s + ".00"
}

func yearsOf(perYear int64, firstFY, n int) []map[string]any {
	var years []map[string]any
	for i := 0; i < n; i++ {
		years = append(years, map[string]any{"financial_year": firstFY + i, "amount_pence": perYear})
	}
	return years
}

// TestFiveYearAwardRollsOverAtYearEndWithASmallHistory sets the clock to the last minute of a
// financial year: a five-year award is decided, accepted and driven through all four quarters of
// its first year (returns may be sent from two weeks before a quarter ends), then the workflow
// rolls over into a new run for the new year, carrying its state. The first run's history, the
// largest any run of the award has (selection plus a whole year of delivery), is measured and must
// stay well under 2,000 events. Both runs' histories are kept for the replay tests.
func TestFiveYearAwardRollsOverAtYearEndWithASmallHistory(t *testing.T) {
	clock := time.Date(2027, time.March, 31, 23, 58, 50, 0, scheme.London)
	s := newSystemAt(t, yearStart) // decided on 1 April 2026, the agreement starting then; then moved to clock
	const perYear = 6_000_000      // £60,000.00 a year, £300,000.00 over five years
	provider, id := s.serviceApplication(t, "Northfields Youth Diversion", perYear, 2026, 5)
	s.driveToActive(t, provider, id, perYear, 2026, 5)
	s.advanceTo(t, id, clock)
	officer, finance := s.staff(t, "officer"), s.staff(t, "finance")
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	for q := 1; q <= 4; q++ {
		s.awaitTranches(t, officer, id, trancheStatuses(q)...)
		s.signOffPayment(t, path, q)
		s.must(t, http.StatusOK, "POST", path+"/payments", finance, map[string]any{
			"tranche": q, "amount_pence": perYear / 4, "paid_on": "2027-03-31", "reference": fmt.Sprintf("BACS-%d", q)})
		s.must(t, http.StatusOK, "POST", path+"/returns", provider, quarterReturn(2026, q, 60, 45))
		s.must(t, http.StatusOK, "POST", path+"/return-reviews", officer, map[string]any{
			"financial_year": 2026, "quarter": q, "outcome": "accept", "rag": "green"})
	}
	if now := s.now(); !now.Before(time.Date(2027, time.April, 1, 0, 0, 0, 0, scheme.London)) {
		t.Fatalf("the first year was not driven before it ended (clock %v): the machine is too slow for this test's margin", now)
	}

	ctx := context.Background()
	wfID := workflows.ApplicationWorkflowID(id)
	first, err := s.Client.DescribeWorkflowExecution(ctx, wfID, "")
	if err != nil {
		t.Fatal(err)
	}
	firstRun := first.WorkflowExecutionInfo.Execution.RunId
	deadline := time.Now().Add(90 * time.Second)
	for {
		d, err := s.Client.DescribeWorkflowExecution(ctx, wfID, "")
		if err != nil {
			t.Fatal(err)
		}
		if d.WorkflowExecutionInfo.Execution.RunId != firstRun {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the workflow did not continue as new at the financial year end")
		}
		time.Sleep(200 * time.Millisecond)
	}
	st := s.serviceState(t, id)
	if st.Run != 2 || st.Stage != workflows.StageActive || st.Award == nil || !st.Award.ConditionsMet || len(st.Tranches) != 20 || st.Award.Paid != perYear {
		t.Fatalf("second run state: run %d, stage %s, award %+v, %d tranches", st.Run, st.Stage, st.Award, len(st.Tranches))
	}
	described, err := s.Client.DescribeWorkflowExecution(ctx, wfID, firstRun)
	if err != nil {
		t.Fatal(err)
	}
	events := described.WorkflowExecutionInfo.HistoryLength
	t.Logf("five-year award: the first run (selection and a whole year of delivery) has %d history events", events)
	if events >= 1000 {
		t.Fatalf("the first run has %d history events; a run must stay well under 2,000", events)
	}
	recordRunHistory(t, s, id, firstRun, "service_year_end_run1.json")
	recordHistory(t, s, id, "service_year_end_run2.json")
}

// trancheStatuses is what the first four tranches look like once quarter q's tranche is payable.
func trancheStatuses(q int) []string {
	out := []string{}
	for i := 1; i <= 4; i++ {
		switch {
		case i < q:
			out = append(out, "paid")
		case i == q:
			out = append(out, "released")
		default:
			out = append(out, "held")
		}
	}
	return out
}
