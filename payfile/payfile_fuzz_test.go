package payfile

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"

	"grantflow/money"
)

// bacsText is what Safe may return: BACS's characters, starting with a letter or digit (so a
// spreadsheet opening the file never takes "-…" for a formula), single spaces, no space at the end.
var bacsText = regexp.MustCompile(`^([A-Z0-9][A-Z0-9.&/-]*( [A-Z0-9.&/-]+)*)?$`)

// FuzzSafe: any text becomes BACS text no longer than asked, and making it safe again changes nothing.
func FuzzSafe(f *testing.F) {
	for _, s := range []string{"Ŵyr Łódź", "Zoë Ní Bhriain", "A&B / C-D. Ltd", "  café   (naïve) ", "Straße", "-=SUM(A1)", "...", "", "ﬁ ǅ İ ẞ"} {
		f.Add(s, 18)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		if n < 0 || n > 200 {
			n = 18
		}
		got := Safe(s, n)
		if !bacsText.MatchString(got) || len(got) > n {
			t.Fatalf("Safe(%q, %d) = %q, not BACS text of at most %d characters", s, n, got, n)
		}
		if again := Safe(got, n); again != got {
			t.Fatalf("Safe(%q) = %q but Safe(%q) = %q", s, got, got, again)
		}
	})
}

// FuzzWrite: a payment to any account name and reference either is refused with the line and the
// reason named, or writes one CSV record that reads back as the BACS-safe fields, the amount in
// pounds that money.Parse reads as the same pence.
func FuzzWrite(f *testing.F) {
	f.Add("40-47-84", "12345678", "Cymdeithas Ŵyr Łódź", int64(425000), "GF-2026-00017 T1")
	f.Add("404784", "1234567", "Name", int64(100), "Ref")
	f.Add("40 47 84", "12345678", "-=cmd|' /C calc'!A0", int64(1), "@SUM(A1)")
	f.Add("404784", "12345678", "Name", int64(-5), "Ref")
	f.Fuzz(func(t *testing.T, sort, account, name string, amount int64, reference string) {
		var buf bytes.Buffer
		err := Write(&buf, []Line{{SortCode: sort, AccountNumber: account, AccountName: name, Amount: money.Pence(amount), Reference: reference}})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "payment file line 1: ") {
				t.Fatalf("refusal %q does not name the line", err)
			}
			return
		}
		records, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(records) != 1 || len(records[0]) != 6 {
			t.Fatalf("the file for %q, %q does not read back as one payment: %q, %v", name, reference, buf.String(), err)
		}
		r := records[0]
		if r[2] != Safe(name, NameLength) || r[4] != Safe(reference, ReferenceLength) || r[5] != TransactionCode {
			t.Fatalf("the payment to %q, %q reads back as %q", name, reference, r)
		}
		if !regexp.MustCompile(`^[0-9]+\.[0-9]{2}$`).MatchString(r[3]) {
			t.Fatalf("amount %d is written %q, not pounds and pence", amount, r[3])
		}
		if back, err := money.Parse(r[3]); amount <= 1e14 && (err != nil || back != money.Pence(amount)) { // Parse stops at a trillion pounds
			t.Fatalf("amount %d written as %q reads back as %d, %v", amount, r[3], back, err)
		}
	})
}
