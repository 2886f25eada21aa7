package reporting

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"grantflow/money"
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

// BarChart draws one bar per label, in order, the labels slanted so that long names fit side by
// side. A valueLabel of "£" marks the axis in pounds (£75,000) rather than bare numbers.
func BarChart(title, valueLabel string, bars []Bar) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = valueLabel
	p.Y.Min = 0
	if valueLabel == "£" {
		p.Y.Label.Text = ""
		p.Y.Tick.Marker = poundTicks{}
	}
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	values := make(plotter.Values, len(bars))
	labels := make([]string, len(bars))
	highest := 0.0
	for i, b := range bars {
		values[i], labels[i] = b.Value, b.Label
		highest = max(highest, b.Value)
	}
	if highest == 0 { // nothing to show: an axis from 0 (gonum would otherwise centre it on 0, from -1 to 1)
		p.Y.Max = 1
		p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{{Value: 0, Label: map[bool]string{true: "£0", false: "0"}[valueLabel == "£"]}})
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
	return p, nil
}

// poundTicks marks a money axis in pounds with thousands separators, as the tables beside the
// charts write them: £75,000, or £2,500.50 where a mark falls between whole pounds.
type poundTicks struct{}

func (poundTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label == "" {
			continue
		}
		label := money.Pence(math.Round(t.Value * 100)).String()
		ticks[i].Label = strings.TrimSuffix(label, ".00")
	}
	return ticks
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
	if p.Y.Max < 1 { // nothing but zeros: an axis from 0, not centred on it
		p.Y.Max = 1
	}
	return p, nil
}

// groupedTicks are gonum/plot's default ticks labelled as people write counts: 1,200, not 1200.
type groupedTicks struct{}

func (groupedTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" && t.Value == math.Trunc(t.Value) {
			// money.Pence groups the thousands; a count is written the same way without the pound sign
			ticks[i].Label = strings.TrimSuffix(strings.TrimPrefix(money.Pence(int64(t.Value)*100).String(), "£"), ".00")
		}
	}
	return ticks
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
