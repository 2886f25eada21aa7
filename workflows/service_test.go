package workflows_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// ---- 1. A three-year award from the panel to closure ----

func TestServiceThreeYearAwardFromPanelToClosure(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	ref := fmt.Sprintf("CSF-2026-%05d", f.in.ApplicationID)
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }

	// Selection and the decision, 2 to 18 February 2026.
	f.toActive(f.commissioner)
	f.at(london(2026, time.February, 4, 11, 0), func() {
		st := f.wantStage(workflows.StageAssessment)
		if st.Eligibility == nil || !st.Eligibility.Eligible || len(st.Eligibility.Checks) != 6 {
			t.Errorf("eligibility %+v; want all six checks passed at screening", st.Eligibility)
		}
		if e := f.event("Eligible: awaiting the assessment panel"); !e.At.Equal(svcStart) || e.ActorRole != "system" {
			t.Errorf("screening event %+v; want the system at submission", e)
		}
		if len(st.Panel) != 2 || st.Panel[0].Removed || !st.Panel[1].Removed || st.Panel[1].AssessorID != f.assessor2.UserID {
			t.Errorf("panel after Ash's conflict %+v; want Alex seated and Ash removed", st.Panel)
		}
		if !slices.Contains(st.Barred, f.assessor2.UserID) {
			t.Errorf("barred %v; want Ash", st.Barred)
		}
		panel, err := f.s.Panel(f.ctx, f.in.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(panel) != 2 || panel[1].AssessorID != f.assessor2.UserID || panel[1].RemovedAt == nil || panel[1].RemovedReason != "conflict of interest" {
			t.Errorf("stored panel %+v; want Ash removed for a conflict of interest", panel)
		}
		n := f.notifications("escalation")
		if len(n) != 1 || n[0].Audience != "officer" || !strings.Contains(n[0].Message, "Ash Assessor left the panel") {
			t.Errorf("escalations %+v; want the officer told the panel is short", n)
		}
	})
	f.refused(london(2026, time.February, 4, 12, 0), workflows.UpdateAssess, svcAssess(f.assessor2, 5),
		workflows.RefusalForbidden, "", "you declared a conflict of interest")
	f.at(london(2026, time.February, 11, 11, 0), func() {
		f.wantStage(workflows.StageDecision)
		pack := f.document(activities.KindDecisionPack, 1)
		f.wantText(pack, "Alex Assessor", "Bea Assessor", "Olu Officer", "Reachable Moments", "£120,000.00")
		rec, err := f.s.RecommendationFor(f.ctx, f.in.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.RecommendedBy != f.officer.UserID || rec.DocumentID == nil || *rec.DocumentID != pack.ID {
			t.Errorf("recommendation %+v; want Olu's, with the decision pack %d", rec, pack.ID)
		}
		if n := f.notifications("ready_for_you"); len(n) != 1 || n[0].Audience != "officer" || !strings.Contains(n[0].Message, "ready for moderation") {
			t.Errorf("reminders %+v; want the officer told moderation is due", n)
		}
	})
	f.refused(london(2026, time.February, 12, 9, 0), workflows.UpdateDecide, svcApprove(f.officer),
		workflows.RefusalForbidden, "", "you recommended this award, so someone else must decide it")
	f.at(london(2026, time.February, 12, 11, 0), func() {
		st := f.wantStage(workflows.StageOffered)
		acceptBy := endOfLondonDay(2026, time.March, 12)
		if st.Award == nil || st.Award.Reference != ref || st.Award.DecisionRecord != "PCC/2026/001" || !st.Award.AcceptBy.Equal(acceptBy) || st.Award.Version != 1 {
			t.Fatalf("award in the status %+v; want %s with decision record PCC/2026/001, to accept by %v", st.Award, ref, acceptBy)
		}
		a := f.award()
		if a.Reference != ref || a.Amount != money.Pounds(360000) || a.ApprovedBy != f.commissioner.UserID || a.DelegationBand != "Police and Crime Commissioner" ||
			a.Status != "offered" || a.Version != 1 || a.EndDate == nil || a.EndDate.Format(time.DateOnly) != "2029-03-31" {
			t.Errorf("award %+v", a)
		}
		records, err := f.s.DecisionRecords(f.ctx, f.in.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(records) != 1 || records[0].Number != "PCC/2026/001" || records[0].DecidedBy != f.commissioner.UserID || records[0].DocumentID == nil {
			t.Fatalf("decision records %+v; want PCC/2026/001 by the Commissioner with its PDF", records)
		}
		record := f.document(activities.KindDecisionRecord, 1)
		if record.ID != *records[0].DocumentID {
			t.Errorf("decision record document %d; the record names %d", record.ID, *records[0].DocumentID)
		}
		// Published: the offices and roles, never the people (the Commissioner, the moderating officer, the assessor).
		f.wantText(record, "PCC/2026/001", "Decision maker Police and Crime Commissioner", "£360,000.00",
			"Recommended by Commissioning Officer, moderating the assessment panel", "An assessor declared an interest and took no part.")
		if text := f.documentText(record.ID); strings.Contains(text, "Casey Commissioner") || strings.Contains(text, "Olu Officer") || strings.Contains(text, "Ash Assessor") {
			t.Errorf("the published decision record names a person:\n%s", text)
		}
		f.wantText(f.document(activities.KindGrantAgreement, 1), ref, "£360,000.00", "£30,000.00", "15 July 2026", "12 March 2026",
			"A signed data-sharing agreement with the hospital trust.")
		f.document(activities.KindFinanceAwardNotice, 1)
		for fy := 2026; fy <= 2028; fy++ {
			if got := f.committed(fy); got != money.Pounds(120000) {
				t.Errorf("%d budget committed %s; want £120,000.00", fy, got)
			}
		}
		if got := f.commitments(); !slices.Equal(got, f.years) {
			t.Errorf("commitments %+v; want %+v", got, f.years)
		}
		tr := f.tranches()
		if len(tr) != 12 {
			t.Fatalf("%d tranches; want 12", len(tr))
		}
		for i, x := range tr {
			qq := workflows.Quarter{FY: 2026 + i/4, Q: i%4 + 1}
			if x.No != i+1 || x.Amount != money.Pounds(30000) || x.Status != workflows.TrancheScheduled || x.DueOn.Format(time.DateOnly) != qq.Start().Format(time.DateOnly) {
				t.Errorf("tranche %+v; want no %d of £30,000.00 scheduled for %v", x, i+1, qq.Start())
			}
		}
		if len(st.Returns) != 12 || !st.Returns[0].Due.Equal(endOfLondonDay(2026, time.July, 15)) || !st.Returns[11].Due.Equal(endOfLondonDay(2029, time.April, 15)) {
			t.Errorf("returns %+v; want 12, the first due 15 July 2026 and the last 15 April 2029", st.Returns)
		}
	})
	f.at(london(2026, time.February, 18, 11, 0), func() {
		st := f.wantStage(workflows.StageActive)
		if !st.Award.ConditionsMet || f.award().ConditionsMetBy == nil || *f.award().ConditionsMetBy != f.officer2.UserID {
			t.Errorf("conditions precedent not recorded as met by Orla: %+v", f.award())
		}
		if n := f.notifications("offer_accepted"); len(n) != 2 || n[0].Audience != "finance" || n[1].Audience != "officer" || !strings.Contains(n[1].Message, "confirm its conditions precedent") {
			t.Errorf("acceptance notices %+v; want finance told (by the store) and the case officer asked to confirm the conditions precedent", n)
		}
	})

	// 2026-27: the Q2 return comes in late and holds tranche 3 until it is accepted.
	f.onTime(q(2026, 1), 2026, workflows.RAGGreen)
	f.releasedOnTime(q(2026, 2), 2)
	f.pay(london(2026, time.July, 3, 10, 0), 2)
	f.at(london(2026, time.October, 1, 1, 0), func() {
		x := f.tranche(3)
		if x.Status != workflows.TrancheHeld || x.HeldReason != "the Q2 2026-27 monitoring return has not been accepted" {
			t.Errorf("tranche 3 on its due date: %+v; want held for the Q2 return", x)
		}
		st := f.status()
		if st.Tranches[2].Status != workflows.TrancheHeld || st.Tranches[2].HeldReason != x.HeldReason {
			t.Errorf("status shows tranche 3 as %+v", st.Tranches[2])
		}
		var held []store.Notification // the officer's, from the workflow; the provider's is told with the hold
		for _, n := range f.notifications("tranche_held") {
			if n.Audience == "applicant" {
				if !strings.Contains(n.Message, "Payment 3 of your grant") || !strings.Contains(n.Message, "is held: the Q2 2026-27 monitoring return has not been accepted.") {
					t.Errorf("the provider's hold notice %+v", n)
				}
				continue
			}
			held = append(held, n)
		}
		if len(held) != 1 || held[0].Audience != "officer" || !held[0].CreatedAt.Equal(london(2026, time.October, 1, 0, 0)) ||
			!strings.Contains(held[0].Message, ref+" tranche 3 (Q3 2026-27, £30,000.00) is held: the Q2 2026-27 monitoring return has not been accepted") {
			t.Errorf("tranche_held notifications %+v", held)
		}
		// One notice per tranche and reason, keyed by what the reason is, not by its wording.
		if len(held) == 1 && !strings.HasSuffix(held[0].Key, "/tranche-3-held-return-2026-q2") {
			t.Errorf("the held notice is keyed %q; want it keyed by the tranche and the Q2 2026-27 return it waits for", held[0].Key)
		}
		if e := f.event("Tranche 3 (Q3 2026-27) held"); !e.At.Equal(london(2026, time.October, 1, 0, 0)) {
			t.Errorf("hold event %+v", e)
		}
	})
	f.refused(london(2026, time.October, 2, 10, 0), workflows.UpdateRecordTranche,
		workflows.RecordTranchePaymentRequest{Actor: f.finance, Tranche: 3, Amount: money.Pounds(30000), PaidOn: london(2026, time.October, 2, 0, 0), Reference: "BACS-0003"},
		workflows.RefusalStage, "tranche", "tranche 3 has not been released for payment (held)")
	wantReturnNotices := func(want ...store.Notification) {
		t.Helper()
		var got []store.Notification
		for _, n := range f.notifications("") {
			if (n.Kind == "reminder" || n.Kind == "escalation") && strings.Contains(n.Message, "Q2 2026-27 monitoring return") {
				got = append(got, n)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: Q2 return notifications %+v; want %d", f.env.Now().In(scheme.London).Format(time.DateTime), got, len(want))
			return
		}
		for i, w := range want {
			g := got[i]
			if g.Audience != w.Audience || g.Kind != w.Kind || !g.CreatedAt.Equal(w.CreatedAt) || !strings.Contains(g.Message, w.Message) {
				t.Errorf("Q2 return notification %d: %s %s at %v %q; want %s %s at %v containing %q", i, g.Audience, g.Kind, g.CreatedAt, g.Message,
					w.Audience, w.Kind, w.CreatedAt, w.Message)
			}
		}
	}
	before := store.Notification{Audience: "applicant", Kind: "reminder", CreatedAt: endOfLondonDay(2026, time.October, 8),
		Message: "Your Q2 2026-27 monitoring return for " + ref + " is due by 15 October 2026."}
	onDay := store.Notification{Audience: "applicant", Kind: "reminder", CreatedAt: london(2026, time.October, 15, 0, 0),
		Message: "Your Q2 2026-27 monitoring return for " + ref + " is due today."}
	overdue := store.Notification{Audience: "officer", Kind: "escalation", CreatedAt: endOfLondonDay(2026, time.October, 15),
		Message: "The Q2 2026-27 monitoring return for " + ref + " is overdue (due 15 October 2026)."}
	f.at(london(2026, time.October, 8, 23, 0), func() { wantReturnNotices() })
	f.at(london(2026, time.October, 9, 10, 0), func() { wantReturnNotices(before) })
	f.at(london(2026, time.October, 15, 10, 0), func() { wantReturnNotices(before, onDay) })
	f.at(london(2026, time.October, 16, 10, 0), func() {
		wantReturnNotices(before, onDay, overdue)
		if e := f.event("Q2 2026-27 monitoring return overdue"); !e.At.Equal(endOfLondonDay(2026, time.October, 15)) || e.Why != "It was due by 15 October 2026." {
			t.Errorf("overdue event %+v", e)
		}
		if st := f.status(); !st.Returns[1].Overdue || st.Returns[1].Status != workflows.ReturnAwaiting {
			t.Errorf("status of the Q2 return %+v; want awaiting and overdue", st.Returns[1])
		}
	})
	f.ok(london(2026, time.October, 20, 10, 0), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q(2026, 2)), workflows.StageActive)
	f.at(london(2026, time.October, 21, 10, 0), func() {
		if x := f.tranche(3); x.Status != workflows.TrancheHeld {
			t.Errorf("tranche 3 after the late return was sent but before it was reviewed: %+v; want still held", x)
		}
	})
	f.ok(london(2026, time.October, 22, 10, 0), workflows.UpdateReviewReturn, svcReview(f.officer2, q(2026, 2), workflows.RAGAmber), workflows.StageActive)
	f.at(london(2026, time.October, 22, 11, 0), func() {
		x := f.tranche(3)
		if x.Status != workflows.TrancheReleased || x.HeldReason != "" || x.ReleasedAt == nil || !x.ReleasedAt.Equal(london(2026, time.October, 22, 10, 0)) {
			t.Errorf("tranche 3 once the Q2 return was accepted: %+v; want released then", x)
		}
		if e := f.event("Tranche 3 (Q3 2026-27) released: £30,000.00 payment notice sent to finance"); e.Why != "conditions precedent met and the Q2 2026-27 monitoring return accepted" {
			t.Errorf("release event %+v", e)
		}
		wantReturnNotices(before, onDay, overdue) // nothing more once it is in
	})
	f.pay(london(2026, time.October, 23, 10, 0), 3)
	f.ok(svcDay(q(2026, 3).End(), -10, 10), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q(2026, 3)), "")
	f.ok(svcDay(q(2026, 3).End(), -7, 10), workflows.UpdateReviewReturn, svcReview(f.officer2, q(2026, 3), workflows.RAGGreen), "")
	f.onTime(q(2026, 4), 2026, workflows.RAGGreen)

	// 2027-28 and 2028-29 go to plan.
	for fy := 2027; fy <= 2028; fy++ {
		for n := 1; n <= 4; n++ {
			f.onTime(q(fy, n), 2026, workflows.RAGGreen)
		}
	}
	f.at(london(2029, time.March, 26, 10, 0), func() {
		st := f.wantStage(workflows.StageFinalReport)
		if st.Award.Paid != money.Pounds(360000) {
			t.Errorf("paid %s when the final report fell due; want £360,000.00", st.Award.Paid)
		}
		if n := f.notifications("reminder"); len(n) == 0 || !strings.Contains(n[len(n)-1].Message, "Please submit your final report") {
			t.Errorf("reminders %+v; want the provider asked for the final report", n)
		}
	})
	f.refused(london(2029, time.March, 27, 9, 0), workflows.UpdateSubmitFinalReport, svcFinalReport(f.applicant, money.Pounds(360001)),
		workflows.RefusalInvalid, "spent_pence", "£360,001.00 is more than the £360,000.00 paid")
	f.ok(london(2029, time.March, 27, 10, 0), workflows.UpdateSubmitFinalReport, svcFinalReport(f.applicant, money.Pounds(355000)), workflows.StageFinalSubmitted)
	// The £5,000.00 underspend is owed back; the grant closes once finance records it repaid.
	f.ok(london(2029, time.March, 28, 10, 0), workflows.UpdateReviewFinalReport, reviewReq(f.officer2, workflows.ReviewAccept, ""), workflows.StageRecovery)
	f.ok(london(2029, time.March, 30, 10, 0), workflows.UpdateRecordRepayment, workflows.RecordRepaymentRequest{Actor: f.finance, Amount: money.Pounds(5000),
		ReceivedOn: london(2029, time.March, 30, 0, 0), Reference: "RTN-0001"}, workflows.StageClosed)

	final := f.drive(time.Time{})
	f.settle(final)

	// Three continue-as-new boundaries: 1 April 2026, 2027 and 2028.
	if len(f.runs) != 4 || final.Run != 4 {
		t.Errorf("%d runs (state says %d); want 4", len(f.runs), final.Run)
	}
	for i, r := range f.runs {
		t.Log(r)
		if i < 3 && (!r.ContinuedAsNew || !r.End.Equal(london(2026+i, time.April, 1, 0, 0))) {
			t.Errorf("%s; want it to continue as new on 1 April %d", r, 2026+i)
		}
	}
	if final.Stage != workflows.StageClosed || final.FinalSpent != money.Pounds(355000) || final.Award.Paid != money.Pounds(360000) {
		t.Errorf("final state: stage %q, spent %s, paid %s", final.Stage, final.FinalSpent, final.Award.Paid)
	}
	a := f.award()
	if a.Status != "closed" || a.ClosedAt == nil || !a.ClosedAt.Equal(london(2029, time.March, 30, 10, 0)) ||
		a.Spent == nil || *a.Spent != money.Pounds(355000) || a.Underspend == nil || *a.Underspend != money.Pounds(5000) {
		t.Errorf("award at closure %+v; want closed with £5,000.00 underspent", a)
	}
	if got, want := f.commitments(), svcYears(2026, 120000, 120000, 115000); !slices.Equal(got, want) {
		t.Errorf("commitments after closure %+v; want %+v (the underspend back from the last year)", got, want)
	}
	if got := f.committed(2028); got != money.Pounds(115000) {
		t.Errorf("2028-29 budget committed %s after closure; want £115,000.00 (£120,000.00 less the £5,000.00 underspend)", got)
	}
	if e := f.event("Grant reconciled and closed"); e.Why != "Awarded £360,000.00, paid £360,000.00, spent £355,000.00; underspend £5,000.00 repaid and returned to the budget." {
		t.Errorf("closing event %+v", e)
	}
	payments, err := f.s.Payments(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	var paid money.Pence
	for _, p := range payments {
		paid += p.Amount
	}
	if len(payments) != 12 || paid != money.Pounds(360000) {
		t.Errorf("%d payments of %s in all; want 12 of £360,000.00", len(payments), paid)
	}
	notices := f.paymentNotices()
	if len(notices) != 12 {
		t.Fatalf("%d payment notices; want 12", len(notices))
	}
	for i, n := range notices {
		if n.Seq != i+1 || n.Amount != money.Pounds(30000) || n.Reference != fmt.Sprintf("%s-T%02d", ref, i+1) || n.CostCentre != "OPCC-CSF-4420" {
			t.Errorf("payment notice %+v", n)
		}
	}
	var noticeDocs int
	for _, d := range f.documents() {
		if d.Kind == activities.KindPaymentNotice {
			noticeDocs++
		}
	}
	if noticeDocs != 12 {
		t.Errorf("%d payment notice documents; want 12", noticeDocs)
	}
	f.wantText(f.document(activities.KindPaymentNotice, 3), ref+"-T03", "£30,000.00", "OPCC-CSF-4420", "Q3 2026-27", "Q2 2026-27 monitoring return accepted")
	for _, x := range f.tranches() {
		if x.Status != workflows.TranchePaid {
			t.Errorf("tranche %d is %s at closure; want paid", x.No, x.Status)
		}
	}
	returns, err := f.s.Returns(f.ctx, f.in.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if len(returns) != 12 {
		t.Errorf("%d returns stored; want 12", len(returns))
	}
	for _, r := range returns {
		if r.ReviewOutcome == nil || *r.ReviewOutcome != workflows.ReviewAccept || r.RAG == nil || r.ReviewedBy == nil || *r.ReviewedBy != f.officer2.UserID {
			t.Errorf("return Q%d %d: %+v; want accepted by Orla with a RAG rating", r.Quarter, r.FinancialYear, r)
		}
	}
	if r := returns[1]; r.RAG == nil || *r.RAG != workflows.RAGAmber || !r.SubmittedAt.Equal(london(2026, time.October, 20, 10, 0)) {
		t.Errorf("the late Q2 2026-27 return %+v; want submitted on 20 October and rated amber", r)
	}
	var kinds []string
	for _, n := range f.notifications("") {
		kinds = append(kinds, n.Audience+" "+n.Kind)
	}
	// The panel told (one short, then replaced), moderation, the commissioner's decision, the offer,
	// acceptance and conditions; each tranche released and paid and each return in; the late Q2
	// return; the final report, the repayment and closure.
	want := []string{"user:2 panel_assigned", "user:10 panel_assigned", "officer escalation", "user:11 panel_assigned", "officer ready_for_you",
		"user:6 ready_for_decision", "applicant offer", "finance offer_accepted", "officer offer_accepted"}
	tranchePaid := []string{"finance payment_due", "applicant tranche_released", "user:8 payment_to_approve", "applicant payment_recorded"}
	want = append(append(append(want, tranchePaid...), "officer ready_for_you"), tranchePaid...) // tranche 1, the Q1 return, tranche 2
	want = append(want, "applicant tranche_held", "officer tranche_held", "applicant reminder", "applicant reminder", "officer escalation", "officer ready_for_you")
	for tranche := 3; tranche <= 12; tranche++ { // each later tranche, then the return that releases the next
		want = append(append(want, tranchePaid...), "officer ready_for_you")
	}
	want = append(want, "applicant reminder", "officer ready_for_you", "applicant repayment_due", "applicant grant_closed")
	if !slices.Equal(kinds, want) {
		t.Errorf("notifications %q; want %q", kinds, want)
	}
}

// ---- 2. A variation part way ----

func TestServiceVariationReissuesTheAgreementAndReschedules(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{years: svcYears(2026, 30000, 30000, 30000), budgets: map[int]money.Pence{2028: money.Pounds(42000)}})
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	vary := func(a workflows.Actor, years []grant.YearAmount) workflows.VaryRequest {
		return workflows.VaryRequest{Actor: a, Years: years, Conditions: []string{"Acknowledge the Commissioner's funding in publicity.", "Report weekend cover separately."},
			Summary: "Weekend cover in A&E from 2027-28."}
	}
	varied := svcYears(2026, 30000, 32000, 40000) // whole-life £102,000: above the head of commissioning's £100,000

	f.toActive(f.head)
	f.at(london(2026, time.February, 12, 11, 0), func() {
		st := f.wantStage(workflows.StageOffered)
		if st.Award.DecisionRecord != "PCC/2026/001" || f.award().DelegationBand != "Head of commissioning" {
			t.Errorf("award %+v (band %q); want PCC/2026/001 in the head of commissioning's band", st.Award, f.award().DelegationBand)
		}
	})
	for n := 1; n <= 3; n++ {
		f.onTime(q(2026, n), 2026, workflows.RAGGreen)
	}
	// The Q4 2026-27 return comes late, so tranche 5 is held through the variation.
	f.releasedOnTime(q(2026, 4), 4)
	f.pay(london(2027, time.January, 3, 10, 0), 4)
	f.ok(london(2027, time.April, 20, 10, 0), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q(2026, 4)), workflows.StageActive)
	heldFor := "the Q4 2026-27 monitoring return has not been accepted"
	f.at(london(2027, time.April, 1, 1, 0), func() {
		if x := f.tranche(5); x.Status != workflows.TrancheHeld || x.HeldReason != heldFor {
			t.Errorf("tranche 5 on its due date: %+v; want held for the Q4 return", x)
		}
	})
	f.ok(london(2027, time.May, 12, 10, 0), workflows.UpdateReviewReturn, svcReview(f.officer2, q(2026, 4), workflows.RAGAmber), workflows.StageActive)
	f.at(london(2027, time.May, 12, 11, 0), func() {
		if x := f.tranche(5); x.Status != workflows.TrancheReleased || x.Amount != money.Pounds(8000) || x.ReleasedAt == nil || !x.ReleasedAt.Equal(london(2027, time.May, 12, 10, 0)) {
			t.Errorf("tranche 5 once the Q4 return is accepted: %+v; want £8,000.00 (as varied) released then", x)
		}
	})
	f.pay(london(2027, time.May, 13, 10, 0), 5)
	f.ok(svcDay(q(2027, 1).End(), -10, 10), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q(2027, 1)), "")
	f.ok(svcDay(q(2027, 1).End(), -7, 10), workflows.UpdateReviewReturn, svcReview(f.officer2, q(2027, 1), workflows.RAGGreen), "")

	if err := workflows.MayApprove(f.sc.Rules, scheme.RoleHeadOfCommissioning, workflows.WholeLife(varied)); err == nil {
		t.Fatal("MayApprove lets the head of commissioning approve £102,000.00; the variation below relies on it not")
	}
	if err := workflows.MayApprove(f.sc.Rules, scheme.RoleCommissioner, workflows.WholeLife(varied)); err != nil {
		t.Fatalf("MayApprove: %v", err)
	}
	// The officer who moderated it may not vary it, as they could not decide it.
	f.refused(london(2027, time.May, 10, 10, 0), workflows.UpdateVary, vary(f.officer, varied), workflows.RefusalForbidden, "",
		"you recommended this award, so someone else must vary the award")
	f.refused(london(2027, time.May, 10, 11, 0), workflows.UpdateVary, vary(f.head, varied), workflows.RefusalForbidden, "",
		"a Head of commissioning may approve up to £100,000.00")
	f.refused(london(2027, time.May, 10, 12, 0), workflows.UpdateVary, vary(f.commissioner, svcYears(2026, 29000, 32000, 40000)), workflows.RefusalInvalid, "years",
		"2026-27 cannot be less than the £30,000.00 already released for it")
	f.refused(london(2027, time.May, 10, 12, 30), workflows.UpdateVary, vary(f.commissioner, svcYears(2027, 32000, 40000)), workflows.RefusalInvalid,
		"years[0].financial_year", "must stay 2026-27")
	// 2028-29 to £45,000 needs £15,000 more; the 2028-29 budget of £42,000 has £12,000 left.
	overBudget := f.update(london(2027, time.May, 10, 13, 0), workflows.UpdateVary, vary(f.commissioner, svcYears(2026, 30000, 32000, 45000)))
	f.checks = append(f.checks, svcExpectation{u: overBudget, fail: true, kind: workflows.RefusalBudget, field: "years", reason: "2028-29 needs £15,000.00 but only £12,000.00 is left"})
	var beforeTranches []string
	var beforeLines, beforeDocs int
	f.at(london(2027, time.May, 10, 9, 0), func() {
		beforeTranches, beforeLines, beforeDocs = f.trancheSummary(), len(f.timeline()), len(f.documents())
	})
	f.at(london(2027, time.May, 10, 14, 0), func() {
		st := f.wantStage(workflows.StageActive)
		if st.Award.Version != 1 || !slices.Equal(st.Award.Years, f.years) {
			t.Errorf("award after the refused variations %+v; want version 1 unchanged", st.Award)
		}
		if got := f.trancheSummary(); !slices.Equal(got, beforeTranches) {
			t.Errorf("tranches after the refused variations %q; want %q", got, beforeTranches)
		}
		if got := f.commitments(); !slices.Equal(got, f.years) {
			t.Errorf("commitments after the refused variations %+v; want %+v", got, f.years)
		}
		if f.committed(2027) != money.Pounds(30000) || f.committed(2028) != money.Pounds(30000) {
			t.Errorf("budgets committed %s and %s after the refused variations; want £30,000.00 each", f.committed(2027), f.committed(2028))
		}
		if v, err := f.s.Variations(f.ctx, f.in.ApplicationID); err != nil || len(v) != 0 {
			t.Errorf("variations %+v (%v); want none", v, err)
		}
		if a := f.award(); a.Version != 1 || a.Amount != money.Pounds(90000) {
			t.Errorf("award %+v; want version 1 of £90,000.00", a)
		}
		if n := len(f.timeline()); n != beforeLines {
			t.Errorf("%d timeline lines after the refused variations; want %d", n, beforeLines)
		}
		if n := len(f.documents()); n != beforeDocs {
			t.Errorf("%d documents after the refused variations; want %d", n, beforeDocs)
		}
	})
	f.ok(london(2027, time.May, 11, 10, 0), workflows.UpdateVary, vary(f.commissioner, varied), workflows.StageVariationOffered)
	// The provider accepts the varied agreement at noon; until then it awaits them.
	f.ok(london(2027, time.May, 11, 12, 0), workflows.UpdateAcceptVariation, workflows.AcceptVariationRequest{Actor: f.applicant, Version: 2}, workflows.StageActive)
	f.at(london(2027, time.May, 11, 11, 0), func() {
		st := f.wantStage(workflows.StageVariationOffered)
		if st.Award.Version != 2 || !slices.Equal(st.Award.Years, varied) || st.Award.DecisionRecord != "PCC/2027/001" {
			t.Errorf("award after the variation %+v; want version 2 of %+v under PCC/2027/001", st.Award, varied)
		}
		agreement := f.document(activities.KindGrantAgreement, 2)
		f.wantText(agreement, "Weekend cover in A&E from 2027-28.", "£102,000.00", "£8,000.00", "£10,000.00", "Casey Commissioner", "8 June 2027")
		f.document(activities.KindGrantAgreement, 1) // the first version stays
		f.wantText(f.document(activities.KindDecisionRecord, 2), "PCC/2027/001", "variation, version 2", "£102,000.00")
		a := f.award()
		if a.Version != 2 || a.Amount != money.Pounds(102000) {
			t.Errorf("award %+v; want version 2 of £102,000.00", a)
		}
		v, err := f.s.Variations(f.ctx, f.in.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(v) != 1 || v[0].AwardVersion != 2 || v[0].DecidedBy != f.commissioner.UserID || v[0].DelegationBand != "Police and Crime Commissioner" {
			t.Errorf("variations %+v", v)
		}
		want := []string{
			"1:paid:£7,500.00", "2:paid:£7,500.00", "3:paid:£7,500.00", "4:paid:£7,500.00",
			"5:held:£8,000.00", "6:scheduled:£8,000.00", "7:scheduled:£8,000.00", "8:scheduled:£8,000.00",
			"9:scheduled:£10,000.00", "10:scheduled:£10,000.00", "11:scheduled:£10,000.00", "12:scheduled:£10,000.00",
		}
		if got := f.trancheSummary(); !slices.Equal(got, want) {
			t.Errorf("tranches after the variation %q; want %q", got, want)
		}
		if got := f.commitments(); !slices.Equal(got, varied) {
			t.Errorf("commitments after the variation %+v; want %+v", got, varied)
		}
		if x := f.tranche(5); x.HeldReason != heldFor {
			t.Errorf("tranche 5 after the variation: %+v; want still held for the Q4 return", x)
		}
		if x := st.Tranches[4]; x.Status != workflows.TrancheHeld || x.HeldReason != heldFor {
			t.Errorf("status shows tranche 5 as %+v after the variation", x)
		}
		f.event("Tranche 5 (Q1 2027-28) held") // once: the variation does not hold it again
		if f.committed(2026) != money.Pounds(30000) || f.committed(2027) != money.Pounds(32000) || f.committed(2028) != money.Pounds(40000) {
			t.Errorf("budgets committed %s, %s, %s; want £30,000.00, £32,000.00, £40,000.00", f.committed(2026), f.committed(2027), f.committed(2028))
		}
	})
	for n := 2; n <= 4; n++ {
		f.onTime(q(2027, n), 2026, workflows.RAGGreen)
	}
	for n := 1; n <= 3; n++ {
		f.onTime(q(2028, n), 2026, workflows.RAGGreen)
	}

	// A second variation cuts 2028-29 to the £30,000 already paid: nothing more is paid that year.
	// At £92,000 whole-life the cut award is within the head of commissioning's band, but the award
	// as it stands (£102,000) is not, so only the Commissioner may vary it.
	cut := svcYears(2026, 30000, 32000, 30000)
	f.refused(london(2028, time.November, 15, 9, 0), workflows.UpdateVary, workflows.VaryRequest{Actor: f.head, Years: cut,
		Conditions: []string{"Acknowledge the Commissioner's funding in publicity."}, Summary: "Weekend cover ends."},
		workflows.RefusalForbidden, "", "£102,000.00 needs approval by the")
	f.ok(london(2028, time.November, 15, 10, 0), workflows.UpdateVary, workflows.VaryRequest{Actor: f.commissioner, Years: cut,
		Conditions: []string{"Acknowledge the Commissioner's funding in publicity."}, Summary: "Weekend cover ends with the hospital's own service from January 2029."},
		workflows.StageVariationOffered)
	f.ok(london(2028, time.November, 16, 10, 0), workflows.UpdateAcceptVariation, workflows.AcceptVariationRequest{Actor: f.applicant, Version: 3}, workflows.StageActive)
	f.at(london(2028, time.November, 15, 11, 0), func() {
		st := f.wantStage(workflows.StageVariationOffered)
		if st.Award.Version != 3 || !slices.Equal(st.Award.Years, cut) || st.Award.DecisionRecord != "PCC/2028/001" {
			t.Errorf("award after the second variation %+v; want version 3 of %+v under PCC/2028/001", st.Award, cut)
		}
		want := []string{"9:paid:£10,000.00", "10:paid:£10,000.00", "11:paid:£10,000.00", "12:cancelled:£0.00"}
		if got := f.trancheSummary()[8:]; !slices.Equal(got, want) {
			t.Errorf("2028-29 tranches after the cut %q; want %q", got, want)
		}
		f.wantText(f.document(activities.KindGrantAgreement, 3), "Weekend cover ends with the hospital's own service from January 2029.", "£92,000.00", "Casey Commissioner")
		if got := f.commitments(); !slices.Equal(got, cut) {
			t.Errorf("commitments after the cut %+v; want %+v", got, cut)
		}
		if got := f.committed(2028); got != money.Pounds(30000) {
			t.Errorf("2028-29 budget committed %s after the cut; want £30,000.00", got)
		}
	})
	f.at(london(2029, time.January, 2, 10, 0), func() {
		if x := f.tranche(12); x.Status != workflows.TrancheCancelled || x.NoticeID != nil {
			t.Errorf("tranche 12 after its date: %+v; want cancelled, with no payment notice", x)
		}
	})
	// The Q4 return is still due: the service runs to the end of the funded year.
	f.ok(svcDay(q(2028, 4).End(), -10, 10), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q(2028, 4)), "")
	f.ok(svcDay(q(2028, 4).End(), -7, 10), workflows.UpdateReviewReturn, svcReview(f.officer2, q(2028, 4), workflows.RAGGreen), "")
	f.ok(london(2029, time.March, 27, 10, 0), workflows.UpdateSubmitFinalReport, svcFinalReport(f.applicant, money.Pounds(92000)), workflows.StageFinalSubmitted)
	f.ok(london(2029, time.March, 28, 10, 0), workflows.UpdateReviewFinalReport, reviewReq(f.officer2, workflows.ReviewAccept, ""), workflows.StageClosed)

	final := f.drive(time.Time{})
	f.settle(final)

	if final.Stage != workflows.StageClosed || final.Award.Paid != money.Pounds(92000) {
		t.Errorf("final stage %q, paid %s; want closed with £92,000.00 paid", final.Stage, final.Award.Paid)
	}
	if n := f.paymentNotices(); len(n) != 11 || n[3].Amount != money.Pounds(7500) || n[4].Amount != money.Pounds(8000) || n[9].Amount != money.Pounds(10000) {
		t.Errorf("payment notices %+v; want 11 following the varied schedule", n)
	}
	if got := f.commitments(); !slices.Equal(got, cut) {
		t.Errorf("commitments at closure %+v; want %+v (everything paid and spent)", got, cut)
	}
}

