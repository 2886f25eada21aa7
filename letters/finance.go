package letters

import (
	"strings"
	"time"

	"grantflow/money"
)

// FinanceAwardNotice tells Finance that an award has been made and what to pay, when and from
// which cost centre. Every field is required except the payee's contact and address and the notes
// on payments.
type FinanceAwardNotice struct {
	Letterhead      Letterhead
	Date            time.Time
	NoticeReference string
	AwardReference  string
	Payee           Recipient
	Scheme          string
	Amount          money.Pence
	Schedule        []Payment // must add up to Amount
	CostCentre      string
	ApprovedBy      string // who approved the award, e.g. "B. Sample, Head of Commissioning"
}

func (n FinanceAwardNotice) validate() error {
	c := newCheck("finance award notice")
	c.letterhead("Letterhead", n.Letterhead)
	c.date("Date", n.Date)
	c.text("NoticeReference", n.NoticeReference)
	c.text("AwardReference", n.AwardReference)
	c.recipient("Payee", n.Payee, false)
	c.text("Scheme", n.Scheme)
	c.positive("Amount", n.Amount)
	c.schedule("Schedule", n.Schedule, n.Amount)
	c.text("CostCentre", n.CostCentre)
	c.text("ApprovedBy", n.ApprovedBy)
	return c.result()
}

// PDF writes the finance award notice, or returns a *ValidationError.
func (n FinanceAwardNotice) PDF() ([]byte, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	w, err := newWriter(meta{
		title:   "Finance award notice " + n.NoticeReference,
		subject: n.Scheme + ": award " + n.AwardReference + " to " + n.Payee.Organisation,
		author:  n.Letterhead.Body,
		date:    n.Date,
		footer:  "Notice reference: " + n.NoticeReference,
	})
	if err != nil {
		return nil, err
	}
	w.letterhead(n.Letterhead)
	w.heading("Finance award notice")
	w.paragraph("An award has been approved. Please set up the payee and make the payments below.")

	payee := []string{n.Payee.Organisation}
	if c := strings.TrimSpace(n.Payee.Contact); c != "" {
		payee = append(payee, "Contact: "+c)
	}
	payee = append(payee, n.Payee.Address...)
	w.details([]field{
		{"Notice reference", n.NoticeReference},
		{"Date", longDate(n.Date)},
		{"Award reference", n.AwardReference},
		{"Scheme", n.Scheme},
		{"Payee", strings.Join(payee, "\n")},
		{"Amount awarded", n.Amount.String()},
		{"Cost centre", n.CostCentre},
		{"Approved by", n.ApprovedBy},
	})

	w.subheading("Payment schedule")
	w.paragraph("Please charge each payment to cost centre " + n.CostCentre + " and quote award " +
		"reference " + n.AwardReference + " on the remittance advice.")
	w.scheduleTable(n.Schedule)
	return w.bytes()
}
