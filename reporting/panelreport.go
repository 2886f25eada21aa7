package reporting

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"

	"grantflow/letters"
	"grantflow/money"
)

// The Panel report: the quarter's performance figures as a numbered PDF for the Police and Crime
// Panel, set in the letters' type with their letterhead and tables, its charts drawn as PNGs and
// each followed by the table of the same figures. Same input, same bytes.

// PanelReportInput is everything the Panel report prints.
type PanelReportInput struct {
	Letterhead letters.Letterhead
	Number     string    // "PANEL/2026-27/Q3"
	Version    int       // 1, then 2 when late returns changed the figures, ...
	Date       time.Time // the day it was made (a London date)
	Figures    Figures
}

// PanelReportNumber is the document number of a period's Panel report: "PANEL/2026-27/Q3".
func PanelReportNumber(p Period) string {
	return fmt.Sprintf("PANEL/%d-%02d/Q%d", p.FinancialYear, (p.FinancialYear+1)%100, p.Quarter)
}

// PanelReportTitle is the report's title.
const PanelReportTitle = "Police and Crime Panel performance report"

// PeriodSpan writes a period with its dates: "2026-27 Q3: 1 April to 31 December 2026".
func PeriodSpan(p Period) string {
	start := time.Date(p.FinancialYear, time.April, 1, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 3*p.Quarter, -1)
	from := "1 April"
	if end.Year() != start.Year() {
		from += " " + strconv.Itoa(start.Year())
	}
	return fmt.Sprintf("%s: %s to %s", p, from, end.Format("2 January 2006"))
}

// validPeriod reports whether p is a quarter of a plausible financial year.
func validPeriod(p Period) bool {
	return p.Quarter >= 1 && p.Quarter <= 4 && p.FinancialYear >= 2000 && p.FinancialYear < 2200
}

// PanelReportPDF writes the Panel report.
func PanelReportPDF(in PanelReportInput) ([]byte, error) {
	f := in.Figures
	var problems []string
	if strings.TrimSpace(in.Letterhead.Body) == "" {
		problems = append(problems, "the letterhead has no name")
	}
	if strings.TrimSpace(in.Number) == "" {
		problems = append(problems, "the number is missing")
	}
	if in.Version < 1 {
		problems = append(problems, "the version must be 1 or more")
	}
	if in.Date.IsZero() {
		problems = append(problems, "the date is missing")
	}
	if !validPeriod(f.Period) {
		problems = append(problems, fmt.Sprintf("the period %+v is not a quarter of a financial year", f.Period))
	}
	if len(problems) > 0 {
		return nil, errors.New("Panel report cannot be written: " + strings.Join(problems, "; "))
	}

	doc, err := letters.NewReport(letters.ReportMeta{
		Title:   fmt.Sprintf("%s %s: %s", PanelReportTitle, in.Number, f.Period),
		Subject: "Performance against the Police and Crime Plan, " + PeriodSpan(f.Period),
		Author:  in.Letterhead.Body,
		Date:    in.Date,
		Footer:  fmt.Sprintf("%s version %d", in.Number, in.Version),
	})
	if err != nil {
		return nil, fmt.Errorf("Panel report %s: %w", in.Number, err)
	}
	r := panelReport{doc: doc, f: f}
	r.cover(in)
	steps := []func() error{r.byPriority, r.byArea, r.byWard, r.indicators, r.ratings, r.overdue, r.held, r.grassroots}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("Panel report %s: %w", in.Number, err)
		}
	}
	pdf, err := doc.Bytes()
	if err != nil {
		return nil, fmt.Errorf("Panel report %s: %w", in.Number, err)
	}
	return pdf, nil
}

type panelReport struct {
	doc    *letters.Report
	f      Figures
	images int
}

// severalPrioritiesNote is said wherever lines may add up to more than the totals.
const severalPrioritiesNote = "An award that names several priorities, areas or wards counts in full on each of them, " +
	"so the rows of a table may add up to more than the totals."