// A varied agreement is the provider's to accept afresh. Until they do, the award waits at
// variation_offered: tranches not yet released are held (the one already released may still be
// paid), returns go on, the provider is reminded before the date in the agreement and the officer
// told once it has passed. Only the provider may accept, and only the version now offered; once they
// do, the held tranche is released at once at the varied amount.
func TestServiceVariedAgreementIsAcceptedAfreshBeforeTranchesPay(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	varied := svcYears(2026, 126000, 100000, 100000) // the three tranches left this year £32,000.00 each
	accept := func(a workflows.Actor, version int) workflows.AcceptVariationRequest {
		return workflows.AcceptVariationRequest{Actor: a, Version: version}
	}
	f.toActive(f.commissioner)
	f.onTime(q(2026, 1), 2026, workflows.RAGGreen) // Q1's return is sent and accepted while the variation awaits acceptance
	f.ok(london(2026, time.June, 10, 10, 0), workflows.UpdateVary, workflows.VaryRequest{Actor: f.commissioner, Years: varied,
		Conditions: []string{"Acknowledge the Commissioner's funding in publicity."}, Summary: "More youth work this summer; less in later years."},
		workflows.StageVariationOffered)
	f.at(london(2026, time.June, 10, 11, 0), func() {
		st := f.wantStage(workflows.StageVariationOffered)
		if want := endOfLondonDay(2026, time.July, 8); !st.Award.VariationAcceptBy.Equal(want) {
			t.Errorf("the varied agreement is to be accepted by %v; want %v", st.Award.VariationAcceptBy, want)
		}
		f.wantText(f.document(activities.KindGrantAgreement, 2), "More youth work this summer", "8 July 2026")
		v, err := f.s.Variations(f.ctx, f.in.ApplicationID)
		if err != nil || len(v) != 1 || v[0].AcceptBy == nil || !v[0].AcceptBy.Equal(st.Award.VariationAcceptBy) || v[0].AcceptedAt != nil {
			t.Errorf("variations %+v (%v); want version 2 to be accepted by 8 July 2026, not accepted yet", v, err)
		}
	})
	f.refused(london(2026, time.June, 11, 10, 0), workflows.UpdateAcceptVariation, accept(f.officer2, 2), workflows.RefusalForbidden, "",
		"only a member of the applicant organisation can take this step")
	f.refused(london(2026, time.June, 11, 10, 5), workflows.UpdateAcceptVariation, accept(f.applicant, 1), workflows.RefusalStage, "version",
		"version 2 of the grant agreement is the one to accept, not version 1")
	f.refused(london(2026, time.June, 11, 10, 10), workflows.UpdateConfirmConditions, workflows.ConfirmConditionsRequest{Actor: f.officer2, Note: "Again"},
		workflows.RefusalStage, "", "cannot confirm the conditions precedent while the application is variation offered")
	// Tranche 2 falls due on 1 July: the Q1 return is accepted, but the varied agreement is not.
	heldFor := "the varied agreement (version 2) has not been accepted by the provider"
	f.at(london(2026, time.July, 1, 1, 0), func() {
		f.wantStage(workflows.StageVariationOffered)
		if x := f.tranche(2); x.Status != workflows.TrancheHeld || x.HeldReason != heldFor || x.Amount != money.Pounds(32000) {
			t.Errorf("tranche 2 on its due date: %+v; want £32,000.00 held until the varied agreement is accepted", x)
		}
	})
	f.at(london(2026, time.July, 2, 1, 0), func() { // a week before the date in the agreement
		reminded := 0
		for _, r := range f.notifications("reminder") {
			if strings.Contains(r.Message, "Please accept version 2 of the grant agreement") && strings.Contains(r.Message, "by 8 July 2026") && r.Audience == "applicant" {
				reminded++
			}
		}
		if reminded != 1 {
			t.Errorf("the provider was reminded %d times to accept version 2; want once", reminded)
		}
	})
	f.at(london(2026, time.July, 9, 1, 0), func() {
		esc := f.notifications("escalation")
		if len(esc) == 0 || !strings.Contains(esc[len(esc)-1].Message, "version 2 of the grant agreement was not accepted by 8 July 2026") ||
			esc[len(esc)-1].Audience != "officer" {
			t.Errorf("escalations %+v; want the officer told the varied agreement was not accepted in time", esc)
		}
		f.wantStage(workflows.StageVariationOffered) // it does not lapse
	})
	f.ok(london(2026, time.July, 10, 10, 0), workflows.UpdateAcceptVariation, accept(f.applicant, 2), workflows.StageActive)
	f.at(london(2026, time.July, 10, 11, 0), func() {
		st := f.wantStage(workflows.StageActive)
		if !st.Award.VariationAcceptBy.IsZero() {
			t.Errorf("the award still awaits acceptance by %v", st.Award.VariationAcceptBy)
		}
		if x := f.tranche(2); x.Status != workflows.TrancheReleased || x.Amount != money.Pounds(32000) || x.ReleasedAt == nil ||
			!x.ReleasedAt.Equal(london(2026, time.July, 10, 10, 0)) {
			t.Errorf("tranche 2 once the varied agreement is accepted: %+v; want £32,000.00 released then", x)
		}
		if e := f.event("Varied agreement accepted (version 2)"); e.ActorName != f.applicant.Name || e.Status != string(workflows.StageActive) {
			t.Errorf("the timeline's acceptance line %+v", e)
		}
		v, err := f.s.Variations(f.ctx, f.in.ApplicationID)
		if err != nil || len(v) != 1 || v[0].AcceptedAt == nil || v[0].AcceptedBy == nil || *v[0].AcceptedBy != f.applicant.UserID {
			t.Errorf("variations %+v (%v); want version 2 accepted by the provider", v, err)
		}
	})
	f.refused(london(2026, time.July, 10, 12, 0), workflows.UpdateAcceptVariation, accept(f.applicant, 2), workflows.RefusalStage, "",
		"cannot accept a varied agreement while the application is active")
	f.pay(london(2026, time.July, 11, 10, 0), 2)
	f.settle(f.drive(london(2026, time.August, 1, 0, 0)))
}

