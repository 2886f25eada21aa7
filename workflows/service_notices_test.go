package workflows_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"grantflow/activities"
	"grantflow/money"
	"grantflow/store"
	"grantflow/workflows"
)

// noticeRows reads a notice's schedule or cancelled tranches as "tranche:amount[:status]".
func noticeRows(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	var rows []struct {
		Tranche int         `json:"tranche"`
		Amount  money.Pence `json:"amount_pence"`
		Status  string      `json:"status"`
	}
	if err := json.Unmarshal(raw, &rows); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		s := fmt.Sprintf("%d:%s", r.Tranche, r.Amount)
		if r.Status != "" {
			s += ":" + r.Status
		}
		out = append(out, s)
	}
	return out
}

// TestServiceVariationAndEndingEachSendFinanceOneRevisedNotice: a three-year award of £120,000 a
// year, its first two tranches paid, is varied in July 2026 (2027-28 cut to £100,000, 2028-29 no
// longer funded), accepted afresh, then ended early in August. Finance receives one revised notice
// for each change, saying what changed, the schedule now and what was cancelled; the award then
// stands at the £60,000.00 paid, and closure reconciles against that.
func TestServiceVariationAndEndingEachSendFinanceOneRevisedNotice(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	f.toActive(f.commissioner)
	f.onTime(q(2026, 1), 2026, workflows.RAGGreen)
	f.releasedOnTime(q(2026, 2), 2)
	f.pay(london(2026, time.July, 3, 10, 0), 2)
	summary := "The service is not commissioned for 2028-29 and is smaller in 2027-28."
	f.ok(london(2026, time.July, 20, 10, 0), workflows.UpdateVary, workflows.VaryRequest{Actor: f.commissioner, Years: svcYears(2026, 120000, 100000),
		Conditions: f.svcModerate(f.officer).Conditions, Summary: summary}, workflows.StageVariationOffered)
	var ref string
	f.at(london(2026, time.July, 20, 11, 0), func() {
		ref = f.award().Reference
		notices := f.financeNotices(store.NoticeVariation)
		if len(notices) != 1 {
			t.Fatalf("%d revised notices after the variation; want 1", len(notices))
		}
		n := notices[0]
		if n.Reference != ref+"-FN2" || n.Seq != 2 || n.Amount != money.Pounds(220000) || n.PreviousAmount == nil || *n.PreviousAmount != money.Pounds(360000) {
			t.Errorf("revised notice %+v; want %s-FN2, £220,000.00 now, £360,000.00 before", n, ref)
		}
		var changes []store.NoticeChange
		if err := json.Unmarshal(n.Changes, &changes); err != nil {
			t.Fatal(err)
		}
		if got, want := fmt.Sprint(changes), "[{2026 2026-27 £120,000.00 £120,000.00} {2027 2027-28 £120,000.00 £100,000.00} {2028 2028-29 £120,000.00 £0.00}]"; got != want {
			t.Errorf("changes %s; want %s", got, want)
		}
		if got, want := noticeRows(t, n.Schedule), []string{"1:£30,000.00:paid", "2:£30,000.00:paid", "3:£30,000.00:scheduled", "4:£30,000.00:scheduled",
			"5:£25,000.00:scheduled", "6:£25,000.00:scheduled", "7:£25,000.00:scheduled", "8:£25,000.00:scheduled"}; !slices.Equal(got, want) {
			t.Errorf("schedule %q; want %q", got, want)
		}
		if got, want := noticeRows(t, n.Cancelled), []string{"9:£30,000.00", "10:£30,000.00", "11:£30,000.00", "12:£30,000.00"}; !slices.Equal(got, want) {
			t.Errorf("cancelled %q; want %q", got, want)
		}
		f.wantText(f.document(activities.KindRevisedFinanceNotice, 2), "Revised finance award notice", ref+"-FN2", summary,
			"Amount awarded before £360,000.00", "Amount awarded now £220,000.00", "Cancelled £120,000.00")
		// The varied agreement marks what is paid and says what changed.
		f.wantText(f.document(activities.KindGrantAgreement, 2), "What this version changes",
			"2027-28 £120,000.00 £100,000.00 -£20,000.00", "Paid on 3 April 2026", "Paid on 3 July 2026")
		f.event("Revised finance award notice sent (version 2)")
	})
	f.ok(london(2026, time.July, 22, 10, 0), workflows.UpdateAcceptVariation, workflows.AcceptVariationRequest{Actor: f.applicant, Version: 2}, workflows.StageActive)
	reason := "The hospital trust ended the data-sharing agreement."
	f.ok(london(2026, time.August, 10, 10, 0), workflows.UpdateTerminate, workflows.TerminateRequest{Actor: f.commissioner, Reason: reason},
		workflows.StageFinalReport)
	f.at(london(2026, time.August, 10, 11, 0), func() {
		st := f.wantStage(workflows.StageFinalReport)
		if got, want := st.Award.Years, svcYears(2026, 60000, 0); !slices.Equal(got, want) {
			t.Errorf("the workflow's award years after the ending %+v; want %+v (what was paid)", got, want)
		}
		notices := f.financeNotices(store.NoticeTermination)
		if len(notices) != 1 {
			t.Fatalf("%d ending notices; want 1", len(notices))
		}
		n := notices[0]
		if n.Reference != ref+"-FN-END" || n.Amount != money.Pounds(60000) || *n.PreviousAmount != money.Pounds(220000) {
			t.Errorf("ending notice %+v; want %s-FN-END, £60,000.00 now, £220,000.00 before", n, ref)
		}
		if got, want := noticeRows(t, n.Cancelled), []string{"3:£30,000.00", "4:£30,000.00", "5:£25,000.00", "6:£25,000.00", "7:£25,000.00", "8:£25,000.00"}; !slices.Equal(got, want) {
			t.Errorf("cancelled by the ending %q; want %q", got, want)
		}
		if got := noticeRows(t, n.Schedule); !slices.Equal(got, []string{"1:£30,000.00:paid", "2:£30,000.00:paid"}) {
			t.Errorf("schedule after the ending %q; want the two tranches paid", got)
		}
		f.wantText(f.document(activities.KindFinanceEndingNotice, 1), "Finance notice: award ended early", "was ended early on 10 August 2026", reason)
		a := f.award()
		if a.Amount != money.Pounds(60000) || a.Cancelled == nil || *a.Cancelled != money.Pounds(160000) ||
			a.EndedEarlyOn == nil || a.EndedEarlyOn.Format(time.DateOnly) != "2026-08-10" || a.EndDate == nil || a.EndDate.Format(time.DateOnly) != "2026-09-30" {
			t.Errorf("ended award %s, cancelled %v, ended %v, ends %v; want £60,000.00, £160,000.00 cancelled, ended 10 August, ends 30 September 2026",
				a.Amount, a.Cancelled, a.EndedEarlyOn, a.EndDate)
		}
		f.event("Finance notice sent: award ended early")
		if len(f.financeNotices(store.NoticeVariation)) != 1 {
			t.Error("the ending sent another variation notice")
		}
	})
	f.ok(london(2026, time.August, 20, 10, 0), workflows.UpdateSubmitFinalReport, svcFinalReport(f.applicant, money.Pounds(55000)), workflows.StageFinalSubmitted)
	// The quarter the award ended in still owes its return, so closing needs the head's waiver; the
	// £5,000.00 underspend is then owed back before the grant closes.
	f.ok(london(2026, time.August, 21, 10, 0), workflows.UpdateWaiveReturns, workflows.WaiveReturnsRequest{Actor: f.head,
		Quarters: []workflows.Quarter{q(2026, 2)}, Reason: "The service ended in August; the final report covers its last weeks."},
		workflows.StageFinalSubmitted)
	f.ok(london(2026, time.August, 22, 10, 0), workflows.UpdateReviewFinalReport, reviewReq(f.officer, workflows.ReviewAccept, ""), workflows.StageRecovery)
	f.ok(london(2026, time.August, 28, 10, 0), workflows.UpdateRecordRepayment, workflows.RecordRepaymentRequest{Actor: f.finance, Amount: money.Pounds(5000),
		ReceivedOn: london(2026, time.August, 28, 0, 0), Reference: "RTN-0002"}, workflows.StageClosed)

	final := f.drive(time.Time{})
	f.settle(final)
	if final.Stage != workflows.StageClosed {
		t.Fatalf("ended at %q; want closed", final.Stage)
	}
	if why := f.event("Grant reconciled and closed").Why; !strings.Contains(why, "Awarded £60,000.00, paid £60,000.00, spent £55,000.00") {
		t.Errorf("closure says %q; want it to reconcile against the £60,000.00 the award stood at when it ended", why)
	}
	if n := len(f.financeNotices(store.NoticeVariation)) + len(f.financeNotices(store.NoticeTermination)); n != 2 {
		t.Errorf("%d revised notices in all; want 2", n)
	}
}
