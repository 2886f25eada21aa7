package letters

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"grantflow/money"
)

// GrantAgreement is the award letter and grant agreement for a multi-year commissioned service:
// the offer, the amount per financial year, the quarterly payment schedule, the monitoring
// timetable, the outcomes and their quarterly targets, the conditions and how to accept.
//
// Every period label (a tranche's or a return's Quarter) must end with the label of one of Years,
// as "Q1 2026-27" ends with "2026-27": the agreement checks that each year's tranches add up to that
// year's amount and sets out the targets one financial year at a time.
//
// Every field is required except Recipient.Contact, the letterhead's contact details, the notes on
// tranches (see Tranche.Note), an indicator's Unit, individual quarterly targets, and VariedOn and
// Variation on a first version.
type GrantAgreement struct {
	Letterhead Letterhead
	Date       time.Time
	Reference  string // the award's reference
	// Version is 1 (or 0) for the agreement as first offered; a varied agreement is re-issued in
	// full as version 2, 3, ... with the date it was varied and a summary of what changed, shown
	// near the top.
	Version   int
	VariedOn  time.Time
	Variation string // e.g. "the 2027-28 and 2028-29 amounts rise by £5,000.00 a year for a second caseworker"
	// Changes is each year's amount under the version before and under this one, and
	// PreviousConditions that version's conditions: a varied agreement sets out what it changes.
	// Both optional.
	Changes            []YearChange
	PreviousConditions []string
	Recipient          Recipient
	Scheme             string
	Service            string // the service's name, e.g. "Young people's A&E navigator service"
	ServiceDescription string // what the service does, for whom and where
	Total              money.Pence
	Years              []YearAmount // the amount in each financial year, adding up to Total
	Purpose            string       // what the grant is for, as one or more sentences
	Tranches           []Tranche    // the payment schedule, adding up to Total year by year
	Returns            []ReturnDue  // the monitoring timetable, one return per quarter
	Indicators         []Indicator  // outcomes, their indicators and a target for each of Returns
	// ConditionsPrecedent must be met before the first payment; Conditions apply throughout.
	ConditionsPrecedent []string
	Conditions          []string
	AcceptBy            time.Time // the offer lapses after this day
	// StartDate and EndDate are the agreement's period: it starts on StartDate (the first tranche
	// falls due then, or later) and ends on EndDate, the last day of its last funded quarter. Both
	// or neither: agreements from before start dates print neither.
	StartDate   time.Time
	EndDate     time.Time
	HowToAccept string // e.g. "Please accept the agreement in your Grantflow account."
	Signatory   string // "A. Example, Head of Commissioning"
}

// Tranche is one quarterly payment of a multi-year award. No counts from 1. Quarter is the period
// the tranche pays for, e.g. "Q1 2026-27". An empty Note is printed as the usual release rule: the
// first tranche once the conditions precedent are met, each later one when the previous quarter's
// monitoring return is accepted. A varied agreement marks the tranches already paid (PaidOn) or
// released for payment (ReleasedOn) under an earlier version: they stay as they were.
type Tranche struct {
	No         int
	Quarter    string
	Due        time.Time
	Amount     money.Pence
	Note       string
	PaidOn     time.Time
	ReleasedOn time.Time
}

// ReturnDue is when the monitoring return for a quarter is due, e.g. Q1 2026-27 on 15 July 2026.
type ReturnDue struct {
	Quarter string
	Due     time.Time
}

// Indicator is how the progress of one outcome is measured. Targets holds one target per monitoring
// return, in the order of GrantAgreement.Returns ("40", "85%"); an empty target is printed as a
// dash, for a quarter in which the indicator is not measured.
type Indicator struct {
	Outcome string // e.g. "Fewer young people are victims of violence again"
	Name    string // e.g. "Young people who take up support after an A&E visit"
	Unit    string // e.g. "people", "% of referrals"
	Targets []string
}

// Release rules printed in the payment schedule when a tranche has no Note of its own.
const (
	FirstTrancheNote = "Released when the conditions precedent are met"
	LaterTrancheNote = "Released when the previous quarter's monitoring return is accepted"
)

