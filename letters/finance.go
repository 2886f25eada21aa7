package letters

import (
	"fmt"
	"strconv"
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

// YearChange is one financial year's amount before and after a change to an award.
type YearChange struct {
	Label         string // "2026-27"
	Before, After money.Pence
}

// signedChange writes the difference after less before: "+£5,000.00", "-£5,000.00" or "none".
func signedChange(before, after money.Pence) string {
	switch d := after - before; {
	case d > 0:
		return "+" + d.String()
	case d < 0:
		return d.String()
	}
	return "none"
}

// yearChangesPart lays out each year's amount before and after a change, with their totals.
func yearChangesPart(cs []YearChange, before, after string) tablePart {
	cols := []column{
		{title: "Financial year", width: 40, align: "L"},
		{title: before, width: 40, align: "R"},
		{title: after, width: 40, align: "R"},
		{title: "Change", width: 40, align: "R"},
	}
	rows := make([][]string, len(cs))
	var was, now money.Pence
	for i, c := range cs {
		rows[i] = []string{c.Label, c.Before.String(), c.After.String(), signedChange(c.Before, c.After)}
		was, now = was+c.Before, now+c.After
	}
	return tablePart{cols: cols, rows: rows, total: []string{"Total", was.String(), now.String(), signedChange(was, now)}}
}

func (c *check) yearChanges(field string, cs []YearChange) {
	if len(cs) == 0 {
		c.fail(field, "needs at least one financial year")
	}
	for i, y := range cs {
		f := fmt.Sprintf("%s[%d]", field, i)
		c.text(f+".Label", y.Label)
		if y.Before < 0 || y.After < 0 {
			c.fail(f, "cannot be less than "+money.Pence(0).String())
		}
	}
}

// RevisedFinanceNotice tells Finance that an award has changed, as the award notice told them it
// was made: varied (Version is its new version) or ended early (EndedOn is the day). It says what
// changed year by year, the payments as they now stand and the payments cancelled, so finance's
// books follow every change of money. Schedule may be empty only for an award ended before any
// payment was released; Cancelled may be empty.
type RevisedFinanceNotice struct {
	Letterhead      Letterhead
	Date            time.Time
	NoticeReference string
	AwardReference  string
	Version         int       // the award's version after a variation (2 or more); 0 for an ending
	EndedOn         time.Time // the day the award was ended early; zero for a variation
	Reason          string    // what the variation changes, or why the award was ended
	Payee           Recipient
	Scheme          string
	Changes         []YearChange // every year of the award, before and after
	Schedule        []Payment    // the payments as they now stand, adding up to the years after
	Cancelled       []Payment    // the payments the change cancelled: not to be paid
	CostCentre      string
	DecidedBy       string // who varied or ended the award, e.g. "C. Example, Police and Crime Commissioner"
}

func (n RevisedFinanceNotice) ended() bool { return !n.EndedOn.IsZero() }

func (n RevisedFinanceNotice) validate() error {
	c := newCheck("revised finance award notice")
	c.letterhead("Letterhead", n.Letterhead)
	c.date("Date", n.Date)
	c.text("NoticeReference", n.NoticeReference)
	c.text("AwardReference", n.AwardReference)
	switch {
	case n.ended() && n.Version != 0:
		c.fail("Version", "must be 0 for an award ended early")
	case !n.ended() && n.Version < 2:
		c.fail("Version", "must be 2 or more for a variation (or give EndedOn for an award ended early)")
	}
	c.text("Reason", n.Reason)
	c.recipient("Payee", n.Payee, false)
	c.text("Scheme", n.Scheme)
	c.yearChanges("Changes", n.Changes)
	var after money.Pence
	for _, y := range n.Changes {
		after += y.After
	}
	if len(n.Schedule) > 0 || after > 0 || !n.ended() {
		c.schedule("Schedule", n.Schedule, after)
		if after == 0 {
			c.fail("Changes", "leave nothing awarded: a variation cannot take an award to "+money.Pence(0).String())
		}
	}
	for i, p := range n.Cancelled {
		c.positive(fmt.Sprintf("Cancelled[%d].Amount", i), p.Amount)
	}
	c.text("CostCentre", n.CostCentre)
	c.text("DecidedBy", n.DecidedBy)
	return c.result()
}

// PDF writes the revised finance award notice, or returns a *ValidationError.
func (n RevisedFinanceNotice) PDF() ([]byte, error) {
	if err := n.validate(); err != nil {
		return nil, err
	}
	title, intro, by := "Revised finance award notice", fmt.Sprintf("Award %s has been varied: version %d of its grant agreement "+
		"replaces the payment schedule finance holds for it. Please update the commitment and pay only the payments below.",
		n.AwardReference, n.Version), "Varied by"
	if n.ended() {
		title, intro, by = "Finance notice: award ended early", fmt.Sprintf("Award %s was ended early on %s. Please make no "+
			"further payments against it beyond those below, and release the cancelled amount from the commitment.",
			n.AwardReference, longDate(n.EndedOn)), "Ended by"
	}
	w, err := newWriter(meta{
		title:   title + " " + n.NoticeReference,
		subject: n.Scheme + ": award " + n.AwardReference + " to " + n.Payee.Organisation,
		author:  n.Letterhead.Body,
		date:    n.Date,
		footer:  "Notice reference: " + n.NoticeReference,
	})
	if err != nil {
		return nil, err
	}
	var was, now, cancelled money.Pence
	for _, y := range n.Changes {
		was, now = was+y.Before, now+y.After
	}
	for _, p := range n.Cancelled {
		cancelled += p.Amount
	}
	w.letterhead(n.Letterhead)
	w.heading(title)
	w.paragraph(intro)
	payee := []string{n.Payee.Organisation}
	payee = append(payee, n.Payee.Address...)
	fields := []field{
		{"Notice reference", n.NoticeReference},
		{"Date", longDate(n.Date)},
		{"Award reference", n.AwardReference},
		{"Scheme", n.Scheme},
		{"Payee", strings.Join(payee, "\n")},
		{"Amount awarded before", was.String()},
		{"Amount awarded now", now.String()},
		{"Cancelled", cancelled.String()},
		{"Cost centre", n.CostCentre},
		{by, n.DecidedBy},
		{"Why", n.Reason},
	}
	if !n.ended() {
		fields = append(fields[:3], append([]field{{"Agreement version", strconv.Itoa(n.Version)}}, fields[3:]...)...)
	}
	w.details(fields)

	w.section("What changed", "The amount in each financial year before and after this notice:",
		[]tablePart{yearChangesPart(n.Changes, "Before", "Now")}, false)

	w.subheading("Payment schedule now")
	if len(n.Schedule) == 0 {
		w.paragraph("No payment was released before the award ended, so nothing is to be paid.")
	} else {
		w.paragraph("Please charge each payment to cost centre " + n.CostCentre + " and quote award reference " +
			n.AwardReference + " on the remittance advice. Payments already made are marked; each payment not yet " +
			"made is released by its own payment notice.")
		w.scheduleTable(n.Schedule)
	}
	if len(n.Cancelled) > 0 {
		w.subheading("Cancelled payments")
		w.paragraph("These payments are cancelled and must not be made:")
		w.scheduleTable(n.Cancelled)
	}
	return w.bytes()
}
