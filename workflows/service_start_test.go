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
	"grantflow/workflows"
)

// The timetable starts when the award starts: an award approved part way through a financial year
// is paid and monitored from the quarter its agreement starts in, its first year pro-rated to the
// quarters left, and nothing is held or flagged overdue for a quarter before it began.

// toActiveFrom takes the application through the panel in February 2026, then has it moderated the
// day before decided (the agreement to start on start, with the proposed pro-rated split), approved
// by the Commissioner at decided, accepted a day later and its conditions precedent confirmed the
// day after.
func (f *svcFixture) toActiveFrom(decided, start time.Time) {
	deadline := endOfLondonDay(2026, time.February, 20)
	f.ok(london(2026, time.February, 3, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.assessor3), workflows.StageAssessment)
	f.ok(london(2026, time.February, 9, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.ok(london(2026, time.February, 10, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor3, 5), workflows.StageModeration)
	moderate := f.svcModerate(f.officer)
	moderate.StartDate, moderate.Years = start, workflows.ProposedYears(f.in.Service.Years, start)
	f.ok(decided.AddDate(0, 0, -1), workflows.UpdateModerate, moderate, workflows.StageDecision)
	f.ok(decided, workflows.UpdateDecide, svcApprove(f.commissioner), workflows.StageOffered)
	f.ok(decided.AddDate(0, 0, 1), workflows.UpdateAcceptOffer, workflows.AcceptOfferRequest{Actor: f.applicant}, workflows.StageAccepted)
	f.ok(decided.AddDate(0, 0, 2), workflows.UpdateConfirmConditions, workflows.ConfirmConditionsRequest{Actor: f.officer2, Note: "Signed."}, workflows.StageActive)
}

func TestServiceAwardStartsInTheQuarterItIsApproved(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		decided   time.Time
		start     time.Time
		firstYear money.Pence // £120,000 a year asked for
		firstDue  string      // the first tranche's due date, as the agreement prints it
		first     workflows.Quarter
		secondDue string
		returnDue string // the first return's due date
	}{
		{"Q1, starting on a Saturday", london(2026, time.April, 2, 10, 0), london(2026, time.April, 4, 0, 0), money.Pounds(120000),
			"4 April 2026", workflows.Quarter{FY: 2026, Q: 1}, "1 July 2026", "15 July 2026"},
		{"Q2", london(2026, time.July, 20, 10, 0), london(2026, time.August, 3, 0, 0), money.Pounds(90000),
			"3 August 2026", workflows.Quarter{FY: 2026, Q: 2}, "1 October 2026", "15 October 2026"},
		{"Q3, starting the Sunday the clocks go back", london(2026, time.October, 20, 10, 0), london(2026, time.October, 25, 0, 0), money.Pounds(60000),
			"25 October 2026", workflows.Quarter{FY: 2026, Q: 3}, "1 January 2027", "15 January 2027"},
		{"Q4, starting the Sunday the clocks go forward", london(2027, time.March, 15, 10, 0), london(2027, time.March, 28, 0, 0), money.Pounds(30000),
			"28 March 2027", workflows.Quarter{FY: 2026, Q: 4}, "1 April 2027", "15 April 2027"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newSvc(t, svcCase{})
			years := []grant.YearAmount{{FinancialYear: 2026, Amount: tc.firstYear}, {FinancialYear: 2027, Amount: money.Pounds(120000)},
				{FinancialYear: 2028, Amount: money.Pounds(120000)}}
			f.toActiveFrom(tc.decided, tc.start)
			active := tc.decided.AddDate(0, 0, 2).Add(time.Hour)
			f.at(active, func() {
				st := f.wantStage(workflows.StageActive)
				if st.Award == nil || !st.Award.StartDate.Equal(tc.start) {
					t.Fatalf("award %+v; want it to start on %s", st.Award, tc.firstDue)
				}
				if !slices.Equal(st.Award.Years, years) || !slices.Equal(f.commitments(), years) || f.committed(2026) != tc.firstYear {
					t.Errorf("years %v, committed %v; want the first year pro-rated: %v", st.Award.Years, f.commitments(), years)
				}
				first := f.tranche(1)
				if first.FinancialYear != tc.first.FY || first.Quarter != tc.first.Q || first.DueOn.Format("2 January 2006") != tc.firstDue {
					t.Errorf("tranche 1 %+v; want %s due %s", first, tc.first.Label(), tc.firstDue)
				}
				wantStatus := workflows.TrancheReleased
				if tc.start.After(active) {
					wantStatus = workflows.TrancheScheduled
				}
				if first.Status != wantStatus {
					t.Errorf("tranche 1 is %s; want %s", first.Status, wantStatus)
				}
				perQuarter := tc.firstYear / money.Pence(workflows.QuartersLeft(tc.first))
				if first.Amount != perQuarter || f.tranche(2).DueOn.Format("2 January 2006") != tc.secondDue {
					t.Errorf("tranche 1 %s, tranche 2 %+v; want %s each, the second due %s", first.Amount, f.tranche(2), perQuarter, tc.secondDue)
				}
				if n := len(f.tranches()); n != workflows.QuartersLeft(tc.first)+8 {
					t.Errorf("%d tranches; want %d", n, workflows.QuartersLeft(tc.first)+8)
				}
				if len(st.Returns) == 0 || st.Returns[0].Quarter != tc.first || st.Returns[0].Due.In(scheme.London).Format("2 January 2006") != tc.returnDue {
					t.Errorf("returns %+v; want the first for %s, due %s", st.Returns, tc.first.Label(), tc.returnDue)
				}
				for _, r := range st.Returns {
					if r.Overdue {
						t.Errorf("the %s return is flagged overdue as the award begins", r.Quarter.Label())
					}
				}
				for _, x := range f.tranches() {
					if x.Status == workflows.TrancheHeld {
						t.Errorf("tranche %d is held as the award begins: %s", x.No, x.HeldReason)
					}
				}
				if n := f.notifications("escalation"); len(n) > 0 {
					t.Errorf("escalations as the award begins: %+v", n)
				}
				f.wantText(f.document(activities.KindGrantAgreement, 1), "Agreement starts", tc.firstDue, "Agreement ends", "31 March 2029",
					"the first due on "+tc.firstDue, tc.returnDue)
			})
			// The first return is sent and accepted before the first quarter ends, so the second
			// tranche goes out on time: nothing waits on a quarter before the start.
			f.ok(svcDay(tc.first.End(), -2, 10), workflows.UpdateSubmitReturn, svcReturn(f.applicant, tc.first), "")
			f.ok(svcDay(tc.first.End(), -1, 10), workflows.UpdateReviewReturn, svcReview(f.officer2, tc.first, workflows.RAGGreen), "")
			second := tc.first.Next()
			f.at(second.Start().Add(time.Hour), func() {
				if x := f.tranche(2); x.Status != workflows.TrancheReleased || x.FinancialYear != second.FY || x.Quarter != second.Q {
					t.Errorf("tranche 2 an hour into %s: %+v; want it released", second.Label(), x)
				}
				// (Tranche 1 may wait for the conditions precedent; never for a quarter before the start.)
				for _, n := range f.notifications("") {
					for q := tc.first.Previous(); q.FY >= tc.first.FY-1; q = q.Previous() {
						if strings.Contains(n.Message, q.Label()) {
							t.Errorf("notification %q names %s, a quarter before the award started", n.Message, q.Label())
						}
					}
					if strings.Contains(n.Message, "overdue") {
						t.Errorf("notification %q: no return should be overdue", n.Message)
					}
				}
			})
			f.settle(f.drive(second.Start().AddDate(0, 0, 1)))
		})
	}
}

