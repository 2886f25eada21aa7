package workflows_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/activities"
	"grantflow/money"
	"grantflow/store"
	"grantflow/workflows"
)

// Closure under version marker closure-reconciliation: a one-year award (£120,000 for 2026-27,
// four tranches of £30,000) paid its first tranche, then ended early by the Commissioner, so the
// final report falls due within the first quarter of delivery.

// closureTo ends the award at ended after tranche 1 is paid, and the provider reports spent.
func closureTo(t *testing.T, ended time.Time, spent money.Pence, q1Accepted bool) *svcFixture {
	t.Helper()
	f := newSvc(t, svcCase{years: svcYears(2026, 120000)})
	q1 := workflows.Quarter{FY: 2026, Q: 1}
	f.toActive(f.commissioner)
	f.pay(london(2026, time.April, 3, 10, 0), 1)
	if q1Accepted {
		f.ok(svcDay(q1.End(), -10, 10), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q1), workflows.StageActive)
		f.ok(svcDay(q1.End(), -7, 10), workflows.UpdateReviewReturn, svcReview(f.officer2, q1, workflows.RAGGreen), workflows.StageActive)
	}
	f.ok(ended, workflows.UpdateTerminate, workflows.TerminateRequest{Actor: f.commissioner, Reason: "The hospital trust ended the data-sharing agreement."},
		workflows.StageFinalReport)
	f.ok(ended.Add(24*time.Hour), workflows.UpdateSubmitFinalReport, svcFinalReport(f.applicant, spent), workflows.StageFinalSubmitted)
	return f
}

func repayment(a workflows.Actor, pounds int64, on time.Time, ref string) workflows.RecordRepaymentRequest {
	return workflows.RecordRepaymentRequest{Actor: a, Amount: money.Pounds(pounds), ReceivedOn: on, Reference: ref}
}

func (f *svcFixture) recoveryNotices() []store.FinanceNotice { return f.financeNotices("recovery") }

