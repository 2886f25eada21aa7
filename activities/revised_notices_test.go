package activities_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/money"
	"grantflow/store"
)

// revisedNotices lists the application's notices of one kind.
func (f *serviceFixture) noticesOf(t *testing.T, kind string) []store.FinanceNotice {
	t.Helper()
	all, err := f.st.FinanceNotices(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.FinanceNotice
	for _, n := range all {
		if n.ApplicationID == f.appID && n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// cancelledTranches is tranches from..to of the standard schedule, as the workflow lists those a
// change cancelled.
func (f *serviceFixture) cancelledTranches(from, to int) []activities.ScheduledPayment {
	var out []activities.ScheduledPayment
	for _, tr := range schedule(f.years())[from-1 : to] {
		out = append(out, activities.ScheduledPayment{No: tr.No, Quarter: quarterLabel(tr.FinancialYear, tr.Quarter),
			Due: quarterStart(tr.FinancialYear, tr.Quarter), Amount: tr.Amount})
	}
	return out
}

// TestIssueRevisedFinanceNoticeRetrySendsOneNoticeForEachChange: the award (£40,000.00 in each of
// two years, its first tranche paid) is varied to the first year only, then ended early. Each
// change's notice, retried, is sent once, says what changed and what was cancelled, and the
// ended award's figures are as it now stands.
func TestIssueRevisedFinanceNoticeRetrySendsOneNoticeForEachChange(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	award := f.serviceAward(t)
	f.payFirstTranche(t, award)
	ref := activities.AwardReference(f.scheme.Rules.Code, f.fy, f.appID)

	// Version 2: the second year is no longer funded, so its four tranches are cancelled.
	vary := f.varyInput(award, []grant.YearAmount{{FinancialYear: f.fy, Amount: yearAmount}})
	vary.Tranches = schedule(f.years())
	for i := 4; i < 8; i++ {
		vary.Tranches[i].Status = "cancelled"
	}
	once(t, f.exec("vary-2"), f.awards, f.awards.Vary, vary)
	varied := f.exec("notice-2")
	in := activities.RevisedNoticeInput{Step: f.stepBy(f.head, "Revised finance award notice sent (version 2)", ref+"-FN2", "variation_offered"),
		Version: 2, Reason: "The service is not commissioned for a second year.", Previous: f.years(), Cancelled: f.cancelledTranches(5, 8)}
	first, second := results[activities.DocumentResult](t, retried(t, varied, f.documents, f.documents.IssueRevisedFinanceNotice, in))
	if first.DocumentID == 0 || second != first {
		t.Fatalf("attempts returned %+v then %+v, want the same notice twice", first, second)
	}
	f.wantEvents(t, 5, varied) // approval, release, payment, variation, notice
	notices := f.noticesOf(t, store.NoticeVariation)
	if len(notices) != 1 {
		t.Fatalf("%d variation notices, want 1: %+v", len(notices), notices)
	}
	n := notices[0]
	if n.Reference != ref+"-FN2" || n.Seq != 2 || n.Amount != yearAmount || n.PreviousAmount == nil || *n.PreviousAmount != 2*yearAmount || n.DocumentID != first.DocumentID {
		t.Errorf("variation notice %+v, want %s-FN2 for version 2: %s now, %s before", n, ref, yearAmount, 2*yearAmount)
	}
	var changes []store.NoticeChange
	if err := json.Unmarshal(n.Changes, &changes); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(changes); got != fmt.Sprintf("[{%d 2026-27 %v %v} {%d 2027-28 %v £0.00}]", f.fy, yearAmount, yearAmount, f.fy+1, yearAmount) {
		t.Errorf("changes %s", got)
	}
	var cancelled, scheduled []map[string]any
	if err := json.Unmarshal(n.Cancelled, &cancelled); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(n.Schedule, &scheduled); err != nil {
		t.Fatal(err)
	}
	if len(cancelled) != 4 || cancelled[0]["tranche"] != float64(5) || len(scheduled) != 4 || scheduled[0]["status"] != "paid" {
		t.Errorf("cancelled %v and schedule %v; want tranches 5-8 cancelled and 1-4 scheduled, the first paid", cancelled, scheduled)
	}
	wantText(t, "the revised notice", f.pdfText(t, first.DocumentID), "Revised finance award notice", ref+"-FN2",
		"Amount awarded before £80,000.00", "Amount awarded now £40,000.00", "Cancelled £40,000.00",
		"2027-28 £40,000.00 £0.00 -£40,000.00", "Tranche 1, Q1 2026-27: paid on 2 July 2026", "Tranche 8, Q4 2027-28: cancelled")

	// Ended early, with only the first tranche paid.
	reason := "The provider has stopped running the service."
	once(t, f.exec("terminate"), f.awards, f.awards.CloseAward, activities.CloseAwardInput{
		Step:     f.stepBy(f.head, "Award ended early: future tranches stopped", reason, "final_report"),
		SchemeID: f.scheme.ID, Keep: []grant.YearAmount{{FinancialYear: f.fy, Amount: trancheAmount}}, Terminated: true, Reason: reason})
	ended := f.exec("notice-end")
	end := activities.RevisedNoticeInput{Step: f.stepBy(f.head, "Finance notice sent: award ended early", ref+"-FN-END", "final_report"),
		Reason: reason, Previous: []grant.YearAmount{{FinancialYear: f.fy, Amount: yearAmount}}, Cancelled: f.cancelledTranches(2, 4)}
	first, second = results[activities.DocumentResult](t, retried(t, ended, f.documents, f.documents.IssueRevisedFinanceNotice, end))
	if first.DocumentID == 0 || second != first {
		t.Fatalf("ending: attempts returned %+v then %+v, want the same notice twice", first, second)
	}
	f.wantEvents(t, 7, ended)
	if got := f.noticesOf(t, store.NoticeTermination); len(got) != 1 || got[0].Reference != ref+"-FN-END" || got[0].Amount != trancheAmount ||
		*got[0].PreviousAmount != yearAmount {
		t.Errorf("ending notices %+v, want one, %s-FN-END: %s now, %s before", got, ref, trancheAmount, yearAmount)
	}
	wantText(t, "the ending notice", f.pdfText(t, first.DocumentID), "Finance notice: award ended early", "was ended early on 15 June 2026",
		"Amount awarded now £10,000.00", "Cancelled £30,000.00", "Ended by")

	a := f.awardRow(t)
	endDate, endedOn := time.Date(2026, time.June, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, time.June, 15, 0, 0, 0, 0, time.UTC)
	if a.Amount != trancheAmount || a.Cancelled == nil || *a.Cancelled != yearAmount-trancheAmount || a.EndedEarlyOn == nil || !a.EndedEarlyOn.Equal(endedOn) ||
		a.EndDate == nil || !a.EndDate.Equal(endDate) {
		t.Errorf("ended award: %s, cancelled %v, ended %v, ends %v; want %s, %s cancelled, ended 15 June, ends 30 June 2026",
			a.Amount, a.Cancelled, a.EndedEarlyOn, a.EndDate, trancheAmount, money.Pence(yearAmount-trancheAmount))
	}
	if years, err := f.st.AwardYears(f.ctx, award.AwardID); err != nil || fmt.Sprint(years) != fmt.Sprintf("[{%d %v}]", f.fy, trancheAmount) {
		t.Errorf("award years after the ending %v (%v), want only what was paid", years, err)
	}

	// A notice for a change that does not stand is refused for good, not sent.
	if _, err := attempt(t, f.exec("notice-3"), 1, f.documents, f.documents.IssueRevisedFinanceNotice, activities.RevisedNoticeInput{
		Step: f.stepBy(f.head, "Revised finance award notice sent (version 3)", "", "final_report"), Version: 3, Reason: "x"}); err == nil {
		t.Error("a notice for version 3, which the award never reached, was sent")
	}
}
