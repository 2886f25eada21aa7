package letters

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// Page geometry in millimetres (A4 portrait) and type sizes in points.
const (
	pageWidth    = 210.0
	marginLeft   = 25.0
	marginRight  = 20.0
	marginTop    = 16.0
	marginBottom = 24.0 // where text stops; the footer sits below it
	contentWidth = pageWidth - marginLeft - marginRight

	bodySize   = 10.5
	smallSize  = 8.5
	lineH      = 5.2 // line height of body text
	cellPad    = 1.6 // space above and below text in a table row
	listIndent = 9.0
)

type rgb struct{ r, g, b int }

var (
	inkColour    = rgb{33, 37, 41}
	accentColour = rgb{0, 48, 87}
	mutedColour  = rgb{95, 101, 107}
	ruleColour   = rgb{185, 192, 199}
	fillColour   = rgb{231, 237, 243}
)

// meta describes a document as a whole: what goes in its properties and its footer.
type meta struct {
	title, subject, author string
	date                   time.Time // the letter date; also the PDF's creation and modification date
	footer                 string    // e.g. "Our reference: GF-2026-0042"
}

// writer lays out one document. The three documents share it, so a letterhead, a paragraph, a list
// or a table looks the same in each.
type writer struct {
	pdf   *gofpdf.Fpdf
	fonts *fontPages

	style string  // the type style, "" or "B"; set through font
	size  float64 // the type size in points
	added [2][]bool

	// cellSize and cellLineH set the type of table cells; zero means body text. Dense tables
	// (a five-year payment schedule, say) set them smaller for a while; see writer.section.
	cellSize, cellLineH float64
}

// cellFont returns the type size and line height of table cells.
func (w *writer) cellFont() (size, lineHeight float64) {
	if w.cellSize > 0 && w.cellLineH > 0 {
		return w.cellSize, w.cellLineH
	}
	return bodySize, lineH
}

// column is one column of a table: its heading, width in millimetres and alignment ("L" or "R").
type column struct {
	title string
	width float64
	align string
}

// field is a label and its value, shown as a row of a details table.
type field struct{ label, value string }

func newWriter(m meta) (*writer, error) {
	fonts, err := fontTable()
	if err != nil {
		return nil, err
	}
	pdf := gofpdf.New("P", "mm", "A4", "")
	w := &writer{pdf: pdf, fonts: fonts}
	for i := range w.added {
		w.added[i] = make([]bool, len(fonts.pages))
	}

	// Same input, same bytes: fixed dates instead of time.Now, resources written in sorted order
	// rather than map order. gofpdf writes no document ID unless the file is encrypted.
	day := time.Date(m.date.Year(), m.date.Month(), m.date.Day(), 0, 0, 0, 0, time.UTC)
	pdf.SetCreationDate(day)
	pdf.SetModificationDate(day)
	pdf.SetCatalogSort(true)

	pdf.SetTitle(m.title, true)
	pdf.SetSubject(m.subject, true)
	pdf.SetAuthor(m.author, true)
	pdf.SetCreator("Grantflow", true)
	pdf.SetDisplayMode("real", "default")

	pdf.SetMargins(marginLeft, marginTop, marginRight)
	pdf.SetAutoPageBreak(true, marginBottom)
	pdf.AliasNbPages("{nb}")
	pdf.SetFooterFunc(func() {
		style, size := w.style, w.size
		pdf.SetY(-16)
		w.colour(mutedColour)
		pdf.SetDrawColor(ruleColour.r, ruleColour.g, ruleColour.b)
		pdf.SetLineWidth(0.2)
		pdf.Line(marginLeft, pdf.GetY(), pageWidth-marginRight, pdf.GetY())
		pdf.Ln(1.5)
		w.font("", 8)
		w.cell(contentWidth/2, 4, w.line(m.footer), "L")
		w.cell(contentWidth/2, 4, w.line(fmt.Sprintf("Page %d of {nb}", pdf.PageNo())), "R")
		w.font(style, size)
	})
	w.font("", bodySize)
	pdf.AddPage()
	w.body()
	return w, nil
}

// font selects the type style ("" or "B") and size in points of the text that follows.
func (w *writer) font(style string, size float64) {
	w.style, w.size = style, size
	w.use(0)
}

