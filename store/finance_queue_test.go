package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// awards makes applications of the demo schemes with awards at a chosen status, as the workflows'
// activities would leave them.
type awards struct {
	t        *testing.T
	st       *store.Store
	org      int64
	user     int64
	officer  int64
	schemeOf map[string][2]int64 // slug → scheme id, round id
	events   int
}

func newAwards(t *testing.T, st *store.Store) *awards {
	t.Helper()
	ctx := context.Background()
	if err := demo.Seed(ctx, st, time.Date(2026, 5, 1, 12, 0, 0, 0, scheme.London)); err != nil {
		t.Fatal(err)
	}
	applicant, err := st.UserByEmail(ctx, "applicant@riverside-youth.example.org")
	if err != nil {
		t.Fatal(err)
	}
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	a := &awards{t: t, st: st, org: applicant.Organisations[0], user: applicant.ID, officer: officer.ID, schemeOf: map[string][2]int64{}}
	list, err := st.Schemes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range list {
		rounds, err := st.Rounds(ctx, sc.ID)
		if err != nil || len(rounds) == 0 {
			t.Fatal(rounds, err)
		}
		a.schemeOf[sc.Slug] = [2]int64{sc.ID, rounds[0].ID}
	}
	return a
}

func (a *awards) event(app int64, at time.Time, status string) store.Event {
	a.events++
	return store.Event{Application: app, Key: fmt.Sprintf("finance-queue-test-%d", a.events), At: at, ActorName: "Test", ActorRole: "system", What: status, Status: status}
}

// award makes an application with an award, its finance award notice and, unless acceptedAt is
// zero, its acceptance at that time.
func (a *awards) award(slug, title string, amount money.Pence, acceptedAt time.Time) (int64, store.Award, store.FinanceNotice) {
	a.t.Helper()
	ctx := context.Background()
	ids := a.schemeOf[slug]
	id, err := a.st.CreateDraft(ctx, a.org, a.user, store.Draft{SchemeID: ids[0], RoundID: ids[1], Title: title})
	if err != nil {
		a.t.Fatal(err)
	}
	decided := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	aw, err := a.st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: fmt.Sprintf("T-%d", id), Amount: amount, Purpose: "Purpose",
		Conditions: json.RawMessage("[]"), Reasons: "Reasons", ApprovedBy: a.officer, ApprovedRole: "officer", DelegationBand: "officer",
		RulesVersion: 1, DecidedAt: decided, AcceptBy: decided.AddDate(0, 0, 28)}, a.event(id, decided, "approved"))
	if err != nil {
		a.t.Fatal(err)
	}
	n, err := a.st.SaveFinanceNotice(ctx, store.FinanceNotice{AwardID: aw.ID, Kind: "award", Reference: aw.Reference + "-AN",
		Payee: "Riverside Youth Project", Amount: aw.Amount, Schedule: json.RawMessage("[]"), CostCentre: "CC", CreatedAt: decided},
		store.Document{ApplicationID: id, Kind: "finance_award_notice", Filename: aw.Reference + "-AN.pdf", Content: []byte("%PDF-1.3 notice")},
		a.event(id, decided, "offered"))
	if err != nil {
		a.t.Fatal(err)
	}
	if !acceptedAt.IsZero() {
		if err := a.st.SetAwardStatus(ctx, id, "accepted", &a.user, a.event(id, acceptedAt, "accepted")); err != nil {
			a.t.Fatal(err)
		}
	}
	return id, aw, n
}

// tranches schedules a service award's tranches, one a quarter from April 2026, and leaves each
// in the status given: released ones with a payment notice, held ones with a reason.
func (a *awards) tranches(app int64, aw store.Award, statuses ...string) map[int]store.FinanceNotice {
	a.t.Helper()
	ctx := context.Background()
	var plan []grant.Tranche
	for i := range statuses {
		plan = append(plan, grant.Tranche{No: i + 1, FinancialYear: 2026, Quarter: i + 1, DueOn: time.Date(2026, time.Month(4+3*i), 1, 0, 0, 0, 0, time.UTC),
			Amount: aw.Amount / money.Pence(len(statuses)), Status: "scheduled"})
	}
	if err := a.st.ScheduleTranches(ctx, aw.ID, plan); err != nil {
		a.t.Fatal(err)
	}
	notices := map[int]store.FinanceNotice{}
	for i, status := range statuses {
		t := plan[i]
		switch status {
		case "released", "paid":
			ref := fmt.Sprintf("%s-T%02d", aw.Reference, t.No)
			n, err := a.st.ReleaseTranche(ctx, aw.ID, t.No, store.FinanceNotice{Reference: ref, Payee: "Riverside Youth Project", Amount: t.Amount,
				Schedule: json.RawMessage("[]"), CostCentre: "CC", CreatedAt: t.DueOn},
				store.Document{ApplicationID: app, Kind: "payment_notice", Version: t.No, Filename: ref + ".pdf", Content: []byte("%PDF-1.3 " + ref)},
				a.event(app, t.DueOn, "active"))
			if err != nil {
				a.t.Fatal(err)
			}
			notices[t.No] = n
			if status == "paid" {
				if _, err := a.st.RecordTranchePayment(ctx, store.Payment{AwardID: aw.ID, Tranche: t.No, Amount: t.Amount, PaidOn: t.DueOn,
					Reference: "BACS", RecordedBy: a.officer, RecordedAt: t.DueOn}, app, a.event(app, t.DueOn, "active")); err != nil {
					a.t.Fatal(err)
				}
			}
		case "held":
			if err := a.st.HoldTranche(ctx, aw.ID, t.No, "the Q1 2026-27 monitoring return has not been accepted", a.event(app, t.DueOn, "active")); err != nil {
				a.t.Fatal(err)
			}
		}
	}
	return notices
}

