//go:build linux

package main

import (
	"context"
	"fmt"
	"time"

	"grantflow/internal/apiclient"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/workflows"
)

// The stages each kind of grant passes through on the harness's path, in order: a step is taken
// once the application has reached the stage after it.
var (
	grassrootsOrder = []string{"draft", "submitted", "screening", "assessment", "decision", "approved", "offered",
		"accepted", "paid", "report_submitted", "closed"}
	serviceOrder = []string{"draft", "submitted", "screening", "assessment", "moderation", "decision", "approved", "offered",
		"accepted", "active", "terminated", "final_report", "final_report_submitted", "recovery", "closed"}
)

// people are the signed-in tokens the drivers act with.
type people struct {
	assessor, officer, officer2, head, commissioner, finance, finance2 string
	assessorID, officer2ID                                             int64
}

// grassrootsAmount is what each grassroots grant asks for and is given: the scheme's least, so
// 200 fit the demo's £150,000.00 budget.
const grassrootsAmount = money.Pence(50_000)

// serviceAmount is each service award's one year: in the head of commissioning's band.
const serviceAmount = money.Pence(4_000_000)

var scores = []map[string]any{
	{"criterion": "fit", "score": 4, "comment": "Clear fit with the plan"},
	{"criterion": "need", "score": 4, "comment": "Local figures show the need"},
	{"criterion": "deliverability", "score": 4, "comment": "An experienced team"},
	{"criterion": "value", "score": 3, "comment": "Reasonable costs"},
	{"criterion": "partnership", "score": 5, "comment": "Works with the neighbourhood team"},
}

func bank(name string) map[string]string {
	return map[string]string{"account_name": name, "sort_code": "08-99-99", "account_number": "66374958"}
}

// createDraft makes the draft, or finds the one an unanswered earlier attempt made (by its title,
// unique in the run), and returns its id.
func (c *api) createDraft(ctx context.Context, token, title string, body map[string]any) (int64, error) {
	var id int64
	find := func() (bool, error) {
		list, err := c.get(ctx, "/api/v1/applications?q="+urlQuery(title), token)
		if err != nil {
			return false, err
		}
		apps, _ := apiclient.Dig(list.Body, "applications").([]any)
		for _, a := range apps {
			if apiclient.Dig(a, "title") == title {
				id = int64(apiclient.Dig(a, "id").(float64))
				return true, nil
			}
		}
		return false, nil
	}
	a, err := c.step(ctx, "POST", "/api/v1/applications", token, body, find)
	if err != nil {
		return 0, err
	}
	if id == 0 {
		id = int64(apiclient.Dig(a.Body, "id").(float64))
	}
	return id, nil
}

