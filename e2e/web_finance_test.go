package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// Finance pays an accepted grant from the finance page: mistakes are named on the page and
// nothing is recorded, an officer posting the same form is refused by the workflow, and finance's
// payment moves the grant to paid.
func TestWebFinanceRecordsAGrantPayment(t *testing.T) {
	sys := newSystem(t)
	applicant := sys.registerApplicant(t, "Hinckley Night Watch", "ana@night-watch.example.org")
	assessor, officerToken, financeToken := sys.staff(t, "assessor"), sys.staff(t, "officer"), sys.staff(t, "finance")

	id := sys.applyFor(t, applicant, 300000)
	api := fmt.Sprintf("/api/v1/applications/%d", id)
	sys.must(t, http.StatusOK, "POST", api+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Well run"})
	sys.must(t, http.StatusOK, "POST", api+"/decision", officerToken, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 300000, "purpose": "Volunteer night patrols in Hinckley town centre.",
		"conditions": []string{"Keep an up-to-date safeguarding policy"}, "reasons": "Addresses night-time economy violence."})
	sys.awaitStatus(t, applicant, id, "offered")
	sys.must(t, http.StatusOK, "POST", api+"/acceptance", applicant, testBank)
	ref := sys.awaitStatus(t, financeToken, id, "accepted").str("award", "reference")

	finance := sys.webSignIn(t, "finance@opcc.example.org")
	due := finance.get("/finance")
	due.mustSay(t, http.StatusOK, "Payments and notices", ref+": One-off grant", "Hinckley Night Watch", "Safer Streets after dark",
		"£3,000.00", "Record payment", ref+"-FN", "Award notice", "New this week")
	csvFile := finance.get("/finance/payments-due.csv")
	if csvFile.Status != http.StatusOK || !strings.Contains(csvFile.Body, ref+",Hinckley Night Watch,Safer Streets after dark,One-off grant,,3000.00,"+strconv.FormatInt(id, 10)) {
		t.Errorf("the payments due CSV (%d) lacks the grant:\n%s", csvFile.Status, csvFile.Body)
	}

	key := fmt.Sprintf("%d-0", id)
	today := time.Now().In(scheme.London)
	payment := func(amount, reference string, on time.Time) url.Values {
		return url.Values{"tranche": {"0"}, "return": {"finance"}, "amount-" + key: {amount}, "reference-" + key: {reference},
			"paid-on-" + key + "-day": {strconv.Itoa(on.Day())}, "paid-on-" + key + "-month": {strconv.Itoa(int(on.Month()))},
			"paid-on-" + key + "-year": {strconv.Itoa(on.Year())}}
	}
	action := fmt.Sprintf("/applications/%d/payments", id)
	sys.signOffPayment(t, fmt.Sprintf("/api/v1/applications/%d", id), 0) // two-person payments: proposed and approved first
	stillAccepted := func() {
		t.Helper()
		r := sys.must(t, http.StatusOK, "GET", api, financeToken, nil)
		if r.str("status") != "accepted" || r.str("award", "status") != "accepted" {
			t.Fatalf("after a refused payment the grant is %s (award %s), want accepted", r.str("status"), r.str("award", "status"))
		}
	}

	// Our own check: not an amount. The error summary links to the payment's own field.
	bad := finance.post(action, payment("three thousand", "BACS-1", today))
	bad.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Enter the amount paid in pounds and pence, like 4,250.00")
	if !strings.Contains(bad.Body, `href="#amount-`+key+`"`) || !strings.Contains(bad.Body, `value="three thousand"`) {
		t.Errorf("the summary should link to #amount-%s and keep what was typed:\n%s", key, bad.Body)
	}
	// The workflow's checks, in the page's words: the amount must be the award's, the date not ahead.
	finance.post(action, payment("2,999.99", "BACS-1", today)).mustSay(t, http.StatusUnprocessableEntity,
		"There is a problem", "Amount paid must be the award's £3,000.00, paid in one payment")
	finance.post(action, payment("3,000.00", "BACS-1", today.AddDate(0, 0, 7))).mustSay(t, http.StatusUnprocessableEntity,
		"There is a problem", "The date the payment was made cannot be in the future")
	stillAccepted()

	// An officer sees the week's payments but records none: the workflow refuses the form.
	officer := sys.webSignIn(t, "officer@opcc.example.org")
	officer.get("/finance").mustSay(t, http.StatusOK, ref+": One-off grant", "Finance records payments when they have been made.")
	officer.get("/sign-out") // for a form token: the officer's finance page has no payment forms
	officer.post(action, payment("3,000.00", "BACS-OFFICER", today)).mustSay(t, http.StatusForbidden,
		"You cannot do this", "Only finance may record payments.", "Nothing has been changed.")
	stillAccepted()

	// Finance pays; the page confirms it and the grant is no longer due.
	paid := finance.post(action, payment("3,000.00", "BACS-20261123-07", today))
	paid.mustSay(t, http.StatusOK, "The payment has been recorded", "No payments are due this week")
	if paid.Path != "/finance?done=paid" {
		t.Errorf("after paying finance is at %s, want /finance?done=paid", paid.Path)
	}
	r := sys.awaitStatus(t, financeToken, id, "paid")
	if r.str("award", "status") != "paid" {
		t.Errorf("award status = %s, want paid", r.str("award", "status"))
	}
	var story []string
	for _, e := range dig(r.Body, "timeline").([]any) {
		story = append(story, fmt.Sprintf("%s (%s): %s %s", dig(e, "actor"), dig(e, "role"), dig(e, "what"), dig(e, "why")))
	}
	if s := strings.Join(story, "\n"); !strings.Contains(s, "Fran Finance (finance): Payment recorded: £3,000.00 Reference BACS-20261123-07") {
		t.Errorf("the timeline lacks finance's payment:\n%s", s)
	}

	// The same form sent again is refused: the grant is paid.
	finance.post(action, payment("3,000.00", "BACS-20261123-07", today)).mustSay(t, http.StatusConflict,
		"This could not be done", "Cannot record a payment while the application is paid.", "Nothing has been changed.")
}

