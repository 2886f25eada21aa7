package reporting_test

import (
	"bytes"
	"math"
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

// A chart of nothing but zeros has an axis from 0 up, and ticks read as people write numbers.
func TestChartAxesReadAsPeopleWriteNumbers(t *testing.T) {
	zero, err := reporting.BarChart("Paid by area", "£", []reporting.Bar{{Label: "Rutland", Value: 0}})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := reporting.SVG(zero, 6*vg.Inch, 3*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(svg, []byte(">-1<")) {
		t.Errorf("an all-zero chart's axis goes below zero")
	}
	big, err := reporting.BarChart("Committed", "£", []reporting.Bar{{Label: "Victim Services", Value: 250000}})
	if err != nil {
		t.Fatal(err)
	}
	if svg, err = reporting.SVG(big, 6*vg.Inch, 3*vg.Inch); err != nil || !bytes.Contains(svg, []byte(">250,000<")) && !bytes.Contains(svg, []byte(">200,000<")) {
		t.Errorf("the ticks are not grouped in thousands (%v): %s", err, svg)
	}
}
