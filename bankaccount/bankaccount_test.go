package bankaccount

import (
	"strings"
	"testing"
)

// The test cases published in chapter 3 of Vocalink's "Validating account numbers" (v7.70),
// numbered as there: each combination of method and exception, passing and failing.
func TestValidPublishedCases(t *testing.T) {
	cases := []struct {
		no              int
		sortCode, accNo string
		valid           bool
	}{
		{1, "089999", "66374958", true},
		{2, "107999", "88837491", true},
		{3, "202959", "63748472", true},
		{4, "871427", "46238510", true},
		{5, "872427", "46238510", true},
		{6, "871427", "09123496", true},
		{7, "871427", "99123496", true},
		{8, "820000", "73688637", true},
		{9, "827999", "73988638", true},
		{10, "827101", "28748352", true},
		{11, "134020", "63849203", true},
		{12, "118765", "64371389", true},
		{13, "200915", "41011166", true},
		{14, "938611", "07806039", true},
		{15, "938600", "42368003", true},
		{16, "938063", "55065200", true},
		{17, "772798", "99345694", true},
		{18, "086090", "06774744", true},
		{19, "309070", "02355688", true},
		{20, "309070", "12345668", true},
		{21, "309070", "12345677", true},
		{22, "309070", "99345694", true},
		{23, "938063", "15764273", false},
		{24, "938063", "15764264", false},
		{25, "938063", "15763217", false},
		{26, "118765", "64371388", false},
		{27, "203099", "66831036", false},
		{28, "203099", "58716970", false},
		{29, "089999", "66374959", false},
		{30, "107999", "88837493", false},
		{31, "074456", "12345112", true},
		{32, "070116", "34012583", true},
		{33, "074456", "11104102", true},
		{34, "180002", "00000190", true},
	}
	for _, c := range cases {
		if got := Valid(c.sortCode, c.accNo); got != c.valid {
			t.Errorf("case %d: Valid(%s, %s) = %v, want %v", c.no, c.sortCode, c.accNo, got, c.valid)
		}
	}
	// Exception 14's first worked example in section 2.2.2 passes the first check outright.
	if !Valid("180002", "98093517") {
		t.Error("exception 14, example 1: want valid")
	}
}

func TestTablesLoaded(t *testing.T) {
	if len(rules) < 1000 || len(substitutions) != 21 {
		t.Fatalf("loaded %d weight rows and %d substitutions; want the whole published tables", len(rules), len(substitutions))
	}
}

// A sort code the weight table does not cover cannot be checked, so its account numbers pass.
func TestValidUncoveredSortCode(t *testing.T) {
	if !Valid("000000", "12345678") {
		t.Fatal("a sort code outside the table: want valid (it cannot be checked)")
	}
	if Valid("00000", "12345678") || Valid("000000", "1234567x") {
		t.Fatal("malformed input must never pass")
	}
}

func TestCheckTidiesAndNamesFields(t *testing.T) {
	d, refused := Check("  Riverside   Youth Project ", "08-99 99", "6637 4958")
	if refused != nil {
		t.Fatalf("refused %v", refused)
	}
	if d != (Details{AccountName: "Riverside Youth Project", SortCode: "089999", AccountNumber: "66374958"}) {
		t.Fatalf("tidied to %+v", d)
	}
	// A seven-digit account number gains its leading zero; modulus 11 then judges the eight digits.
	if d, refused := Check("A", "180002", "0000190"); refused != nil || d.AccountNumber != "00000190" {
		t.Fatalf("seven digits: %+v, %v", d, refused)
	}

	for _, c := range []struct {
		name, sortCode, account string
		field, says             string
	}{
		{"", "089999", "66374958", FieldAccountName, "enter the name"},
		{"A", "", "66374958", FieldSortCode, "enter the sort code"},
		{"A", "08999", "66374958", FieldSortCode, "6 digits"},
		{"A", "08999a", "66374958", FieldSortCode, "6 digits"},
		{"A", "089999", "", FieldAccountNumber, "enter the account number"},
		{"A", "089999", "6637495", FieldAccountNumber, "not a valid number at sort code 08-99-99"},
		{"A", "089999", "66374959", FieldAccountNumber, "not a valid number at sort code 08-99-99"},
		{"A", "089999", "12345", FieldAccountNumber, "8 digits"},
		{"A", "089999", "1234567890", FieldAccountNumber, "8-digit account number your bank gives"},
		{"A", "089999", "6637495O", FieldAccountNumber, "digits only"},
		{strings.Repeat("x", 141), "089999", "66374958", FieldAccountName, "140 characters"},
	} {
		d, refused := Check(c.name, c.sortCode, c.account)
		if !strings.Contains(refused[c.field], c.says) {
			t.Errorf("Check(%q, %q, %q) refused %v; want %s to say %q", c.name, c.sortCode, c.account, refused, c.field, c.says)
		}
		if len(refused) != 1 || d != (Details{}) {
			t.Errorf("Check(%q, %q, %q) = %+v, %v; want only %s refused", c.name, c.sortCode, c.account, d, refused, c.field)
		}
	}
}
