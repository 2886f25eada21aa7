package threesixtygiving

import "testing"

func TestCellKeepsApplicantsTextFromBecomingAFormula(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")", "+44 youth": "'+44 youth", "-5": "'-5",
		"@home": "'@home", "\tTabbed": "'\tTabbed", "Walks in Abbey": "Walks in Abbey", "": ""} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}
