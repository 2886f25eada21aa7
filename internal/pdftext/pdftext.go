// Package pdftext reads the words back out of a PDF, so tests can check what a reader of a letter
// would see.
//
// github.com/ledongthuc/pdf, a pure-Go reader, parses the file and inflates the content streams;
// this package follows the text operators itself, because it must decode the fonts the letters use
// (code pages of Liberation Sans whose glyphs are named uniXXXX, and Windows-1252) and place the
// glyphs as a reader does: a word drawn in two runs on two code pages reads as one word, and a
// gap or a new line reads as a space. It is meant for the documents Grantflow writes, not for
// arbitrary PDFs.
package pdftext

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/ledongthuc/pdf"
	"golang.org/x/text/encoding/charmap"
)

// Text returns the text shown on every page, in the order it is drawn, with every run of white
// space (including line breaks between separately drawn lines or table cells) turned into one
// space. A phrase that wraps onto the next line therefore still reads as one phrase, and a table
// row reads as its cells in order: "1 1 December 2026 £2,125.00".
func Text(doc []byte) (text string, err error) {
	// The reader panics on some malformed input; report that as an error instead.
	defer func() {
		if p := recover(); p != nil {
			text, err = "", fmt.Errorf("read PDF: %v", p)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(doc), int64(len(doc)))
	if err != nil {
		return "", fmt.Errorf("read PDF: %w", err)
	}
	var out strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		pageText(&out, p)
		out.WriteByte(' ')
	}
	return strings.Join(strings.Fields(out.String()), " "), nil
}

// font is what pageText needs of a font: how its codes read and how wide they are.
type font struct {
	chars     [256]rune
	widths    [256]float64 // thousandths of the type size
	hasWidths bool
	first     int
}

func loadFont(v pdf.Value) *font {
	f := &font{}
	for c := range f.chars {
		f.chars[c] = charmap.Windows1252.DecodeByte(byte(c))
	}
	if enc := v.Key("Encoding"); enc.Kind() == pdf.Dict {
		diffs := enc.Key("Differences")
		code := 0
		for i := 0; i < diffs.Len(); i++ {
			d := diffs.Index(i)
			switch d.Kind() {
			case pdf.Integer:
				code = int(d.Int64())
			case pdf.Name:
				if code >= 0 && code < 256 {
					if r, ok := glyphRune(d.Name()); ok {
						f.chars[code] = r
					}
				}
				code++
			}
		}
	}
	if ws := v.Key("Widths"); ws.Kind() == pdf.Array {
		f.hasWidths = true
		f.first = int(v.Key("FirstChar").Int64())
		for i := 0; i < ws.Len() && f.first+i < 256; i++ {
			f.widths[f.first+i] = ws.Index(i).Float64()
		}
	}
	return f
}

// glyphRune reads a glyph name of the form uniXXXX, the only kind the letters' fonts use beyond
// Windows-1252.
func glyphRune(name string) (rune, bool) {
	if hex, ok := strings.CutPrefix(name, "uni"); ok && len(hex) == 4 {
		if n, err := strconv.ParseUint(hex, 16, 32); err == nil {
			return rune(n), true
		}
	}
	return 0, false
}

// width is the advance of code c in text space units for a type size of 1.
func (f *font) width(c byte) float64 {
	if f.hasWidths {
		return f.widths[c] / 1000
	}
	return 0.5 // core fonts carry no widths; an average glyph is enough to tell gaps from runs
}

// pageText follows one page's text operators, writing the glyphs in drawing order with a space
// wherever the next glyph does not continue the previous one on the same line.
func pageText(out *strings.Builder, p pdf.Page) {
	fonts := map[string]*font{}
	resources := p.Resources().Key("Font")
	var cur *font
	var size float64
	var x, y, lineX, lineY float64 // text position and start of the line, in text space
	lastEnd, lastY := math.Inf(-1), math.Inf(-1)

	show := func(s string) {
		if cur == nil {
			return
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			gap := x - lastEnd
			if math.Abs(y-lastY) > size/2 || gap > 0.15*size || gap < -size {
				out.WriteByte(' ')
			}
			out.WriteRune(cur.chars[c])
			x += cur.width(c) * size
			lastEnd, lastY = x, y
		}
	}
	pdf.Interpret(p.V.Key("Contents"), func(stk *pdf.Stack, op string) {
		n := stk.Len()
		args := make([]pdf.Value, n)
		for i := n - 1; i >= 0; i-- {
			args[i] = stk.Pop()
		}
		switch op {
		case "BT":
			x, y, lineX, lineY = 0, 0, 0, 0
		case "Tf":
			if n == 2 {
				name := args[0].Name()
				if fonts[name] == nil {
					fonts[name] = loadFont(resources.Key(name))
				}
				cur, size = fonts[name], args[1].Float64()
			}
		case "Td", "TD":
			if n == 2 {
				lineX += args[0].Float64()
				lineY += args[1].Float64()
				x, y = lineX, lineY
			}
		case "Tm":
			if n == 6 {
				lineX, lineY = args[4].Float64(), args[5].Float64()
				x, y = lineX, lineY
			}
		case "T*":
			lineY -= size
			x, y = lineX, lineY
		case "Tj", "'", "\"":
			if n > 0 {
				show(args[n-1].RawString())
			}
		case "TJ":
			if n == 1 {
				for i := 0; i < args[0].Len(); i++ {
					if e := args[0].Index(i); e.Kind() == pdf.String {
						show(e.RawString())
					} else {
						x -= e.Float64() / 1000 * size
					}
				}
			}
		}
	})
}
