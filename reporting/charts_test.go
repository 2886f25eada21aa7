package reporting_test

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"gonum.org/v1/plot/vg"

	"grantflow/reporting"
)

func TestChartsRenderAsSVGAndPNG(t *testing.T) {
	bar, err := reporting.BarChart("Committed by priority", "£", []reporting.Bar{{Label: "Victim Services", Value: 120000}, {Label: "Visible Policing", Value: 4500}})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := reporting.SVG(bar, 6*vg.Inch, 3*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(bytes.TrimSpace(svg), []byte("<?xml")) || !bytes.Contains(svg, []byte("<svg")) || !bytes.Contains(svg, []byte("Victim Services")) {
		t.Errorf("the bar chart's SVG does not carry its labels: %.300s", svg)
	}
	trend, err := reporting.TrendChart("Referrals", "people", []string{"Q1", "Q2", "Q3"}, []reporting.Series{
		{Label: "Target", Values: []float64{30, 30, 30}}, {Label: "Actual", Values: []float64{25, math.NaN(), 34}}})
	if err != nil {
		t.Fatal(err)
	}
	png, err := reporting.PNG(trend, 6*vg.Inch, 3*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("the trend chart is not a PNG: %.8q", png)
	}
}

// A money chart's axis reads in pounds as the tables do (£75,000, not 75000.00), and a chart of
// nothing starts its axis at £0 rather than centring it on zero with a -1 below.
func TestBarChartAxisInPoundsFromZero(t *testing.T) {
	bar, err := reporting.BarChart("Committed by priority", "£", []reporting.Bar{{Label: "Victim Services", Value: 75000}, {Label: "Visible Policing", Value: 2500}})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, tk := range bar.Y.Tick.Marker.Ticks(bar.Y.Min, bar.Y.Max) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if len(labels) == 0 || labels[0] != "£0" || !slices.Contains(labels, "£75,000") {
		t.Errorf("the axis reads %q, want £0 … £75,000", labels)
	}
	empty, err := reporting.BarChart("Paid by area", "£", []reporting.Bar{{Label: "Melton", Value: 0}, {Label: "Rutland", Value: 0}})
	if err != nil {
		t.Fatal(err)
	}
	if empty.Y.Min != 0 || empty.Y.Max <= 0 {
		t.Errorf("an empty chart's axis runs from %v to %v, want from 0", empty.Y.Min, empty.Y.Max)
	}
	svg, err := reporting.SVG(empty, 6*vg.Inch, 3*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(svg, []byte(">-1<")) || !bytes.Contains(svg, []byte(">£0<")) {
		t.Errorf("an empty chart's axis is not £0 alone: %s", svg)
	}
}

// A trend chart's counts read as people write them (1,200, not 1200), and a trend of nothing but
// zeros keeps its axis from 0.
func TestTrendChartAxisReadsAsPeopleWriteNumbers(t *testing.T) {
	trend, err := reporting.TrendChart("Referrals", "people", []string{"Q1", "Q2"}, []reporting.Series{{Label: "Actual", Values: []float64{1200, 2500}}})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, tk := range trend.Y.Tick.Marker.Ticks(trend.Y.Min, trend.Y.Max) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if !slices.Contains(labels, "2,000") {
		t.Errorf("the axis reads %q, want counts grouped in thousands such as 2,000", labels)
	}
	zero, err := reporting.TrendChart("Referrals", "people", []string{"Q1"}, []reporting.Series{{Label: "Actual", Values: []float64{0}}})
	if err != nil {
		t.Fatal(err)
	}
	if zero.Y.Min != 0 || zero.Y.Max < 1 {
		t.Errorf("an all-zero trend's axis runs from %v to %v, want 0 to at least 1", zero.Y.Min, zero.Y.Max)
	}
}
