package workflows_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/workflows"
)

func TestQuarterOf(t *testing.T) {
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	cases := []struct {
		name string
		at   time.Time
		want workflows.Quarter
	}{
		{"the first moment of the financial year", london(2026, time.April, 1, 0, 0), workflows.Quarter{FY: 2026, Q: 1}},
		{"the last minute of the financial year", london(2026, time.March, 31, 23, 59), workflows.Quarter{FY: 2025, Q: 4}},
		{"11.30pm UTC on 31 March is already April in London", utc(2026, time.March, 31, 23, 30), workflows.Quarter{FY: 2026, Q: 1}},
		{"the last day of Q1", london(2026, time.June, 30, 23, 59), workflows.Quarter{FY: 2026, Q: 1}},
		{"the first day of Q2", london(2026, time.July, 1, 0, 0), workflows.Quarter{FY: 2026, Q: 2}},
		{"11.30pm UTC on 30 June is July in London", utc(2026, time.June, 30, 23, 30), workflows.Quarter{FY: 2026, Q: 2}},
		{"the last day of Q2", london(2026, time.September, 30, 12, 0), workflows.Quarter{FY: 2026, Q: 2}},
		{"the first day of Q3", london(2026, time.October, 1, 0, 0), workflows.Quarter{FY: 2026, Q: 3}},
		{"New Year's Eve", london(2026, time.December, 31, 23, 59), workflows.Quarter{FY: 2026, Q: 3}},
		{"New Year's Day is Q4 of the year that began the April before", london(2027, time.January, 1, 0, 0), workflows.Quarter{FY: 2026, Q: 4}},
		{"February", london(2027, time.February, 28, 12, 0), workflows.Quarter{FY: 2026, Q: 4}},
		{"March", london(2027, time.March, 15, 12, 0), workflows.Quarter{FY: 2026, Q: 4}},
		{"May", london(2026, time.May, 15, 12, 0), workflows.Quarter{FY: 2026, Q: 1}},
		{"August", london(2026, time.August, 15, 12, 0), workflows.Quarter{FY: 2026, Q: 2}},
		{"November", london(2026, time.November, 15, 12, 0), workflows.Quarter{FY: 2026, Q: 3}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := workflows.QuarterOf(tc.at); got != tc.want {
				t.Errorf("QuarterOf(%v) = %+v; want %+v", tc.at, got, tc.want)
			}
		})
	}
}

func TestQuarterDates(t *testing.T) {
	cases := []struct {
		q               workflows.Quarter
		label           string
		start, end, due time.Time
		next            workflows.Quarter
	}{
		{workflows.Quarter{FY: 2026, Q: 1}, "Q1 2026-27", london(2026, time.April, 1, 0, 0), london(2026, time.July, 1, 0, 0),
			endOfLondonDay(2026, time.July, 15), workflows.Quarter{FY: 2026, Q: 2}},
		{workflows.Quarter{FY: 2026, Q: 2}, "Q2 2026-27", london(2026, time.July, 1, 0, 0), london(2026, time.October, 1, 0, 0),
			endOfLondonDay(2026, time.October, 15), workflows.Quarter{FY: 2026, Q: 3}},
		{workflows.Quarter{FY: 2026, Q: 3}, "Q3 2026-27", london(2026, time.October, 1, 0, 0), london(2027, time.January, 1, 0, 0),
			endOfLondonDay(2027, time.January, 15), workflows.Quarter{FY: 2026, Q: 4}},
		{workflows.Quarter{FY: 2026, Q: 4}, "Q4 2026-27", london(2027, time.January, 1, 0, 0), london(2027, time.April, 1, 0, 0),
			endOfLondonDay(2027, time.April, 15), workflows.Quarter{FY: 2027, Q: 1}},
		{workflows.Quarter{FY: 2099, Q: 4}, "Q4 2099-00", london(2100, time.January, 1, 0, 0), london(2100, time.April, 1, 0, 0),
			endOfLondonDay(2100, time.April, 15), workflows.Quarter{FY: 2100, Q: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.label, func(t *testing.T) {
			if got := tc.q.Label(); got != tc.label {
				t.Errorf("Label = %q; want %q", got, tc.label)
			}
			if got := tc.q.Start(); !got.Equal(tc.start) {
				t.Errorf("Start = %v; want %v", got, tc.start)
			}
			if got := tc.q.End(); !got.Equal(tc.end) {
				t.Errorf("End = %v; want %v", got, tc.end)
			}
			if got := tc.q.ReturnDue(15); !got.Equal(tc.due) {
				t.Errorf("ReturnDue(15) = %v; want the end of the day in London, %v", got, tc.due)
			}
			if got := tc.q.Next(); got != tc.next {
				t.Errorf("Next = %+v; want %+v", got, tc.next)
			}
			if !tc.q.Before(tc.next) || tc.next.Before(tc.q) || tc.q.Before(tc.q) {
				t.Errorf("Before does not order %+v and %+v", tc.q, tc.next)
			}
			if got := workflows.QuarterOf(tc.q.Start()); got != tc.q {
				t.Errorf("QuarterOf(Start) = %+v; want %+v", got, tc.q)
			}
			if got := workflows.QuarterOf(tc.q.End().Add(-time.Second)); got != tc.q {
				t.Errorf("QuarterOf(a second before End) = %+v; want %+v", got, tc.q)
			}
		})
	}
	// Other due periods count calendar days after the quarter's last day.
	q1 := workflows.Quarter{FY: 2026, Q: 1}
	for days, want := range map[int]time.Time{0: endOfLondonDay(2026, time.June, 30), 1: endOfLondonDay(2026, time.July, 1), 31: endOfLondonDay(2026, time.July, 31)} {
		if got := q1.ReturnDue(days); !got.Equal(want) {
			t.Errorf("Q1 2026-27 ReturnDue(%d) = %v; want %v", days, got, want)
		}
	}
}

func TestTrancheNo(t *testing.T) {
	cases := []struct {
		first int
		q     workflows.Quarter
		want  int
	}{
		{2026, workflows.Quarter{FY: 2026, Q: 1}, 1},
		{2026, workflows.Quarter{FY: 2026, Q: 4}, 4},
		{2026, workflows.Quarter{FY: 2027, Q: 1}, 5},
		{2026, workflows.Quarter{FY: 2028, Q: 3}, 11},
		{2026, workflows.Quarter{FY: 2030, Q: 4}, 20},
	}
	for _, tc := range cases {
		if got := workflows.TrancheNo(workflows.Quarter{FY: tc.first, Q: 1}, tc.q); got != tc.want {
			t.Errorf("TrancheNo(%d, %s) = %d; want %d", tc.first, tc.q.Label(), got, tc.want)
		}
	}
}

// tranchePlan writes planned tranches as "no quarter due amount".
func tranchePlan(ts []workflows.PlannedTranche) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = fmt.Sprintf("%d %s %s %s", t.No, t.Quarter.Label(), t.Due.In(scheme.London).Format("2006-01-02 15:04"), t.Amount)
	}
	return out
}