// ---- 3. Early termination ----

func TestServiceTerminatedInYearTwoStopsTranchesAndReturnsTheBudget(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	f.toActive(f.commissioner)
	for n := 1; n <= 4; n++ {
		f.onTime(q(2026, n), 2026, workflows.RAGGreen)
	}
	f.onTime(q(2027, 1), 2026, workflows.RAGAmber)
	f.releasedOnTime(q(2027, 2), 6)
	f.pay(london(2027, time.July, 3, 10, 0), 6)
	f.refused(london(2027, time.August, 10, 9, 0), workflows.UpdateTerminate, workflows.TerminateRequest{Actor: f.commissioner},
		workflows.RefusalInvalid, "reason", "say why the award is ending early")
	// Ending an award follows the delegation bands as varying it does: £360,000 is the Commissioner's.
	f.refused(london(2027, time.August, 10, 9, 15), workflows.UpdateTerminate, workflows.TerminateRequest{Actor: f.head, Reason: "Ending."},
		workflows.RefusalForbidden, "", "£360,000.00 needs approval by the")
	f.refused(london(2027, time.August, 10, 9, 20), workflows.UpdateTerminate, workflows.TerminateRequest{Actor: f.officer, Reason: "Ending."},
		workflows.RefusalForbidden, "", "you recommended this award, so someone else must end the award early")
	f.refused(london(2027, time.August, 10, 9, 30), workflows.UpdateTerminate, workflows.TerminateRequest{Actor: f.applicant, Reason: "We want to stop."},
		workflows.RefusalForbidden, "", "an applicant cannot take this step")
	f.ok(london(2027, time.August, 10, 10, 0), workflows.UpdateTerminate, workflows.TerminateRequest{Actor: f.commissioner,
		Reason: "The hospital trust ended the data-sharing agreement."}, workflows.StageFinalReport)
	f.at(london(2027, time.August, 10, 11, 0), func() {
		st := f.wantStage(workflows.StageFinalReport)
		if !st.Award.Terminated {
			t.Error("status does not show the award terminated")
		}
		want := []string{
			"1:paid:£30,000.00", "2:paid:£30,000.00", "3:paid:£30,000.00", "4:paid:£30,000.00", "5:paid:£30,000.00", "6:paid:£30,000.00",
			"7:cancelled:£30,000.00", "8:cancelled:£30,000.00", "9:cancelled:£30,000.00", "10:cancelled:£30,000.00", "11:cancelled:£30,000.00", "12:cancelled:£30,000.00",
		}
		if got := f.trancheSummary(); !slices.Equal(got, want) {
			t.Errorf("tranches after termination %q; want %q", got, want)
		}
		for _, x := range st.Tranches[6:] {
			if x.Status != workflows.TrancheCancelled {
				t.Errorf("status shows tranche %d as %s; want cancelled", x.No, x.Status)
			}
		}
		if got, want := f.commitments(), svcYears(2026, 120000, 60000); !slices.Equal(got, want) {
			t.Errorf("commitments after termination %+v; want %+v (what was released)", got, want)
		}
		if f.committed(2026) != money.Pounds(120000) || f.committed(2027) != money.Pounds(60000) || f.committed(2028) != 0 {
			t.Errorf("budgets committed %s, %s, %s after termination; want £120,000.00, £60,000.00, £0.00", f.committed(2026), f.committed(2027), f.committed(2028))
		}
		a := f.award()
		if a.Status != "terminated" || a.TerminatedAt == nil || a.TerminationReason != "The hospital trust ended the data-sharing agreement." || a.ClosedAt != nil {
			t.Errorf("award after termination %+v", a)
		}
		// The current quarter's return is still owed; those of quarters that will not run are not
		// required (never "accepted": nothing was received).
		for _, r := range st.Returns {
			want := workflows.ReturnAccepted
			switch {
			case r.Quarter == q(2027, 2):
				want = workflows.ReturnAwaiting
			case q(2027, 2).Before(r.Quarter):
				want = workflows.ReturnNotRequired
			}
			if r.Status != want {
				t.Errorf("return %s is %s after termination; want %s", r.Quarter.Label(), r.Status, want)
			}
		}
	})
	f.refused(london(2027, time.August, 11, 10, 0), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q(2027, 3)),
		workflows.RefusalStage, "quarter", "the Q3 2027-28 return is not required: the award ended before the quarter began")
	f.refused(london(2027, time.August, 12, 10, 0), workflows.UpdateVary, workflows.VaryRequest{Actor: f.commissioner, Years: f.years, Summary: "Restart."},
		workflows.RefusalStage, "", "cannot vary the award while the application is final report")
	f.refused(london(2027, time.August, 12, 11, 0), workflows.UpdateRecordTranche,
		workflows.RecordTranchePaymentRequest{Actor: f.finance, Tranche: 7, Amount: money.Pounds(30000), PaidOn: london(2027, time.August, 12, 0, 0), Reference: "BACS-0007"},
		workflows.RefusalStage, "tranche", "tranche 7 has not been released for payment (cancelled)")
	f.ok(london(2027, time.August, 20, 10, 0), workflows.UpdateSubmitFinalReport, svcFinalReport(f.applicant, money.Pounds(175000)), workflows.StageFinalSubmitted)
	// The Q2 2027-28 return, for the quarter the award ended in, was never sent: the head of
	// commissioning waives it so the grant can close, and the £5,000.00 underspend is repaid.
	f.refused(london(2027, time.August, 21, 10, 0), workflows.UpdateReviewFinalReport, reviewReq(f.officer, workflows.ReviewAccept, ""),
		workflows.RefusalStage, "", "monitoring returns are missing: Q2 2027-28 (awaiting)")
	f.ok(london(2027, time.August, 21, 11, 0), workflows.UpdateWaiveReturns, workflows.WaiveReturnsRequest{Actor: f.head, Quarters: []workflows.Quarter{q(2027, 2)},
		Reason: "The service stopped half way through the quarter; the final report covers it."}, workflows.StageFinalSubmitted)
	f.ok(london(2027, time.August, 22, 10, 0), workflows.UpdateReviewFinalReport, reviewReq(f.officer, workflows.ReviewAccept, ""), workflows.StageRecovery)
	f.ok(london(2027, time.August, 25, 10, 0), workflows.UpdateRecordRepayment, workflows.RecordRepaymentRequest{Actor: f.finance, Amount: money.Pounds(5000),
		ReceivedOn: london(2027, time.August, 25, 0, 0), Reference: "RTN-0001"}, workflows.StageClosed)

	final := f.drive(time.Time{})
	f.settle(final)

	if len(f.runs) != 3 || final.Stage != workflows.StageClosed {
		t.Errorf("%d runs ending %q; want 3 ending closed", len(f.runs), final.Stage)
	}
	a := f.award()
	if a.Status != "closed" || a.Underspend == nil || *a.Underspend != money.Pounds(5000) || a.TerminatedAt == nil {
		t.Errorf("award at closure %+v; want closed, terminated, £5,000.00 underspent", a)
	}
	if got, want := f.commitments(), svcYears(2026, 120000, 55000); !slices.Equal(got, want) {
		t.Errorf("commitments at closure %+v; want %+v", got, want)
	}
	if f.committed(2027) != money.Pounds(55000) || f.committed(2028) != 0 {
		t.Errorf("budgets committed %s and %s at closure; want £55,000.00 and £0.00", f.committed(2027), f.committed(2028))
	}
	if n := f.paymentNotices(); len(n) != 6 {
		t.Errorf("%d payment notices; want 6 (none after termination)", len(n))
	}
}