func (r *panelReport) cover(in PanelReportInput) {
	d := r.doc
	d.Letterhead(in.Letterhead)
	d.Title(PanelReportTitle)
	d.Strong(PeriodSpan(r.f.Period))
	d.Details([][2]string{
		{"Document number", in.Number},
		{"Version", strconv.Itoa(in.Version)},
		{"Date", in.Date.Format("2 January 2006")},
		{"Period", PeriodSpan(r.f.Period)},
	})
	d.Paragraph("This report sets out what the Commissioner's grants have committed, released and paid in the " +
		"financial year to the end of the quarter, by Police and Crime Plan priority, by area and by ward; whom " +
		"they reached, from monitoring returns and end-of-grant reports; how each commissioned service did " +
		"against its targets; and which returns are overdue and which payments are held.")
	if in.Version > 1 {
		d.Banner(fmt.Sprintf("This is version %d of the report for %s: it replaces the earlier version because the "+
			"figures changed (late monitoring returns, say) after that version was made.", in.Version, r.f.Period))
	}
	t := r.f.Totals
	d.Heading("Headline totals")
	d.Details([][2]string{
		{"Awards", strconv.Itoa(t.Awards)},
		{"Committed", t.Committed.String()},
		{"Released", t.Released.String()},
		{"Paid", t.Paid.String()},
		{"Beneficiaries", strconv.Itoa(t.Beneficiaries)},
		{"Of whom under 25", strconv.Itoa(t.Under25)},
	})
	d.Paragraph(severalPrioritiesNote)
}

// chart draws a chart as a PNG the width of the text. Each chart is drawn a point wider than the
// one before, as a report's images must differ in width (see letters.Report.Image); the PDF
// scales them all to the text's width.
func (r *panelReport) chart(png func(width vg.Length) ([]byte, error)) error {
	b, err := png(6.5*vg.Inch + vg.Length(r.images))
	if err != nil {
		return err
	}
	r.images++
	return r.doc.Image(fmt.Sprintf("chart-%d", r.images), b)
}

func linesTable(first string, withCode bool, lines []Line, total *Line) ([]letters.Column, [][]string, []string) {
	cols := []letters.Column{{Title: first, Width: 45, Align: "L"}}
	if withCode {
		cols = []letters.Column{{Title: first, Width: 30, Align: "L"}, {Title: "Code", Width: 19, Align: "L"}}
	}
	cols = append(cols, letters.Column{Title: "Awards", Width: 14, Align: "R"})
	used := 14.0 + 16 + 16
	for _, c := range cols[:len(cols)-1] {
		used += c.Width
	}
	money := (letters.ReportWidth - used) / 3
	for _, h := range []string{"Committed", "Released", "Paid"} {
		cols = append(cols, letters.Column{Title: h, Width: money, Align: "R"})
	}
	cols = append(cols, letters.Column{Title: "Reached", Width: 16, Align: "R"}, letters.Column{Title: "Under 25", Width: 16, Align: "R"})
	row := func(l Line) []string {
		out := []string{l.Name}
		if withCode {
			out = append(out, l.Code)
		}
		return append(out, strconv.Itoa(l.Awards), l.Committed.String(), l.Released.String(), l.Paid.String(),
			strconv.Itoa(l.Beneficiaries), strconv.Itoa(l.Under25))
	}
	rows := make([][]string, len(lines))
	for i, l := range lines {
		rows[i] = row(l)
	}
	var totalRow []string
	if total != nil {
		t := *total
		t.Name = "All awards"
		totalRow = row(t)
	}
	return cols, rows, totalRow
}

func (r *panelReport) barSection(heading, chartTitle, first string, withCode bool, lines []Line) error {
	r.doc.Heading(heading)
	if len(lines) == 0 {
		r.doc.Paragraph("None in the period.")
		return nil
	}
	bars := make([]Bar, len(lines))
	for i, l := range lines {
		bars[i] = Bar{Label: l.Name, Value: pounds(l.Committed)}
	}
	err := r.chart(func(width vg.Length) ([]byte, error) {
		p, err := BarChart(chartTitle, "£", bars)
		if err != nil {
			return nil, err
		}
		return PNG(p, width, 4*vg.Inch) // the labels are slanted: room for them and the bars
	})
	if err != nil {
		return err
	}
	cols, rows, total := linesTable(first, withCode, lines, &r.f.Totals)
	r.doc.Table("The chart's figures, with the totals", cols, rows, total)
	return nil
}