func TestServiceClosureRecoversTheUnderspendBeforeClosing(t *testing.T) {
	t.Parallel()
	f := closureTo(t, london(2026, time.June, 25, 10, 0), money.Pounds(20000), true)
	f.ok(london(2026, time.June, 29, 10, 0), workflows.UpdateReviewFinalReport, reviewReq(f.officer2, workflows.ReviewAccept, "Clear account of the quarter."),
		workflows.StageRecovery)
	f.at(london(2026, time.June, 29, 11, 0), func() {
		st := f.wantStage(workflows.StageRecovery)
		due := endOfLondonDay(2026, time.July, 29) // the scheme's default 30 days
		rec := st.Recovery
		if rec == nil || rec.Owed != money.Pounds(10000) || rec.Repaid != 0 || !rec.DueBy.Equal(due) || !strings.HasSuffix(rec.Reference, "-REC") {
			t.Fatalf("recovery %+v; want £10,000.00 owed by %v", rec, due)
		}
		notices := f.recoveryNotices()
		if len(notices) != 1 || notices[0].Amount != money.Pounds(10000) || notices[0].Reference != rec.Reference || notices[0].CostCentre != "OPCC-CSF-4420" {
			t.Errorf("recovery notices %+v; want one of £10,000.00 as %s", notices, rec.Reference)
		}
		f.wantText(f.document(activities.KindRecoveryNotice, 1), rec.Reference, st.Award.Reference, "£10,000.00", "29 July 2026", "OPCC-CSF-4420", "Riverside")
		f.wantText(f.document(activities.KindRepaymentLetter, 1), "Please repay £10,000.00 by 29 July 2026", rec.Reference, "£20,000.00 spent")
		if e := f.event("Underspend of £10,000.00 to be repaid by 29 July 2026: recovery notice sent to finance"); e.ActorUserID == nil || *e.ActorUserID != f.officer2.UserID {
			t.Errorf("recovery event %+v; want it Orla's", e)
		}
		if n := f.notifications("repayment_due"); len(n) != 1 || n[0].Audience != "applicant" || !strings.Contains(n[0].Message, "please repay it by 29 July 2026") {
			t.Errorf("repayment notifications %+v", n)
		}
		if got := f.committed(2026); got != money.Pounds(30000) {
			t.Errorf("2026-27 committed %s while the underspend is owed; want £30,000.00 (what was paid, nothing credited yet)", got)
		}
		if a := f.award(); a.Status != "recovery" || a.ClosedAt != nil || a.Underspend == nil || *a.Underspend != money.Pounds(10000) {
			t.Errorf("award in recovery %+v", a)
		}
	})
	f.refused(london(2026, time.July, 1, 10, 0), workflows.UpdateRecordRepayment, repayment(f.finance, 10001, london(2026, time.July, 1, 0, 0), "RTN-1"),
		workflows.RefusalInvalid, "amount_pence", "£10,001.00 is more than the £10,000.00 still owed")
	f.refused(london(2026, time.July, 1, 10, 5), workflows.UpdateRecordRepayment, repayment(f.applicant, 4000, london(2026, time.July, 1, 0, 0), "RTN-1"),
		workflows.RefusalForbidden, "", "only finance may record payments")
	f.refused(london(2026, time.July, 1, 10, 10), workflows.UpdateRecordRepayment, repayment(f.finance, 4000, london(2026, time.July, 9, 0, 0), "RTN-1"),
		workflows.RefusalInvalid, "received_on", "cannot be in the future")
	f.ok(london(2026, time.July, 2, 10, 0), workflows.UpdateRecordRepayment, repayment(f.finance, 4000, london(2026, time.July, 1, 0, 0), "RTN-1"), workflows.StageRecovery)
	f.at(london(2026, time.July, 2, 11, 0), func() {
		st := f.wantStage(workflows.StageRecovery)
		if st.Recovery.Repaid != money.Pounds(4000) || st.Recovery.Outstanding() != money.Pounds(6000) {
			t.Errorf("after a part repayment %+v; want £4,000.00 repaid, £6,000.00 owed", st.Recovery)
		}
		if got := f.committed(2026); got != money.Pounds(30000) {
			t.Errorf("2026-27 committed %s after a part repayment; want £30,000.00: the budget is credited only when the whole is repaid", got)
		}
		f.event("Repayment of £4,000.00 received: £6,000.00 still owed")
	})
	f.refused(london(2026, time.July, 10, 9, 0), workflows.UpdateRecordRepayment, repayment(f.finance, 7000, london(2026, time.July, 10, 0, 0), "RTN-2"),
		workflows.RefusalInvalid, "amount_pence", "£7,000.00 is more than the £6,000.00 still owed")
	f.ok(london(2026, time.July, 10, 10, 0), workflows.UpdateRecordRepayment, repayment(f.finance, 6000, london(2026, time.July, 10, 0, 0), "RTN-2"), workflows.StageClosed)

	final := f.drive(time.Time{})
	f.settle(final)
	if final.Stage != workflows.StageClosed || final.Recovery.Repaid != money.Pounds(10000) || final.Recovery.Outstanding() != 0 {
		t.Errorf("final state: stage %q, recovery %+v", final.Stage, final.Recovery)
	}
	if got := f.committed(2026); got != money.Pounds(20000) {
		t.Errorf("2026-27 committed %s after full repayment; want £20,000.00 (paid £30,000.00 less the £10,000.00 repaid)", got)
	}
	a := f.award()
	if a.Status != "closed" || a.ClosedAt == nil || !a.ClosedAt.Equal(london(2026, time.July, 10, 10, 0)) || *a.Spent != money.Pounds(20000) || *a.Underspend != money.Pounds(10000) {
		t.Errorf("award at closure %+v", a)
	}
	if e := f.event("Grant reconciled and closed"); e.Why != "Awarded £30,000.00, paid £30,000.00, spent £20,000.00; underspend £10,000.00 repaid and returned to the budget." {
		t.Errorf("closing event %+v", e)
	}
	repaid, err := f.s.Repayments(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(repaid) != 2 || repaid[0].Amount != money.Pounds(4000) || repaid[1].Reference != "RTN-2" || repaid[1].RecordedBy != f.finance.UserID {
		t.Errorf("repayments %+v", repaid)
	}
	if n := f.recoveryNotices(); len(n) != 1 {
		t.Errorf("%d recovery notices at the end; want 1", len(n))
	}
	var whats []string
	for _, e := range f.timeline() {
		whats = append(whats, e.What)
	}
	want := []string{"Final report accepted", "Underspend of £10,000.00 to be repaid by 29 July 2026: recovery notice sent to finance",
		"Repayment of £4,000.00 received: £6,000.00 still owed", "Underspend repaid in full: £6,000.00 received", "Grant reconciled and closed"}
	if i := slices.Index(whats, want[0]); i < 0 || !slices.Equal(whats[i:], want) {
		t.Errorf("timeline ends %q; want %q", whats, want)
	}
}

func TestServiceClosureRefusesMissingReturnsUntilWaivedAndWritesOffWithinBand(t *testing.T) {
	t.Parallel()
	q1, q2 := workflows.Quarter{FY: 2026, Q: 1}, workflows.Quarter{FY: 2026, Q: 2}
	f := closureTo(t, london(2026, time.May, 12, 10, 0), money.Pounds(24000), false)
	accept := reviewReq(f.officer2, workflows.ReviewAccept, "")
	f.refused(london(2026, time.May, 14, 10, 0), workflows.UpdateReviewFinalReport, accept,
		workflows.RefusalStage, "", "the grant cannot close while monitoring returns are missing: Q1 2026-27 (awaiting)")
	waive := func(a workflows.Actor, reason string, qs ...workflows.Quarter) workflows.WaiveReturnsRequest {
		return workflows.WaiveReturnsRequest{Actor: a, Quarters: qs, Reason: reason}
	}
	const why = "The service stopped six weeks into the quarter; the final report covers it."
	f.refused(london(2026, time.May, 14, 10, 5), workflows.UpdateWaiveReturns, waive(f.officer2, why, q1),
		workflows.RefusalForbidden, "", "only the head of commissioning may waive missing monitoring returns")
	f.refused(london(2026, time.May, 14, 10, 6), workflows.UpdateWaiveReturns, waive(f.commissioner, why, q1),
		workflows.RefusalForbidden, "", "only the head of commissioning may waive")
	f.refused(london(2026, time.May, 14, 10, 10), workflows.UpdateWaiveReturns, waive(f.head, "", q1),
		workflows.RefusalInvalid, "reason", "say why")
	f.refused(london(2026, time.May, 14, 10, 15), workflows.UpdateWaiveReturns, waive(f.head, why, q1, q2),
		workflows.RefusalInvalid, "quarters[1]", "the Q2 2026-27 return is not missing (not required)")
	f.ok(london(2026, time.May, 15, 10, 0), workflows.UpdateWaiveReturns, waive(f.head, why, q1), workflows.StageFinalSubmitted)
	f.at(london(2026, time.May, 15, 11, 0), func() {
		st := f.wantStage(workflows.StageFinalSubmitted)
		if st.Returns[0].Status != workflows.ReturnWaived || st.Returns[1].Status != workflows.ReturnNotRequired {
			t.Errorf("returns after the waiver %+v", st.Returns)
		}
		e := f.event("Monitoring returns waived: Q1 2026-27")
		if e.Why != why || e.ActorUserID == nil || *e.ActorUserID != f.head.UserID {
			t.Errorf("waiver event %+v; want the head's, with the reason", e)
		}
		waivers, err := f.s.ReturnWaivers(f.ctx, f.in.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(waivers) != 1 || waivers[0].FinancialYear != 2026 || waivers[0].Quarter != 1 || waivers[0].Reason != why || waivers[0].WaivedBy != f.head.UserID {
			t.Errorf("waivers %+v", waivers)
		}
	})
	// A repeat of the waiver (its answer lost to a crash) is told it was taken, not that the return is fine.
	f.refused(london(2026, time.May, 15, 12, 0), workflows.UpdateWaiveReturns, waive(f.head, why, q1),
		workflows.RefusalInvalid, "quarters[0]", "the Q1 2026-27 return has already been waived")
	f.ok(london(2026, time.May, 16, 10, 0), workflows.UpdateReviewFinalReport, accept, workflows.StageRecovery)
	// £6,000.00 owed is above the officer's £5,000.00 band; a part repayment brings it within it.
	writeOff := workflows.WriteOffRequest{Actor: f.officer2, Reason: "The provider has closed and has no assets left."}
	f.refused(london(2026, time.May, 18, 10, 0), workflows.UpdateWriteOff, writeOff,
		workflows.RefusalForbidden, "", "£6,000.00 needs approval by the Head of commissioning")
	f.refused(london(2026, time.May, 18, 10, 5), workflows.UpdateWriteOff, workflows.WriteOffRequest{Actor: f.head},
		workflows.RefusalInvalid, "reason", "say why the amount owed is written off")
	f.ok(london(2026, time.June, 1, 10, 0), workflows.UpdateRecordRepayment, repayment(f.finance, 1000, london(2026, time.June, 1, 0, 0), "RTN-1"), workflows.StageRecovery)
	f.at(london(2026, time.June, 16, 10, 0), func() {
		st := f.wantStage(workflows.StageRecovery)
		if !st.Recovery.Overdue {
			t.Errorf("recovery %+v the day after it was due; want overdue", st.Recovery)
		}
		if e := f.event("Repayment overdue"); e.Why != "£5,000.00 of £6,000.00 was due by 15 June 2026." || !e.At.Equal(endOfLondonDay(2026, time.June, 15)) {
			t.Errorf("overdue event %+v", e)
		}
		if n := f.notifications("escalation"); len(n) == 0 || n[len(n)-1].Audience != "officer" || !strings.Contains(n[len(n)-1].Message, "£5,000.00 of the underspend") {
			t.Errorf("escalations %+v; want the officer told the repayment is overdue", n)
		}
	})
	f.ok(london(2026, time.June, 20, 10, 0), workflows.UpdateWriteOff, writeOff, workflows.StageClosed)

	final := f.drive(time.Time{})
	f.settle(final)
	if final.Stage != workflows.StageClosed || final.Recovery.WrittenOff != money.Pounds(5000) || final.Recovery.Repaid != money.Pounds(1000) {
		t.Errorf("final state: stage %q, recovery %+v", final.Stage, final.Recovery)
	}
	if got := f.committed(2026); got != money.Pounds(29000) {
		t.Errorf("2026-27 committed %s after the write-off; want £29,000.00 (only the £1,000.00 repaid credited)", got)
	}
	if e := f.event("Grant reconciled and closed"); e.Why != "Awarded £30,000.00, paid £30,000.00, spent £24,000.00; underspend £6,000.00: £1,000.00 repaid and returned to the budget, £5,000.00 written off by Orla Officer." {
		t.Errorf("closing event %+v", e)
	}
	rec, err := f.s.RecoveryFor(f.ctx, f.in.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.WrittenOff == nil || *rec.WrittenOff != money.Pounds(5000) || rec.WrittenOffBy == nil || *rec.WrittenOffBy != f.officer2.UserID || rec.WriteOffReason != writeOff.Reason {
		t.Errorf("stored recovery %+v", rec)
	}
}

// With nothing underspent the grant closes on acceptance, as it always did.
func TestServiceClosureWithoutUnderspendClosesAtOnce(t *testing.T) {
	t.Parallel()
	f := closureTo(t, london(2026, time.June, 25, 10, 0), money.Pounds(30000), true)
	f.ok(london(2026, time.June, 29, 10, 0), workflows.UpdateReviewFinalReport, reviewReq(f.officer2, workflows.ReviewAccept, ""), workflows.StageClosed)
	final := f.drive(time.Time{})
	f.settle(final)
	if final.Recovery != nil || len(f.recoveryNotices()) != 0 {
		t.Errorf("recovery %+v, notices %+v; want none", final.Recovery, f.recoveryNotices())
	}
	if e := f.event("Grant reconciled and closed"); e.Why != "Awarded £30,000.00, paid £30,000.00, spent £30,000.00; underspend £0.00 returned to the budget." {
		t.Errorf("closing event %+v", e)
	}
	if got := f.committed(2026); got != money.Pounds(30000) {
		t.Errorf("2026-27 committed %s; want £30,000.00", got)
	}
}