// use selects code page p of the current style, adding it to the document the first time.
func (w *writer) use(p uint8) {
	cp := w.fonts.pages[p]
	s := 0
	if w.style == "B" {
		s = 1
	}
	if !w.added[s][p] {
		f := cp.face(w.style)
		w.pdf.AddFontFromBytes(cp.family, w.style, f.def, f.file)
		w.added[s][p] = true
	}
	w.pdf.SetFont(cp.family, w.style, w.size)
}

// line is s as one line of text in the document's font (see font.go), not wrapped.
func (w *writer) line(s string) line { return w.fonts.runs(s) }

// em is the type size in millimetres.
func (w *writer) em() float64 { return w.size / w.pdf.GetConversionRatio() }

// measure is the width of l in millimetres in the current style and size.
func (w *writer) measure(l line) float64 {
	return float64(w.fonts.width(l, w.style)) * w.em() / 1000
}

// cell draws l in a box width wide and h high at the current position, aligned left ("L") or
// right ("R") within gofpdf's cell margin, and moves to the box's right edge, as gofpdf's
// CellFormat does. A line may switch code page, so it is drawn run by run.
func (w *writer) cell(width, h float64, l line, align string) {
	x, y := w.pdf.GetXY()
	margin := w.pdf.GetCellMargin()
	tx := x + margin
	if align == "R" {
		tx = x + width - margin - w.measure(l)
	}
	baseline := y + 0.5*h + 0.3*w.em()
	for _, r := range l {
		w.use(r.page)
		w.pdf.Text(tx, baseline, r.bytes)
		tx += w.measure(line{r})
	}
	w.use(0)
	w.pdf.SetXY(x+width, y)
}

// multi writes s wrapped to width (to the right margin when width is 0), h millimetres a line,
// starting new pages as needed, and returns to the left margin below it, as gofpdf's MultiCell
// does. A blank s still takes one line.
func (w *writer) multi(width, h float64, s string) {
	x := w.pdf.GetX()
	if width == 0 {
		width = pageWidth - marginRight - x
	}
	lines := w.lines(s, width)
	if len(lines) == 0 {
		lines = []line{nil}
	}
	for _, l := range lines {
		if !w.fits(h) {
			w.pdf.AddPage()
		}
		y := w.pdf.GetY()
		w.pdf.SetX(x)
		w.cell(width, h, l, "L")
		w.pdf.SetXY(x, y+h)
	}
	left, _, _, _ := w.pdf.GetMargins()
	w.pdf.SetX(left)
}

func (w *writer) colour(c rgb) { w.pdf.SetTextColor(c.r, c.g, c.b) }

// body selects the body text style.
func (w *writer) body() {
	w.font("", bodySize)
	w.colour(inkColour)
}

// lines wraps s to a box width wide (within its cell margins) in the current style and size. A
// blank s gives no lines.
func (w *writer) lines(s string, width float64) []line {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	limit := int(math.Ceil((width - 2*w.pdf.GetCellMargin()) * 1000 / w.em()))
	return w.fonts.wrap(s, w.style, limit)
}

// keepTogether starts a new page unless h millimetres fit above the bottom margin.
func (w *writer) keepTogether(h float64) {
	if !w.fits(h) {
		w.pdf.AddPage()
	}
}

// letterhead writes the sender's name on the left, its address and contact details on the right,
// and a rule under both.
func (w *writer) letterhead(lh Letterhead) {
	p := w.pdf
	top := p.GetY()
	const rightWidth = 64.0
	rightX := pageWidth - marginRight - rightWidth

	w.font("", smallSize)
	w.colour(mutedColour)
	details := append([]string(nil), lh.Address...)
	if lh.Phone != "" {
		details = append(details, "Telephone: "+lh.Phone)
	}
	if lh.Email != "" {
		details = append(details, "Email: "+lh.Email)
	}
	y := top + 0.6
	for _, d := range details {
		for _, l := range w.lines(d, rightWidth) {
			p.SetXY(rightX, y)
			w.cell(rightWidth, 3.9, l, "R")
			y += 3.9
		}
	}

	w.font("B", 14)
	w.colour(accentColour)
	y2 := top
	for _, l := range w.lines(lh.Body, contentWidth-rightWidth-8) {
		p.SetXY(marginLeft, y2)
		w.cell(contentWidth-rightWidth-8, 6.4, l, "L")
		y2 += 6.4
	}

	rule := max(y, y2) + 3
	p.SetDrawColor(accentColour.r, accentColour.g, accentColour.b)
	p.SetLineWidth(0.6)
	p.Line(marginLeft, rule, pageWidth-marginRight, rule)
	p.SetLineWidth(0.2)
	p.SetXY(marginLeft, rule+10)
	w.body()
}

