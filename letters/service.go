package letters

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"grantflow/money"
)

// This file holds what the commissioned-service documents (grant agreement, decision pack,
// decision record and payment notice) share: amounts per financial year, a few checks and a few
// layout pieces the grassroots letters do not need.

// YearAmount is an amount of money for one financial year, such as the part of a multi-year award
// paid in 2026-27. Label is the financial year as readers write it ("2026-27"); the quarters of a
// grant agreement are labelled with it too ("Q1 2026-27").
type YearAmount struct {
	Label  string      `json:"label"` // "2026-27"
	Amount money.Pence `json:"amount_pence"`
}

// sumYears adds up the amounts of ys.
func sumYears(ys []YearAmount) money.Pence {
	var sum money.Pence
	for _, y := range ys {
		sum += y.Amount
	}
	return sum
}

// yearSpan writes the years an award covers: "2026-27" or "2026-27 to 2028-29".
func yearSpan(ys []YearAmount) string {
	if len(ys) == 0 {
		return ""
	}
	if len(ys) == 1 {
		return ys[0].Label
	}
	return ys[0].Label + " to " + ys[len(ys)-1].Label
}

// countWords writes small counts as words, as British letters do: "three financial years".
func countWords(n int, one, many string) string {
	words := []string{"no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	noun := many
	if n == 1 {
		noun = one
	}
	if n >= 0 && n < len(words) {
		return words[n] + " " + noun
	}
	return strconv.Itoa(n) + " " + noun
}

// years requires at least one year, each with a label (no two the same) and more than nothing,
// adding up to total when total is given.
func (c *check) years(field string, ys []YearAmount, total money.Pence) {
	if len(ys) == 0 {
		c.fail(field, "needs at least one financial year")
		return
	}
	seen := make(map[string]bool, len(ys))
	for i, y := range ys {
		f := fmt.Sprintf("%s[%d]", field, i)
		label := strings.TrimSpace(y.Label)
		switch {
		case label == "":
			c.fail(f+".Label", "is required")
		case seen[label]:
			c.fail(f+".Label", fmt.Sprintf("repeats the financial year %s", label))
		}
		seen[label] = true
		c.positive(f+".Amount", y.Amount)
	}
	if sum := sumYears(ys); total > 0 && sum != total {
		c.fail(field, fmt.Sprintf("add up to %s, not the total of %s", sum, total))
	}
}

// emailAddress finds an e-mail address in text that is about to be published.
var emailAddress = regexp.MustCompile(`[^\s@]+@[^\s@]+\.[^\s@]+`)

// public refuses an e-mail address in a field of a published document.
func (c *check) public(field, v string) {
	if emailAddress.MatchString(v) {
		c.fail(field, "must not contain an e-mail address: this document is published")
	}
}

// yearIndex returns which of ys a period label such as "Q1 2026-27" falls in: the year whose label
// it ends with (the longest, should one label end another).
func yearIndex(period string, ys []YearAmount) (int, bool) {
	period = strings.TrimSpace(period)
	best, found := 0, false
	for i, y := range ys {
		label := strings.TrimSpace(y.Label)
		if label == "" || !strings.HasSuffix(period, label) {
			continue
		}
		if !found || len(label) > len(strings.TrimSpace(ys[best].Label)) {
			best, found = i, true
		}
	}
	return best, found
}

// yearLabels lists the labels of ys for an error message: "2026-27, 2027-28".
func yearLabels(ys []YearAmount) string {
	labels := make([]string, len(ys))
	for i, y := range ys {
		labels[i] = y.Label
	}
	return strings.Join(labels, ", ")
}

// yearsPart lays out one row per financial year and a total row.
func yearsPart(ys []YearAmount, totalLabel string) tablePart {
	cols := []column{
		{title: "Financial year", width: 50, align: "L"},
		{title: "Amount", width: 40, align: "R"},
	}
	rows := make([][]string, len(ys))
	for i, y := range ys {
		rows[i] = []string{y.Label, y.Amount.String()}
	}
	return tablePart{cols: cols, rows: rows, total: []string{totalLabel, sumYears(ys).String()}}
}

// minorHeading labels a part of a section, such as one year's targets.
func (w *writer) minorHeading(s string) {
	w.keepTogether(5 * lineH)
	w.font("B", bodySize)
	w.colour(accentColour)
	w.multi(0, lineH, s)
	w.pdf.Ln(1)
	w.body()
}

// banner writes s in bold on a shaded panel across the text width, for what a reader must see
// first (that an agreement has been varied, say).
func (w *writer) banner(s string) {
	const pad = 3.0
	p := w.pdf
	w.font("B", bodySize)
	lines := w.lines(s, contentWidth-2*pad)
	h := float64(len(lines))*lineH + 2*pad
	w.keepTogether(h)
	y := p.GetY()
	p.SetFillColor(fillColour.r, fillColour.g, fillColour.b)
	p.Rect(marginLeft, y, contentWidth, h, "F")
	p.SetFillColor(accentColour.r, accentColour.g, accentColour.b)
	p.Rect(marginLeft, y, 1.2, h, "F")
	w.colour(inkColour)
	for i, l := range lines {
		p.SetXY(marginLeft+pad, y+pad+float64(i)*lineH)
		w.cell(contentWidth-2*pad, lineH, l, "L")
	}
	p.SetXY(marginLeft, y+h)
	p.Ln(5)
	w.body()
}

// Type of the dense tables of the service documents: a five-year award has twenty tranches.
const (
	compactSize  = 9.0
	compactLineH = 4.5
)

// tableHeight is how much room a table takes on one page, header and total row included.
func (w *writer) tableHeight(cols []column, rows [][]string, total []string) float64 {
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.title
	}
	h := w.rowHeight(cols, header, rowStyle{bold: true, shaded: true})
	for _, r := range rows {
		h += w.rowHeight(cols, r, rowStyle{})
	}
	if total != nil {
		h += w.rowHeight(cols, total, rowStyle{bold: true})
	}
	return h
}