// ---- 4. Refused updates ----

func TestServiceRefusesStepsThatBreakTheRules(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	deadline := endOfLondonDay(2026, time.February, 20)
	day := func(d, h int) time.Time { return london(2026, time.February, d, h, 0) }

	f.refused(day(2, 12), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.RefusalForbidden, "", "you are not on this application's panel")
	f.refused(day(2, 13), workflows.UpdateModerate, f.svcModerate(f.officer), workflows.RefusalStage, "", "cannot moderate while the application is assessment")
	f.refused(day(2, 14), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor), workflows.RefusalInvalid, "assessor_ids",
		"the panel needs at least 2 assessors")
	f.refused(day(2, 15), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.officer), workflows.RefusalInvalid, "assessor_ids[1]",
		"the officer who moderates cannot also score")
	f.refused(day(2, 16), workflows.UpdateAssignPanel, svcPanel(f.assessor, deadline, f.assessor2, f.assessor3), workflows.RefusalForbidden, "",
		"an assessor cannot take this step")
	f.ok(day(3, 10), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.officer2), workflows.StageAssessment)
	f.refused(day(3, 11), workflows.UpdateAssess, svcAssess(f.assessor3, 4), workflows.RefusalForbidden, "", "you are not on this application's panel")
	f.refused(day(3, 12), workflows.UpdateAssess, svcAssess(f.applicant, 4), workflows.RefusalForbidden, "", "an applicant cannot take this step")
	f.ok(day(9, 10), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.ok(day(10, 10), workflows.UpdateAssess, svcAssess(f.officer2, 4), workflows.StageModeration)
	f.refused(day(11, 9), workflows.UpdateModerate, f.svcModerate(f.officer2), workflows.RefusalForbidden, "", "a panel member cannot moderate the panel")
	tooMuch := f.svcModerate(f.officer)
	tooMuch.Years = svcYears(2026, 120000, 130000, 120000)
	f.refused(day(11, 9), workflows.UpdateModerate, tooMuch, workflows.RefusalInvalid, "years[1].amount_pence", "£130,000.00 is more than the £120,000.00 requested for 2027-28")
	f.ok(day(11, 10), workflows.UpdateModerate, f.svcModerate(f.officer), workflows.StageDecision)
	f.refused(day(12, 9), workflows.UpdateDecide, svcApprove(f.officer), workflows.RefusalForbidden, "", "you recommended this award, so someone else must decide it")
	f.refused(day(12, 9), workflows.UpdateDecide, svcApprove(f.officer2), workflows.RefusalForbidden, "", "you sat on the panel, so someone else must decide it")
	f.refused(day(12, 9), workflows.UpdateDecide, svcApprove(f.officer3), workflows.RefusalForbidden, "",
		"£360,000.00 needs approval by the Police and Crime Commissioner (band over £100,000.00); a Commissioning officer may approve up to £5,000.00")
	f.refused(day(12, 9), workflows.UpdateDecide, svcApprove(f.head), workflows.RefusalForbidden, "", "a Head of commissioning may approve up to £100,000.00")
	f.refused(day(12, 9), workflows.UpdateDecide, svcApprove(f.assessor3), workflows.RefusalForbidden, "", "an assessor cannot take this step")
	f.ok(day(12, 10), workflows.UpdateDecide, svcApprove(f.commissioner), workflows.StageOffered)
	f.refused(day(13, 10), workflows.UpdateAcceptOffer, workflows.AcceptOfferRequest{Actor: f.outsider}, workflows.RefusalForbidden, "",
		"only a member of the applicant organisation can take this step")
	f.ok(day(16, 10), workflows.UpdateAcceptOffer, workflows.AcceptOfferRequest{Actor: f.applicant}, workflows.StageAccepted)
	f.ok(day(18, 10), workflows.UpdateConfirmConditions, workflows.ConfirmConditionsRequest{Actor: f.officer2}, workflows.StageActive)

	var lines int
	f.at(day(18, 11), func() { lines = len(f.timeline()) })
	pay := func(a workflows.Actor, no int) workflows.RecordTranchePaymentRequest {
		return workflows.RecordTranchePaymentRequest{Actor: a, Tranche: no, Amount: money.Pounds(30000), PaidOn: day(20, 0), Reference: "BACS-0001"}
	}
	f.refused(day(20, 10), workflows.UpdateRecordTranche, pay(f.finance, 1), workflows.RefusalStage, "tranche", "tranche 1 has not been released for payment (scheduled)")
	f.refused(day(20, 11), workflows.UpdateRecordTranche, pay(f.finance, 13), workflows.RefusalInvalid, "tranche", "there is no tranche 13")
	f.refused(day(20, 12), workflows.UpdateRecordTranche, pay(f.officer, 1), workflows.RefusalForbidden, "", "only finance may record payments")
	f.refused(day(21, 10), workflows.UpdateSubmitReturn, svcReturn(f.applicant, workflows.Quarter{FY: 2029, Q: 1}), workflows.RefusalInvalid, "quarter",
		"Q1 2029-30 is not a quarter of this award")
	f.refused(day(21, 11), workflows.UpdateSubmitReturn, svcReturn(f.applicant, workflows.Quarter{FY: 2026, Q: 1}), workflows.RefusalStage, "quarter",
		"the Q1 2026-27 return can be sent from two weeks before the quarter ends")
	f.refused(day(21, 12), workflows.UpdateSubmitReturn, svcReturn(f.outsider, workflows.Quarter{FY: 2026, Q: 1}), workflows.RefusalForbidden, "",
		"only a member of the applicant organisation can take this step")
	f.refused(day(22, 10), workflows.UpdateReviewReturn, svcReview(f.officer, workflows.Quarter{FY: 2026, Q: 1}, workflows.RAGGreen), workflows.RefusalStage, "quarter",
		"the Q1 2026-27 return is not awaiting review (awaiting)")
	f.refused(day(22, 11), workflows.UpdateReviewReturn, svcReview(f.officer, workflows.Quarter{FY: 2030, Q: 2}, workflows.RAGGreen), workflows.RefusalInvalid, "quarter",
		"Q2 2030-31 is not a quarter of this award")
	f.refused(day(22, 12), workflows.UpdateSubmitFinalReport, svcFinalReport(f.applicant, 0), workflows.RefusalStage, "",
		"cannot submit the final report while the application is active")
	f.refused(day(23, 10), workflows.UpdateVary, workflows.VaryRequest{Actor: f.commissioner, Years: svcYears(2026, 120000, 120000, 120000, 120000, 120000, 120000),
		Conditions: []string{"x"}, Summary: "Six years."}, workflows.RefusalInvalid, "years", "give an amount for each of 1 to 5 financial years")
	f.refused(day(23, 11), workflows.UpdateVary, workflows.VaryRequest{Actor: f.commissioner, Years: f.years}, workflows.RefusalInvalid, "summary",
		"say what the variation changes and why")
	f.at(day(24, 10), func() {
		if n := len(f.timeline()); n != lines {
			t.Errorf("%d timeline lines after the refused steps; want %d: a refusal records nothing", n, lines)
		}
		for _, x := range f.tranches() {
			if x.Status != workflows.TrancheScheduled {
				t.Errorf("tranche %d is %s before its date; want scheduled", x.No, x.Status)
			}
		}
		if p, err := f.s.Payments(f.ctx, f.award().ID); err != nil || len(p) != 0 {
			t.Errorf("payments %+v (%v); want none", p, err)
		}
	})

	next := f.drive(london(2026, time.April, 1, 0, 0)) // stop at the first year end
	f.settle(next)

	if next.Stage != workflows.StageActive || next.Run != 1 || !next.Award.ConditionsMet || next.Tranches[0].Status != workflows.TrancheReleased {
		t.Errorf("state carried into 2026-27: stage %q, run %d, award %+v, tranche 1 %+v; want active with tranche 1 released at the year end",
			next.Stage, next.Run, next.Award, next.Tranches[0])
	}
	if !slices.Equal(next.Barred, nil) {
		t.Errorf("barred %v; nobody declared a conflict", next.Barred)
	}
}

