package web

import (
	"strings"
	"testing"
	"time"

	"grantflow/scheme"
)

// The finance week runs Monday to Sunday on London's calendar, across the clock changes.
func TestFinanceWeekIsMondayToSundayInLondon(t *testing.T) {
	cases := []struct {
		at             time.Time
		monday, sunday string
	}{
		{time.Date(2026, 11, 23, 0, 0, 0, 0, scheme.London), "2026-11-23", "2026-11-29"},   // a Monday's first moment
		{time.Date(2026, 11, 29, 23, 59, 0, 0, scheme.London), "2026-11-23", "2026-11-29"}, // the Sunday's last minute
		{time.Date(2026, 3, 29, 23, 30, 0, 0, time.UTC), "2026-03-30", "2026-04-05"},       // Monday 00:30 BST: a new week
		{time.Date(2026, 10, 25, 12, 0, 0, 0, scheme.London), "2026-10-19", "2026-10-25"},  // the day the clocks go back
		{time.Date(2027, 1, 1, 9, 0, 0, 0, scheme.London), "2026-12-28", "2027-01-03"},     // across a year end
	}
	for _, c := range cases {
		w := financeWeekOf(c.at)
		if got := w.Monday.Format(time.DateOnly) + " " + w.Sunday.Format(time.DateOnly); got != c.monday+" "+c.sunday {
			t.Errorf("week of %s = %s, want %s %s", c.at, got, c.monday, c.sunday)
		}
		if !w.holds(c.at) || w.holds(w.Monday.Add(-time.Nanosecond)) || w.holds(w.Monday.AddDate(0, 0, 7)) {
			t.Errorf("week of %s: holds is wrong at its edges", c.at)
		}
	}
	w := financeWeekOf(time.Date(2026, 11, 25, 12, 0, 0, 0, scheme.London))
	if !w.before(time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)) || w.before(time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)) {
		t.Error("a payment due the Sunday before is overdue; one due on the Monday is not")
	}
}

// A cell a spreadsheet would run as a formula is made text; anything else is left alone.
func TestCSVCellsNeverRunAsFormulas(t *testing.T) {
	in := []string{"=1+1", "+44 116", "-2", "@SUM(A1)", "\tx", "\rx", "Riverside Youth", "", "3000.00", "a=b"}
	want := []string{"'=1+1", "'+44 116", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "Riverside Youth", "", "3000.00", "a=b"}
	if got := csvSafe(in...); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("csvSafe = %q, want %q", got, want)
	}
}
