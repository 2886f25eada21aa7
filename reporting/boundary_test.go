package reporting_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/reporting"
	"grantflow/scheme"
	"grantflow/store/storetest"
	"grantflow/workflows"
)

// TestPeriodsEndAtLondonMidnight puts awards, releases and payments either side of a period's end
// in London time, in British Summer Time: an award decided at 23:30 on 31 March (22:30 UTC) is
// the old year's and one at 00:30 on 1 April (23:30 UTC) the new year's; a tranche released at
// 00:30 on 1 July is Q2's while a payment dated 30 June is Q1's; a grant approved at 23:59 on 31
// March 2027, after the clock went forward, is 2026-27's and one at 00:30 on 1 April is not.
func TestPeriodsEndAtLondonMidnight(t *testing.T) {
	st := storetest.New(t)
	ctx := context.Background()
	s := newSeeder(t, st)
	oldYear := s.awardOf(scheme.Grassroots, "Old year", money.Pounds(1000), utc("2026-03-31T22:30:00Z"), []string{"Hate crime"}, []string{"Rutland"}, nil, nil)
	newYear := s.awardOf(scheme.Grassroots, "New year", money.Pounds(2000), utc("2026-03-31T23:30:00Z"), []string{"Hate crime"}, []string{"Rutland"}, nil, nil)
	s.accept(oldYear, utc("2026-04-02T09:00:00Z"))
	s.accept(newYear, utc("2026-04-02T09:00:00Z"))
	s.approveGrant(oldYear, utc("2027-03-31T22:59:00Z")) // 23:59 on 31 March 2027 in London
	s.approveGrant(newYear, utc("2027-03-31T23:30:00Z")) // 00:30 on 1 April 2027
	sv := s.awardOf(scheme.Service, "Service", money.Pounds(100000), utc("2026-04-01T09:00:00Z"), []string{"Victim Services"}, []string{"Leicester"}, nil,
		&grant.ServiceDetails{Service: "Service"})
	s.accept(sv, utc("2026-04-01T10:00:00Z"))
	s.years(sv, grant.YearAmount{FinancialYear: 2026, Amount: money.Pounds(100000)})
	s.release(sv, 1, utc("2026-04-01T10:00:00Z"))
	s.payTranche(sv, 1, "2026-06-30")
	s.release(sv, 2, utc("2026-06-30T23:30:00Z")) // 00:30 on 1 July in London
	s.payTranche(sv, 2, "2026-07-01")

	now := utc("2027-06-01T12:00:00Z")
	for _, c := range []struct {
		p                         reporting.Period
		awards                    int
		committed, released, paid money.Pence
	}{
		{reporting.Period{FinancialYear: 2025, Quarter: 4}, 1, money.Pounds(1000), 0, 0},
		{reporting.Period{FinancialYear: 2026, Quarter: 1}, 2, money.Pounds(102000), money.Pounds(25000), money.Pounds(25000)},
		{reporting.Period{FinancialYear: 2026, Quarter: 2}, 2, money.Pounds(102000), money.Pounds(50000), money.Pounds(50000)},
		{reporting.Period{FinancialYear: 2026, Quarter: 4}, 2, money.Pounds(102000), money.Pounds(51000), money.Pounds(50000)},
		{reporting.Period{FinancialYear: 2027, Quarter: 1}, 0, 0, money.Pounds(2000), 0},
	} {
		f, err := reporting.ComputeAt(ctx, st, c.p, now)
		if err != nil {
			t.Fatal(err)
		}
		want := sums{awards: c.awards, committed: c.committed, released: c.released, paid: c.paid}
		if got := sumsOf(f.Totals); got != want {
			t.Errorf("%v: totals = %+v, want %+v", c.p, got, want)
		}
		if total, _ := expect(s, nil, c.p); total != want {
			t.Errorf("%v: the test's own sums = %+v, want %+v", c.p, total, want)
		}
	}
}

// The return timetable the figures use is the workflows' own: the same quarters, due the same moment.
func TestOverdueReturnsFollowTheWorkflowsTimetable(t *testing.T) {
	rules := demo.ServiceRules()
	for _, c := range []struct {
		years []int64
		start *time.Time
	}{
		{[]int64{2026, 2027}, nil},
		{[]int64{2026}, ptr(time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC))},
		{[]int64{2026, 2027, 2028}, ptr(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC))}, // the last day of Q4, in summer time
	} {
		for _, days := range []int{0, 15, 30} {
			rules.ReturnDueDays = days
			var years []grant.YearAmount
			for _, y := range c.years {
				years = append(years, grant.YearAmount{FinancialYear: int(y), Amount: money.Pounds(100000)})
			}
			var start time.Time
			if c.start != nil {
				start = *c.start
			}
			var want []time.Time
			for _, r := range workflows.ReturnTimetable(rules, years, workflows.StoredStart(years, start), nil, time.Time{}) {
				want = append(want, r.Due)
			}
			got := reporting.ReturnsDue(c.years, c.start, days)
			if !slices.EqualFunc(got, want, time.Time.Equal) {
				t.Errorf("years %v from %v, %d days: due %v, want %v", c.years, c.start, days, got, want)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }
