package web

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"gonum.org/v1/plot/vg"

	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/money"
	"grantflow/reporting"
	"grantflow/scheme"
)

// The performance page (scheme.Role.SeesPerformance): a financial year to a quarter's end, by
// priority, area and ward, with charts (inline SVG, no script) each beside its table, services'
// indicators and ratings, what is overdue or held, and grassroots results; and the same figures
// as a CSV.

// performanceView is what performance.html shows.
type performanceView struct {
	YearSelect    findSelect
	QuarterSelect findSelect
	Period        string // "2026-27 Q3"
	From, To      string // "1 April 2026", "31 December 2026"
	AsOf          string // "the period's end", or today's date while the period runs
	CSV           string
	Totals        []perfTotalView
	Dimensions    []perfDimensionView
	Services      []perfServiceView
	QuarterLabels []string
	Overdue       []perfOverdueView
	Held          []perfHeldView
	Grassroots    []perfGrassrootsView
}

type perfTotalView struct{ Label, Value string }

type perfDimensionView struct {
	ID, Heading, Caption, Name string
	HasCodes                   bool
	Note                       string
	Charts                     []template.HTML
	Lines                      []perfLineView
}

type perfLineView struct {
	Name, Code                                       string
	Awards, Committed, Released, Paid, People, Under string
}

type perfServiceView struct {
	ApplicationID        int64
	Reference, Recipient string
	Service              string
	Ratings              []perfRAGView
	Indicators           []perfIndicatorView
}

type perfRAGView struct{ Quarter, Text, Class string }

type perfIndicatorView struct {
	ID, Name, Unit, Target string
	Actuals                []string
	Chart                  template.HTML
}

type perfOverdueView struct {
	reporting.OverdueReturn
	DueText string // "15 October 2026"
}

type perfHeldView struct {
	reporting.HeldTranche
	AmountText string
}

type perfGrassrootsView struct {
	reporting.GrassrootsResult
	AmountText, SpentText string
}

// performancePeriod reads the period from the query (defaults: the current quarter in London),
// adding an error to the form for each bad field.
func (s *Server) performancePeriod(f *form) (reporting.Period, bool) {
	for _, name := range []string{"financial_year", "quarter"} {
		if v := f.Raw(name); !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			f.values.Set(name, "")
			f.add(name, "Select from the list")
		}
	}
	p, bad := apiv1.ParsePeriod(f.Value("financial_year"), f.Value("quarter"), s.now())
	if bad["financial_year"] != "" {
		f.add("financial_year", "Select a financial year from the list")
	}
	if bad["quarter"] != "" {
		f.add("quarter", "Select a quarter from the list")
	}
	return p, !f.invalid()
}

// performanceChoices are the form's years (five back from the current year and the next) and quarters.
func (s *Server) performanceChoices(p reporting.Period, f *form) (findSelect, findSelect) {
	current := scheme.FinancialYear(s.now())
	var years []findOption
	selected := strconv.Itoa(p.FinancialYear)
	if f.invalid() && f.Error("financial_year") != "" {
		selected = ""
	}
	for y := current + 1; y >= current-5; y-- {
		years = append(years, findChoice(strconv.Itoa(y), scheme.FinancialYearLabel(y), selected))
	}
	selected = strconv.Itoa(p.Quarter)
	if f.invalid() && f.Error("quarter") != "" {
		selected = ""
	}
	names := []string{"Q1: April to June", "Q2: July to September", "Q3: October to December", "Q4: January to March"}
	var quarters []findOption
	for i, n := range names {
		quarters = append(quarters, findChoice(strconv.Itoa(i+1), n, selected))
	}
	return findSelect{ID: htmlID("financial_year"), Name: "financial_year", Label: "Financial year", Error: f.Error("financial_year"), Options: years},
		findSelect{ID: htmlID("quarter"), Name: "quarter", Label: "To the end of", Error: f.Error("quarter"), Options: quarters}
}

// performancePage (GET /performance) shows the figures of the period chosen.
func (s *Server) performancePage(c *gin.Context) {
	f := &form{values: c.Request.URL.Query()}
	p, ok := s.performancePeriod(f)
	var data performanceView
	data.YearSelect, data.QuarterSelect = s.performanceChoices(p, f)
	if !ok {
		s.render(c, http.StatusUnprocessableEntity, "performance", page{Title: "Performance", Nav: "performance", Form: f, Data: data})
		return
	}
	u, _ := currentUser(c)
	figures, err := s.opts.API.Performance(c.Request.Context(), u, p)
	if err != nil {
		s.serverError(c, err)
		return
	}
	if err := fillPerformance(&data, figures, s.now()); err != nil {
		s.serverError(c, err)
		return
	}
	s.render(c, http.StatusOK, "performance", page{Title: "Performance " + data.Period, Nav: "performance", Form: f, Data: data})
}

