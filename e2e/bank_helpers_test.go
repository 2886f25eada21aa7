package e2e

import "net/url"

// testBank is a bank account that passes the modulus check: the first published test case of
// Vocalink's "Validating account numbers" (standard modulus 10).
var testBank = map[string]any{"account_name": "Riverside Youth Project", "sort_code": "08-99-99", "account_number": "66374958"}

// acceptForm is the page's acceptance: the box ticked and testBank's details typed.
func acceptForm() url.Values {
	return url.Values{"confirm": {"yes"}, "bank.account_name": {"Riverside Youth Project"}, "bank.sort_code": {"08-99-99"}, "bank.account_number": {"66374958"}}
}
