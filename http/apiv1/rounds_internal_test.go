package apiv1

import (
	"strings"
	"testing"
	"time"
)

// London date-times: 23:59 in late October (GMT) and late March (BST) land on the right instant;
// a time the clocks skip or show twice is refused, saying why.
func TestLondonTime(t *testing.T) {
	for _, c := range []struct {
		in, want, refusal string
	}{
		{in: "2026-10-26T23:59", want: "2026-10-26T23:59:00Z"},
		{in: "2026-10-23T23:59", want: "2026-10-23T22:59:00Z"},
		{in: "2027-03-31 23:59", want: "2027-03-31T22:59:00Z"},
		{in: "2026-10-26T23:59:00+00:00", want: "2026-10-26T23:59:00Z"},
		{in: "2027-03-28T01:30", refusal: "clocks skip"},
		{in: "2026-10-25T01:30", refusal: "happens twice"},
		{in: "2026-10-25T01:30:00+01:00", want: "2026-10-25T00:30:00Z"},
		{in: "26/10/2026", refusal: "must be a date and time"},
		{in: "", refusal: "is required"},
	} {
		got, why := LondonTime(c.in)
		if c.refusal != "" {
			if !strings.Contains(why, c.refusal) {
				t.Errorf("%q: refusal %q, want %q", c.in, why, c.refusal)
			}
			continue
		}
		if why != "" || got.UTC().Format(time.RFC3339) != c.want {
			t.Errorf("%q: %s %q, want %s", c.in, got.UTC().Format(time.RFC3339), why, c.want)
		}
	}
}