// performanceCSV (GET /performance.csv) is every figure of the period as a spreadsheet.
func (s *Server) performanceCSV(c *gin.Context) {
	f := &form{values: c.Request.URL.Query()}
	p, ok := s.performancePeriod(f)
	if !ok {
		var data performanceView
		data.YearSelect, data.QuarterSelect = s.performanceChoices(p, f)
		s.render(c, http.StatusUnprocessableEntity, "performance", page{Title: "Performance", Nav: "performance", Form: f, Data: data})
		return
	}
	u, _ := currentUser(c)
	figures, err := s.opts.API.Performance(c.Request.Context(), u, p)
	if err != nil {
		s.serverError(c, err)
		return
	}
	var buf bytes.Buffer
	if err := reporting.WriteCSV(&buf, figures); err != nil {
		s.serverError(c, err)
		return
	}
	c.Header("Content-Disposition", headers.Attachment(fmt.Sprintf("performance-%d-q%d.csv", p.FinancialYear, p.Quarter)))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

func fillPerformance(data *performanceView, f reporting.Figures, now time.Time) error {
	p := f.Period
	data.Period = p.String()
	data.From = p.Start().Format("2 January 2006")
	data.To = p.LastDay().Format("2 January 2006")
	data.AsOf = "the period's end"
	if now.Before(p.End()) {
		data.AsOf = now.In(scheme.London).Format("2 January 2006") + " (today)"
	}
	q := url.Values{"financial_year": {strconv.Itoa(p.FinancialYear)}, "quarter": {strconv.Itoa(p.Quarter)}}
	data.CSV = "/performance.csv?" + q.Encode()
	t := f.Totals
	data.Totals = []perfTotalView{
		{"Awards decided", strconv.Itoa(t.Awards)}, {"Committed for the year", t.Committed.String()}, {"Released", t.Released.String()},
		{"Paid", t.Paid.String()}, {"Beneficiaries", strconv.Itoa(t.Beneficiaries)}, {"Of whom under 25", strconv.Itoa(t.Under25)},
	}
	data.QuarterLabels = p.QuarterLabels()
	for _, d := range []struct {
		id, heading, caption, name string
		lines                      []reporting.Line
		codes, charts              bool
		note                       string
	}{
		{"priority", "By Police and Crime Plan priority", "Figures by Police and Crime Plan priority", "Priority", f.ByPriority, false, true, ""},
		{"area", "By area", "Figures by area", "Area", f.ByArea, true, true, ""},
		{"ward", "By ward", "Figures by ward", "Ward", f.ByWard, true, false, "Wards named by the year's awards or by the people they reached."},
	} {
		v := perfDimensionView{ID: d.id, Heading: d.heading, Caption: d.caption, Name: d.name, HasCodes: d.codes, Note: d.note}
		for _, l := range d.lines {
			v.Lines = append(v.Lines, perfLineView{Name: l.Name, Code: l.Code, Awards: strconv.Itoa(l.Awards), Committed: l.Committed.String(),
				Released: l.Released.String(), Paid: l.Paid.String(), People: strconv.Itoa(l.Beneficiaries), Under: strconv.Itoa(l.Under25)})
		}
		if d.charts && len(d.lines) > 0 {
			for _, m := range []struct {
				what  string
				value func(reporting.Line) money.Pence
			}{{"Committed", func(l reporting.Line) money.Pence { return l.Committed }}, {"Paid", func(l reporting.Line) money.Pence { return l.Paid }}} {
				var bars []reporting.Bar
				for _, l := range d.lines {
					bars = append(bars, reporting.Bar{Label: l.Name, Value: float64(m.value(l)) / 100})
				}
				title := fmt.Sprintf("%s by %s, %s", m.what, strings.ToLower(d.name), data.Period)
				chart, err := barChart(title, fmt.Sprintf("%s-%s", d.id, strings.ToLower(m.what)), bars,
					fmt.Sprintf("A bar chart of the amount %s for each %s; the table below gives the same figures.", strings.ToLower(m.what), strings.ToLower(d.name)))
				if err != nil {
					return err
				}
				v.Charts = append(v.Charts, chart)
			}
		}
		data.Dimensions = append(data.Dimensions, v)
	}

	services := map[int64]int{}
	for _, r := range f.Ratings {
		sv := perfServiceView{ApplicationID: r.ApplicationID, Reference: r.Reference, Recipient: r.Recipient}
		for i, rag := range r.RAG {
			if !ranIn(r.Running, i) {
				sv.Ratings = append(sv.Ratings, perfRAGView{fmt.Sprintf("Q%d", i+1), "Not under way", "govuk-tag--grey"})
				continue
			}
			sv.Ratings = append(sv.Ratings, ragOf(fmt.Sprintf("Q%d", i+1), rag))
		}
		services[r.ApplicationID] = len(data.Services)
		data.Services = append(data.Services, sv)
	}
	for n, ind := range f.Indicators {
		i, ok := services[ind.ApplicationID]
		if !ok {
			continue
		}
		sv := &data.Services[i]
		sv.Service = ind.Service
		iv := perfIndicatorView{ID: fmt.Sprintf("indicator-%d", n+1), Name: ind.Name, Unit: ind.Unit, Target: strconv.FormatInt(ind.Target, 10)}
		target, actual := reporting.Series{Label: "Quarterly target"}, reporting.Series{Label: "Actual"}
		for q, v := range ind.Actual {
			if !ranIn(ind.Running, q) { // before the agreement started, or after it ended: no target, no figure
				target.Values = append(target.Values, math.NaN())
				iv.Actuals = append(iv.Actuals, "Not under way")
				actual.Values = append(actual.Values, math.NaN())
				continue
			}
			target.Values = append(target.Values, float64(ind.Target))
			if v == nil {
				iv.Actuals = append(iv.Actuals, "No figure")
				actual.Values = append(actual.Values, math.NaN())
			} else {
				iv.Actuals = append(iv.Actuals, strconv.FormatInt(*v, 10))
				actual.Values = append(actual.Values, float64(*v))
			}
		}
		title := fmt.Sprintf("%s: %s against target, %s", ind.Reference, ind.Name, data.Period)
		chart, err := reporting.TrendChart(title, ind.Unit, data.QuarterLabels, []reporting.Series{target, actual})
		if err != nil {
			return err
		}
		top := float64(ind.Target)
		for _, v := range actual.Values {
			if v == v && v > top { // not NaN
				top = v
			}
		}
		if top > 0 {
			chart.Y.Max = top * 1.35 // room above the lines for the legend
		}
		svg, err := reporting.SVG(chart, 5*vg.Inch, 2.5*vg.Inch)
		if err != nil {
			return err
		}
		inline, err := reporting.InlineSVG(svg, iv.ID+"-chart", title,
			fmt.Sprintf("A line chart of %s each quarter against the quarterly target of %d; the table beside it gives the same figures.", strings.ToLower(ind.Name), ind.Target))
		if err != nil {
			return err
		}
		iv.Chart = template.HTML(inline) // drawn by gonum/plot from escaped text; see TestPerformanceChartsEscapeNames
		sv.Indicators = append(sv.Indicators, iv)
	}
	for _, o := range f.OverdueReturns {
		v := perfOverdueView{OverdueReturn: o, DueText: o.DueOn}
		if d, err := time.Parse(time.DateOnly, o.DueOn); err == nil {
			v.DueText = d.Format("2 January 2006")
		}
		data.Overdue = append(data.Overdue, v)
	}
	for _, h := range f.HeldTranches {
		data.Held = append(data.Held, perfHeldView{HeldTranche: h, AmountText: h.Amount.String()})
	}
	for _, g := range f.Grassroots {
		data.Grassroots = append(data.Grassroots, perfGrassrootsView{GrassrootsResult: g, AmountText: g.Amount.String(), SpentText: g.Spent.String()})
	}
	return nil
}

// barChart draws a bar chart for the page (reporting.BarChart slants its labels so long names fit).
func barChart(title, id string, bars []reporting.Bar, desc string) (template.HTML, error) {
	chart, err := reporting.BarChart(title, "£", bars)
	if err != nil {
		return "", err
	}
	svg, err := reporting.SVG(chart, 7*vg.Inch, 4.5*vg.Inch)
	if err != nil {
		return "", err
	}
	inline, err := reporting.InlineSVG(svg, id+"-chart", title, desc)
	return template.HTML(inline), err
}

// ranIn says whether a service's agreement ran in quarter q (index 0 is Q1); figures from before
// the running quarters were recorded say nothing, and count as running.
func ranIn(running []bool, q int) bool { return running == nil || q < len(running) && running[q] }

// ragOf is a rating as a tag with its word, never colour alone.
func ragOf(quarter, rag string) perfRAGView {
	switch rag {
	case "red":
		return perfRAGView{quarter, "Red", "govuk-tag--red"}
	case "amber":
		return perfRAGView{quarter, "Amber", "govuk-tag--orange"}
	case "green":
		return perfRAGView{quarter, "Green", "govuk-tag--green"}
	case "":
		return perfRAGView{quarter, "Not rated", "govuk-tag--grey"}
	}
	return perfRAGView{quarter, upperFirst(rag), "govuk-tag--grey"}
}