func (r *panelReport) byPriority() error {
	r.doc.NewPage()
	if err := r.barSection("By Police and Crime Plan priority", "Committed by priority (£)", "Priority", false, r.f.ByPriority); err != nil {
		return err
	}
	r.doc.Paragraph("An award that names several priorities counts on each of them.")
	return nil
}

func (r *panelReport) byArea() error {
	return r.barSection("By area", "Committed by area (£)", "Area", true, r.f.ByArea)
}

func (r *panelReport) byWard() error {
	r.doc.Heading("By ward")
	if len(r.f.ByWard) == 0 {
		r.doc.Paragraph("No application or return named a ward in the period.")
		return nil
	}
	cols, rows, _ := linesTable("Ward", true, r.f.ByWard, nil)
	r.doc.Table("", cols, rows, nil)
	return nil
}

// quarterLabels are "Q1" to the period's quarter.
func (r *panelReport) quarterLabels() []string {
	out := make([]string, r.f.Period.Quarter)
	for i := range out {
		out[i] = fmt.Sprintf("Q%d", i+1)
	}
	return out
}

func (r *panelReport) indicators() error {
	r.doc.Heading("Commissioned services' indicators")
	if len(r.f.Indicators) == 0 {
		r.doc.Paragraph("No commissioned service had indicators in the period.")
		return nil
	}
	quarters := r.quarterLabels()
	// One chart and one table per service, in the order the figures give them.
	for start := 0; start < len(r.f.Indicators); {
		end := start
		for end < len(r.f.Indicators) && r.f.Indicators[end].Reference == r.f.Indicators[start].Reference {
			end++
		}
		group := r.f.Indicators[start:end]
		head := group[0]
		title := fmt.Sprintf("%s: %s (%s)", head.Reference, head.Service, head.Recipient)
		var series []Series
		rows := make([][]string, 0, len(group))
		for _, ind := range group {
			actual := make([]float64, len(quarters))
			target := make([]float64, len(quarters))
			row := []string{ind.Name, ind.Unit, strconv.FormatInt(ind.Target, 10)}
			for q := range quarters {
				target[q] = float64(ind.Target)
				actual[q] = nan()
				cell := "none"
				if q < len(ind.Running) && !ind.Running[q] { // before the agreement started, or after it ended
					target[q] = nan()
					row = append(row, "not under way")
					continue
				}
				if q < len(ind.Actual) && ind.Actual[q] != nil {
					actual[q] = float64(*ind.Actual[q])
					cell = strconv.FormatInt(*ind.Actual[q], 10)
				}
				row = append(row, cell)
			}
			series = append(series, Series{Label: ind.Name + " (target)", Values: target}, Series{Label: ind.Name, Values: actual})
			rows = append(rows, row)
		}
		r.doc.MinorHeading(title)
		err := r.chart(func(width vg.Length) ([]byte, error) {
			p, err := TrendChart(head.Service+": each quarter against its target", "", quarters, series)
			if err != nil {
				return nil, err
			}
			// Room above the lines for the legend, one row a line.
			top := 1.0
			for _, s := range series {
				for _, v := range s.Values {
					if v == v {
						top = max(top, v)
					}
				}
			}
			p.Y.Max = top * (1.15 + 0.12*float64(len(series)))
			return PNG(p, width, 2.8*vg.Inch)
		})
		if err != nil {
			return err
		}
		qw := (letters.ReportWidth - 50 - 25 - 20) / float64(len(quarters))
		cols := []letters.Column{{Title: "Indicator", Width: 50, Align: "L"}, {Title: "Unit", Width: 25, Align: "L"},
			{Title: "Target each quarter", Width: 20, Align: "R"}}
		for _, q := range quarters {
			cols = append(cols, letters.Column{Title: q + " actual", Width: qw, Align: "R"})
		}
		r.doc.Table("Targets and what the returns reported", cols, rows, nil)
		start = end
	}
	return nil
}

func nan() float64 { var zero float64; return zero / zero }