// addressee writes the recipient's name and address on the left and the reference and date on
// the right, as on a letter for a window envelope.
func (w *writer) addressee(r Recipient, refs []field) {
	p := w.pdf
	top := p.GetY()
	const leftWidth = 95.0
	const labelWidth, valueWidth = 26.0, 44.0
	refX := pageWidth - marginRight - labelWidth - valueWidth

	w.body()
	y := top
	block := make([]string, 0, len(r.Address)+2)
	if strings.TrimSpace(r.Contact) != "" {
		block = append(block, r.Contact)
	}
	block = append(block, r.Organisation)
	block = append(block, r.Address...)
	for _, line := range block {
		for _, l := range w.lines(line, leftWidth) {
			p.SetXY(marginLeft, y)
			w.cell(leftWidth, lineH, l, "L")
			y += lineH
		}
	}

	yr := top
	for _, f := range refs {
		w.font("", smallSize)
		w.colour(mutedColour)
		p.SetXY(refX, yr)
		w.cell(labelWidth, lineH, w.line(f.label), "L")
		w.font("B", 9.5)
		w.colour(inkColour)
		for _, l := range w.lines(f.value, valueWidth) {
			p.SetXY(refX+labelWidth, yr)
			w.cell(valueWidth, lineH, l, "L")
			yr += lineH
		}
	}
	p.SetXY(marginLeft, max(y, yr)+10)
	w.body()
}

// heading writes the subject line of a letter or the title of a notice.
func (w *writer) heading(s string) {
	w.keepTogether(4 * lineH)
	w.font("B", 12.5)
	w.colour(accentColour)
	w.multi(0, 6.2, s)
	w.pdf.Ln(2.5)
	w.body()
}

// subheading starts a section, keeping at least its first few lines on the same page.
func (w *writer) subheading(s string) {
	w.pdf.Ln(1.5)
	w.keepTogether(5 * lineH)
	w.font("B", 11)
	w.colour(accentColour)
	w.multi(0, lineH+0.4, s)
	w.pdf.Ln(1)
	w.body()
}

// paragraph writes s wrapped to the text width, followed by a gap.
func (w *writer) paragraph(s string) {
	w.body()
	w.multi(0, lineH, s)
	w.pdf.Ln(2.5)
}

// strong writes a paragraph in bold.
func (w *writer) strong(s string) {
	w.font("B", bodySize)
	w.colour(inkColour)
	w.multi(0, lineH, s)
	w.pdf.Ln(2.5)
	w.body()
}

// list writes items as a numbered list ("1.", "2.", ...) or a bulleted one, with wrapped lines
// indented under the first.
func (w *writer) list(items []string, numbered bool) {
	p := w.pdf
	w.body()
	for i, item := range items {
		w.keepTogether(lineH)
		label := "•"
		if numbered {
			label = fmt.Sprintf("%d.", i+1)
		}
		y := p.GetY()
		p.SetXY(marginLeft+1, y)
		w.cell(listIndent-1, lineH, w.line(label), "L")
		p.SetLeftMargin(marginLeft + listIndent)
		p.SetXY(marginLeft+listIndent, y)
		w.multi(0, lineH, item)
		p.SetLeftMargin(marginLeft)
		p.Ln(1.2)
	}
	p.SetX(marginLeft)
	p.Ln(1.3)
}

// table writes a header row, the rows and an optional bold total row. Cells wrap; a row never
// splits across pages, and the header is repeated at the top of each new page.
func (w *writer) table(cols []column, rows [][]string, total []string) {
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = c.title
	}
	headerStyle := rowStyle{bold: true, shaded: true}
	first := header
	if len(rows) > 0 {
		first = rows[0]
	}
	// Never leave the header alone at the foot of a page.
	w.keepTogether(w.rowHeight(cols, header, headerStyle) + w.rowHeight(cols, first, rowStyle{}))
	w.row(cols, header, headerStyle)
	next := func(cells []string, st rowStyle) {
		if !w.fits(w.rowHeight(cols, cells, st)) {
			w.pdf.AddPage()
			w.row(cols, header, headerStyle)
		}
		w.row(cols, cells, st)
	}
	for _, r := range rows {
		next(r, rowStyle{})
	}
	if total != nil {
		next(total, rowStyle{bold: true})
	}
	w.pdf.Ln(4)
	w.body()
}

