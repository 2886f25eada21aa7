package letters

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"grantflow/internal/pdftext"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	img.Set(1, 1, color.RGBA{R: 0x1d, G: 0x70, B: 0xb8, A: 0xff})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A report reads as its parts; its tables repeat their header on each page; two images of one
// width are refused, as gofpdf would write them in an order left to chance.
func TestReportWritesHeadingsTablesAndImages(t *testing.T) {
	r, err := NewReport(ReportMeta{Title: "A report", Author: "The office", Date: time.Date(2027, 1, 16, 0, 0, 0, 0, time.UTC), Footer: "REPORT/1"})
	if err != nil {
		t.Fatal(err)
	}
	r.Letterhead(letterhead())
	r.Title("Łódź and Bromley-by-Bow & St Mary’s")
	if err := r.Image("one", pngOf(t, 200, 100)); err != nil {
		t.Fatal(err)
	}
	if err := r.Image("two", pngOf(t, 200, 80)); err == nil || !strings.Contains(err.Error(), "as wide as one") {
		t.Errorf("a second image of the same width: %v", err)
	}
	rows := make([][]string, 120)
	for i := range rows {
		rows[i] = []string{"Ward " + strings.Repeat("x", i%7), "£1.00"}
	}
	r.Table("Wards", []Column{{Title: "Ward name", Width: 100, Align: "L"}, {Title: "Amount", Width: 65, Align: "R"}}, rows, []string{"Total", "£120.00"})
	b, err := r.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	text, err := pdftext.Text(b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "Łódź and Bromley-by-Bow & St Mary’s") || !strings.Contains(text, "Total £120.00") {
		t.Errorf("text: %s", text)
	}
	if n := strings.Count(text, "Ward name Amount"); n < 2 {
		t.Errorf("a table over %d pages has its header %d times", strings.Count(text, "REPORT/1 Page"), n)
	}
	if !bytes.Contains(b, []byte("/Subtype /Image")) {
		t.Error("no image in the report")
	}
}
