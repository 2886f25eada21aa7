package pdftext

import (
	"bytes"
	"strings"
	"testing"

	"github.com/jung-kurt/gofpdf"
)

// twoPages writes a small PDF in gofpdf's core Helvetica (cp1252, compressed, no widths in the file).
func twoPages(t *testing.T) []byte {
	t.Helper()
	pdf := gofpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.SetFont("Helvetica", "", 11)
	pdf.AddPage()
	pdf.Cell(0, 6, tr("Grant to Café Naïve Ltd"))
	pdf.Ln(6)
	pdf.MultiCell(60, 6, tr("Amount   awarded: £4,250.00 in two payments of €-free pounds"), "", "L", false)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 11)
	pdf.Cell(0, 6, tr("Second page – “quoted” text"))
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTextDecodesPoundsAndAccents(t *testing.T) {
	got, err := Text(twoPages(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Grant to Café Naïve Ltd",
		"£4,250.00",
		"Amount awarded: £4,250.00 in two payments", // wrapped lines and doubled spaces read as one
		"Second page – “quoted” text",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("Text lacks %q\ngot: %q", want, got)
		}
	}
	if strings.Contains(got, "  ") || strings.ContainsAny(got, "\n\t") {
		t.Errorf("white space not normalised: %q", got)
	}
}

func TestTextRejectsWhatIsNotAPDF(t *testing.T) {
	for _, in := range [][]byte{nil, []byte("hello"), []byte("%PDF-1.3\ngarbage")} {
		if got, err := Text(in); err == nil {
			t.Errorf("Text(%q) = %q, want an error", in, got)
		}
	}
}
