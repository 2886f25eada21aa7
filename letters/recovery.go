package letters

import (
	"strings"
	"time"

	"grantflow/money"
)

// Recovery is an underspend owed back once a grant's final report has been accepted: paid less
// spent. The provider's letter (RepaymentLetter) and finance's notice (RecoveryNotice) both print it.
//
// Every field is required except the debtor's contact and address.
type Recovery struct {
	Letterhead Letterhead
	Date       time.Time
	Reference  string // the recovery's reference, to quote with the repayment
	Award      string // the award's reference
	Scheme     string
	Debtor     Recipient
	Awarded    money.Pence
	Paid       money.Pence
	Spent      money.Pence
	Owed       money.Pence // Paid less Spent
	Due        time.Time
}

// check starts the validation of a document that prints the recovery.
func (r Recovery) check(what string) *check {
	c := newCheck(what)
	c.letterhead("Letterhead", r.Letterhead)
	c.date("Date", r.Date)
	c.text("Reference", r.Reference)
	c.text("Award", r.Award)
	c.text("Scheme", r.Scheme)
	c.recipient("Debtor", r.Debtor, false)
	c.positive("Paid", r.Paid)
	c.positive("Owed", r.Owed)
	if r.Owed != r.Paid-r.Spent {
		c.fail("Owed", "must be what was paid less what was spent, "+(r.Paid-r.Spent).String())
	}
	c.date("Due", r.Due)
	return c
}

func (r Recovery) figures() []field {
	return []field{
		{"Recovery reference", r.Reference},
		{"Award reference", r.Award},
		{"Scheme", r.Scheme},
		{"Awarded", r.Awarded.String()},
		{"Paid", r.Paid.String()},
		{"Spent (final report)", r.Spent.String()},
		{"Owed back", r.Owed.String()},
		{"Due by", longDate(r.Due)},
		{"Pay to", strings.Join(r.Letterhead.PayToLines(), "\n")},
	}
}

// RepaymentLetter asks the provider to repay the underspend: how much, how, and by when.
type RepaymentLetter struct {
	Recovery
	Signatory string // "A. Example, Commissioning Officer": who accepted the final report
}

// PDF writes the letter, or returns a *ValidationError.
func (l RepaymentLetter) PDF() ([]byte, error) {
	c := l.check("repayment letter")
	c.text("Signatory", l.Signatory)
	if err := c.result(); err != nil {
		return nil, err
	}
	w, err := newWriter(meta{
		title:   "Repayment of underspend " + l.Reference,
		subject: l.Scheme + ": repayment of underspend by " + l.Debtor.Organisation,
		author:  l.Letterhead.Body,
		date:    l.Date,
		footer:  "Our reference: " + l.Reference,
	})
	if err != nil {
		return nil, err
	}
	w.letterhead(l.Letterhead)
	w.addressee(l.Debtor, []field{{"Our reference", l.Reference}, {"Award", l.Award}, {"Date", longDate(l.Date)}})
	dear, yours := salutation(l.Debtor)
	w.paragraph(dear)
	w.heading("Repayment of underspend: " + l.Award)
	w.paragraph("Thank you for your final report, which we have accepted. We paid " + l.Paid.String() + " and your report shows " +
		l.Spent.String() + " spent, so " + l.Owed.String() + " of the grant was not spent and must be repaid.")
	w.strong("Please repay " + l.Owed.String() + " by " + longDate(l.Due) + ", quoting reference " + l.Reference + ".")
	w.subheading("How to repay")
	w.list(l.Letterhead.PayToLines(), false)
	w.paragraph("You may repay in more than one payment, provided the whole amount reaches us by " + longDate(l.Due) +
		". The grant closes once it is repaid in full.")
	w.details(l.figures())
	w.paragraph(contactSentence(l.Letterhead, "If you have any questions about this repayment", l.Reference))
	w.signOff(yours, l.Signatory, l.Letterhead.Body)
	return w.bytes()
}

// RecoveryNotice tells finance to collect the underspend: who owes it, how much, by when, where
// it is to be paid and the cost centre to credit.
type RecoveryNotice struct {
	Recovery
	CostCentre string
}

// PDF writes the notice, or returns a *ValidationError.
func (n RecoveryNotice) PDF() ([]byte, error) {
	c := n.check("recovery notice")
	c.text("CostCentre", n.CostCentre)
	if err := c.result(); err != nil {
		return nil, err
	}
	w, err := newWriter(meta{
		title:   "Recovery notice " + n.Reference,
		subject: "Award " + n.Award + ": underspend owed by " + n.Debtor.Organisation,
		author:  n.Letterhead.Body,
		date:    n.Date,
		footer:  "Notice reference: " + n.Reference,
	})
	if err != nil {
		return nil, err
	}
	w.letterhead(n.Letterhead)
	w.heading("Recovery notice: underspend to collect")
	w.paragraph("The final report of award " + n.Award + " has been accepted. " + n.Debtor.Organisation + " was paid " + n.Paid.String() +
		" and spent " + n.Spent.String() + ": please collect " + n.Owed.String() + " by " + longDate(n.Due) + ".")
	debtor := []string{n.Debtor.Organisation}
	if c := strings.TrimSpace(n.Debtor.Contact); c != "" {
		debtor = append(debtor, "Contact: "+c)
	}
	debtor = append(debtor, n.Debtor.Address...)
	w.details(append([]field{{"Date", longDate(n.Date)}, {"Debtor", strings.Join(debtor, "\n")}}, append(n.figures(), field{"Cost centre", n.CostCentre})...))
	w.paragraph("The provider has been asked to pay to the account above quoting " + n.Reference + ". Record each repayment " +
		"against the award in Grantflow as it arrives; the grant closes and cost centre " + n.CostCentre +
		" is credited once the whole amount is repaid.")
	return w.bytes()
}
