package reporting

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Charts are drawn on the server with gonum/plot: SVG for the pages (no script needed) and PNG
// for the Panel report's PDF. Each chart stands beside a table of the same figures, which is what
// a screen reader reads; the chart is decoration for those who would rather look.

// Bar is one bar of a bar chart.
type Bar struct {
	Label string
	Value float64
}

// Series is one line of a trend chart: a value per quarter (NaN where there is none).
type Series struct {
	Label  string
	Values []float64
}

// barColour is GOV.UK blue, so the charts sit with the pages' own colours.
var barColour = color.RGBA{R: 0x1d, G: 0x70, B: 0xb8, A: 0xff}

// BarChart draws one bar per label, in order.
func BarChart(title, valueLabel string, bars []Bar) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = valueLabel
	p.Y.Min = 0
	p.Y.Tick.Marker = groupedTicks{}
	values := make(plotter.Values, len(bars))
	labels := make([]string, len(bars))
	for i, b := range bars {
		values[i], labels[i] = b.Value, b.Label
	}
	if len(bars) == 0 {
		return p, nil
	}
	chart, err := plotter.NewBarChart(values, vg.Points(18))
	if err != nil {
		return nil, fmt.Errorf("bar chart %q: %w", title, err)
	}
	chart.Color = barColour
	chart.LineStyle.Width = 0
	p.Add(chart)
	p.NominalX(labels...)
	atLeastOne(p)
	return p, nil
}

// TrendChart draws each series against the quarters named.
func TrendChart(title, valueLabel string, quarters []string, series []Series) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = valueLabel
	p.Y.Min = 0
	p.Y.Tick.Marker = groupedTicks{}
	p.Legend.Top = true
	dashes := [][]vg.Length{nil, {vg.Points(4), vg.Points(2)}, {vg.Points(1), vg.Points(2)}}
	for i, s := range series {
		pts := plotter.XYs{}
		for q, v := range s.Values {
			if v == v { // not NaN: a quarter without a figure is a gap, not a zero
				pts = append(pts, plotter.XY{X: float64(q), Y: v})
			}
		}
		if len(pts) == 0 {
			continue
		}
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("trend chart %q: %w", title, err)
		}
		line.Color, points.Color = barColour, barColour
		line.Dashes = dashes[i%len(dashes)]
		p.Add(line, points)
		p.Legend.Add(s.Label, line)
	}
	p.NominalX(quarters...)
	atLeastOne(p)
	return p, nil
}

// atLeastOne keeps the value axis from 0 to at least 1: with nothing but zeros gonum/plot would
// centre the axis on zero, and a money axis reading "-1" is nonsense.
func atLeastOne(p *plot.Plot) {
	if p.Y.Max < 1 {
		p.Y.Max = 1
	}
}

// groupedTicks are gonum/plot's default ticks labelled as people write numbers: 100,000, not 100000.
type groupedTicks struct{}

func (groupedTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = grouped(t.Value)
		}
	}
	return ticks
}

// grouped writes a tick's value with thousands separators, and its fraction only when it has one.
func grouped(v float64) string {
	if v != math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	digits := strconv.FormatInt(int64(math.Abs(v)), 10)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// SVG renders a chart for a page, at a size in points.
func SVG(p *plot.Plot, width, height vg.Length) ([]byte, error) {
	return render(p, width, height, "svg")
}

// PNG renders a chart for a PDF, at a size in points (at 96 dots per inch, so it prints cleanly).
func PNG(p *plot.Plot, width, height vg.Length) ([]byte, error) {
	return render(p, width, height, "png")
}

func render(p *plot.Plot, width, height vg.Length, format string) ([]byte, error) {
	w, err := p.WriterTo(width, height, format)
	if err != nil {
		return nil, fmt.Errorf("draw %q as %s: %w", p.Title.Text, format, err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("draw %q as %s: %w", p.Title.Text, format, err)
	}
	return buf.Bytes(), nil
}
