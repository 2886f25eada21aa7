package letters

import (
	"bytes"
	"fmt"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// Report is a document written outside this package (the Panel report, say) with the letters'
// type, letterhead, headings and tables: it is the letters' writer with an exported face, so a
// report looks like the office's other documents and prints any name as given. Like the letters,
// the same calls give the same bytes.
type Report struct {
	w      *writer
	widths map[float64]string // the width of each image drawn, in the document's units, and its name
}

// ReportMeta is what goes in a report's properties and footer.
type ReportMeta struct {
	Title, Subject, Author string
	Date                   time.Time // the report's date; also the PDF's creation and modification date
	Footer                 string    // printed at the foot of each page beside the page number
}

// Column is one column of a report's table: its heading, width in millimetres and alignment ("L"
// or "R").
type Column struct {
	Title string
	Width float64
	Align string
}

// ReportWidth is the width of a report's text in millimetres (A4 portrait, the letters' margins).
const ReportWidth = contentWidth

// NewReport starts a report on its first page.
func NewReport(m ReportMeta) (*Report, error) {
	w, err := newWriter(meta{title: m.Title, subject: m.Subject, author: m.Author, date: m.Date, footer: m.Footer})
	if err != nil {
		return nil, err
	}
	return &Report{w: w, widths: map[float64]string{}}, nil
}

// Letterhead writes the office's name and contact details across the top of the page.
func (r *Report) Letterhead(lh Letterhead) { r.w.letterhead(lh) }

// Title writes the report's title, large.
func (r *Report) Title(s string) { r.w.heading(s) }

// Heading starts a section.
func (r *Report) Heading(s string) { r.w.subheading(s) }

// MinorHeading labels a part of a section.
func (r *Report) MinorHeading(s string) { r.w.minorHeading(s) }

// Paragraph writes s wrapped to the text width.
func (r *Report) Paragraph(s string) { r.w.paragraph(s) }

// Strong writes a paragraph in bold.
func (r *Report) Strong(s string) { r.w.strong(s) }

// Banner writes s in bold on a shaded panel, for what a reader must see first.
func (r *Report) Banner(s string) { r.w.banner(s) }

// Details writes label and value pairs as a two-column table.
func (r *Report) Details(pairs [][2]string) {
	fields := make([]field, len(pairs))
	for i, p := range pairs {
		fields[i] = field{p[0], p[1]}
	}
	r.w.details(fields)
}

// Table writes a table in the compact type of the dense letters' tables, under a minor heading
// when title is set: the heading stays with the table's first rows, a row never splits across
// pages and the header row is repeated at the top of each page. total, if not nil, is a bold last row.
func (r *Report) Table(title string, cols []Column, rows [][]string, total []string) {
	cs := make([]column, len(cols))
	for i, c := range cols {
		cs[i] = column{title: c.Title, width: c.Width, align: c.Align}
	}
	r.w.cellSize, r.w.cellLineH = compactSize, compactLineH
	defer func() { r.w.cellSize, r.w.cellLineH = 0, 0 }()
	lead := 0.0
	if title != "" {
		lead = minorHeadingHeight
	}
	r.w.keepWithTable(lead, cs, rows, total)
	if title != "" {
		r.w.minorHeading(title)
	}
	r.w.table(cs, rows, total)
}

// Image draws a PNG the text's width wide (keeping its proportions), on a new page if it does
// not fit on this one. name identifies it in the document and must be unique to it.
//
// Each image of a report must be of a different width in pixels: gofpdf writes a document's
// images in order of their widths, and those of the same width in map order, which would make
// the same report come out as different bytes. A second image as wide as an earlier one is refused.
func (r *Report) Image(name string, png []byte) error {
	p := r.w.pdf
	info := p.RegisterImageOptionsReader(name, gofpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	if err := p.Error(); err != nil {
		return fmt.Errorf("image %s: %w", name, err)
	}
	if other, ok := r.widths[info.Width()]; ok && other != name {
		return fmt.Errorf("image %s is as wide as %s: the document's bytes would depend on chance", name, other)
	}
	r.widths[info.Width()] = name
	width := contentWidth
	height := width * info.Height() / info.Width()
	r.w.keepTogether(height + 2)
	y := p.GetY()
	p.ImageOptions(name, marginLeft, y, width, height, false, gofpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.SetXY(marginLeft, y+height+2)
	return nil
}

// NewPage starts a new page.
func (r *Report) NewPage() {
	r.w.pdf.AddPage()
	r.w.body()
}

// Gap leaves mm millimetres of space.
func (r *Report) Gap(mm float64) { r.w.pdf.Ln(mm) }

// Bytes finishes the report and returns the PDF.
func (r *Report) Bytes() ([]byte, error) { return r.w.bytes() }