func (a GrantAgreement) version() int { return max(a.Version, 1) }

func (a GrantAgreement) validate() error {
	c := newCheck("grant agreement")
	c.letterhead("Letterhead", a.Letterhead)
	c.date("Date", a.Date)
	c.text("Reference", a.Reference)
	switch {
	case a.Version < 0:
		c.fail("Version", "must be 1 or more")
	case a.Version > 1:
		c.date("VariedOn", a.VariedOn)
		c.text("Variation", a.Variation)
		if len(a.Changes) > 0 {
			c.yearChanges("Changes", a.Changes)
		}
	}
	c.recipient("Recipient", a.Recipient, true)
	c.text("Scheme", a.Scheme)
	c.text("Service", a.Service)
	c.text("ServiceDescription", a.ServiceDescription)
	c.positive("Total", a.Total)
	c.years("Years", a.Years, a.Total)
	c.text("Purpose", a.Purpose)
	a.checkTranches(c)
	a.checkReturns(c)
	a.checkIndicators(c)
	c.items("ConditionsPrecedent", a.ConditionsPrecedent)
	c.items("Conditions", a.Conditions)
	c.date("AcceptBy", a.AcceptBy)
	if !a.AcceptBy.IsZero() && !a.Date.IsZero() && !sameDayOrLater(a.AcceptBy, a.Date) {
		c.fail("AcceptBy", "is before the letter Date")
	}
	if !a.StartDate.IsZero() || !a.EndDate.IsZero() {
		c.date("StartDate", a.StartDate)
		c.date("EndDate", a.EndDate)
		if !a.StartDate.IsZero() && !a.EndDate.IsZero() && a.EndDate.Before(a.StartDate) {
			c.fail("EndDate", "is before the StartDate")
		}
		if len(a.Tranches) > 0 && !a.StartDate.IsZero() && !sameDayOrLater(a.Tranches[0].Due, a.StartDate) {
			c.fail("Tranches[0].Due", "is before the StartDate: nothing is paid before the agreement starts")
		}
	}
	c.text("HowToAccept", a.HowToAccept)
	c.text("Signatory", a.Signatory)
	return c.result()
}

// checkTranches requires tranches numbered upwards from 1, each due on a date, in a year of the
// award, and adding up to each year's amount.
func (a GrantAgreement) checkTranches(c *check) {
	if len(a.Tranches) == 0 {
		c.fail("Tranches", "needs at least one tranche")
		return
	}
	perYear := make([]money.Pence, len(a.Years))
	var sum money.Pence
	allPlaced := true
	for i, t := range a.Tranches {
		f := fmt.Sprintf("Tranches[%d]", i)
		switch {
		case i == 0 && t.No != 1:
			c.fail(f+".No", "must be 1: the first tranche is number 1")
		case i > 0 && t.No <= a.Tranches[i-1].No:
			c.fail(f+".No", fmt.Sprintf("must be more than %d, the number before it", a.Tranches[i-1].No))
		}
		c.text(f+".Quarter", t.Quarter)
		c.date(f+".Due", t.Due)
		c.positive(f+".Amount", t.Amount)
		sum += t.Amount
		if strings.TrimSpace(t.Quarter) == "" {
			allPlaced = false
			continue
		}
		if y, ok := yearIndex(t.Quarter, a.Years); ok {
			perYear[y] += t.Amount
		} else {
			allPlaced = false
			c.fail(f+".Quarter", fmt.Sprintf("%q is not in any of the award's years (%s)", t.Quarter, yearLabels(a.Years)))
		}
	}
	if a.Total > 0 && sum != a.Total {
		c.fail("Tranches", fmt.Sprintf("add up to %s, not the Total of %s", sum, a.Total))
		return
	}
	if !allPlaced {
		return
	}
	for y, year := range a.Years {
		if perYear[y] != year.Amount && year.Amount > 0 {
			c.fail("Tranches", fmt.Sprintf("for %s add up to %s, not that year's amount of %s", year.Label, perYear[y], year.Amount))
		}
	}
}

