// Package bankaccount checks UK bank details as people type them: the account name, the sort code and
// the account number, their formats, and whether the number can exist at that sort code by the
// modulus checks that Vocalink (for Pay.UK) publishes in "Validating account numbers" with its weight
// table (valacdos.txt) and sort code substitution table (scsubtab.txt), embedded from vocalink/.
//
// A pass means the pair could exist, not that it does or whose it is: that is what the call-back on a
// change of details is for.
package bankaccount

import (
	"strings"
	"unicode/utf8"
)

// The field names a refusal names, as the API and the forms spell them.
const (
	FieldAccountName   = "account_name"
	FieldSortCode      = "sort_code"
	FieldAccountNumber = "account_number"
)

// MaxAccountNameLength is the longest account name kept (a BACS payee name is shorter still; finance
// shortens it for the file).
const MaxAccountNameLength = 140

// Details are bank details in the one form the rest of the system keeps: the sort code as six
// digits and the account number as eight, without spaces or dashes.
type Details struct {
	AccountName   string
	SortCode      string
	AccountNumber string
}

// Check tidies what someone typed (spaces and dashes go; a six- or seven-digit account number gains
// the leading zeros banks leave off) and checks it. Refusals are keyed by field, each with its reason;
// none means the details may be kept.
func Check(accountName, sortCode, accountNumber string) (Details, map[string]string) {
	d := Details{
		AccountName:   strings.Join(strings.Fields(accountName), " "),
		SortCode:      digitsOnly(sortCode),
		AccountNumber: digitsOnly(accountNumber),
	}
	refused := map[string]string{}
	switch {
	case d.AccountName == "":
		refused[FieldAccountName] = "enter the name on the account"
	case utf8.RuneCountInString(d.AccountName) > MaxAccountNameLength:
		refused[FieldAccountName] = "the name on the account must be 140 characters or fewer"
	}
	sortOK, accountOK := false, false
	switch {
	case strings.TrimSpace(sortCode) == "":
		refused[FieldSortCode] = "enter the sort code"
	case !onlyDigitsSpacesDashes(sortCode) || len(d.SortCode) != 6:
		refused[FieldSortCode] = "enter the sort code as 6 digits, like 30-99-50"
	default:
		sortOK = true
	}
	switch n := len(d.AccountNumber); {
	case strings.TrimSpace(accountNumber) == "":
		refused[FieldAccountNumber] = "enter the account number"
	case !onlyDigitsSpacesDashes(accountNumber):
		refused[FieldAccountNumber] = "the account number must be digits only"
	case n == 6 || n == 7:
		d.AccountNumber = strings.Repeat("0", 8-n) + d.AccountNumber
		accountOK = true
	case n == 9 || n == 10:
		refused[FieldAccountNumber] = "enter the 8-digit account number your bank gives for payments into the account (some banks show a longer number)"
	case n != 8:
		refused[FieldAccountNumber] = "enter the account number as 8 digits"
	default:
		accountOK = true
	}
	if sortOK && accountOK && !Valid(d.SortCode, d.AccountNumber) {
		refused[FieldAccountNumber] = "this account number is not a valid number at sort code " + FormatSortCode(d.SortCode) + ": check both against a bank statement"
	}
	if len(refused) > 0 {
		return Details{}, refused
	}
	return d, nil
}

// FormatSortCode writes six digits as people read them: 30-99-50.
func FormatSortCode(sortCode string) string {
	if len(sortCode) != 6 {
		return sortCode
	}
	return sortCode[:2] + "-" + sortCode[2:4] + "-" + sortCode[4:]
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func onlyDigitsSpacesDashes(s string) bool {
	for _, r := range s {
		if (r < '0' || r > '9') && r != ' ' && r != '-' && r != '\t' {
			return false
		}
	}
	return true
}