// ---- The year end while a decision is pending ----

// An application decided after 31 March must not spin at the year end, and its first run rolls over
// at the end of the year its delivery starts in. A tranche whose date passed before the conditions
// precedent were met is held, then released when they are confirmed.
func TestServiceDecidedAfterTheYearEndRollsOverAtTheNextOne(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	q := func(n int) workflows.Quarter { return workflows.Quarter{FY: 2026, Q: n} }
	deadline := endOfLondonDay(2026, time.March, 20)
	f.ok(london(2026, time.March, 2, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.assessor3), workflows.StageAssessment)
	f.ok(london(2026, time.March, 19, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.ok(london(2026, time.March, 24, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor3, 4), workflows.StageModeration)
	// The agreement starts on the day it is decided, 10 April (Q1, so the whole first year).
	moderate := f.svcModerate(f.officer)
	moderate.StartDate = london(2026, time.April, 10, 0, 0)
	f.ok(london(2026, time.March, 30, 10, 0), workflows.UpdateModerate, moderate, workflows.StageDecision)
	f.ok(london(2026, time.April, 10, 10, 0), workflows.UpdateDecide, svcApprove(f.commissioner), workflows.StageOffered)
	f.ok(london(2026, time.April, 15, 10, 0), workflows.UpdateAcceptOffer, workflows.AcceptOfferRequest{Actor: f.applicant}, workflows.StageAccepted)
	f.at(london(2026, time.April, 15, 11, 0), func() {
		if x := f.tranche(1); x.Status != workflows.TrancheHeld || x.HeldReason != "the conditions precedent have not been confirmed as met" {
			t.Errorf("tranche 1, due on 10 April, once the offer is accepted: %+v; want held for the conditions precedent", x)
		}
	})
	f.ok(london(2026, time.April, 20, 10, 0), workflows.UpdateConfirmConditions, workflows.ConfirmConditionsRequest{Actor: f.officer2}, workflows.StageActive)
	f.at(london(2026, time.April, 20, 11, 0), func() {
		if x := f.tranche(1); x.Status != workflows.TrancheReleased || x.ReleasedAt == nil || !x.ReleasedAt.Equal(london(2026, time.April, 20, 10, 0)) {
			t.Errorf("tranche 1 once the conditions are confirmed: %+v; want released then", x)
		}
	})
	f.pay(london(2026, time.April, 21, 10, 0), 1)
	f.ok(svcDay(q(1).End(), -10, 10), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q(1)), "")
	f.ok(svcDay(q(1).End(), -7, 10), workflows.UpdateReviewReturn, svcReview(f.officer2, q(1), workflows.RAGGreen), "")
	for n := 2; n <= 4; n++ {
		f.onTime(q(n), 2026, workflows.RAGGreen)
	}

	next := f.drive(london(2027, time.April, 1, 0, 0))
	f.settle(next)

	// The first run may roll over when the award is accepted in 2026-27 or at that year's end; either
	// way a run delivering 2026-27 ends on 1 April 2027 (drive checks each boundary).
	for _, r := range f.runs {
		t.Log(r)
	}
	if last := f.runs[len(f.runs)-1]; !last.End.Equal(london(2027, time.April, 1, 0, 0)) || len(f.runs) > 2 {
		t.Errorf("%d runs, the last %s; want one or two, the last ending on 1 April 2027", len(f.runs), last)
	}
	if next.Stage != workflows.StageActive || next.Award.Paid != money.Pounds(120000) || next.Tranches[4].Status != workflows.TrancheReleased {
		t.Errorf("state carried into 2027-28: stage %q, paid %s, tranche 5 %+v", next.Stage, next.Award.Paid, next.Tranches[4])
	}
}

// ---- History length: a five-year award ----

func TestServiceFiveYearAwardStaysWellUnderTheHistoryLimitEachRun(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{years: svcYears(2026, 100000, 100000, 100000, 100000, 100000)})
	f.toActive(f.commissioner)
	for fy := 2026; fy <= 2030; fy++ {
		for n := 1; n <= 4; n++ {
			f.onTime(workflows.Quarter{FY: fy, Q: n}, 2026, workflows.RAGGreen)
		}
	}
	f.ok(london(2031, time.March, 27, 10, 0), workflows.UpdateSubmitFinalReport, svcFinalReport(f.applicant, money.Pounds(500000)), workflows.StageFinalSubmitted)
	f.ok(london(2031, time.March, 28, 10, 0), workflows.UpdateReviewFinalReport, reviewReq(f.officer2, workflows.ReviewAccept, ""), workflows.StageClosed)

	final := f.drive(time.Time{})
	f.settle(final) // holds each run to under half of svcEventLimit

	if final.Stage != workflows.StageClosed || final.Award.Paid != money.Pounds(500000) || len(f.runs) != 6 {
		t.Errorf("stage %q, paid %s over %d runs; want closed, £500,000.00, 6 runs", final.Stage, final.Award.Paid, len(f.runs))
	}
	most := 0
	for _, r := range f.runs {
		t.Log(r)
		most = max(most, r.EstimatedEvents())
	}
	t.Logf("largest run: about %d events (limit %d)", most, svcEventLimit)
	if n := f.paymentNotices(); len(n) != 20 {
		t.Errorf("%d payment notices; want 20", len(n))
	}
}

