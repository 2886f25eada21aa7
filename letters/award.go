package letters

import (
	"time"

	"grantflow/money"
)

// AwardLetter is the offer of a grant to an organisation. Every field is required except
// Recipient.Contact, the letterhead's contact details and the notes on payments.
type AwardLetter struct {
	Letterhead  Letterhead
	Date        time.Time
	Reference   string
	Recipient   Recipient
	Scheme      string
	Amount      money.Pence
	Purpose     string    // what the grant is for, as one or more sentences
	Conditions  []string  // printed as a numbered list
	Payments    []Payment // must add up to Amount
	Monitoring  []string  // e.g. "End-of-grant report due 31 August 2027"
	AcceptBy    time.Time // the offer lapses after this day
	HowToAccept string    // e.g. "Please accept the offer in your Grantflow account."
	Signatory   string    // "A. Example, Commissioning Officer"
}

func (l AwardLetter) validate() error {
	c := newCheck("award letter")
	c.letterhead("Letterhead", l.Letterhead)
	c.date("Date", l.Date)
	c.text("Reference", l.Reference)
	c.recipient("Recipient", l.Recipient, true)
	c.text("Scheme", l.Scheme)
	c.positive("Amount", l.Amount)
	c.text("Purpose", l.Purpose)
	c.items("Conditions", l.Conditions)
	c.schedule("Payments", l.Payments, l.Amount)
	c.items("Monitoring", l.Monitoring)
	c.date("AcceptBy", l.AcceptBy)
	if !l.AcceptBy.IsZero() && !l.Date.IsZero() && !sameDayOrLater(l.AcceptBy, l.Date) {
		c.fail("AcceptBy", "is before the letter Date")
	}
	c.text("HowToAccept", l.HowToAccept)
	c.text("Signatory", l.Signatory)
	return c.result()
}

// PDF writes the award letter, or returns a *ValidationError.
func (l AwardLetter) PDF() ([]byte, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	w, err := newWriter(meta{
		title:   "Offer of grant " + l.Reference,
		subject: l.Scheme + ": offer of grant to " + l.Recipient.Organisation,
		author:  l.Letterhead.Body,
		date:    l.Date,
		footer:  "Our reference: " + l.Reference,
	})
	if err != nil {
		return nil, err
	}
	w.letterhead(l.Letterhead)
	w.addressee(l.Recipient, []field{{"Our reference", l.Reference}, {"Date", longDate(l.Date)}})
	dear, yours := salutation(l.Recipient)
	w.paragraph(dear)
	w.heading("Offer of grant: " + l.Scheme)
	w.paragraph("I am pleased to offer " + l.Recipient.Organisation + " a grant of " + l.Amount.String() +
		" from the " + l.Scheme + ".")
	w.paragraph("This letter sets out what the grant is for, the conditions attached to it, when we " +
		"will pay it, how we will monitor it and how to accept it. Please read it carefully and keep " +
		"it with your records.")

	w.subheading("What the grant is for")
	w.paragraph(l.Purpose)

	w.subheading("Conditions of grant")
	w.paragraph("The grant is offered on the following conditions. By accepting it, your organisation " +
		"agrees to keep to them.")
	w.list(l.Conditions, true)

	w.subheading("Payment schedule")
	if len(l.Payments) == 1 {
		w.paragraph("We will pay the grant in one payment:")
	} else {
		w.paragraph("We will pay the grant in the following instalments:")
	}
	w.scheduleTable(l.Payments)

	w.subheading("Monitoring and reporting")
	w.paragraph("We are accountable for how public money is spent, so we will ask you for the following:")
	w.list(l.Monitoring, false)

	w.subheading("How to accept this offer")
	w.paragraph(l.HowToAccept)
	w.strong("Please accept this offer by " + longDate(l.AcceptBy) + ". If we have not received your " +
		"acceptance by then, the offer will lapse.")
	w.paragraph(contactSentence(l.Letterhead, "If you have any questions about this offer", l.Reference))

	w.signOff(yours, l.Signatory, l.Letterhead.Body)
	return w.bytes()
}
