package activities_test

import (
	"testing"
	"time"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/money"
)

// recovering pays tranche 1 (£10,000.00), ends the award, and the provider reports £9,000.00 spent.
func (f *serviceFixture) recovering(t *testing.T) (activities.AwardResult, activities.RecoveryInput) {
	t.Helper()
	award := f.serviceAward(t)
	f.payFirstTranche(t, award)
	once(t, f.exec("terminate"), f.awards, f.awards.CloseAward, activities.CloseAwardInput{
		Step:     f.stepBy(f.head, "Award ended early: future tranches stopped", "The provider has stopped running the service.", "final_report"),
		SchemeID: f.scheme.ID, Keep: []grant.YearAmount{{FinancialYear: f.fy, Amount: trancheAmount}}, Terminated: true, Reason: "Stopped."})
	return award, activities.RecoveryInput{
		Step:    f.stepBy(f.officer, "Underspend of £1,000.00 to be repaid: recovery notice sent to finance", "Paid £10,000.00, spent £9,000.00.", "recovery"),
		AwardID: award.AwardID, Reference: award.Reference + "-REC", Awarded: 2 * yearAmount, Paid: trancheAmount, Spent: money.Pounds(9000),
		Due: f.now.AddDate(0, 0, 30),
	}
}

func TestIssueRecoveryNoticeRetrySendsOneNoticeAndOneLetter(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award, in := f.recovering(t)
	issue := f.exec("recovery")
	first, second := results[activities.DocumentResult](t, retried(t, issue, f.documents, f.documents.IssueRecoveryNotice, in))

	if first.DocumentID == 0 || second != first {
		t.Errorf("attempts returned %+v then %+v, want the same letter twice", first, second)
	}
	for _, kind := range []string{activities.KindRecoveryNotice, activities.KindRepaymentLetter} {
		if n := f.documentCount(t, kind); n != 1 {
			t.Errorf("%d %s documents, want 1", n, kind)
		}
	}
	notices, err := f.st.FinanceNotices(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var recovery []int64
	for _, n := range notices {
		if n.Kind == "recovery" {
			recovery = append(recovery, n.ID)
			if n.Amount != money.Pounds(1000) || n.Reference != in.Reference || n.Payee != orgName {
				t.Errorf("recovery notice %+v; want %s owed by %s as %s", n, money.Pounds(1000), orgName, in.Reference)
			}
			wantText(t, "recovery notice", f.pdfText(t, n.DocumentID), in.Reference, award.Reference, "£1,000.00", "Pay to", orgName)
		}
	}
	if len(recovery) != 1 {
		t.Fatalf("%d recovery notices, want 1", len(recovery))
	}
	rec, err := f.st.RecoveryFor(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Amount != money.Pounds(1000) || rec.NoticeID == nil || *rec.NoticeID != recovery[0] || rec.LetterID == nil || *rec.LetterID != first.DocumentID {
		t.Errorf("recovery %+v", rec)
	}
	if a := f.awardRow(t); a.Status != "recovery" || a.Underspend == nil || *a.Underspend != money.Pounds(1000) {
		t.Errorf("award %+v; want in recovery with £1,000.00 underspent", a)
	}
	wantText(t, "repayment letter", f.pdfText(t, first.DocumentID), "Please repay £1,000.00 by", in.Reference)
	if got := f.status(t); got != "recovery" {
		t.Errorf("status = %q, want recovery", got)
	}
}

func TestRecordRepaymentRetryRecordsOnceAndRefusesOverRepayment(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award, in := f.recovering(t)
	once(t, f.exec("recovery"), f.documents, f.documents.IssueRecoveryNotice, in)
	repay := func(seq int, pounds int64) activities.RecordRepaymentInput {
		return activities.RecordRepaymentInput{Step: f.stepBy(f.finance, "Repayment received", "", "recovery"), AwardID: award.AwardID, Seq: seq,
			Amount: money.Pounds(pounds), ReceivedOn: time.Date(2026, time.August, 1, 0, 0, 0, 0, time.UTC), Reference: "RTN-1"}
	}
	retried(t, f.exec("repay-1"), f.awards, f.awards.RecordRepayment, repay(1, 400))
	list, err := f.st.Repayments(f.ctx, award.AwardID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Amount != money.Pounds(400) {
		t.Errorf("repayments %+v after a retried repayment; want one of £400.00", list)
	}
	if _, err := attempt(t, f.exec("repay-2"), 1, f.awards, f.awards.RecordRepayment, repay(2, 601)); err == nil {
		t.Error("a repayment past what is owed was recorded")
	}
	retried(t, f.exec("write-off"), f.awards, f.awards.WriteOff, activities.WriteOffInput{Step: f.stepBy(f.head, "£600.00 owed written off", "Closed down.", "recovery"),
		AwardID: award.AwardID, Amount: money.Pounds(600), Reason: "Closed down."})
	rec, err := f.st.RecoveryFor(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.WrittenOff == nil || *rec.WrittenOff != money.Pounds(600) || rec.WrittenOffBy == nil || *rec.WrittenOffBy != f.head.UserID || rec.WriteOffReason != "Closed down." {
		t.Errorf("recovery after a retried write-off %+v", rec)
	}
	if n := f.count(t, `SELECT count(*) FROM application_events WHERE event_key = $1`, f.exec("write-off").eventKey()); n != 1 {
		t.Errorf("%d write-off events, want 1", n)
	}
}

func TestWaiveReturnsRetryWaivesOnce(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	waive := f.exec("waive")
	retried(t, waive, f.records, f.records.WaiveReturns, activities.WaiveReturnsInput{Step: f.stepBy(f.head, "Monitoring returns waived: Q1 2026-27", "Stopped.", "final_report_submitted"),
		Quarters: [][2]int{{f.fy, 1}, {f.fy, 2}}, Reason: "Stopped."})
	waivers, err := f.st.ReturnWaivers(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(waivers) != 2 || waivers[1].Quarter != 2 || waivers[0].WaivedBy != f.head.UserID || waivers[0].Reason != "Stopped." {
		t.Errorf("waivers %+v", waivers)
	}
	if n := f.count(t, `SELECT count(*) FROM application_events WHERE event_key = $1`, waive.eventKey()); n != 1 {
		t.Errorf("%d waiver events, want 1", n)
	}
}