// checkReturns requires a return for at least one quarter, each in a year of the award.
func (a GrantAgreement) checkReturns(c *check) {
	if len(a.Returns) == 0 {
		c.fail("Returns", "needs at least one monitoring return")
		return
	}
	seen := make(map[string]bool, len(a.Returns))
	for i, r := range a.Returns {
		f := fmt.Sprintf("Returns[%d]", i)
		q := strings.TrimSpace(r.Quarter)
		switch {
		case q == "":
			c.fail(f+".Quarter", "is required")
		case seen[q]:
			c.fail(f+".Quarter", fmt.Sprintf("repeats %s", q))
		default:
			if _, ok := yearIndex(q, a.Years); !ok {
				c.fail(f+".Quarter", fmt.Sprintf("%q is not in any of the award's years (%s)", r.Quarter, yearLabels(a.Years)))
			}
		}
		seen[q] = true
		c.date(f+".Due", r.Due)
	}
}

// checkIndicators requires at least one indicator, each with an outcome, a name and one target per
// monitoring return, not all of them blank.
func (a GrantAgreement) checkIndicators(c *check) {
	if len(a.Indicators) == 0 {
		c.fail("Indicators", "needs at least one indicator")
		return
	}
	for i, ind := range a.Indicators {
		f := fmt.Sprintf("Indicators[%d]", i)
		c.text(f+".Outcome", ind.Outcome)
		c.text(f+".Name", ind.Name)
		if len(ind.Targets) != len(a.Returns) {
			c.fail(f+".Targets", fmt.Sprintf("has %d targets, but there are %d monitoring returns: give one for each quarter", len(ind.Targets), len(a.Returns)))
			continue
		}
		blank := true
		for _, t := range ind.Targets {
			blank = blank && strings.TrimSpace(t) == ""
		}
		if blank {
			c.fail(f+".Targets", "are all blank")
		}
	}
}

