package reporting

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"strconv"

	"grantflow/money"
	"grantflow/publication"
)

// CSVHeader names the columns of WriteCSV's file.
var CSVHeader = []string{"section", "dimension", "reference", "name", "code", "quarter", "measure", "value"}

// WriteCSV writes every figure of f as one long table, a figure a row: the lines by priority, area
// and ward (and the totals), each service's indicators and ratings by quarter, overdue returns,
// held tranches and grassroots results. Money is in pounds (4250.00), counts are whole numbers, a
// quarter without a figure is left empty. UTF-8 with a byte order mark, so that a spreadsheet reads
// names as written; a cell a spreadsheet could take for a formula gets a leading apostrophe.
func WriteCSV(w io.Writer, f Figures) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return fmt.Errorf("write the figures of %v as CSV: %w", f.Period, err)
	}
	cw := csv.NewWriter(w)
	row := func(cells ...string) { cw.Write(csvSafe(cells)) }
	row(CSVHeader...)
	period := f.Period.String()
	lines := func(dimension string, ls []Line) {
		for _, l := range ls {
			for _, m := range []struct {
				measure, value string
			}{
				{"awards", strconv.Itoa(l.Awards)}, {"committed_gbp", csvPounds(l.Committed)}, {"released_gbp", csvPounds(l.Released)},
				{"paid_gbp", csvPounds(l.Paid)}, {"beneficiaries", strconv.Itoa(l.Beneficiaries)}, {"under_25", strconv.Itoa(l.Under25)},
			} {
				row("figures", dimension, "", l.Name, l.Code, period, m.measure, m.value)
			}
		}
	}
	lines("total", []Line{f.Totals})
	lines("priority", f.ByPriority)
	lines("area", f.ByArea)
	lines("ward", f.ByWard)
	for _, t := range f.Indicators {
		name := t.Service + ": " + t.Name
		for q, v := range t.Actual {
			label := fmt.Sprintf("Q%d", q+1)
			if q < len(t.Running) && !t.Running[q] {
				row("indicator", t.Recipient, t.Reference, name, t.Key, label, "running", "no") // no target before the start or after the end
				continue
			}
			row("indicator", t.Recipient, t.Reference, name, t.Key, label, "quarterly_target", strconv.FormatInt(t.Target, 10))
			actual := ""
			if v != nil {
				actual = strconv.FormatInt(*v, 10)
			}
			row("indicator", t.Recipient, t.Reference, name, t.Key, label, "actual", actual)
		}
	}
	for _, r := range f.Ratings {
		for q, rag := range r.RAG {
			if q < len(r.Running) && !r.Running[q] {
				row("rating", r.Recipient, r.Reference, "", "", fmt.Sprintf("Q%d", q+1), "running", "no")
				continue
			}
			row("rating", r.Recipient, r.Reference, "", "", fmt.Sprintf("Q%d", q+1), "rag", rag)
		}
	}
	for _, o := range f.OverdueReturns {
		row("overdue_return", o.Recipient, o.Reference, "Monitoring return", "", o.Quarter, "due_on", o.DueOn)
	}
	for _, h := range f.HeldTranches {
		row("held_tranche", h.Recipient, h.Reference, "Tranche "+strconv.Itoa(h.Tranche), "", period, "amount_gbp", csvPounds(h.Amount))
		row("held_tranche", h.Recipient, h.Reference, "Tranche "+strconv.Itoa(h.Tranche), "", period, "reason", h.Reason)
	}
	for _, g := range f.Grassroots {
		for _, m := range []struct {
			measure, value string
		}{
			{"amount_gbp", csvPounds(g.Amount)}, {"spent_gbp", csvPounds(g.Spent)}, {"beneficiaries", strconv.Itoa(g.Beneficiaries)},
			{"under_25", strconv.Itoa(g.Under25)}, {"outcomes", g.Outcomes},
		} {
			row("grassroots", g.Recipient, g.Reference, "End-of-grant report", "", period, m.measure, m.value)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write the figures of %v as CSV: %w", f.Period, err)
	}
	return nil
}

// csvPounds writes an amount as a spreadsheet reads it: 4250.00 (-12.50 for a negative one).
func csvPounds(p money.Pence) string {
	sign := ""
	if p < 0 {
		sign, p = "-", -p
	}
	return fmt.Sprintf("%s%d.%02d", sign, p/100, p%100)
}

// negativeNumber is a negative amount or count as csvPounds and strconv write them; nothing looser
// (strconv.ParseFloat would also pass "-Inf" or "-0x1p-2", which a spreadsheet does not read as a number).
var negativeNumber = regexp.MustCompile(`^-[0-9]+(\.[0-9]+)?$`)

// csvSafe stops a spreadsheet taking text for a formula (publication.SafeCell): organisations name
// themselves and write their outcomes. A negative number (an amount, a count) is left as it is.
func csvSafe(cells []string) []string {
	for i, v := range cells {
		if !negativeNumber.MatchString(v) {
			cells[i] = publication.SafeCell(v)
		}
	}
	return cells
}
