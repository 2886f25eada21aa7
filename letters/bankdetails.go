package letters

import (
	"time"
)

// PayeeBankDetailsNotice tells finance, and only finance, the bank account an award is paid into:
// the one document that carries a full sort code and account number. Every other letter and
// notice leaves them out. HowConfirmed says how the details came to be trusted: given with the
// acceptance of the offer, or a change confirmed by a call-back (who, when, to which number).
type PayeeBankDetailsNotice struct {
	Letterhead     Letterhead
	Date           time.Time
	AwardReference string
	Payee          string // the organisation
	AccountName    string
	SortCode       string // 12-34-56
	AccountNumber  string // eight digits
	GivenOn        time.Time
	HowConfirmed   string
}

func (n PayeeBankDetailsNotice) validate() error {
	c := newCheck("payee bank details notice")
	c.letterhead("Letterhead", n.Letterhead)
	c.date("Date", n.Date)
	c.text("AwardReference", n.AwardReference)
	c.text("Payee", n.Payee)
	c.text("AccountName", n.AccountName)
	c.text("SortCode", n.SortCode)
	c.text("AccountNumber", n.AccountNumber)
	c.date("GivenOn", n.GivenOn)
	c.text("HowConfirmed", n.HowConfirmed)
	return c.result()
}

// PDF writes the notice, or returns a *ValidationError.
func (n PayeeBankDetailsNotice) PDF() ([]byte, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	w, err := newWriter(meta{
		title:   "Payee bank details " + n.AwardReference,
		subject: "Bank details for award " + n.AwardReference + " to " + n.Payee,
		author:  n.Letterhead.Body,
		date:    n.Date,
		footer:  "Finance only. Award reference: " + n.AwardReference,
	})
	if err != nil {
		return nil, err
	}
	w.letterhead(n.Letterhead)
	w.heading("Finance notice: payee bank details")
	w.paragraph("Pay award " + n.AwardReference + " into this account only. These details are for finance: do not copy them into " +
		"letters, e-mails or other documents. If anyone asks to change them, do not act on the request: the change must come " +
		"through Grantflow and be confirmed by calling the organisation back on a number already held.")
	w.details([]field{
		{"Award reference", n.AwardReference},
		{"Payee", n.Payee},
		{"Account name", n.AccountName},
		{"Sort code", n.SortCode},
		{"Account number", n.AccountNumber},
		{"Given on", longDate(n.GivenOn)},
		{"Confirmed", n.HowConfirmed},
		{"Notice date", longDate(n.Date)},
	})
	return w.bytes()
}