// The agreement cannot start before it is decided: moderation refuses a start date already passed
// or missing, a first year not in the start date's financial year, or more than the pro-rated share
// asked for; an approval after the moderated start date has passed is refused, naming the date, and
// the officer moderates again with a new date.
func TestServiceStartDateValidation(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	deadline := endOfLondonDay(2026, time.February, 20)
	f.ok(london(2026, time.February, 3, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.assessor3), workflows.StageAssessment)
	f.ok(london(2026, time.February, 9, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.ok(london(2026, time.February, 10, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor3, 5), workflows.StageModeration)
	moderate := func(start time.Time, years []grant.YearAmount) workflows.ModerateRequest {
		r := f.svcModerate(f.officer)
		r.StartDate, r.Years = start, years
		return r
	}
	december := london(2026, time.December, 6, 0, 0)
	proposed := workflows.ProposedYears(f.in.Service.Years, december) // £60,000 for 2 of 4 quarters, then £120,000 a year
	day := func(d, h int) time.Time { return london(2026, time.November, d, h, 0) }
	f.refused(day(2, 10), workflows.UpdateModerate, moderate(time.Time{}, proposed), workflows.RefusalInvalid, "start_date",
		"give the date the grant agreement starts")
	f.refused(day(2, 11), workflows.UpdateModerate, moderate(london(2026, time.November, 1, 0, 0), proposed), workflows.RefusalInvalid, "start_date",
		"1 November 2026 has passed: the agreement cannot start before it is decided, so give a date from 2 November 2026")
	f.refused(day(2, 12), workflows.UpdateModerate, moderate(december, svcYears(2027, 120000, 120000)), workflows.RefusalInvalid,
		"years[0].financial_year", "must be 2026-27, the financial year of the start date (6 December 2026)")
	tooMuch := slices.Clone(proposed)
	tooMuch[0].Amount = money.Pounds(90000)
	f.refused(day(2, 13), workflows.UpdateModerate, moderate(december, tooMuch), workflows.RefusalInvalid, "years[0].amount_pence",
		"£90,000.00 is more than the £60,000.00 requested for 2026-27 pro-rated to the 2 of its 4 quarters from the start date")
	tooLittle := slices.Clone(proposed)
	tooLittle[0].Amount = money.Pounds(10000)
	f.refused(day(2, 14), workflows.UpdateModerate, moderate(december, tooLittle), workflows.RefusalInvalid, "years[0].amount_pence",
		"must be between £12,500.00 and £250,000.00 for the 2 of its 4 quarters from the start date")
	// Moderated to start on 9 November, decided on the 10th: refused, naming the date; moderated
	// again (at decision) to start on 6 December, then approved.
	f.ok(day(3, 10), workflows.UpdateModerate, moderate(london(2026, time.November, 9, 0, 0), proposed), workflows.StageDecision)
	f.refused(day(10, 10), workflows.UpdateDecide, svcApprove(f.commissioner), workflows.RefusalStage, "",
		"the grant agreement was moderated to start on 9 November 2026, which has passed: it must be moderated again with a start date from 10 November 2026 before it is approved")
	f.ok(day(10, 11), workflows.UpdateModerate, moderate(december, proposed), workflows.StageDecision)
	f.ok(day(10, 12), workflows.UpdateDecide, svcApprove(f.commissioner), workflows.StageOffered)
	f.at(day(10, 13), func() {
		st := f.wantStage(workflows.StageOffered)
		if st.Recommendation == nil || st.Recommendation.Version != 2 || st.Award == nil || !st.Award.StartDate.Equal(december) {
			t.Errorf("recommendation %+v, award %+v; want the second moderation's start, 6 December 2026", st.Recommendation, st.Award)
		}
		rec, err := f.s.RecommendationFor(f.ctx, f.in.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Version != 2 || rec.StartDate == nil || rec.StartDate.Format(time.DateOnly) != "2026-12-06" {
			t.Errorf("stored recommendation %+v; want version 2 starting 2026-12-06", rec)
		}
		f.wantText(f.document(activities.KindDecisionPack, 2), "Reachable Moments")
		if a := f.award(); a.StartDate == nil || a.StartDate.Format(time.DateOnly) != "2026-12-06" || a.EndDate.Format(time.DateOnly) != "2029-03-31" {
			t.Errorf("award %v to %v; want 2026-12-06 to 2029-03-31", a.StartDate, a.EndDate)
		}
		if got := fmt.Sprint(f.trancheSummary()[:3]); got != "[1:scheduled:£30,000.00 2:scheduled:£30,000.00 3:scheduled:£30,000.00]" {
			t.Errorf("first tranches %s", got)
		}
	})
	f.settle(f.drive(day(11, 0)))
}