// grassroots drives one grassroots grant from draft to closed.
func (c *api) grassroots(ctx context.Context, n int, applicant, org string, p people, schemeID, roundID int64) (int64, error) {
	title := fmt.Sprintf("Chaos grassroots grant %d", n)
	now := time.Now()
	body := map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": title,
		"purpose":                "Evening detached youth work in Melton to reduce anti-social behaviour.",
		"amount_requested_pence": grassrootsAmount, "project_start": now.AddDate(0, 1, 0).Format(time.DateOnly),
		"project_end": now.AddDate(0, 10, 0).Format(time.DateOnly), "areas": []string{"Melton"},
		"priorities": []string{"Anti-social behaviour", "Serious violence"}, "answers": demo.GrassrootsAnswers(grassrootsAmount)}
	id, err := c.createDraft(ctx, applicant, title, body)
	if err != nil {
		return 0, err
	}
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	at := func(stage string) func() (bool, error) { return c.reached(ctx, applicant, id, grassrootsOrder, stage) }
	never := func() (bool, error) { return false, nil }
	steps := []struct {
		method, path, token string
		body                any
		done                func() (bool, error)
		await               string
	}{
		{"POST", path + "/submit", applicant, nil, at("submitted"), "assessment"},
		{"POST", path + "/assessments", p.assessor, map[string]any{"no_conflict": true, "scores": scores, "recommendation": "fund", "comment": "A sound plan"}, at("decision"), ""},
		{"POST", path + "/decision", p.officer, map[string]any{"no_conflict": true, "outcome": "approve", "amount_pence": grassrootsAmount,
			"purpose": "Evening detached youth work in Melton town centre.", "reasons": "Targets the evenings when reports peak.",
			"conditions": []string{"Acknowledge the Commissioner's funding in publicity"}}, at("approved"), "offered"},
		{"POST", path + "/acceptance", applicant, bank(org), at("accepted"), ""},
		{"POST", path + "/payment-proposal", p.finance, map[string]any{}, at("paid"), ""},
		{"POST", path + "/payment-approval", p.finance2, map[string]any{}, at("paid"), ""},
		{"POST", path + "/payments", p.finance, map[string]any{"amount_pence": grassrootsAmount, "paid_on": now.Format(time.DateOnly),
			"reference": fmt.Sprintf("BACS-CHAOS-%d", id)}, at("paid"), ""},
		{"POST", path + "/report", applicant, map[string]any{"summary": "Ran 30 evening sessions for 212 young people.",
			"outcomes": "ASB reports fell by a fifth.", "spent_pence": grassrootsAmount,
			"beneficiaries": []any{map[string]any{"area": "Melton", "ward": "Melton: Melton Egerton", "age_band": "under_18", "count": 150}}},
			at("report_submitted"), ""},
		{"POST", path + "/report-review", p.officer, map[string]any{"outcome": "accept"}, at("closed"), ""},
	}
	if _, err := c.step(ctx, "PUT", path, applicant, body, never); err != nil {
		return id, err
	}
	for _, s := range steps {
		if _, err := c.step(ctx, s.method, s.path, s.token, s.body, s.done); err != nil {
			return id, err
		}
		if s.await != "" {
			if err := c.await(ctx, applicant, id, grassrootsOrder[indexOf(grassrootsOrder, s.await):]...); err != nil {
				return id, err
			}
		}
	}
	return id, c.await(ctx, applicant, id, "closed")
}

func indexOf(order []string, stage string) int {
	for i, s := range order {
		if s == stage {
			return i
		}
	}
	return len(order)
}

// serviceClockStart is where the service applications' clock starts: 10am on 1 April 2026, so a
// one-year award starts at once and its quarters are the financial year's.
var serviceClockStart = time.Date(2026, time.April, 1, 10, 0, 0, 0, scheme.London)

// serviceClockSecondQuarter is where the harness moves that clock once every award is active: into
// the second quarter, so the first quarter's return is due and the second tranche can be released.
var serviceClockSecondQuarter = time.Date(2026, time.July, 20, 10, 0, 0, 0, scheme.London)

