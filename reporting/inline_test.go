package reporting_test

import (
	"regexp"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"

	"grantflow/reporting"
)

// A chart made fit for a page is one image named by its title and description, takes its
// container's width, carries no inline style (the pages' content security policy refuses it) and
// no markup from the names it draws.
func TestInlineSVGIsAnAccessibleImageWithoutInlineStyles(t *testing.T) {
	name := `<script>alert("x")</script> & Co`
	bar, err := reporting.BarChart("Committed by "+name, "£", []reporting.Bar{{Label: name, Value: 1200}, {Label: "Visible Policing", Value: 450}})
	if err != nil {
		t.Fatal(err)
	}
	svg, err := reporting.SVG(bar, 6*vg.Inch, 3*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	got, err := reporting.InlineSVG(svg, "priority-committed", "Committed by priority", `Bars of "committed" <by> priority`)
	if err != nil {
		t.Fatal(err)
	}
	open := got[:strings.IndexByte(got, '>')]
	for _, want := range []string{`role="img"`, `aria-labelledby="priority-committed-title priority-committed-desc"`, `width="100%"`, `viewBox="0 0 432 216"`} {
		if !strings.Contains(open, want) {
			t.Errorf("the svg element %q lacks %s", open, want)
		}
	}
	if strings.Contains(open, `height=`) || strings.Contains(open, `width="432pt"`) {
		t.Errorf("the svg element keeps a fixed size: %q", open)
	}
	for _, want := range []string{`<title id="priority-committed-title">Committed by priority</title>`,
		`<desc id="priority-committed-desc">Bars of &#34;committed&#34; &lt;by&gt; priority</desc>`, `fill="#1D70B8"`, "&lt;script&gt;"} {
		if !strings.Contains(got, want) {
			t.Errorf("the chart lacks %s", want)
		}
	}
	if regexp.MustCompile(`\sstyle=`).MatchString(got) {
		t.Error("the chart keeps inline styles")
	}
	for _, bad := range []string{"<?xml", "<script", "<!--"} {
		if strings.Contains(got, bad) {
			t.Errorf("the chart carries %q", bad)
		}
	}
}
