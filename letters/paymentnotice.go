package letters

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"grantflow/money"
)

// PaymentNotice tells Finance to pay one tranche of a multi-year award: how much, to whom, by when,
// from which cost centre, and why the tranche has been released.
//
// Every field is required except the payee's contact and address and TrancheCount.
type PaymentNotice struct {
	Letterhead      Letterhead
	Date            time.Time
	NoticeReference string
	AwardReference  string
	Payee           Recipient
	Tranche         int    // the tranche's number in the award's payment schedule, from 1
	TrancheCount    int    // how many tranches the award has; 0 leaves "of N" out
	Quarter         string // the quarter the tranche pays for, e.g. "Q2 2026-27"
	Amount          money.Pence
	Due             time.Time
	CostCentre      string
	// Basis is why the tranche may be paid, completing "Released because": e.g. "conditions
	// precedent met and Q1 2026-27 return accepted".
	Basis      string
	ApprovedBy string // who released the tranche, e.g. "C. Sample, Commissioning Officer"
}

func (n PaymentNotice) validate() error {
	c := newCheck("payment notice")
	c.letterhead("Letterhead", n.Letterhead)
	c.date("Date", n.Date)
	c.text("NoticeReference", n.NoticeReference)
	c.text("AwardReference", n.AwardReference)
	c.recipient("Payee", n.Payee, false)
	if n.Tranche < 1 {
		c.fail("Tranche", "must be 1 or more")
	}
	if n.TrancheCount < 0 || (n.TrancheCount > 0 && n.Tranche > n.TrancheCount) {
		c.fail("TrancheCount", fmt.Sprintf("is %d, but this is tranche %d", n.TrancheCount, n.Tranche))
	}
	c.text("Quarter", n.Quarter)
	c.positive("Amount", n.Amount)
	c.date("Due", n.Due)
	c.text("CostCentre", n.CostCentre)
	c.text("Basis", n.Basis)
	c.text("ApprovedBy", n.ApprovedBy)
	return c.result()
}

// PDF writes the payment notice, or returns a *ValidationError.
func (n PaymentNotice) PDF() ([]byte, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	tranche := strconv.Itoa(n.Tranche)
	if n.TrancheCount > 0 {
		tranche += " of " + strconv.Itoa(n.TrancheCount)
	}
	basis := strings.TrimSuffix(strings.TrimSpace(n.Basis), ".")
	w, err := newWriter(meta{
		title:   "Payment notice " + n.NoticeReference,
		subject: fmt.Sprintf("Award %s: tranche %d to %s", n.AwardReference, n.Tranche, n.Payee.Organisation),
		author:  n.Letterhead.Body,
		date:    n.Date,
		footer:  "Notice reference: " + n.NoticeReference,
	})
	if err != nil {
		return nil, err
	}
	w.letterhead(n.Letterhead)
	w.heading("Payment notice: tranche " + tranche)
	w.paragraph(fmt.Sprintf("A tranche of award %s has been released. Please pay %s to %s by %s.",
		n.AwardReference, n.Amount, n.Payee.Organisation, longDate(n.Due)))
	w.strong("Released because: " + basis + ".")

	payee := []string{n.Payee.Organisation}
	if c := strings.TrimSpace(n.Payee.Contact); c != "" {
		payee = append(payee, "Contact: "+c)
	}
	payee = append(payee, n.Payee.Address...)
	w.details([]field{
		{"Notice reference", n.NoticeReference},
		{"Date", longDate(n.Date)},
		{"Award reference", n.AwardReference},
		{"Payee", strings.Join(payee, "\n")},
		{"Tranche", tranche},
		{"Quarter", n.Quarter},
		{"Amount", n.Amount.String()},
		{"Due", longDate(n.Due)},
		{"Cost centre", n.CostCentre},
		{"Approved by", n.ApprovedBy},
	})
	w.paragraph("Please charge the payment to cost centre " + n.CostCentre + " and quote award reference " +
		n.AwardReference + " and notice reference " + n.NoticeReference + " on the remittance advice.")
	return w.bytes()
}