// serviceApplication drives one service award from draft to active with its first tranche paid.
func (c *api) serviceUntilFirstTranche(ctx context.Context, n int, provider string, p people, schemeID, roundID int64, clock func() time.Time) (int64, error) {
	title := fmt.Sprintf("Chaos service award %d", n)
	fy := scheme.FinancialYear(clock())
	service := map[string]any{
		"service": "Independent domestic violence advocacy", "description": "Advocates supporting high-risk victims across the city and county.",
		"years": []map[string]any{{"financial_year": fy, "amount_pence": serviceAmount}},
		"outcomes": []map[string]any{{"outcome": "Victims at high risk are safer", "indicators": []map[string]any{
			{"key": "referrals", "name": "High-risk victims supported", "unit": "people", "quarterly_target": 60},
			{"key": "safety_plans", "name": "Safety plans completed", "unit": "plans", "quarterly_target": 45}}}},
		"safeguarding": map[string]any{"policy_reviewed_on": clock().AddDate(0, -3, 0).Format(time.DateOnly), "lead": "Designated safeguarding lead", "dbs_checks": true},
		"governance":   map[string]any{"trustees": 7, "latest_accounts_year": scheme.FinancialYearLabel(fy - 1)},
	}
	id, err := c.createDraft(ctx, provider, title, map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": title,
		"purpose": "Independent advocacy for high-risk victims of domestic abuse.", "areas": []string{"Leicester"},
		"priorities": []string{"Victim Services"}, "service": service})
	if err != nil {
		return 0, err
	}
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	at := func(stage string) func() (bool, error) { return c.reached(ctx, p.officer, id, serviceOrder, stage) }
	never := func() (bool, error) { return false, nil }
	start := clock().In(scheme.London)
	start = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, scheme.London)
	years := []map[string]any{{"financial_year": fy, "amount_pence": workflows.ProRate(serviceAmount, workflows.QuarterOf(start))}}
	steps := []struct {
		method, path, token string
		body                any
		done                func() (bool, error)
		await               string
	}{
		{"POST", path + "/submit", provider, nil, at("submitted"), "assessment"},
		{"POST", path + "/panel", p.officer, map[string]any{"assessor_ids": []int64{p.assessorID, p.officer2ID},
			"deadline": clock().AddDate(0, 0, 14).Format(time.DateOnly)}, never, ""},
		{"POST", path + "/assessments", p.assessor, map[string]any{"no_conflict": true, "scores": scores, "recommendation": "fund", "comment": "A strong service"}, at("moderation"), ""},
		{"POST", path + "/assessments", p.officer2, map[string]any{"no_conflict": true, "scores": scores, "recommendation": "fund", "comment": "Good links"}, at("moderation"), "moderation"},
		{"POST", path + "/moderation", p.officer, map[string]any{"recommendation": "fund", "years": years, "start_date": start.Format(time.DateOnly),
			"conditions": []string{"Quarterly attendance at the partnership board"}, "conditions_precedent": []string{"An up-to-date safeguarding policy"},
			"reasons": "Meets the Victim Services priority."}, at("decision"), "decision"},
		{"POST", path + "/decision", p.head, map[string]any{"no_conflict": true, "outcome": "approve"}, at("approved"), "offered"},
		{"POST", path + "/acceptance", provider, bank(title), at("accepted"), "accepted"},
		{"POST", path + "/conditions-precedent", p.officer, map[string]any{"note": "Policy seen."}, at("active"), "active"},
	}
	for _, s := range steps {
		if _, err := c.step(ctx, s.method, s.path, s.token, s.body, s.done); err != nil {
			return id, err
		}
		if s.await != "" {
			if err := c.await(ctx, p.officer, id, serviceOrder[indexOf(serviceOrder, s.await):]...); err != nil {
				return id, err
			}
		}
	}
	return id, c.payTranche(ctx, id, 1, p, clock)
}

// payTranche waits until the tranche is released, then has finance propose, approve and pay it.
func (c *api) payTranche(ctx context.Context, id int64, no int, p people, clock func() time.Time) error {
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	var amount float64
	status := func() (string, error) {
		fin, err := c.get(ctx, path+"/finance", p.finance)
		if err != nil {
			return "", err
		}
		amount, _ = apiclient.Dig(fin.Body, "tranches", fmt.Sprint(no-1), "amount_pence").(float64)
		return fmt.Sprint(apiclient.Dig(fin.Body, "tranches", fmt.Sprint(no-1), "status")), nil
	}
	for deadline := time.Now().Add(stepTimeout); ; pause(ctx) {
		st, err := status()
		if err != nil {
			return err
		}
		if st == "released" || st == "paid" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("application %d's tranche %d stayed %s: %w", id, no, st, errGaveUp)
		}
	}
	paid := func() (bool, error) { st, err := status(); return st == "paid", err }
	if _, err := c.step(ctx, "POST", path+"/payment-proposal", p.finance, map[string]any{"tranche": no}, paid); err != nil {
		return err
	}
	if _, err := c.step(ctx, "POST", path+"/payment-approval", p.finance2, map[string]any{"tranche": no}, paid); err != nil {
		return err
	}
	_, err := c.step(ctx, "POST", path+"/payments", p.finance, map[string]any{"tranche": no, "amount_pence": int64(amount),
		"paid_on": clock().In(scheme.London).Format(time.DateOnly), "reference": fmt.Sprintf("BACS-CHAOS-%d-%d", id, no)}, paid)
	return err
}