// PDF writes the grant agreement, or returns a *ValidationError.
func (a GrantAgreement) PDF() ([]byte, error) {
	if err := a.validate(); err != nil {
		return nil, err
	}
	v := a.version()
	footer := "Our reference: " + a.Reference
	if v > 1 {
		footer += ", version " + strconv.Itoa(v)
	}
	w, err := newWriter(meta{
		title:   fmt.Sprintf("Grant agreement %s, version %d", a.Reference, v),
		subject: a.Scheme + ": grant agreement with " + a.Recipient.Organisation + " for " + a.Service,
		author:  a.Letterhead.Body,
		date:    a.Date,
		footer:  footer,
	})
	if err != nil {
		return nil, err
	}
	w.letterhead(a.Letterhead)
	w.addressee(a.Recipient, []field{
		{"Our reference", a.Reference},
		{"Version", strconv.Itoa(v)},
		{"Date", longDate(a.Date)},
	})
	if v > 1 {
		w.banner(fmt.Sprintf("Version %d (varied on %s): %s", v, longDate(a.VariedOn), strings.TrimSpace(a.Variation)) +
			"\nThis version replaces every earlier version of the agreement.")
	}
	dear, yours := salutation(a.Recipient)
	w.paragraph(dear)
	w.heading("Grant agreement: " + a.Service)

	years := countWords(len(a.Years), "financial year", "financial years")
	if v > 1 {
		w.paragraph(fmt.Sprintf("We have varied the grant agreement between us for the %s. This is version %d "+
			"of the agreement, set out in full. Under it, %s receives a grant of %s from the %s over %s (%s).",
			a.Service, v, a.Recipient.Organisation, a.Total, a.Scheme, years, yearSpan(a.Years)))
	} else {
		w.paragraph(fmt.Sprintf("I am pleased to offer %s a grant of %s from the %s for the %s, over %s (%s).",
			a.Recipient.Organisation, a.Total, a.Scheme, a.Service, years, yearSpan(a.Years)))
	}
	w.paragraph("This letter and the schedules in it are the grant agreement between us. They set out the " +
		"service, what the grant is for, when we will pay it, how we will monitor the service and the " +
		"conditions attached. Please read them carefully and keep them with your records.")
	payments := "one tranche, due on " + longDate(a.Tranches[0].Due)
	if len(a.Tranches) > 1 {
		payments = fmt.Sprintf("%s; the first due on %s", countWords(len(a.Tranches), "tranche", "tranches"), longDate(a.Tranches[0].Due))
	}
	details := []field{
		{"Scheme", a.Scheme},
		{"Service", a.Service},
	}
	if !a.StartDate.IsZero() {
		details = append(details, field{"Agreement starts", longDate(a.StartDate)}, field{"Agreement ends", longDate(a.EndDate)})
	}
	w.details(append(details, []field{
		{"Total award", fmt.Sprintf("%s over %s (%s)", a.Total, years, yearSpan(a.Years))},
		{"Payments", payments},
		{"Monitoring", countWords(len(a.Returns), "quarterly return", "quarterly returns")},
	}...))

	w.subheading("The service")
	w.paragraph(a.ServiceDescription)

	if v > 1 {
		a.writeChanges(w)
	}
	w.section("Amount per financial year", "", []tablePart{yearsPart(a.Years, "Total award")}, false)

	w.subheading("What the grant is for")
	w.paragraph(a.Purpose)

	schedule := "We will pay the grant in the tranches below. We will pay the first " +
		"tranche once you have accepted this agreement and met the conditions precedent. We will release " +
		"each later tranche only when we have accepted your monitoring return for the previous quarter; " +
		"until then, we will hold it."
	if v > 1 {
		schedule += " Tranches already paid, or released for payment, under an earlier version are marked " +
			"so: this version does not change them."
	}
	w.section("Payment schedule", schedule, []tablePart{tranchePart(a.Tranches)}, true)

	returns := make([][]string, len(a.Returns))
	for i, r := range a.Returns {
		returns[i] = []string{r.Quarter, longDate(r.Due)}
	}
	w.section("Monitoring timetable", "Please send us a monitoring return for each quarter of the service, "+
		"reporting what the service did and the result for each indicator below against its target. Returns "+
		"are due on these dates:", []tablePart{{
		cols: []column{{title: "Quarter", width: 40, align: "L"}, {title: "Return due", width: 45, align: "L"}},
		rows: returns,
	}}, true)

	w.section("Outcomes and quarterly targets", "The service is to achieve the outcomes below. Each indicator "+
		"has a target for each quarter; a dash means the indicator is not measured that quarter.",
		targetTables(a.Years, a.Returns, a.Indicators), true)

	w.subheading("Conditions precedent")
	w.paragraph("The following conditions must be met before the first payment:")
	w.list(a.ConditionsPrecedent, true)

	w.subheading("Conditions of grant")
	w.paragraph("The grant is offered on the following conditions, which apply for the whole of the " +
		"agreement. By accepting it, your organisation agrees to keep to them.")
	w.list(a.Conditions, true)

	what := "this offer"
	if v > 1 {
		what = "this varied agreement"
	}
	w.subheading("How to accept " + what)
	w.paragraph(a.HowToAccept)
	if v > 1 {
		// A variation does not lapse (see the workflow's variation-reacceptance): the payments it
		// changes wait for it instead.
		w.strong("Please accept " + what + " by " + longDate(a.AcceptBy) + ". Until you accept it, we hold the " +
			"payments not yet released; we will remind you if it has not been accepted by then.")
	} else {
		w.strong("Please accept " + what + " by " + longDate(a.AcceptBy) + ". If we have not received your " +
			"acceptance by then, the offer will lapse.")
	}
	w.paragraph(contactSentence(a.Letterhead, "If you have any questions about this agreement", a.Reference))

	w.signOff(yours, a.Signatory, a.Letterhead.Body)
	return w.bytes()
}