// Finance pays a service award's released tranche from the finance page, on a clock set in the
// award's third quarter: the first tranche, held until the conditions precedent were confirmed
// today, is due today (not late: it could not be paid before), the next two are held for want of
// accepted returns, and a held one cannot be paid.
func TestWebFinancePaysAReleasedTranche(t *testing.T) {
	clock := time.Date(2026, time.October, 20, 10, 0, 0, 0, scheme.London)
	sys := newSystemAt(t, yearStart) // decided and accepted on 1 April 2026, the agreement starting then
	const perYear = 12_000_000       // £120,000.00 a year: £30,000.00 a quarter
	provider, id := sys.serviceApplication(t, "Harbour Victim Support", perYear, 2026, 2)
	sys.driveToAccepted(t, provider, id, perYear, 2026, 2)
	sys.advanceTo(t, id, clock)
	sys.confirmConditions(t, provider, id) // on 20 October
	officerToken, financeToken := sys.staff(t, "officer"), sys.staff(t, "finance")
	sys.awaitTranches(t, officerToken, id, "released", "held", "held", "scheduled")
	ref := sys.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d", id), financeToken, nil).str("award", "reference")

	finance := sys.webSignIn(t, "finance@opcc.example.org")
	week := finance.get("/finance")
	week.mustSay(t, http.StatusOK, "This week is Monday 19 October 2026 to Sunday 25 October 2026.",
		ref+": Tranche 1 (Q1 2026-27) View application", "Harbour Victim Support", "£30,000.00", "Due 20 October 2026", "Payment notice (PDF)",
		"Tranche 2 (Q2 2026-27)", "Held because the Q1 2026-27 monitoring return has not been accepted.",
		"Tranche 3 (Q3 2026-27)", "Held because the Q2 2026-27 monitoring return has not been accepted.",
		ref+"-T01", "Payment notice, tranche 1")
	if strings.Contains(week.text(), "Overdue") {
		t.Error("the tranche released today is shown as overdue")
	}

	action := fmt.Sprintf("/applications/%d/payments", id)
	sys.signOffPayment(t, fmt.Sprintf("/api/v1/applications/%d", id), 1) // two-person payments: proposed and approved first
	tranche := func(no int, amount string) url.Values {
		key := fmt.Sprintf("%d-%d", id, no)
		return url.Values{"tranche": {strconv.Itoa(no)}, "return": {"finance"}, "amount-" + key: {amount}, "reference-" + key: {"BACS-T" + strconv.Itoa(no)},
			"paid-on-" + key + "-day": {"20"}, "paid-on-" + key + "-month": {"10"}, "paid-on-" + key + "-year": {"2026"}}
	}
	// A held tranche is not payable: the workflow says why, and nothing is recorded.
	finance.post(action, tranche(2, "30,000.00")).mustSay(t, http.StatusConflict,
		"The payment could not be recorded", "Tranche 2 has not been released for payment (held).", "Nothing has been changed.")
	// The wrong amount for the tranche is named against the tranche's own field.
	wrong := finance.post(action, tranche(1, "29,000.00"))
	wrong.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Amount paid must be the tranche's £30,000.00")
	if !strings.Contains(wrong.Body, fmt.Sprintf(`href="#amount-%d-1"`, id)) {
		t.Errorf("the summary should link to the tranche's amount:\n%s", wrong.Body)
	}

	paid := finance.post(action, tranche(1, "30,000.00"))
	paid.mustSay(t, http.StatusOK, "The payment has been recorded", "No payments are due this week", "Tranche 2 (Q2 2026-27)")
	sys.awaitTranches(t, officerToken, id, "paid", "held", "held", "scheduled")
}