// serviceToClosed drives an active service award, its clock in the second quarter, on to closed:
// the first quarter's return, the second tranche, an early end by the Commissioner, the final
// report, any return the early end left missing waived, and the report accepted.
func (c *api) serviceToClosed(ctx context.Context, id int64, provider string, p people, clock func() time.Time) error {
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	at := func(stage string) func() (bool, error) { return c.reached(ctx, p.officer, id, serviceOrder, stage) }
	returnStatus := func(q int) (string, error) {
		a, err := c.get(ctx, path, p.officer)
		if err != nil {
			return "", err
		}
		for _, r := range asList(apiclient.Dig(a.Body, "return_schedule")) {
			if apiclient.Dig(r, "quarter") == float64(q) {
				return fmt.Sprint(apiclient.Dig(r, "status")), nil
			}
		}
		return "", nil
	}
	returnIs := func(q int, want ...string) func() (bool, error) {
		return func() (bool, error) {
			st, err := returnStatus(q)
			return indexOf(want, st) < len(want), err
		}
	}
	fy := scheme.FinancialYear(serviceClockStart)
	ret := map[string]any{"financial_year": fy, "quarter": 1, "content": map[string]any{
		"indicators":          []map[string]any{{"key": "referrals", "actual": 58}, {"key": "safety_plans", "actual": 40}},
		"spend_to_date_pence": serviceAmount / 4, "safeguarding_incidents": 0,
		"beneficiaries": []map[string]any{{"area": "Leicester", "age_band": "18_24", "count": 58}},
		"narrative":     "Caseloads steady."}}
	if _, err := c.step(ctx, "POST", path+"/returns", provider, ret, returnIs(1, "submitted", "accepted")); err != nil {
		return err
	}
	if _, err := c.step(ctx, "POST", path+"/return-reviews", p.officer, map[string]any{"financial_year": fy, "quarter": 1,
		"outcome": "accept", "rag": "green"}, returnIs(1, "accepted")); err != nil {
		return err
	}
	if err := c.payTranche(ctx, id, 2, p, clock); err != nil {
		return err
	}
	if _, err := c.step(ctx, "POST", path+"/termination", p.commissioner, map[string]any{"reason": "The chaos run ends it early."}, at("terminated")); err != nil {
		return err
	}
	if err := c.await(ctx, provider, id, serviceOrder[indexOf(serviceOrder, "final_report"):]...); err != nil {
		return err
	}
	if _, err := c.step(ctx, "POST", path+"/report", provider, map[string]any{"summary": "Advocacy for 80 victims.",
		"outcomes": "Safety plans for 62.", "spent_pence": serviceAmount / 2}, at("final_report_submitted")); err != nil {
		return err
	}
	if err := c.await(ctx, p.officer, id, serviceOrder[indexOf(serviceOrder, "final_report_submitted"):]...); err != nil {
		return err
	}
	// Returns of quarters the early end cut short are waived by the head of commissioning.
	a, err := c.get(ctx, path, p.officer)
	if err != nil {
		return err
	}
	var missing []any
	for _, r := range asList(apiclient.Dig(a.Body, "return_schedule")) {
		if apiclient.Dig(r, "status") == "awaiting" {
			missing = append(missing, map[string]any{"financial_year": apiclient.Dig(r, "financial_year"), "quarter": apiclient.Dig(r, "quarter")})
		}
	}
	if len(missing) > 0 {
		noneAwaiting := func() (bool, error) {
			a, err := c.get(ctx, path, p.officer)
			for _, r := range asList(apiclient.Dig(a.Body, "return_schedule")) {
				if apiclient.Dig(r, "status") == "awaiting" {
					return false, err
				}
			}
			return true, err
		}
		if _, err := c.step(ctx, "POST", path+"/return-waivers", p.head, map[string]any{"quarters": missing,
			"reason": "The award ended early; the final report covers it."}, noneAwaiting); err != nil {
			return err
		}
	}
	if _, err := c.step(ctx, "POST", path+"/report-review", p.officer, map[string]any{"outcome": "accept"}, at("closed")); err != nil {
		return err
	}
	return c.await(ctx, p.officer, id, "closed")
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