func TestPlanTranches(t *testing.T) {
	cases := []struct {
		name  string
		years []grant.YearAmount
		want  []string
	}{
		{"nothing to plan", nil, nil},
		{"one year divides by four", svcYears(2026, 120000), []string{
			"1 Q1 2026-27 2026-04-01 00:00 £30,000.00", "2 Q2 2026-27 2026-07-01 00:00 £30,000.00",
			"3 Q3 2026-27 2026-10-01 00:00 £30,000.00", "4 Q4 2026-27 2027-01-01 00:00 £30,000.00"}},
		{"pennies that do not divide go to the first tranche", []grant.YearAmount{{FinancialYear: 2026, Amount: 10000003}}, []string{
			"1 Q1 2026-27 2026-04-01 00:00 £25,000.03", "2 Q2 2026-27 2026-07-01 00:00 £25,000.00",
			"3 Q3 2026-27 2026-10-01 00:00 £25,000.00", "4 Q4 2026-27 2027-01-01 00:00 £25,000.00"}},
		{"each year's pennies go to its own first tranche", []grant.YearAmount{{FinancialYear: 2026, Amount: 2500001}, {FinancialYear: 2027, Amount: 3000002}}, []string{
			"1 Q1 2026-27 2026-04-01 00:00 £6,250.01", "2 Q2 2026-27 2026-07-01 00:00 £6,250.00",
			"3 Q3 2026-27 2026-10-01 00:00 £6,250.00", "4 Q4 2026-27 2027-01-01 00:00 £6,250.00",
			"5 Q1 2027-28 2027-04-01 00:00 £7,500.02", "6 Q2 2027-28 2027-07-01 00:00 £7,500.00",
			"7 Q3 2027-28 2027-10-01 00:00 £7,500.00", "8 Q4 2027-28 2028-01-01 00:00 £7,500.00"}},
		{"numbered from the earliest year whatever the order", []grant.YearAmount{{FinancialYear: 2028, Amount: money.Pounds(40000)}, {FinancialYear: 2027, Amount: money.Pounds(40000)}}, []string{
			"5 Q1 2028-29 2028-04-01 00:00 £10,000.00", "6 Q2 2028-29 2028-07-01 00:00 £10,000.00",
			"7 Q3 2028-29 2028-10-01 00:00 £10,000.00", "8 Q4 2028-29 2029-01-01 00:00 £10,000.00",
			"1 Q1 2027-28 2027-04-01 00:00 £10,000.00", "2 Q2 2027-28 2027-07-01 00:00 £10,000.00",
			"3 Q3 2027-28 2027-10-01 00:00 £10,000.00", "4 Q4 2027-28 2028-01-01 00:00 £10,000.00"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := workflows.PlanTranches(tc.years, workflows.StartOf(tc.years, time.Time{}))
			if got := tranchePlan(plan); !slices.Equal(got, tc.want) {
				t.Errorf("PlanTranches:\n  %q\nwant\n  %q", got, tc.want)
			}
			if workflows.WholeLife(tc.years) != sumPlanned(plan) {
				t.Errorf("tranches add up to %s; the years to %s", sumPlanned(plan), workflows.WholeLife(tc.years))
			}
			for _, p := range plan {
				if !p.Due.Equal(p.Quarter.Start()) || p.Due.Location() != time.UTC {
					t.Errorf("tranche %d due %v; want the quarter's first moment in London, as UTC", p.No, p.Due)
				}
			}
		})
	}
}

func sumPlanned(ts []workflows.PlannedTranche) money.Pence {
	var s money.Pence
	for _, t := range ts {
		s += t.Amount
	}
	return s
}

// trancheStates plans the years and gives tranches the statuses listed (by number); the rest are scheduled.
func trancheStates(years []grant.YearAmount, statuses map[int]string) []workflows.TrancheState {
	var out []workflows.TrancheState
	for _, p := range workflows.PlanTranches(years, workflows.StartOf(years, time.Time{})) {
		s := workflows.TrancheState{PlannedTranche: p, Status: workflows.TrancheScheduled}
		if st, ok := statuses[p.No]; ok {
			s.Status = st
			if st == workflows.TrancheHeld {
				s.HeldReason = "the previous return has not been accepted"
			}
		}
		out = append(out, s)
	}
	return out
}

func stateSummary(ts []workflows.TrancheState) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = fmt.Sprintf("%d:%s:%s", t.No, t.Status, t.Amount)
		if t.HeldReason != "" {
			out[i] += ":" + t.HeldReason
		}
	}
	return out
}

