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

// Two members of finance pay accepted grants from finance's page: Fran proposes a batch, cannot
// approve her own proposals (the page and the confirmation say so in the rule book's words), Fola
// approves them, the payment file (page and API) carries only the payee with confirmed bank details
// (the one with a change awaiting call-back is listed as left out, with the reason), and
// the batch marked paid ends on a confirmation of each payment's result; sent again, each is
// reported already recorded.
func TestWebFinanceTwoPersonPayments(t *testing.T) {
	sys := newSystem(t)
	assessor, officer := sys.staff(t, "assessor"), sys.staff(t, "officer")
	accepted := func(org, email string) (int64, string) {
		t.Helper()
		applicant := sys.registerApplicant(t, org, email)
		id := sys.applyFor(t, applicant, 300000)
		api := fmt.Sprintf("/api/v1/applications/%d", id)
		sys.must(t, http.StatusOK, "POST", api+"/assessments", assessor, map[string]any{
			"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Well run"})
		sys.must(t, http.StatusOK, "POST", api+"/decision", officer, map[string]any{
			"no_conflict": true, "outcome": "approve", "amount_pence": 300000, "purpose": "Volunteer night patrols.",
			"conditions": []string{"Keep an up-to-date safeguarding policy"}, "reasons": "Addresses night-time violence."})
		sys.awaitStatus(t, applicant, id, "offered")
		sys.must(t, http.StatusOK, "POST", api+"/acceptance", applicant, testBank)
		ref := sys.awaitStatus(t, applicant, id, "accepted").str("award", "reference")
		if org == "Melton Street Pastors" { // a change after acceptance is held until finance calls back
			sys.must(t, http.StatusOK, "POST", api+"/bank-details", applicant,
				map[string]any{"account_name": "Melton Street Pastors", "sort_code": "10-79-99", "account_number": "88837491"})
		}
		return id, ref
	}
	paidID, paidRef := accepted("Hinckley Night Watch", "ana@night-watch.example.org")
	heldID, heldRef := accepted("Melton Street Pastors", "sam@melton-pastors.example.org")
	key := func(id int64) string { return fmt.Sprintf("%d-0", id) }

	fran, fola := sys.webSignIn(t, "finance@opcc.example.org"), sys.webSignIn(t, "finance2@opcc.example.org")
	fran.get("/finance").mustSay(t, http.StatusOK, "Two-person sign-off", "Payments to propose", paidRef+": One-off grant, £3,000.00 to Hinckley Night Watch",
		"Propose for payment", "Bank details change awaiting call-back")

	// Nothing ticked: named on the page, linked to the checkboxes.
	none := fran.post("/finance/proposals", url.Values{})
	none.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Select at least one payment to propose")
	if !strings.Contains(none.Body, `href="#propose"`) {
		t.Errorf("the error summary should link to #propose:\n%s", none.Body)
	}
	fran.get("/finance")
	fran.post("/finance/proposals", url.Values{"propose": {key(paidID), key(heldID)}}).mustSay(t, http.StatusOK,
		"Payments proposed", "Award reference Payment Payee Amount Result", paidRef+" One-off grant Hinckley Night Watch £3,000.00 Proposed", heldRef, "Proposed")

	// Fran sees she cannot approve her own; sent anyway, each is refused with the rule book's reason.
	mine := fran.get("/finance")
	mine.mustSay(t, http.StatusOK, "Payments you proposed", "You proposed this payment, so another member of finance must approve it.")
	if strings.Contains(mine.Body, `action="/finance/approvals"`) {
		t.Errorf("Fran is offered the approval of her own proposals:\n%s", mine.Body)
	}
	fran.post("/finance/approvals", url.Values{"approve": {key(paidID)}}).mustSay(t, http.StatusOK,
		"Payments approved", "Refused", "You proposed this payment, so another member of finance must approve it")

	fola.get("/finance").mustSay(t, http.StatusOK, "Proposed payments to approve", "Proposed by Fran Finance", "Approve")
	fola.post("/finance/approvals", url.Values{"approve": {key(paidID), key(heldID)}}).mustSay(t, http.StatusOK,
		"Payments approved", "Approved")
	if strings.Contains(fola.get("/finance").Body, "Refused") {
		t.Errorf("an approval was refused")
	}

	// The payment file: only the payee whose bank details are confirmed, in the bureau's layout.
	wantFile := "089999,66374958,RIVERSIDE YOUTH PR,3000.00," + strings.ToUpper(paidRef) + ",99\r\n"
	file := fran.get("/finance/payment-file.csv")
	if file.Status != http.StatusOK || file.Body != wantFile {
		t.Errorf("the page's payment file (%d):\n%q\nwant\n%q", file.Status, file.Body, wantFile)
	}
	franToken := sys.signIn(t, "finance@opcc.example.org", "grantflow-demo")
	if r := sys.must(t, http.StatusOK, "GET", "/api/v1/payments/file.csv", franToken, nil); string(r.Raw) != wantFile {
		t.Errorf("the API's payment file:\n%q\nwant\n%q", r.Raw, wantFile)
	}
	sys.must(t, http.StatusForbidden, "GET", "/api/v1/payments/file.csv", officer, nil)
	fran.get("/finance").mustSay(t, http.StatusOK, "Download the payment file for the bank (CSV)", "not in the payment file",
		heldRef+": One-off grant, £3,000.00 to Melton Street Pastors", "bank details change awaiting call-back")

	// Marking paid: the reference and date are named when missing, and the ticks are kept.
	today := time.Now().In(scheme.London)
	paid := url.Values{"pay": {key(paidID)}, "paid-reference": {"BANK-20261206-1"},
		"paid-on-day": {strconv.Itoa(today.Day())}, "paid-on-month": {strconv.Itoa(int(today.Month()))}, "paid-on-year": {strconv.Itoa(today.Year())}}
	missing := fran.post("/finance/paid", url.Values{"pay": {key(paidID)}})
	missing.mustSay(t, http.StatusUnprocessableEntity, "There is a problem", "Enter the bank's reference for the payments", "Enter the date the bank paid them")
	if !strings.Contains(missing.Body, `value="`+key(paidID)+`" checked`) {
		t.Errorf("the ticked payment was lost:\n%s", missing.Body)
	}
	fran.get("/finance")
	fran.post("/finance/paid", paid).mustSay(t, http.StatusOK, "Payments marked as paid", paidRef+" One-off grant Hinckley Night Watch £3,000.00 Paid")
	sys.awaitStatus(t, franToken, paidID, "paid")
	fran.get("/finance")
	fran.post("/finance/paid", paid).mustSay(t, http.StatusOK, "Payments marked as paid", "Already recorded", "BANK-20261206-1")
	if r := sys.must(t, http.StatusOK, "GET", "/api/v1/payments/file.csv", franToken, nil); len(r.Raw) != 0 {
		t.Errorf("the payment file after paying still holds:\n%q", r.Raw)
	}
}
