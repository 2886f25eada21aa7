package publication

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"grantflow/store"
)

// column is one column of the register's CSV: its title in plain English and how a row fills it.
// Running columns (status, amount paid) appear in the live register only, not in a frozen month.
type column struct {
	title   string
	key     string // the JSON field's name
	value   func(Row) string
	running bool
}

// listSeparator joins a cell's list (conditions, priorities, areas, wards).
const listSeparator = "; "

var columns = []column{
	{title: "Reference", key: "reference", value: func(r Row) string { return r.Reference }},
	{title: "Recipient", key: "recipient", value: func(r Row) string { return r.Recipient }},
	{title: "Organisation type", key: "organisation_type", value: func(r Row) string { return r.OrganisationType }},
	{title: "Charity number", key: "charity_number", value: func(r Row) string { return r.CharityNumber }},
	{title: "Company number", key: "company_number", value: func(r Row) string { return r.CompanyNumber }},
	{title: "Scheme", key: "scheme", value: func(r Row) string { return r.Scheme }},
	{title: "Title", key: "title", value: func(r Row) string { return r.Title }},
	{title: "Purpose", key: "purpose", value: func(r Row) string { return r.Purpose }},
	{title: "Conditions", key: "conditions", value: func(r Row) string { return strings.Join(r.Conditions, listSeparator) }},
	{title: "Reasons it will reduce crime and disorder", key: "reasons", value: func(r Row) string { return r.Reasons }},
	{title: "Amount awarded (£)", key: "amount_awarded", value: func(r Row) string { return r.AmountAwarded.String() }},
	{title: "Amount paid (£)", key: "amount_paid", value: func(r Row) string { return r.AmountPaid.String() }, running: true},
	{title: "Award date", key: "award_date", value: func(r Row) string { return r.AwardDate }},
	{title: "Planned start", key: "planned_start", value: func(r Row) string { return r.PlannedStart }},
	{title: "Planned end", key: "planned_end", value: func(r Row) string { return r.PlannedEnd }},
	{title: "Ended early on", key: "ended_early_on", value: func(r Row) string { return r.EndedEarlyOn }},
	{title: "Status", key: "status", value: func(r Row) string { return r.Status }, running: true},
	{title: "Police and Crime Plan priorities", key: "priorities", value: func(r Row) string { return strings.Join(r.Priorities, listSeparator) }},
	{title: "Areas", key: "areas", value: func(r Row) string { return strings.Join(r.Areas, listSeparator) }},
	{title: "Wards", key: "wards", value: func(r Row) string { return strings.Join(r.Wards, listSeparator) }},
	{title: "Decided by", key: "decided_by", value: func(r Row) string { return r.DecidedBy }},
	{title: "Decision record", key: "decision_record", value: func(r Row) string { return r.DecisionRecord }},
}

// Writer writes register rows one at a time to a file: Write for each, then Close (which ends
// the file and flushes it; nothing is complete before).
type Writer interface {
	Write(Row) error
	Close() error
}

// CSV writes the register as RFC 4180 CSV with a header row of plain-English titles. A cell a
// spreadsheet would take for a formula (starting = + - @, a tab or a carriage return) is
// prefixed with a single quote, as GOV.UK's guidance on publishing CSV advises.
type CSV struct {
	w     *csv.Writer
	cols  []column
	cells []string
}

// NewCSV starts a CSV file on w: the live register's columns, or a frozen month's (frozen: no
// status or amount paid).
func NewCSV(w io.Writer, frozen bool) (*CSV, error) {
	c := &CSV{w: csv.NewWriter(w)}
	c.w.UseCRLF = true // RFC 4180's line ending
	var titles []string
	for _, col := range columns {
		if frozen && col.running {
			continue
		}
		c.cols = append(c.cols, col)
		titles = append(titles, col.title)
	}
	c.cells = make([]string, len(c.cols))
	if err := c.w.Write(titles); err != nil {
		return nil, fmt.Errorf("write the register's CSV header: %w", err)
	}
	return c, nil
}

// Write writes one row.
func (c *CSV) Write(r Row) error {
	for i, col := range c.cols {
		c.cells[i] = SafeCell(col.value(r))
	}
	if err := c.w.Write(c.cells); err != nil {
		return fmt.Errorf("write the register's CSV row %s: %w", r.Reference, err)
	}
	return nil
}

// Close flushes what is buffered.
func (c *CSV) Close() error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return fmt.Errorf("write the register's CSV: %w", err)
	}
	return nil
}

// SafeCell keeps a spreadsheet from running a cell as a formula: text starting with = + - @, a
// tab or a carriage return gets a leading single quote. It is the one guard for every CSV we write
// (the register, 360Giving, the figures, payments due): text typed by applicants and the office
// ("=HYPERLINK(…)") must stay text. A writer with negative numbers leaves them out of it.
func SafeCell(s string) string {
	if s != "" && strings.ContainsRune(formulaStarts, rune(s[0])) {
		return "'" + s
	}
	return s
}

// formulaStarts are the first characters that make a spreadsheet read a cell as a formula (OWASP's
// list for CSV injection).
const formulaStarts = "=+-@\t\r"

// JSON writes the register as one JSON array of objects with stable field names, a row at a time.
type JSON struct {
	w      *bufio.Writer
	frozen bool
	n      int
	err    error
}

// NewJSON starts a JSON array on w: live rows, or (frozen) the award facts alone.
func NewJSON(w io.Writer, frozen bool) *JSON {
	j := &JSON{w: bufio.NewWriter(w), frozen: frozen}
	_, j.err = j.w.WriteString("[")
	return j
}

// Write writes one object.
func (j *JSON) Write(r Row) error {
	if j.err != nil {
		return j.err
	}
	var v any = r
	if j.frozen {
		v = r.Award
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("write the register's JSON row %s: %w", r.Reference, err)
	}
	if j.n > 0 {
		j.w.WriteString(",")
	}
	j.w.WriteString("\n")
	_, j.err = j.w.Write(b)
	j.n++
	if j.err != nil {
		return fmt.Errorf("write the register's JSON: %w", j.err)
	}
	return nil
}

// Close ends the array and flushes it.
func (j *JSON) Close() error {
	if j.err != nil {
		return j.err
	}
	if j.n > 0 {
		j.w.WriteString("\n")
	}
	j.w.WriteString("]\n")
	if err := j.w.Flush(); err != nil {
		return fmt.Errorf("write the register's JSON: %w", err)
	}
	return nil
}

// Format is a file format of the register.
type Format string

const (
	FormatCSV  Format = "csv"
	FormatJSON Format = "json"
)

// NewWriter starts a file of the format on w.
func NewWriter(f Format, w io.Writer, frozen bool) (Writer, error) {
	switch f {
	case FormatCSV:
		return NewCSV(w, frozen)
	case FormatJSON:
		return NewJSON(w, frozen), nil
	}
	return nil, fmt.Errorf("no register format %q", f)
}

// Rows is where register rows come from: store.(*Store).EachRegisterGrant.
type Rows func(ctx context.Context, f store.RegisterFilter, fn func(store.RegisterGrant) error) error

// WriteRegister streams the live register matching f to w in the format, a row at a time.
func WriteRegister(ctx context.Context, rows Rows, f store.RegisterFilter, format Format, w io.Writer) error {
	out, err := NewWriter(format, w, false)
	if err != nil {
		return err
	}
	if err := rows(ctx, f, func(g store.RegisterGrant) error { return out.Write(RowOf(g)) }); err != nil {
		return err
	}
	return out.Close()
}