func TestReplan(t *testing.T) {
	three := svcYears(2026, 120000, 120000, 120000)
	paid, released, held, cancelled := workflows.TranchePaid, workflows.TrancheReleased, workflows.TrancheHeld, workflows.TrancheCancelled
	const why = ":the previous return has not been accepted"
	cases := []struct {
		name    string
		current []workflows.TrancheState
		years   []grant.YearAmount
		want    []string
		field   string // set when Replan must refuse
		reason  string
	}{
		{
			name:    "nothing changes",
			current: trancheStates(svcYears(2026, 40000), map[int]string{1: paid}),
			years:   svcYears(2026, 40000),
			want:    []string{"1:paid:£10,000.00", "2:scheduled:£10,000.00", "3:scheduled:£10,000.00", "4:scheduled:£10,000.00"},
		},
		{
			name:    "settled tranches are kept and the rest of the year is spread over the open quarters",
			current: trancheStates(three, map[int]string{1: paid, 2: released, 3: held}),
			years:   svcYears(2026, 130000, 120000, 120000),
			want: []string{"1:paid:£30,000.00", "2:released:£30,000.00", "3:held:£35,000.00" + why, "4:scheduled:£35,000.00",
				"5:scheduled:£30,000.00", "6:scheduled:£30,000.00", "7:scheduled:£30,000.00", "8:scheduled:£30,000.00",
				"9:scheduled:£30,000.00", "10:scheduled:£30,000.00", "11:scheduled:£30,000.00", "12:scheduled:£30,000.00"},
		},
		{
			name:    "pennies go to the first open quarter",
			current: trancheStates(svcYears(2026, 120000), map[int]string{1: paid}),
			years:   []grant.YearAmount{{FinancialYear: 2026, Amount: 10000001}},
			want:    []string{"1:paid:£30,000.00", "2:scheduled:£23,333.35", "3:scheduled:£23,333.33", "4:scheduled:£23,333.33"},
		},
		{
			name:    "a later year raised, an earlier one cut to what was released: nothing is left to pay in its other quarters",
			current: trancheStates(three, map[int]string{1: paid, 2: paid, 3: paid, 4: paid, 5: paid, 6: released}),
			years:   svcYears(2026, 120000, 60000, 130000),
			want: []string{"1:paid:£30,000.00", "2:paid:£30,000.00", "3:paid:£30,000.00", "4:paid:£30,000.00",
				"5:paid:£30,000.00", "6:released:£30,000.00", "7:cancelled:£0.00", "8:cancelled:£0.00",
				"9:scheduled:£32,500.00", "10:scheduled:£32,500.00", "11:scheduled:£32,500.00", "12:scheduled:£32,500.00"},
		},
		{
			name:    "a year no longer funded is cancelled",
			current: trancheStates(three, map[int]string{1: paid, 2: held}),
			years:   svcYears(2026, 120000, 120000),
			want: []string{"1:paid:£30,000.00", "2:held:£30,000.00" + why, "3:scheduled:£30,000.00", "4:scheduled:£30,000.00",
				"5:scheduled:£30,000.00", "6:scheduled:£30,000.00", "7:scheduled:£30,000.00", "8:scheduled:£30,000.00",
				"9:cancelled:£30,000.00", "10:cancelled:£30,000.00", "11:cancelled:£30,000.00", "12:cancelled:£30,000.00"},
		},
		{
			name:    "a year added is scheduled, numbered on",
			current: trancheStates(svcYears(2026, 120000), map[int]string{1: paid}),
			years:   svcYears(2026, 120000, 40000),
			want: []string{"1:paid:£30,000.00", "2:scheduled:£30,000.00", "3:scheduled:£30,000.00", "4:scheduled:£30,000.00",
				"5:scheduled:£10,000.00", "6:scheduled:£10,000.00", "7:scheduled:£10,000.00", "8:scheduled:£10,000.00"},
		},
		{
			name:    "a cancelled year funded again is scheduled again",
			current: trancheStates(svcYears(2026, 40000, 40000), map[int]string{1: paid, 5: cancelled, 6: cancelled, 7: cancelled, 8: cancelled}),
			years:   svcYears(2026, 40000, 80000),
			want: []string{"1:paid:£10,000.00", "2:scheduled:£10,000.00", "3:scheduled:£10,000.00", "4:scheduled:£10,000.00",
				"5:scheduled:£20,000.00", "6:scheduled:£20,000.00", "7:scheduled:£20,000.00", "8:scheduled:£20,000.00"},
		},
		{
			name:    "a year fully released cannot change",
			current: trancheStates(three, map[int]string{1: paid, 2: paid, 3: paid, 4: released}),
			years:   svcYears(2026, 125000, 120000, 120000),
			field:   "years", reason: "every tranche of 2026-27 has been released, so its amount cannot change",
		},
		{
			name:    "a year cut below what was released",
			current: trancheStates(three, map[int]string{1: paid, 2: released}),
			years:   svcYears(2026, 50000, 120000, 120000),
			field:   "years", reason: "2026-27 cannot be less than the £60,000.00 already released for it",
		},
		{
			name:    "a year with released tranches removed",
			current: trancheStates(three, map[int]string{1: paid, 2: paid, 3: paid, 4: paid, 5: released}),
			years:   svcYears(2026, 120000),
			field:   "years", reason: "2027-28 has tranches already released, so it cannot be removed",
		},
		{
			name:    "a year before the award began",
			current: trancheStates(three, nil),
			years:   svcYears(2025, 120000, 120000, 120000, 120000),
			field:   "years", reason: "2025-26 is before the award began",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := stateSummary(tc.current)
			got, err := workflows.Replan(tc.current, tc.years, workflows.AwardStart{FirstFY: 2026})
			if !slices.Equal(stateSummary(tc.current), before) {
				t.Errorf("Replan changed its input: %q; was %q", stateSummary(tc.current), before)
			}
			if tc.field != "" {
				var fe *workflows.FieldError
				if !errors.As(err, &fe) || fe.Field != tc.field || fe.Reason != tc.reason {
					t.Errorf("Replan = %q, %v; want a refusal on %q: %q", stateSummary(got), err, tc.field, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("Replan: %v", err)
			}
			if s := stateSummary(got); !slices.Equal(s, tc.want) {
				t.Errorf("Replan:\n  %q\nwant\n  %q", s, tc.want)
			}
			var live money.Pence
			for _, x := range got {
				if x.Status != workflows.TrancheCancelled {
					live += x.Amount
				}
				if !x.Due.Equal(x.Quarter.Start()) || x.No != workflows.TrancheNo(workflows.Quarter{FY: 2026, Q: 1}, x.Quarter) {
					t.Errorf("tranche %+v is not numbered and dated by its quarter", x)
				}
			}
			if live != workflows.WholeLife(tc.years) {
				t.Errorf("the tranches still to count add up to %s; the years to %s", live, workflows.WholeLife(tc.years))
			}
		})
	}
}

func TestScheduleValidateYears(t *testing.T) {
	rules := demo.ServiceRules() // £25,000 to £500,000 a year, up to 60 months
	oneYear := demo.ServiceRules()
	oneYear.MaxDurationMonths = 6
	cases := []struct {
		name   string
		rules  scheme.Rules
		years  []grant.YearAmount
		field  string // "" = valid
		reason string
	}{
		{name: "one year", rules: rules, years: svcYears(2026, 120000)},
		{name: "five years", rules: rules, years: svcYears(2026, 100000, 100000, 100000, 100000, 100000)},
		{name: "exactly the limits", rules: rules, years: svcYears(2026, 25000, 500000)},
		{name: "no years", rules: rules, years: nil, field: "years", reason: "give an amount for each of 1 to 5 financial years"},
		{name: "six years", rules: rules, years: svcYears(2026, 30000, 30000, 30000, 30000, 30000, 30000), field: "years",
			reason: "give an amount for each of 1 to 5 financial years"},
		{name: "a gap", rules: rules, years: []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(30000)}, {FinancialYear: 2028, Amount: money.Pounds(30000)}},
			field: "years[1].financial_year", reason: "years must be consecutive and in order"},
		{name: "backwards", rules: rules, years: []grant.YearAmount{{FinancialYear: 2027, Amount: money.Pounds(30000)}, {FinancialYear: 2026, Amount: money.Pounds(30000)}},
			field: "years[1].financial_year", reason: "years must be consecutive and in order"},
		{name: "the same year twice", rules: rules, years: []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(30000)}, {FinancialYear: 2026, Amount: money.Pounds(30000)}},
			field: "years[1].financial_year", reason: "years must be consecutive and in order"},
		{name: "a penny under the minimum", rules: rules, years: []grant.YearAmount{{FinancialYear: 2026, Amount: 2499999}}, field: "years[0].amount_pence",
			reason: "must be between £25,000.00 and £500,000.00 a year"},
		{name: "a penny over the maximum in the third year", rules: rules, years: []grant.YearAmount{
			{FinancialYear: 2026, Amount: money.Pounds(30000)}, {FinancialYear: 2027, Amount: money.Pounds(30000)}, {FinancialYear: 2028, Amount: 50000001}},
			field: "years[2].amount_pence", reason: "must be between £25,000.00 and £500,000.00 a year"},
		{name: "under a year's duration still allows one year", rules: oneYear, years: svcYears(2026, 30000)},
		{name: "under a year's duration allows only one year", rules: oneYear, years: svcYears(2026, 30000, 30000), field: "years",
			reason: "give an amount for each of 1 to 1 financial years"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := workflows.ValidateYears(tc.rules, tc.years, "years")
			if tc.field == "" {
				if err != nil {
					t.Errorf("ValidateYears: %v; want valid", err)
				}
				return
			}
			var fe *workflows.FieldError
			if !errors.As(err, &fe) || fe.Field != tc.field || fe.Reason != tc.reason {
				t.Errorf("ValidateYears = %v; want %s: %s", err, tc.field, tc.reason)
			}
		})
	}
}

