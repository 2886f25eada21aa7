// Package letters writes the documents a grant decision produces, as A4 PDFs: the award letter
// (offer of grant), the decline letter and the finance award notice; and, for multi-year
// commissioned services, the grant agreement, the panel's decision pack, the published decision
// record and the payment notice for each tranche.
//
// Each document is a plain struct with a PDF method. PDF checks the fields first and returns a
// *ValidationError naming every field that is missing or wrong; it never writes half a letter.
// The same struct always gives the same bytes: the PDF's dates are the letter date and nothing
// else in the file depends on the clock or on chance, so a retried activity can compare or hash
// what it wrote.
//
// Text is set in Liberation Sans, embedded in the binary and in each document, which covers the
// Latin, Greek and Cyrillic alphabets: a Welsh, Polish, Irish, Turkish or Vietnamese name prints
// and reads back from the PDF as given. Characters of other scripts are shown as "?"; see font.go.
package letters

import (
	"fmt"
	"strings"
	"time"

	"grantflow/money"
)

// Letterhead is the sending body, printed at the top of every document.
type Letterhead struct {
	Body    string   // "Office of the Police and Crime Commissioner for Leicestershire (demo)"
	Address []string // one line each, postcode last
	Email   string
	Phone   string
	// PayTo is how money owed to the office is paid to it (account name, sort code, account
	// number), one line each; recovery letters and notices print it. Empty: pay the office named
	// in Body, quoting the reference.
	PayTo []string
}

// PayToLines is how to pay the office, as the recovery documents print it.
func (lh Letterhead) PayToLines() []string {
	if len(lh.PayTo) == 0 {
		return []string{"By bank transfer to " + lh.Body + " (ask us for the account details)"}
	}
	return lh.PayTo
}

// Recipient is the organisation a letter goes to, or the payee of a finance notice.
type Recipient struct {
	Organisation string
	Contact      string // the person the letter is addressed to; "Dear Sir or Madam" when empty
	Address      []string
}

// Payment is one row of a payment schedule. A zero Due means the payment is made on acceptance
// of the offer, and the schedule says so.
type Payment struct {
	No     int // the tranche's number, kept in a list of some tranches (those cancelled); 0: rows numbered in order
	Due    time.Time
	Amount money.Pence
	Note   string // e.g. "Released when the Q1 monitoring return is accepted"
}

// ValidationError lists the fields a document cannot be written without, or whose values do not
// make sense together. Field names are Go paths into the document struct, such as
// "Recipient.Organisation" or "Payments[1].Amount".
type ValidationError struct {
	Document string // "award letter", "decline letter", "finance award notice", "grant agreement", ...
	Problems []FieldProblem
}

// FieldProblem is one thing wrong with one field.
type FieldProblem struct {
	Field   string
	Problem string // "is required", "must be more than £0.00", ...
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + " " + p.Problem
	}
	return fmt.Sprintf("%s cannot be written: %s", e.Document, strings.Join(parts, "; "))
}

// Fields returns the names of the fields with problems, in the order they were found.
func (e *ValidationError) Fields() []string {
	out := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		out[i] = p.Field
	}
	return out
}

// check collects the problems with one document.
type check struct{ err ValidationError }

func newCheck(document string) *check { return &check{err: ValidationError{Document: document}} }

func (c *check) fail(field, problem string) {
	c.err.Problems = append(c.err.Problems, FieldProblem{Field: field, Problem: problem})
}

func (c *check) text(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.fail(field, "is required")
	}
}

func (c *check) date(field string, t time.Time) {
	if t.IsZero() {
		c.fail(field, "is required")
	}
}

func (c *check) positive(field string, p money.Pence) {
	if p <= 0 {
		c.fail(field, "must be more than "+money.Pence(0).String())
	}
}

// items requires at least one item and no blank ones.
func (c *check) items(field string, items []string) {
	if len(items) == 0 {
		c.fail(field, "needs at least one entry")
	}
	for i, it := range items {
		if strings.TrimSpace(it) == "" {
			c.fail(fmt.Sprintf("%s[%d]", field, i), "is empty")
		}
	}
}

func (c *check) letterhead(field string, lh Letterhead) {
	c.text(field+".Body", lh.Body)
}

func (c *check) recipient(field string, r Recipient, needAddress bool) {
	c.text(field+".Organisation", r.Organisation)
	if needAddress && len(r.Address) == 0 {
		c.fail(field+".Address", "needs at least one line")
	}
}

// schedule requires at least one payment, each more than nothing, adding up to total.
func (c *check) schedule(field string, ps []Payment, total money.Pence) {
	if len(ps) == 0 {
		c.fail(field, "needs at least one payment")
		return
	}
	var sum money.Pence
	for i, p := range ps {
		c.positive(fmt.Sprintf("%s[%d].Amount", field, i), p.Amount)
		sum += p.Amount
	}
	if total > 0 && sum != total {
		c.fail(field, fmt.Sprintf("add up to %s, not the amount of %s", sum, total))
	}
}

func (c *check) result() error {
	if len(c.err.Problems) == 0 {
		return nil
	}
	err := c.err
	return &err
}

// longDate writes a date the British way: "22 November 2026".
func longDate(t time.Time) string { return t.Format("2 January 2006") }

// sameDayOrLater reports whether a falls on or after b's calendar day.
func sameDayOrLater(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC).Compare(time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)) >= 0
}

// salutation and valediction follow British usage: "Yours sincerely" to a named person, "Yours
// faithfully" after "Dear Sir or Madam".
func salutation(r Recipient) (dear, yours string) {
	if c := strings.TrimSpace(r.Contact); c != "" {
		return "Dear " + c + ",", "Yours sincerely,"
	}
	return "Dear Sir or Madam,", "Yours faithfully,"
}

// contactSentence invites questions through whichever contact details the letterhead has.
func contactSentence(lh Letterhead, lead, reference string) string {
	var how []string
	if lh.Email != "" {
		how = append(how, "by email at "+lh.Email)
	}
	if lh.Phone != "" {
		how = append(how, "by telephone on "+lh.Phone)
	}
	s := lead + ", please contact us"
	if len(how) > 0 {
		s += " " + strings.Join(how, " or ")
	}
	return s + ", quoting our reference " + reference + "."
}

// scheduleTable writes a payment schedule with a total row.
func (w *writer) scheduleTable(ps []Payment) {
	cols := []column{
		{title: "No.", width: 13, align: "L"},
		{title: "Due", width: 40, align: "L"},
		{title: "Amount", width: 32, align: "R"},
		{title: "", width: 5, align: "L"}, // gap between the amount and the notes
		{title: "Notes", width: contentWidth - 90, align: "L"},
	}
	rows := make([][]string, len(ps))
	var total money.Pence
	for i, p := range ps {
		due := "On acceptance"
		if !p.Due.IsZero() {
			due = longDate(p.Due)
		}
		no := p.No
		if no == 0 {
			no = i + 1
		}
		rows[i] = []string{fmt.Sprintf("%d", no), due, p.Amount.String(), "", p.Note}
		total += p.Amount
	}
	w.table(cols, rows, []string{"", "Total", total.String(), "", ""})
}
