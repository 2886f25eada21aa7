package web

import "testing"

// A list's count reads as GOV.UK lists word it.
func TestShowingWordsACountAsPeopleSayIt(t *testing.T) {
	for _, c := range []struct {
		start, shown, total int
		capped              bool
		want                string
	}{
		{1, 1, 1, false, "1 application"},
		{1, 27, 27, false, "27 applications"},
		{1, 50, 120, false, "Showing 1 to 50 of 120 applications"},
		{101, 20, 120, false, "Showing 101 to 120 of 120 applications"},
		{1, 50, 10000, true, "Showing 1 to 50 of more than 10,000 applications"},
		{51, 1, 51, false, "Showing 51 to 51 of 51 applications"},
	} {
		if got := showing(c.start, c.shown, c.total, c.capped, "application", "applications"); got != c.want {
			t.Errorf("showing(%d, %d, %d, %v) = %q, want %q", c.start, c.shown, c.total, c.capped, got, c.want)
		}
	}
}
