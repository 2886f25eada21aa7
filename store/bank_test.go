package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/store"
	"grantflow/store/storetest"
)

// Details given at acceptance are paid to; a change after acceptance is held (nothing payable)
// until finance's call-back confirms it, and a rejected change leaves the earlier details standing.
func TestBankDetailsHeldUntilCallBack(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	a := newAwards(t, st)
	app, _, _ := a.award("grassroots", "Bank details", money.Pounds(3000), time.Time{})
	at := time.Date(2026, 5, 10, 10, 0, 0, 0, time.UTC)
	give := func(name, sort, account string, at time.Time) store.BankDetails {
		t.Helper()
		b, err := st.SaveBankDetails(ctx, store.NewBankDetails{ApplicationID: app, AccountName: name, SortCode: sort, AccountNumber: account,
			By: a.user, ByName: "Applicant", ByRole: "applicant", At: at})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	if _, err := st.PayeeBankDetails(ctx, app); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no details given yet: want ErrNotFound, got %v", err)
	}
	// Before acceptance, a second set simply takes the place of the first; the same set twice is one row.
	give("Riverside Youth", "089999", "66374958", at)
	first := give("Riverside Youth Project", "107999", "88837491", at)
	if again := give("Riverside Youth Project", "107999", "88837491", at); again.ID != first.ID {
		t.Fatalf("the same details given twice made a second row: %d and %d", first.ID, again.ID)
	}
	payee, err := st.PayeeBankDetails(ctx, app)
	if err != nil || payee.ID != first.ID || !payee.Payable() || payee.Status != store.BankVerified {
		t.Fatalf("payee before acceptance = %+v, %v; want the second set, payable", payee, err)
	}
	if payee.MaskedSortCode() != "**-**-99" || payee.AccountEnding() != "7491" || payee.FormattedSortCode() != "10-79-99" {
		t.Fatalf("masking: %s, %s, %s", payee.MaskedSortCode(), payee.AccountEnding(), payee.FormattedSortCode())
	}

	if err := st.SetAwardStatus(ctx, app, "accepted", &a.user, a.event(app, at, "accepted")); err != nil {
		t.Fatal(err)
	}
	// Giving the current details again after acceptance changes nothing.
	if same := give("Riverside Youth Project", "107999", "88837491", at.Add(time.Hour)); same.ID != first.ID || same.Status != store.BankVerified {
		t.Fatalf("re-giving the verified details = %+v", same)
	}
	change := give("Riverside Youth Project", "202959", "63748472", at.Add(2*time.Hour))
	if change.Status != store.BankHeld {
		t.Fatalf("a change after acceptance is %q, want held", change.Status)
	}
	payee, err = st.PayeeBankDetails(ctx, app)
	if err != nil || payee.ID != first.ID || !payee.ChangeHeld || payee.Payable() {
		t.Fatalf("payee with a change held = %+v, %v; want the first set, not payable", payee, err)
	}

	// Rejected: the first set stands and is payable again.
	cb := store.BankCallBack{ApplicationID: app, ChangeID: change.ID, Confirmed: false, Phone: "020 7946 0000", Notes: "Treasurer knew of no change",
		By: a.officer, ByName: "Finance", ByRole: "finance", At: at.Add(24 * time.Hour)}
	rejected, err := st.RecordBankCallBack(ctx, cb)
	if err != nil || rejected.Status != store.BankRejected || rejected.CallBackPhone != "020 7946 0000" {
		t.Fatalf("reject = %+v, %v", rejected, err)
	}
	if again, err := st.RecordBankCallBack(ctx, cb); err != nil || again.ID != rejected.ID {
		t.Fatalf("the same call-back twice = %+v, %v", again, err)
	}
	cb.Confirmed = true
	if _, err := st.RecordBankCallBack(ctx, cb); !errors.Is(err, store.ErrNoHeldBankChange) {
		t.Fatalf("confirming a rejected change: want ErrNoHeldBankChange, got %v", err)
	}
	if payee, err = st.PayeeBankDetails(ctx, app); err != nil || payee.ID != first.ID || !payee.Payable() {
		t.Fatalf("payee after rejection = %+v, %v", payee, err)
	}

	// Confirmed: the change becomes the payee and the first set is replaced.
	second := give("Riverside Youth Project", "202959", "63748472", at.Add(48*time.Hour))
	if second.Status != store.BankHeld || second.ID == change.ID {
		t.Fatalf("a new change after a rejection = %+v", second)
	}
	if _, err := st.RecordBankCallBack(ctx, store.BankCallBack{ApplicationID: app, ChangeID: second.ID, Confirmed: true, Phone: "020 7946 0000",
		By: a.officer, ByName: "Finance", ByRole: "finance", At: at.Add(72 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if payee, err = st.PayeeBankDetails(ctx, app); err != nil || payee.ID != second.ID || !payee.Payable() || payee.AccountNumber != "63748472" {
		t.Fatalf("payee after confirmation = %+v, %v", payee, err)
	}
	history, err := st.BankDetailsHistory(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, b := range history {
		statuses = append(statuses, b.Status)
	}
	if got := strings.Join(statuses, ","); got != "verified,rejected,replaced,replaced" {
		t.Fatalf("history statuses = %s", got)
	}
	// The audit trail says what happened without the full account number.
	events, err := st.Timeline(ctx, app)
	if err != nil {
		t.Fatal(err)
	}
	var said []string
	for _, e := range events {
		if strings.Contains(e.What, "63748472") || strings.Contains(e.What, "88837491") {
			t.Fatalf("audit line carries a full account number: %q", e.What)
		}
		if strings.Contains(e.What, "ank details") {
			said = append(said, e.What)
		}
	}
	if len(said) != 6 || !strings.Contains(said[5], "confirmed by call-back") || !strings.Contains(said[3], "rejected after call-back") {
		t.Fatalf("audit lines: %q", said)
	}
}