func TestPaymentsDueAndHeldTranches(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)

	// Accepted at 23:30 UTC on 30 June: 1 July in London, so due on 1 July.
	late := time.Date(2026, 6, 30, 23, 30, 0, 0, time.UTC)
	accepted, acceptedAward, awardNotice := a.award("grassroots", "Accepted grant", money.Pounds(3000), late)
	a.award("grassroots", "Offered only", money.Pounds(2000), time.Time{})
	paid, paidAward, _ := a.award("grassroots", "Paid grant", money.Pounds(1000), late.AddDate(0, 0, -10))
	if _, err := st.RecordPayment(ctx, store.Payment{AwardID: paidAward.ID, Tranche: 1, Amount: paidAward.Amount, PaidOn: late, Reference: "BACS",
		RecordedBy: a.officer, RecordedAt: late}, paid, a.event(paid, late, "paid")); err != nil {
		t.Fatal(err)
	}
	service, serviceAward, _ := a.award("commissioned-services", "Victim service", money.Pounds(100000), late.AddDate(0, -3, 0))
	notices := a.tranches(service, serviceAward, "paid", "released", "held", "released")

	due, err := st.PaymentsDue(ctx, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	// Through 30 June: tranche 2 (due 1 July) and the grant (due 1 July in London) are not yet due.
	if len(due) != 0 {
		t.Fatalf("due through 30 June = %+v, want none", due)
	}
	due, err = st.PaymentsDue(ctx, time.Date(2026, 7, 1, 0, 0, 0, 0, scheme.London))
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 {
		t.Fatalf("due through 1 July = %+v, want the grant and tranche 2", due)
	}
	for _, d := range due {
		if d.DueOn.Format(time.DateOnly) != "2026-07-01" || d.Organisation != "Riverside Youth Project" || d.NoticeDocumentID == nil {
			t.Errorf("due = %+v", d)
		}
	}
	grant, tranche := due[0], due[1]
	if grant.Tranche != 0 { // the same due date: then in order of award reference
		grant, tranche = tranche, grant
	}
	if grant.ApplicationID != accepted || grant.AwardRef != acceptedAward.Reference || grant.Amount != money.Pounds(3000) ||
		*grant.NoticeDocumentID != awardNotice.DocumentID || grant.Title != "Accepted grant" {
		t.Errorf("the accepted grant is due as %+v", grant)
	}
	if tranche.ApplicationID != service || tranche.Tranche != 2 || tranche.FinancialYear != 2026 || tranche.Quarter != 2 ||
		tranche.Amount != money.Pounds(25000) || *tranche.NoticeDocumentID != notices[2].DocumentID {
		t.Errorf("the released tranche is due as %+v", tranche)
	}

	// By the end of the year tranche 4 (released, due 1 January) has joined them, last.
	due, err = st.PaymentsDue(ctx, time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 3 || due[2].Tranche != 4 || due[2].DueOn.Format(time.DateOnly) != "2027-01-01" {
		t.Fatalf("due through March = %+v", due)
	}

	held, err := st.HeldTranches(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || held[0].Tranche != 3 || held[0].ApplicationID != service || held[0].AwardRef != serviceAward.Reference ||
		held[0].Reason != "the Q1 2026-27 monitoring return has not been accepted" || held[0].Amount != money.Pounds(25000) ||
		held[0].DueOn.Format(time.DateOnly) != "2026-10-01" {
		t.Fatalf("held = %+v", held)
	}
}

// A tranche held past its date and released later could not be paid before it was released: it is
// due (and late) from the day of its release in London, and sorts there, not as the oldest.
func TestAReleasedHeldTrancheIsDueFromItsRelease(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	a := newAwards(t, st)
	grant, _, _ := a.award("grassroots", "Accepted grant", money.Pounds(3000), time.Date(2026, 6, 10, 12, 0, 0, 0, scheme.London))
	service, aw, _ := a.award("commissioned-services", "Victim service", money.Pounds(100000), time.Date(2026, 3, 1, 12, 0, 0, 0, scheme.London))
	a.tranches(service, aw, "held", "scheduled") // tranche 1 due 1 April 2026, held
	// Released at 23:30 UTC on 19 June: 20 June in London.
	released := time.Date(2026, 6, 19, 23, 30, 0, 0, time.UTC)
	if _, err := st.ReleaseTranche(ctx, aw.ID, 1, store.FinanceNotice{Reference: aw.Reference + "-T01", Payee: "Riverside Youth Project", Amount: money.Pounds(50000),
		Schedule: json.RawMessage("[]"), CostCentre: "CC", CreatedAt: released},
		store.Document{ApplicationID: service, Kind: "payment_notice", Version: 1, Filename: aw.Reference + "-T01.pdf", Content: []byte("%PDF-1.3 T01")},
		a.event(service, released, "active")); err != nil {
		t.Fatal(err)
	}

	due, err := st.PaymentsDue(ctx, time.Date(2026, 6, 19, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].ApplicationID != grant {
		t.Fatalf("due through 19 June = %+v, want only the grant accepted on 10 June", due)
	}
	due, err = st.PaymentsDue(ctx, time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 || due[0].ApplicationID != grant || due[1].ApplicationID != service || due[1].Tranche != 1 ||
		due[1].DueOn.Format(time.DateOnly) != "2026-06-20" {
		t.Fatalf("due through 30 June = %+v, want the grant (10 June) then tranche 1 (released 20 June)", due)
	}
}
