// Package payfile writes finance's payment file: approved payments in the "standard CSV import"
// layout that BACS bureau software takes (one payment a line, no header), so a batch proposed and
// approved in Grantflow is keyed into the bank by import, not by hand. It owns the layout and the
// BACS character rules; which payments go in, and whose bank details, is the caller's.
package payfile

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strings"

	"golang.org/x/text/unicode/norm"

	"grantflow/money"
)

// TransactionCode is BACS's code for a direct credit.
const TransactionCode = "99"

// NameLength and ReferenceLength are the widths BACS keeps of the payee's account name and of the
// payment reference; longer text is cut, never wrapped.
const (
	NameLength      = 18
	ReferenceLength = 18
)

// Line is one payment: where it goes, how much, and the reference the payee sees on their statement.
type Line struct {
	SortCode      string // six digits; dashes and spaces are dropped
	AccountNumber string // eight digits
	AccountName   string
	Amount        money.Pence
	Reference     string
}

var (
	sixDigits   = regexp.MustCompile(`^[0-9]{6}$`)
	eightDigits = regexp.MustCompile(`^[0-9]{8}$`)
)

// Write writes the lines as the payment file: destination sort code, destination account number,
// destination account name (BACS-safe, 18 characters), amount in pounds and pence ("2500.00"),
// reference (BACS-safe, 18 characters) and transaction code 99. A line whose bank details cannot be
// paid is an error naming it, so a file never carries a payment the bank would reject.
func Write(w io.Writer, lines []Line) error {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // bureau software reads Windows line ends
	for i, l := range lines {
		sort := strings.NewReplacer("-", "", " ", "").Replace(l.SortCode)
		switch {
		case !sixDigits.MatchString(sort):
			return fmt.Errorf("payment file line %d: sort code %q is not six digits", i+1, l.SortCode)
		case !eightDigits.MatchString(l.AccountNumber):
			return fmt.Errorf("payment file line %d: account number %q is not eight digits", i+1, l.AccountNumber)
		case l.Amount <= 0:
			return fmt.Errorf("payment file line %d: amount %s is not a payment", i+1, l.Amount)
		}
		name := Safe(l.AccountName, NameLength)
		if name == "" {
			return fmt.Errorf("payment file line %d: account name %q has no character BACS can carry", i+1, l.AccountName)
		}
		record := []string{sort, l.AccountNumber, name, Pounds(l.Amount), Safe(l.Reference, ReferenceLength), TransactionCode}
		if err := cw.Write(record); err != nil {
			return fmt.Errorf("payment file line %d: %w", i+1, err)
		}
	}
	cw.Flush()
	return cw.Error()
}

// Pounds is an amount as the file writes it: pounds and pence with a point, no symbol or commas.
func Pounds(p money.Pence) string {
	return fmt.Sprintf("%d.%02d", int64(p)/100, int64(p)%100)
}

// Safe makes text BACS-safe: upper case, accents dropped ("Ŵyr Łódź" becomes "WYR LODZ"), only
// A–Z, 0–9, space and . & / - kept (anything else becomes a space), runs of spaces closed up,
// punctuation before the first letter or digit dropped, and cut to n characters.
func Safe(s string, n int) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFD.String(strings.ToUpper(s)) {
		if mapped, ok := latinBase[r]; ok {
			r = mapped
		}
		switch {
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '&', r == '/', r == '-':
			b.WriteRune(r)
			space = false
		case r >= 0x300 && r <= 0x36f: // a combining accent left by the decomposition
		default:
			if !space && b.Len() > 0 {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	// Starting with a letter or digit: a spreadsheet opening the file would run "-…" as a formula.
	out := strings.TrimLeft(b.String(), " .&/-")
	if len(out) > n {
		out = out[:n]
	}
	return strings.TrimSpace(out)
}

// latinBase maps the Latin letters that do not decompose into a base letter and an accent.
var latinBase = map[rune]rune{'Ł': 'L', 'Ø': 'O', 'Đ': 'D', 'Ħ': 'H', 'ß': 'S', 'Æ': 'A', 'Œ': 'O', 'Þ': 'T'}
