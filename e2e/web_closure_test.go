package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"grantflow/workflows"
)

// The closure of a service award on the pages, as its people would take it: the final review lists
// the return still missing, which only the head of commissioning may waive; accepting the report
// then asks for the underspend back, which the provider reads on their page with the repayment
// letter, finance finds in its queue and records a part of, and the head of commissioning writes
// off the rest. Each form is sent wrong first: the error summary names the field, what was typed is
// kept and nothing changes.
func TestWebClosureWaiverRepaymentAndWriteOff(t *testing.T) {
	s := newSystemAt(t, yearStart)
	provider, id, _ := s.underspentFinalReport(t, "Westgate Advocacy Trust")
	path := fmt.Sprintf("/applications/%d", id)
	officer, head := s.webSignIn(t, "officer@opcc.example.org"), s.webSignIn(t, "head@opcc.example.org")
	before := s.snapshot(t, provider, id)

	// The officer sees the return missing and who may waive it, but no form; the API refuses them.
	p := officer.get(path)
	p.mustSay(t, http.StatusOK, "Monitoring returns still missing", "Q1 2026-27", "Not sent yet",
		"Only the head of commissioning may waive missing monitoring returns.", "Review the final report")
	if strings.Contains(p.Body, "/return-waivers") {
		t.Error("the officer is shown the waiver form")
	}
	officer.post(path+"/return-waivers", url.Values{"staff-form": {"waiver"}, "waiver-quarters": {"2026-1"}, "waiver-reason": {"Stopped."}}).
		mustSay(t, http.StatusForbidden, "Only the head of commissioning may waive missing monitoring returns", "Nothing has been changed")

	// The head of commissioning's form: each mistake named on its field, the rest kept.
	head.get(path).mustSay(t, http.StatusOK, "Which returns are waived?", "Not sent yet, due by 15 July 2026", "Waive the returns")
	p = head.post(path+"/return-waivers", url.Values{"staff-form": {"waiver"}, "waiver-reason": {"The service stopped in May."}})
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Select the returns to waive")
	if !strings.Contains(p.Body, `<a href="#waiver-quarters">`) || !strings.Contains(p.Body, "The service stopped in May.") {
		t.Errorf("the error is not linked to the returns, or the reason was lost:\n%s", p.text())
	}
	p = head.post(path+"/return-waivers", url.Values{"staff-form": {"waiver"}, "waiver-quarters": {"2026-1"}, "waiver-reason": {"  "}})
	p.mustSay(t, http.StatusUnprocessableEntity, "The reason: say why the grant may close without these returns")
	if !strings.Contains(p.Body, `<a href="#waiver-reason">`) || !strings.Contains(p.Body, `value="2026-1" checked`) {
		t.Errorf("the refusal is not on the reason, or the return chosen was lost:\n%s", p.text())
	}
	// A quarter the award no longer needs (it ended in Q1): the workflow's refusal, on the returns.
	head.post(path+"/return-waivers", url.Values{"staff-form": {"waiver"}, "waiver-quarters": {"2026-2"}, "waiver-reason": {"Stopped."}}).
		mustSay(t, http.StatusUnprocessableEntity, "The returns to waive: the Q2 2026-27 return is not missing (not required)")
	head.sendHostile(t, "the head of commissioning", path)
	requireUnchanged(t, "refused waivers", before, s.snapshot(t, provider, id))

	p = head.post(path+"/return-waivers", url.Values{"staff-form": {"waiver"}, "waiver-quarters": {"2026-1"}, "waiver-reason": {"The service stopped in May; the final report covers it."}})
	p.mustSay(t, http.StatusOK, "The missing monitoring returns have been waived", "Monitoring returns waived: Q1 2026-27",
		"The service stopped in May; the final report covers it.")
	if strings.Contains(p.text(), "Monitoring returns still missing") {
		t.Error("the waived return is still listed as missing")
	}

	// The officer accepts the report on the page: the underspend is to be recovered.
	officer.post(path+"/report-review", url.Values{"staff-form": {"report"}, "report-review-outcome": {"accept"}}).
		mustSay(t, http.StatusOK, "Your review has been recorded", "Underspend to repay", "Still owed £10,000.00")
	s.awaitStatus(t, provider, id, string(workflows.StageRecovery))

	// The provider: how much, by when, what to quote, and the letter.
	mine := s.webSignInWith(t, "westgate@provider.example.org", "a long enough password")
	p = mine.get(path)
	p.mustSay(t, http.StatusOK, "Underspend to repay", "Please repay £10,000.00 by 1 May 2026", "quoting reference", "-REC",
		"Amount owed £10,000.00", "Already repaid £0.00", "Repayment letter (PDF)")
	letter := regexp.MustCompile(`href="/documents/(\d+)" download>Repayment letter`).FindStringSubmatch(p.Body)
	if letter == nil {
		t.Fatalf("no link to the repayment letter:\n%s", p.text())
	}
	if got := mine.get("/documents/" + letter[1]); got.Status != http.StatusOK || !strings.HasPrefix(got.Body, "%PDF") {
		t.Errorf("the repayment letter: %d %.20q", got.Status, got.Body)
	}

	// Finance: the repayment due in the queue, the recovery notice labelled, then the form.
	finance := s.webSignIn(t, "finance@opcc.example.org")
	finance.get("/finance").mustSay(t, http.StatusOK, "Repayments due", "Westgate Advocacy Trust", "£10,000.00", "1 May 2026",
		"Recovery notice: underspend to collect")
	finance.get(path).mustSay(t, http.StatusOK, "Record a repayment", "£10,000.00 of the underspend is still owed")
	repay := func(amount, day, ref string) url.Values {
		return url.Values{"staff-form": {"repayment"}, "repayment-amount": {amount}, "repayment-received-on-day": {day},
			"repayment-received-on-month": {"4"}, "repayment-received-on-year": {"2026"}, "repayment-reference": {ref}}
	}
	p = finance.post(path+"/repayments", repay("10,000.01", "1", "RTN-1"))
	p.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Amount repaid: £10,000.01 is more than the £10,000.00 still owed")
	if !strings.Contains(p.Body, `<a href="#repayment-amount">`) || !strings.Contains(p.Body, `value="10,000.01"`) || !strings.Contains(p.Body, `value="RTN-1"`) {
		t.Errorf("the refusal is not on the amount, or what was typed was lost:\n%s", p.text())
	}
	p = finance.post(path+"/repayments", repay("abc", "", ""))
	p.mustSay(t, http.StatusUnprocessableEntity, "Enter the amount repaid in pounds and pence", "The date the repayment was received must include a day",
		"Enter the payment reference")
	finance.sendHostile(t, "finance", path)
	// Repayments are finance's, write-offs a decider's; another organisation is not told the application exists.
	mine.get("/sign-out") // for a form token: the provider's page has no form now
	mine.post(path+"/repayments", repay("1.00", "1", "RTN-X")).mustSay(t, http.StatusForbidden, "Only finance may record payments.")
	finance.post(path+"/write-off", url.Values{"write-off-reason": {"Uncollectable."}}).
		mustSay(t, http.StatusForbidden, "A finance officer cannot take this step.")
	s.registerApplicant(t, "Elsewhere Community Group", otherOrgEmail)
	other := s.webSignInWith(t, otherOrgEmail, "a long enough password")
	other.get("/sign-out")
	other.post(path+"/repayments", repay("1.00", "1", "RTN-X")).mustSay(t, http.StatusNotFound)
	finance.post(path+"/repayments", repay("4,000.00", "1", "RTN-1")).
		mustSay(t, http.StatusOK, "The repayment has been recorded", "Already repaid £4,000.00", "Still owed £6,000.00",
			"Repayment of £4,000.00 received: £6,000.00 still owed")
	finance.get("/finance").mustSay(t, http.StatusOK, "£6,000.00")

	// The write-off: the officer who moderated is told why not; the head of commissioning writes it off.
	p = officer.get(path)
	p.mustSay(t, http.StatusOK, "Write off the amount owed", "You recommended this award, so someone else must write off the amount owed.")
	if strings.Contains(p.Body, "/write-off") {
		t.Error("the moderating officer is shown the write-off form")
	}
	head.get(path).mustSay(t, http.StatusOK, "Write off £6,000.00")
	p = head.post(path+"/write-off", url.Values{"staff-form": {"write-off"}, "write-off-reason": {""}})
	p.mustSay(t, http.StatusUnprocessableEntity, "The reason: say why the amount owed is written off")
	if !strings.Contains(p.Body, `<a href="#write-off-reason">`) {
		t.Errorf("the refusal is not on the reason:\n%s", p.text())
	}
	if got := s.status(t, provider, id); got != string(workflows.StageRecovery) {
		t.Fatalf("after a refused write-off the status is %s", got)
	}
	head.post(path+"/write-off", url.Values{"staff-form": {"write-off"}, "write-off-reason": {"The trust has dissolved and has no assets."}}).
		mustSay(t, http.StatusOK, "The amount still owed has been written off", "Closed", "£6,000.00 owed written off",
			"The trust has dissolved and has no assets.", "Written off £6,000.00")
	finance.get("/finance").mustSay(t, http.StatusOK, "No underspend is waiting to be repaid")
	p = mine.get(path)
	p.mustSay(t, http.StatusOK, "Still owed £0.00", "Written off £6,000.00", "Grant reconciled and closed")
	if strings.Contains(p.text(), "Please repay") {
		t.Error("the provider is still asked to repay after the write-off")
	}
}