// tablePart is one table of a section, under its own minor heading when title is set.
type tablePart struct {
	title string
	cols  []column
	rows  [][]string
	total []string
}

// minorHeadingHeight is the room minorHeading takes.
const minorHeadingHeight = lineH + 1

// section writes a subheading, a paragraph of intro and one or more tables, keeping the heading
// with the start of the first table (and each minor heading with its own). compact sets the
// tables in smaller type.
func (w *writer) section(heading, intro string, parts []tablePart, compact bool) {
	if compact {
		w.cellSize, w.cellLineH = compactSize, compactLineH
		defer func() { w.cellSize, w.cellLineH = 0, 0 }()
	}
	lead := w.sectionHeight(intro)
	for i, part := range parts {
		if part.title != "" {
			lead += minorHeadingHeight
		}
		w.keepWithTable(lead, part.cols, part.rows, part.total)
		if i == 0 {
			w.subheading(heading)
			if intro != "" {
				w.paragraph(intro)
			}
		}
		if part.title != "" {
			w.minorHeading(part.title)
		}
		w.table(part.cols, part.rows, part.total)
		lead = 0
	}
}

// sectionHeight is about how much room a subheading and a paragraph of intro take.
func (w *writer) sectionHeight(intro string) float64 {
	w.body()
	h := 1.5 + lineH + 0.4 + 1
	if intro != "" {
		h += float64(len(w.lines(intro, contentWidth)))*lineH + 2.5
	}
	return h
}

// Tables no taller than this are kept on one page; taller ones may break after a few rows.
const shortTable = 95.0

// keepWithTable starts a new page unless a short table, and lead millimetres above it (its
// headings), fit on this one. A longer table may start here if its header and first few rows fit;
// it runs on over pages with its header repeated.
func (w *writer) keepWithTable(lead float64, cols []column, rows [][]string, total []string) {
	if h := w.tableHeight(cols, rows, total); h <= shortTable {
		w.keepTogether(lead + h)
		return
	}
	w.keepTogether(lead + w.tableHeight(cols, rows[:min(3, len(rows))], nil))
}