// details writes label and value pairs as a two-column table without a header.
func (w *writer) details(fields []field) {
	cols := []column{{width: 42, align: "L"}, {width: contentWidth - 42, align: "L"}}
	if len(fields) > 0 {
		w.keepTogether(w.rowHeight(cols, []string{fields[0].label, fields[0].value}, rowStyle{label: true}))
	}
	y := w.pdf.GetY()
	w.pdf.SetDrawColor(ruleColour.r, ruleColour.g, ruleColour.b)
	w.pdf.SetLineWidth(0.2)
	w.pdf.Line(marginLeft, y, marginLeft+contentWidth, y)
	for _, f := range fields {
		w.row(cols, []string{f.label, f.value}, rowStyle{label: true})
	}
	w.pdf.Ln(4)
	w.body()
}

// rowStyle says how a table row looks: bold text, a shaded background (the header), or a first
// column of muted bold labels (a details table).
type rowStyle struct{ bold, shaded, label bool }

func (st rowStyle) font(col int) (style string, c rgb) {
	switch {
	case st.label && col == 0:
		return "B", mutedColour
	case st.bold:
		return "B", inkColour
	default:
		return "", inkColour
	}
}

func (w *writer) rowHeight(cols []column, cells []string, st rowStyle) float64 {
	size, lh := w.cellFont()
	n := 1
	for i, c := range cols {
		if i < len(cells) {
			style, _ := st.font(i)
			w.font(style, size)
			n = max(n, len(w.lines(cells[i], c.width)))
		}
	}
	return float64(n)*lh + 2*cellPad
}

// fits reports whether h millimetres fit above the bottom margin of the current page.
func (w *writer) fits(h float64) bool {
	_, pageHeight := w.pdf.GetPageSize()
	return w.pdf.GetY()+h <= pageHeight-marginBottom
}

// row draws one table row with a thin rule under it, on a new page if it does not fit.
func (w *writer) row(cols []column, cells []string, st rowStyle) {
	p := w.pdf
	h := w.rowHeight(cols, cells, st)
	w.keepTogether(h)
	y := p.GetY()
	if st.shaded {
		p.SetFillColor(fillColour.r, fillColour.g, fillColour.b)
		p.Rect(marginLeft, y, contentWidth, h, "F")
	}
	size, lh := w.cellFont()
	x := marginLeft
	for i, c := range cols {
		style, colour := st.font(i)
		w.font(style, size)
		w.colour(colour)
		if i < len(cells) {
			for j, l := range w.lines(cells[i], c.width) {
				p.SetXY(x, y+cellPad+float64(j)*lh)
				w.cell(c.width, lh, l, c.align)
			}
		}
		x += c.width
	}
	p.SetDrawColor(ruleColour.r, ruleColour.g, ruleColour.b)
	p.SetLineWidth(0.2)
	p.Line(marginLeft, y+h, marginLeft+contentWidth, y+h)
	p.SetXY(marginLeft, y+h)
}

// signOff writes the valediction, room for a signature, and the signatory's name and role.
// "A. Example, Commissioning Officer" puts the name and the role on separate lines.
func (w *writer) signOff(valediction, signatory, organisation string) {
	p := w.pdf
	w.keepTogether(36)
	p.Ln(1)
	w.paragraph(valediction)
	p.Ln(10)
	name, role, _ := strings.Cut(signatory, ",")
	w.strongLine(name)
	if role = strings.TrimSpace(role); role != "" {
		w.plainLine(role)
	}
	w.plainLine(organisation)
}

func (w *writer) strongLine(s string) {
	w.font("B", bodySize)
	w.colour(inkColour)
	w.multi(0, lineH, s)
	w.body()
}

func (w *writer) plainLine(s string) {
	w.body()
	w.multi(0, lineH, s)
}

// compressFrom is the page count from which a document's page text is compressed. gofpdf takes a
// fresh 1 MB compressor for each page, which is half the time of writing a two-page letter (2.9
// against 5.5 ms) to save about 18 KB beside the 55 KB or more of font it embeds; a ten-page
// agreement saves about 110 KB, which is worth the time. (A variable only so that
// BenchmarkAwardLetter can show the difference.)
var compressFrom = 3

// bytes finishes the document and returns the PDF.
func (w *writer) bytes() ([]byte, error) {
	w.pdf.SetCompression(w.pdf.PageNo() >= compressFrom)
	var buf bytes.Buffer
	if err := w.pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("write PDF: %w", err)
	}
	return buf.Bytes(), nil
}
