package store_test

import (
	"context"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

func TestRegisterListsAwardsWithWhatWasPaidAndLeavesLapsedOffersOut(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	paidID, paid, _ := a.award("commissioned-services", "Paid service", money.Pounds(40000), time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC))
	a.tranches(paidID, paid, "paid", "released", "scheduled", "scheduled")
	offeredID, _, _ := a.award("grassroots", "Still offered", money.Pounds(3000), time.Time{})
	lapsedID, _, _ := a.award("grassroots", "Lapsed offer", money.Pounds(2000), time.Time{})
	if err := st.SetAwardStatus(ctx, lapsedID, "lapsed", nil, a.event(lapsedID, time.Now(), "lapsed")); err != nil {
		t.Fatal(err)
	}
	got := map[int64]store.RegisterGrant{}
	if err := st.EachRegisterGrant(ctx, store.RegisterFilter{FinancialYear: 2026, Month: time.Date(2026, 5, 20, 0, 0, 0, 0, scheme.London)}, func(g store.RegisterGrant) error {
		got[g.ApplicationID] = g
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("the register lists %d awards, want the paid and the offered one (not the lapsed): %+v", len(got), got)
	}
	if g := got[paidID]; g.Amount != money.Pounds(40000) || g.Disbursed != money.Pounds(10000) || g.Recipient != "Riverside Youth Project" || g.SchemeKind != "service" {
		t.Errorf("the paid service award is listed as %+v", g)
	}
	if g := got[offeredID]; g.Disbursed != 0 || g.Status != "offered" {
		t.Errorf("the offered grant is listed as %+v", g)
	}
	n := 0
	if err := st.EachRegisterGrant(ctx, store.RegisterFilter{FinancialYear: 2025}, func(store.RegisterGrant) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("2025-26 lists %d awards (%v), want none", n, err)
	}
}