// The returns timetable the pages and work queues read: each quarter's status from the returns sent
// and, once an award has ended early, "not required" for the quarters that had not begun.
func TestReturnTimetable(t *testing.T) {
	rules := demo.ServiceRules()
	years := []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(100000)}, {FinancialYear: 2027, Amount: money.Pounds(100000)}}
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	sent := map[workflows.Quarter]string{q(2026, 1): workflows.ReviewAccept, q(2026, 2): workflows.ReviewRequestChanges, q(2026, 3): ""}
	statuses := func(ended time.Time) []string {
		var out []string
		for _, r := range workflows.ReturnTimetable(rules, years, workflows.StartOf(years, time.Time{}), sent, ended) {
			out = append(out, r.Quarter.Label()+" "+r.Status)
		}
		return out
	}
	running := []string{"Q1 2026-27 accepted", "Q2 2026-27 changes_requested", "Q3 2026-27 submitted", "Q4 2026-27 awaiting",
		"Q1 2027-28 awaiting", "Q2 2027-28 awaiting", "Q3 2027-28 awaiting", "Q4 2027-28 awaiting"}
	if got := statuses(time.Time{}); !slices.Equal(got, running) {
		t.Errorf("a running award's returns %q; want %q", got, running)
	}
	// Ended on 20 December 2026: Q4 2026-27 had not begun, so neither it nor any later return is due.
	ended := []string{"Q1 2026-27 accepted", "Q2 2026-27 changes_requested", "Q3 2026-27 submitted", "Q4 2026-27 not_required",
		"Q1 2027-28 not_required", "Q2 2027-28 not_required", "Q3 2027-28 not_required", "Q4 2027-28 not_required"}
	if got := statuses(london(2026, time.December, 20, 10, 0)); !slices.Equal(got, ended) {
		t.Errorf("an award ended on 20 December 2026 has returns %q; want %q", got, ended)
	}
	// Ended at the very start of a quarter: that quarter did not run either.
	if got := statuses(q(2027, 1).Start())[4]; got != "Q1 2027-28 not_required" {
		t.Errorf("ended as Q1 2027-28 began: %s; want not required", got)
	}
	if got := statuses(q(2027, 1).Start().Add(time.Minute))[4]; got != "Q1 2027-28 awaiting" {
		t.Errorf("ended a minute into Q1 2027-28: %s; want it still owed", got)
	}
}
