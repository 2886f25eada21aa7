package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/internal/pdftext"
)

// Bank details through the API: the acceptance is refused, naming the field, for a malformed sort
// code or an account number that fails the modulus check, and nothing is kept; the details given
// are shown masked to everyone and in full only in finance's notice (never the award letter or the
// finance award notice). A change after acceptance is held, payments held with it, until finance
// records the call-back; the applicant and an officer may not record it.
func TestBankDetailsHeldUntilFinanceCallsBack(t *testing.T) {
	s := newSystem(t)
	applicant := s.registerApplicant(t, "Oadby Street Pastors", "sam@street-pastors.example.org")
	assessor, officer, finance := s.staff(t, "assessor"), s.staff(t, "officer"), s.staff(t, "finance")
	id := s.applyFor(t, applicant, 250000)
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	s.must(t, http.StatusOK, "POST", path+"/assessments", assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	s.must(t, http.StatusOK, "POST", path+"/decision", officer, map[string]any{"no_conflict": true, "outcome": "approve", "amount_pence": 250000,
		"purpose": "Weekend street pastors in Oadby.", "reasons": "Reduces night-time violence.", "conditions": []any{"Acknowledge the funding"}})
	s.awaitStatus(t, applicant, id, "offered")

	bank := func(name, sortCode, account string) map[string]any {
		return map[string]any{"account_name": name, "sort_code": sortCode, "account_number": account}
	}
	refused := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/acceptance", applicant, bank("Oadby Street Pastors", "08-99-9", "66374958"))
	if reason := refused.str("error", "fields", "sort_code"); !strings.Contains(reason, "6 digits") {
		t.Errorf("a five-digit sort code: %s", refused.Raw)
	}
	refused = s.must(t, http.StatusUnprocessableEntity, "POST", path+"/acceptance", applicant, bank("Oadby Street Pastors", "08-99-99", "66374959"))
	if reason := refused.str("error", "fields", "account_number"); !strings.Contains(reason, "not a valid number at sort code 08-99-99") {
		t.Errorf("an account number failing the modulus check: %s", refused.Raw)
	}
	if r := s.must(t, http.StatusOK, "GET", path, applicant, nil); r.str("status") != "offered" || dig(r.Body, "bank_details") != nil {
		t.Fatalf("after refused bank details: status %s, bank details %v", r.str("status"), dig(r.Body, "bank_details"))
	}

	s.must(t, http.StatusOK, "POST", path+"/acceptance", applicant, bank("Oadby Street Pastors", "08-99-99", "6637 4958"))
	s.awaitStatus(t, applicant, id, "accepted")
	for who, token := range map[string]string{"the applicant": applicant, "an officer": officer, "finance": finance} {
		r := s.must(t, http.StatusOK, "GET", path, token, nil)
		if r.str("bank_details", "current", "sort_code") != "**-**-99" || r.str("bank_details", "current", "account_ending") != "4958" ||
			strings.Contains(string(r.Raw), "66374958") || strings.Contains(string(r.Raw), "089999") {
			t.Errorf("%s sees the bank details as %v", who, dig(r.Body, "bank_details"))
		}
	}

	// The full numbers are in finance's notice only.
	app := s.awaitDocument(t, officer, id, "finance_award_notice")
	for _, kind := range []string{"award_letter", "finance_award_notice"} {
		if text := s.documentText(t, officer, app, kind); strings.Contains(text, "66374958") || strings.Contains(text, "08-99-99") {
			t.Errorf("the %s carries the bank details", kind)
		}
	}
	s.must(t, http.StatusForbidden, "GET", path+"/bank-details/notice", applicant, nil)
	s.must(t, http.StatusForbidden, "GET", path+"/bank-details/notice", officer, nil)
	if text := s.noticeText(t, finance, path); !strings.Contains(text, "66374958") || !strings.Contains(text, "08-99-99") ||
		!strings.Contains(text, "Oadby Street Pastors") {
		t.Errorf("finance's notice lacks the full details:\n%s", text)
	}

	// A change after acceptance is held, and so are payments, until the call-back.
	s.must(t, http.StatusUnprocessableEntity, "POST", path+"/bank-details", applicant, bank("Oadby Street Pastors", "10-79-99", "88837493"))
	held := s.must(t, http.StatusOK, "POST", path+"/bank-details", applicant, bank("Oadby Street Pastors", "10-79-99", "88837491"))
	if held.str("held_change", "account_ending") != "7491" || held.str("current", "account_ending") != "4958" || held.str("payment_held") != "true" ||
		strings.Contains(string(held.Raw), "88837491") {
		t.Fatalf("the change as answered: %s", held.Raw)
	}
	s.must(t, http.StatusForbidden, "POST", path+"/bank-details", officer, bank("Oadby Street Pastors", "10-79-99", "88837491"))
	if r := s.must(t, http.StatusConflict, "GET", path+"/bank-details/notice", finance, nil); r.str("error", "code") != "bank_change_held" {
		t.Errorf("the notice while a change is held: %s", r.Raw)
	}
	// Nothing is paid while the change is held: the call-back decides which account is paid.
	if r := s.must(t, http.StatusConflict, "POST", path+"/payments", finance, map[string]any{
		"amount_pence": 250000, "paid_on": time.Now().Format(time.DateOnly), "reference": "BACS-HELD"}); r.str("error", "code") != "bank_change_held" {
		t.Errorf("a payment while a change is held: %s", r.Raw)
	}
	changeID := dig(held.Body, "held_change", "id")
	callBack := map[string]any{"change_id": changeID, "outcome": "confirmed", "phone": "0116 496 0000", "notes": "Spoke to the treasurer, who confirmed the new account."}
	s.must(t, http.StatusForbidden, "POST", path+"/bank-details/call-back", applicant, callBack)
	s.must(t, http.StatusForbidden, "POST", path+"/bank-details/call-back", officer, callBack)
	noPhone := s.must(t, http.StatusUnprocessableEntity, "POST", path+"/bank-details/call-back", finance,
		map[string]any{"change_id": changeID, "outcome": "confirmed", "notes": "Called."})
	if noPhone.str("error", "fields", "phone") == "<nil>" {
		t.Errorf("a call-back without the number called: %s", noPhone.Raw)
	}
	if r := s.must(t, http.StatusOK, "GET", path, finance, nil); r.str("bank_details", "payment_held") != "true" {
		t.Fatalf("a refused call-back released the payment: %v", dig(r.Body, "bank_details"))
	}

	confirmed := s.must(t, http.StatusOK, "POST", path+"/bank-details/call-back", finance, callBack)
	if confirmed.str("current", "account_ending") != "7491" || confirmed.str("payment_held") != "false" || dig(confirmed.Body, "held_change") != nil {
		t.Fatalf("after the call-back: %s", confirmed.Raw)
	}
	s.must(t, http.StatusOK, "POST", path+"/bank-details/call-back", finance, callBack) // the same call-back again: a harmless retry
	callBack["outcome"] = "rejected"
	if r := s.must(t, http.StatusConflict, "POST", path+"/bank-details/call-back", finance, callBack); r.str("error", "code") != "not_held" {
		t.Errorf("a second, different call-back on a decided change: %s", r.Raw)
	}
	if text := s.noticeText(t, finance, path); !strings.Contains(text, "88837491") || !strings.Contains(text, "10-79-99") || !strings.Contains(text, "0116 496 0000") {
		t.Errorf("finance's notice after the call-back:\n%s", text)
	}
	timeline := fmt.Sprint(dig(s.must(t, http.StatusOK, "GET", path, applicant, nil).Body, "timeline"))
	for _, want := range []string{"held until finance confirms it by call-back", "confirmed by call-back to 0116 496 0000"} {
		if !strings.Contains(timeline, want) {
			t.Errorf("the timeline does not say %q: %s", want, timeline)
		}
	}
	if strings.Contains(timeline, "88837491") {
		t.Error("the timeline carries a full account number")
	}
}

func (s *system) noticeText(t *testing.T, token, path string) string {
	t.Helper()
	r := s.must(t, http.StatusOK, "GET", path+"/bank-details/notice", token, nil)
	text, err := pdftext.Text(r.Raw)
	if err != nil {
		t.Fatalf("the bank details notice is not a readable PDF: %v", err)
	}
	return text
}