// ---- Panel deadlines ----

func TestServicePanelDeadlineRemindsTheAssessorAndEscalatesToTheOfficer(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	deadline := endOfLondonDay(2026, time.March, 20)
	f.ok(london(2026, time.March, 2, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.assessor3), workflows.StageAssessment)
	f.ok(london(2026, time.March, 16, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.at(london(2026, time.March, 21, 9, 0), func() {
		// The one who scored in time gets nothing; the other is reminded three days before the
		// deadline, and the officer is told when it passes.
		reminders := f.notifications("reminder")
		if len(reminders) != 1 || reminders[0].Audience != fmt.Sprintf("user:%d", f.assessor3.UserID) ||
			!reminders[0].CreatedAt.Equal(deadline.AddDate(0, 0, -3)) || !strings.Contains(reminders[0].Message, "due by 20 March 2026") {
			t.Errorf("reminders %+v; want one to %s at %v", reminders, f.assessor3.Name, deadline.AddDate(0, 0, -3))
		}
		escalations := f.notifications("escalation")
		if len(escalations) != 1 || escalations[0].Audience != "officer" || !escalations[0].CreatedAt.Equal(deadline) ||
			!strings.Contains(escalations[0].Message, f.assessor3.Name+" has not scored") {
			t.Errorf("escalations %+v; want one to officers at %v naming %s", escalations, deadline, f.assessor3.Name)
		}
		f.wantStage(workflows.StageAssessment)
	})
	f.ok(london(2026, time.March, 24, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor3, 4), workflows.StageModeration)
	f.ok(london(2026, time.March, 25, 10, 0), workflows.UpdateModerate, f.svcModerate(f.officer), workflows.StageDecision)
	f.ok(london(2026, time.March, 26, 10, 0), workflows.UpdateDecide, workflows.ServiceDecideRequest{Actor: f.commissioner, NoConflict: true,
		Outcome: workflows.OutcomeDecline, Declined: []string{"The budget is committed to services already running."}}, workflows.StageDeclined)

	final := f.drive(time.Time{})
	f.settle(final)
	if final.Stage != workflows.StageDeclined {
		t.Errorf("ended at %q; want declined", final.Stage)
	}
}
