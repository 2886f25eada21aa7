// Package money holds amounts as whole pence and writes them the one way letters and pages show them.
package money

import (
	"fmt"
	"strconv"
	"strings"
)

// Pence is an amount of money in pence. Never a float: £12,345.67 is Pence(1234567).
type Pence int64

// Pounds builds an amount from whole pounds.
func Pounds(p int64) Pence { return Pence(p * 100) }

// String writes the amount as £12,345.67 (and -£5.00 for negatives).
func (p Pence) String() string {
	sign := ""
	v := uint64(p) // unsigned, so the most negative amount still has a magnitude
	if p < 0 {
		sign, v = "-", -v
	}
	pounds := strconv.FormatUint(v/100, 10)
	var b strings.Builder
	for i, r := range pounds {
		if i > 0 && (len(pounds)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s£%s.%02d", sign, b.String(), v%100)
}

// Parse reads "4250", "4250.5", "4,250.00" or "£4,250.00" into pence, refusing fractions of a penny.
func Parse(s string) (Pence, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(t, "£")
	t = strings.ReplaceAll(t, ",", "")
	if t == "" {
		return 0, fmt.Errorf("amount is empty")
	}
	whole, frac, hasFrac := strings.Cut(t, ".")
	if hasFrac && (len(frac) == 0 || len(frac) > 2) {
		return 0, fmt.Errorf("amount %q must have at most two decimal places", s)
	}
	// Digits only: strconv would also take a sign, so "+5" or "1.+5" (as £1.05) would slip through.
	if !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("amount %q is not a number of pounds", s)
	}
	pounds, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || pounds < 0 || pounds > 1e12 {
		return 0, fmt.Errorf("amount %q is not a number of pounds", s)
	}
	pence := int64(0)
	if hasFrac {
		if len(frac) == 1 {
			frac += "0"
		}
		if pence, err = strconv.ParseInt(frac, 10, 64); err != nil || pence < 0 {
			return 0, fmt.Errorf("amount %q is not a number of pounds", s)
		}
	}
	return Pence(pounds*100 + pence), nil
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
