package letters

import (
	"time"

	"grantflow/money"
)

// DeclineLetter tells an applicant that its application was not successful, and why. Every field
// is required except Recipient.Contact, the letterhead's contact details and AmountRequested (the
// letter leaves the amount out when it is zero).
type DeclineLetter struct {
	Letterhead      Letterhead
	Date            time.Time
	Reference       string
	Recipient       Recipient
	Scheme          string
	AmountRequested money.Pence
	Reasons         []string // printed as a list, each a sentence a person can read
	Signatory       string
}

func (l DeclineLetter) validate() error {
	c := newCheck("decline letter")
	c.letterhead("Letterhead", l.Letterhead)
	c.date("Date", l.Date)
	c.text("Reference", l.Reference)
	c.recipient("Recipient", l.Recipient, true)
	c.text("Scheme", l.Scheme)
	if l.AmountRequested < 0 {
		c.fail("AmountRequested", "must not be negative")
	}
	c.items("Reasons", l.Reasons)
	c.text("Signatory", l.Signatory)
	return c.result()
}

// PDF writes the decline letter, or returns a *ValidationError.
func (l DeclineLetter) PDF() ([]byte, error) {
	if err := l.validate(); err != nil {
		return nil, err
	}
	w, err := newWriter(meta{
		title:   "Outcome of application " + l.Reference,
		subject: l.Scheme + ": application from " + l.Recipient.Organisation + " not successful",
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
	w.heading("Your application to the " + l.Scheme)

	thanks := "Thank you for your application to the " + l.Scheme
	if l.AmountRequested > 0 {
		thanks += " for a grant of " + l.AmountRequested.String()
	}
	w.paragraph(thanks + ". We have now considered it carefully, and I am sorry to tell you that on " +
		"this occasion we are not able to offer " + l.Recipient.Organisation + " a grant.")
	if len(l.Reasons) == 1 {
		w.paragraph("The reason for our decision is:")
	} else {
		w.paragraph("The reasons for our decision are:")
	}
	w.list(l.Reasons, false)

	w.paragraph("We know how much work goes into an application, and we are grateful for the time " +
		"you gave to yours. This decision is about this application only. You are welcome to apply " +
		"again, to a future round of the " + l.Scheme + " or to another of our schemes, and we hope " +
		"the points above will help when you do.")
	w.paragraph(contactSentence(l.Letterhead, "If you would like to talk about this decision", l.Reference))

	w.signOff(yours, l.Signatory, l.Letterhead.Body)
	return w.bytes()
}
