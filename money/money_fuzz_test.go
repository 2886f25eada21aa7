package money

import (
	"regexp"
	"strings"
	"testing"
)

// plainAmount is what Parse may accept once the pound sign, spaces and thousands commas are gone:
// digits, then at most two decimal places. A sign or anything else is refused.
var plainAmount = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,2})?$`)

// FuzzParse: Parse never panics, accepts only plain amounts, never returns a negative, and an
// accepted amount written by String reads back as the same pence.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"4250", "4250.5", "£4,250.00", " 0.07 ", "1.234", "-5", "12.", "£", "1.+5", "+5", "999999999999.99", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if err.Error() == "" || !strings.Contains(err.Error(), "amount") {
				t.Fatalf("Parse(%q) error %q does not name the amount", s, err)
			}
			return
		}
		bare := strings.ReplaceAll(strings.TrimPrefix(strings.TrimSpace(s), "£"), ",", "")
		if !plainAmount.MatchString(bare) {
			t.Fatalf("Parse(%q) = %d, want a refusal: %q is not a plain amount", s, p, bare)
		}
		if p < 0 {
			t.Fatalf("Parse(%q) = %d, a negative amount", s, p)
		}
		back, err := Parse(p.String())
		if err != nil || back != p {
			t.Fatalf("Parse(%q) = %d, but Parse(%q) = %d, %v", s, p, p.String(), back, err)
		}
	})
}

// FuzzString: every amount String writes has the shape £1,234.56 (or -£…), and a non-negative one
// Parse accepts reads back as the same pence.
func FuzzString(f *testing.F) {
	for _, p := range []int64{0, 5, 425000, 1234567, -500, 100000000, 99999999999999, 1<<63 - 1, -1 << 63} {
		f.Add(p)
	}
	shape := regexp.MustCompile(`^-?£[0-9]{1,3}(,[0-9]{3})*\.[0-9]{2}$`)
	f.Fuzz(func(t *testing.T, v int64) {
		s := Pence(v).String()
		if !shape.MatchString(s) {
			t.Fatalf("Pence(%d).String() = %q, not £1,234.56", v, s)
		}
		if v < 0 || v > 1e14+99 {
			return
		}
		back, err := Parse(s)
		if err != nil || back != Pence(v) {
			t.Fatalf("Parse(Pence(%d).String() = %q) = %d, %v", v, s, back, err)
		}
	})
}
