package money

import "testing"

func TestString(t *testing.T) {
	cases := map[Pence]string{
		0:          "£0.00",
		5:          "£0.05",
		425000:     "£4,250.00",
		1234567:    "£12,345.67",
		100000000:  "£1,000,000.00",
		-500:       "-£5.00",
		Pounds(25): "£25.00",
	}
	for p, want := range cases {
		if got := p.String(); got != want {
			t.Errorf("Pence(%d).String() = %q, want %q", int64(p), got, want)
		}
	}
}

func TestParse(t *testing.T) {
	ok := map[string]Pence{"4250": 425000, "4250.5": 425050, "£4,250.00": 425000, " 0.07 ": 7}
	for in, want := range ok {
		got, err := Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "1.234", "-5", "12.", "£"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded, want an error", bad)
		}
	}
}