// writeChanges sets out what a varied version changes: each year's amount before and after, and
// the conditions it adds and no longer includes.
func (a GrantAgreement) writeChanges(w *writer) {
	if len(a.Changes) > 0 {
		w.section("What this version changes", fmt.Sprintf("The amount in each financial year under version %d "+
			"and under this version:", a.version()-1), []tablePart{yearChangesPart(a.Changes, fmt.Sprintf("Version %d", a.version()-1),
			fmt.Sprintf("Version %d", a.version()))}, false)
	}
	if a.PreviousConditions == nil {
		return
	}
	added, dropped := listDifference(a.Conditions, a.PreviousConditions), listDifference(a.PreviousConditions, a.Conditions)
	if len(added) > 0 {
		w.paragraph("Conditions this version adds:")
		w.list(added, false)
	}
	if len(dropped) > 0 {
		w.paragraph("Conditions that no longer apply:")
		w.list(dropped, false)
	}
	if len(added) == 0 && len(dropped) == 0 {
		w.paragraph("The conditions of grant are unchanged.")
	}
}

// listDifference is the items of a that are not in b, in a's order.
func listDifference(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// tranchePart lays out the payment schedule of a service award with a total row.
func tranchePart(ts []Tranche) tablePart {
	cols := []column{
		{title: "No.", width: 11, align: "L"},
		{title: "Quarter", width: 25, align: "L"},
		{title: "Due", width: 35, align: "L"},
		{title: "Amount", width: 28, align: "R"},
		{title: "", width: 4, align: "L"},
		{title: "Notes", width: contentWidth - 103, align: "L"},
	}
	rows := make([][]string, len(ts))
	var total money.Pence
	for i, t := range ts {
		note := strings.TrimSpace(t.Note)
		switch {
		case !t.PaidOn.IsZero():
			note = "Paid on " + longDate(t.PaidOn)
		case !t.ReleasedOn.IsZero():
			note = "Released for payment on " + longDate(t.ReleasedOn)
		case note != "":
		case i == 0:
			note = FirstTrancheNote
		default:
			note = LaterTrancheNote
		}
		rows[i] = []string{strconv.Itoa(t.No), t.Quarter, longDate(t.Due), t.Amount.String(), "", note}
		total += t.Amount
	}
	return tablePart{cols: cols, rows: rows, total: []string{"", "Total", "", total.String(), "", ""}}
}

// targetTables lays out the indicators' quarterly targets as one table for each financial year
// (and one for each further four quarters, should a year have more), so that the columns stay
// readable. The outcome is printed once above the indicators that measure it.
func targetTables(years []YearAmount, returns []ReturnDue, inds []Indicator) []tablePart {
	const perTable = 4
	const quarterWidth = 15.0
	var parts []tablePart
	for y, year := range years {
		var idx []int // which returns (and so which targets) fall in this year
		for i, r := range returns {
			if yi, ok := yearIndex(r.Quarter, years); ok && yi == y {
				idx = append(idx, i)
			}
		}
		for start := 0; start < len(idx); start += perTable {
			part := idx[start:min(start+perTable, len(idx))]
			title := "Targets for " + year.Label
			if start > 0 {
				title += " (continued)"
			}
			rest := contentWidth - quarterWidth*float64(perTable)
			cols := []column{
				{title: "Outcome", width: rest * 0.36, align: "L"},
				{title: "Indicator", width: rest * 0.42, align: "L"},
				{title: "Unit", width: rest * 0.22, align: "L"},
			}
			for _, i := range part {
				cols = append(cols, column{title: quarterHeading(returns[i].Quarter, year.Label), width: quarterWidth, align: "R"})
			}
			rows := make([][]string, len(inds))
			for r, ind := range inds {
				outcome := ind.Outcome
				if r > 0 && strings.TrimSpace(inds[r-1].Outcome) == strings.TrimSpace(ind.Outcome) {
					outcome = ""
				}
				row := []string{outcome, ind.Name, ind.Unit}
				for _, i := range part {
					t := strings.TrimSpace(ind.Targets[i])
					if t == "" {
						t = "–"
					}
					row = append(row, t)
				}
				rows[r] = row
			}
			parts = append(parts, tablePart{title: title, cols: cols, rows: rows})
		}
	}
	return parts
}

// quarterHeading shortens "Q1 2026-27" to "Q1" under a heading that names the year.
func quarterHeading(quarter, year string) string {
	if q := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(quarter), year)); q != "" {
		return q
	}
	return quarter
}
