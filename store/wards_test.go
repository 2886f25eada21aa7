package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/store"
	"grantflow/store/storetest"
)

// An application keeps the wards it names beside its areas: a grassroots draft's as saved (a save
// without answers keeps them, as it keeps the answers), a service's with its details.
func TestDraftsKeepTheirWards(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	gcf := a.schemeOf["grassroots"]
	id, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: gcf[0], RoundID: gcf[1], Title: "Park nights",
		Answers: []byte(`{"wards":["Leicester: Abbey"]}`), Wards: []string{"Leicester: Abbey"}})
	if err != nil {
		t.Fatal(err)
	}
	wards := func(id int64) string {
		t.Helper()
		app, err := st.Application(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint([]string(app.Wards))
	}
	if got := wards(id); got != "[Leicester: Abbey]" {
		t.Errorf("a new draft keeps wards %s", got)
	}
	if err := st.UpdateDraft(ctx, id, store.Draft{SchemeID: gcf[0], RoundID: gcf[1], Title: "Park nights",
		Answers: []byte(`{"wards":["Leicester: Castle","Blaby: all wards"]}`), Wards: []string{"Leicester: Castle", "Blaby: all wards"}}); err != nil {
		t.Fatal(err)
	}
	if got := wards(id); got != "[Leicester: Castle Blaby: all wards]" {
		t.Errorf("a changed draft keeps wards %s", got)
	}
	if err := st.UpdateDraft(ctx, id, store.Draft{SchemeID: gcf[0], RoundID: gcf[1], Title: "Park nights in the summer"}); err != nil {
		t.Fatal(err)
	}
	if got := wards(id); got != "[Leicester: Castle Blaby: all wards]" {
		t.Errorf("a save without answers left wards %s; want them kept", got)
	}
	if err := st.UpdateDraft(ctx, id, store.Draft{SchemeID: gcf[0], RoundID: gcf[1], Title: "Park nights", Answers: []byte(`{}`), Wards: []string{}}); err != nil {
		t.Fatal(err)
	}
	if got := wards(id); got != "[]" {
		t.Errorf("answers without wards left wards %s; want none", got)
	}

	csf := a.schemeOf["commissioned-services"]
	svc, err := st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: csf[0], RoundID: csf[1], Title: "Advocacy"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SaveServiceDetails(ctx, svc, grant.ServiceDetails{Service: "Advocacy", Wards: []string{"Leicester: Westcotes"},
		Years: []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(30000)}}}); err != nil {
		t.Fatal(err)
	}
	if got := wards(svc); got != "[Leicester: Westcotes]" {
		t.Errorf("a service draft keeps wards %s", got)
	}
}

// A report version keeps who the project reached, once, and a report without them keeps none.
func TestGrantReportsKeepWhoTheyReached(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	id, _, _ := a.award("grassroots", "Park nights", money.Pounds(3000), time.Now())
	reached := `[{"area": "Leicester", "ward": "Leicester: Abbey", "count": 40, "age_band": "under_18"}]`
	for i, r := range []store.GrantReport{
		{ApplicationID: id, Version: 1, Summary: "s", Outcomes: "o", Spent: money.Pounds(3000), SubmittedBy: a.user, SubmittedAt: time.Now(), Beneficiaries: []byte(reached)},
		{ApplicationID: id, Version: 1, Summary: "s again", Outcomes: "o", Spent: money.Pounds(3000), SubmittedBy: a.user, SubmittedAt: time.Now()}, // a retry
		{ApplicationID: id, Version: 2, Summary: "s", Outcomes: "o", Spent: money.Pounds(3000), SubmittedBy: a.user, SubmittedAt: time.Now()},
	} {
		if err := st.SaveGrantReport(ctx, r, a.event(id, time.Now(), "report_submitted")); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	reports, err := st.GrantReports(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 || string(reports[0].Beneficiaries) != reached || reports[0].Summary != "s" || string(reports[1].Beneficiaries) != "[]" {
		t.Errorf("reports %+v; want version 1 with who it reached (the retry changing nothing) and version 2 with none", reports)
	}
}