func (r *panelReport) ratings() error {
	r.doc.Heading("Red, amber and green ratings")
	if len(r.f.Ratings) == 0 {
		r.doc.Paragraph("No return was rated in the period.")
		return nil
	}
	quarters := r.quarterLabels()
	qw := (letters.ReportWidth - 35 - 60) / float64(len(quarters))
	cols := []letters.Column{{Title: "Reference", Width: 35, Align: "L"}, {Title: "Recipient", Width: 60, Align: "L"}}
	for _, q := range quarters {
		cols = append(cols, letters.Column{Title: q, Width: qw, Align: "L"})
	}
	rows := make([][]string, len(r.f.Ratings))
	for i, s := range r.f.Ratings {
		rows[i] = []string{s.Reference, s.Recipient}
		for q := range quarters {
			rag := "not rated"
			if q < len(s.Running) && !s.Running[q] {
				rag = "not under way"
			} else if q < len(s.RAG) && s.RAG[q] != "" {
				rag = ragWord(s.RAG[q])
			}
			rows[i] = append(rows[i], rag)
		}
	}
	r.doc.Table("", cols, rows, nil)
	return nil
}

// ragWord writes a rating as a word, so the table needs no colour to be read.
func ragWord(s string) string {
	switch strings.ToLower(s) {
	case "red":
		return "Red"
	case "amber":
		return "Amber"
	case "green":
		return "Green"
	}
	return s
}

func (r *panelReport) overdue() error {
	r.doc.Heading("Overdue monitoring returns")
	if len(r.f.OverdueReturns) == 0 {
		r.doc.Paragraph("No return was overdue at the end of the period.")
		return nil
	}
	cols := []letters.Column{{Title: "Reference", Width: 35, Align: "L"}, {Title: "Recipient", Width: 70, Align: "L"},
		{Title: "Quarter", Width: 30, Align: "L"}, {Title: "Due on", Width: letters.ReportWidth - 135, Align: "L"}}
	rows := make([][]string, len(r.f.OverdueReturns))
	for i, o := range r.f.OverdueReturns {
		due := o.DueOn
		if d, err := time.Parse(time.DateOnly, o.DueOn); err == nil {
			due = d.Format("2 January 2006")
		}
		rows[i] = []string{o.Reference, o.Recipient, o.Quarter, due}
	}
	r.doc.Table("", cols, rows, nil)
	return nil
}

func (r *panelReport) held() error {
	r.doc.Heading("Held tranches")
	if len(r.f.HeldTranches) == 0 {
		r.doc.Paragraph("No payment was held at the end of the period.")
		return nil
	}
	cols := []letters.Column{{Title: "Reference", Width: 32, Align: "L"}, {Title: "Recipient", Width: 45, Align: "L"},
		{Title: "Tranche", Width: 16, Align: "R"}, {Title: "Amount", Width: 26, Align: "R"}, {Title: "Reason", Width: letters.ReportWidth - 119, Align: "L"}}
	rows := make([][]string, len(r.f.HeldTranches))
	var total money.Pence
	for i, h := range r.f.HeldTranches {
		rows[i] = []string{h.Reference, h.Recipient, strconv.Itoa(h.Tranche), h.Amount.String(), h.Reason}
		total += h.Amount
	}
	r.doc.Table("", cols, rows, []string{"Total held", "", "", total.String(), ""})
	return nil
}

func (r *panelReport) grassroots() error {
	r.doc.Heading("Grassroots results")
	if len(r.f.Grassroots) == 0 {
		r.doc.Paragraph("No end-of-grant report was accepted in the period.")
		return nil
	}
	cols := []letters.Column{{Title: "Reference", Width: 28, Align: "L"}, {Title: "Recipient", Width: 35, Align: "L"},
		{Title: "Amount", Width: 20, Align: "R"}, {Title: "Spent", Width: 20, Align: "R"}, {Title: "Reached", Width: 16, Align: "R"},
		{Title: "Under 25", Width: 14, Align: "R"}, {Title: "Outcomes", Width: letters.ReportWidth - 133, Align: "L"}}
	rows := make([][]string, len(r.f.Grassroots))
	for i, g := range r.f.Grassroots {
		rows[i] = []string{g.Reference, g.Recipient, g.Amount.String(), g.Spent.String(), strconv.Itoa(g.Beneficiaries),
			strconv.Itoa(g.Under25), g.Outcomes}
	}
	r.doc.Table("", cols, rows, nil)
	return nil
}
