package letters

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The letters are set in Liberation Sans (metric-compatible with the Arial of the pages), embedded
// in the binary, so a name such as "Cymdeithas Gymunedol Ŵyr Łódź" or "Nguyễn Thị Hương" prints as
// given and reads back from the PDF as given.
//
// gofpdf's UTF-8 fonts re-parse and re-subset the font for every document, which costs several
// times a whole page. So the font is prepared once, by fonts/gen (go generate), the way gofpdf's
// MakeFont does for one-byte fonts: its characters are laid out over code pages of 224 (page 0 is
// Windows-1252, so most letters use only page 0; the rest take 128 characters each beyond ASCII),
// and each page has a gofpdf font definition. Text is split into runs by page, and a line may switch
// page mid-word. Each document embeds the font files its pages use, pre-compressed, once.

//go:generate go run ./fonts/gen fonts

//go:embed fonts/*.json fonts/*.z fonts/*.map
var fontFiles embed.FS

// face is one code page of one style: gofpdf's definition, the compressed font file it embeds, and
// the advance width of each code in thousandths of the type size.
type face struct {
	def, file []byte
	widths    [256]int
}

// codePage is one page of the font in both styles.
type codePage struct {
	family  string   // gofpdf's font family name for the page
	regular *face    // style ""
	bold    *face    // style "B"
	chars   [][2]int // code and character, for tests
}

func (p *codePage) face(style string) *face {
	if style == "B" {
		return p.bold
	}
	return p.regular
}

// glyph is where a character is: its page and its code on that page.
type glyph struct {
	page uint8
	code byte
}

// fontTable is every code page and the place of every character, read once per process.
var fontTable = sync.OnceValues(loadFontTable)

type fontPages struct {
	pages []*codePage
	where map[rune]glyph
	ascii [0x80]glyph
}

func loadFontTable() (*fontPages, error) {
	t := &fontPages{where: map[rune]glyph{}}
	files := map[string][]byte{}
	readFace := func(name string) (*face, error) {
		def, err := fontFiles.ReadFile("fonts/" + name)
		if err != nil {
			return nil, err
		}
		var d struct {
			Cw   []int
			File string
		}
		if err := json.Unmarshal(def, &d); err != nil || len(d.Cw) != 256 || d.File == "" {
			return nil, fmt.Errorf("font definition %s: widths or file missing (%v)", name, err)
		}
		f := &face{def: def}
		copy(f.widths[:], d.Cw)
		if f.file = files[d.File]; f.file == nil {
			if f.file, err = fontFiles.ReadFile("fonts/" + d.File); err != nil {
				return nil, err
			}
			files[d.File] = f.file
		}
		return f, nil
	}
	for p := 0; ; p++ {
		raw, err := fontFiles.ReadFile(fmt.Sprintf("fonts/p%d.map", p))
		if err != nil {
			if p == 0 {
				return nil, fmt.Errorf("letters font: %w", err)
			}
			break
		}
		cp := &codePage{family: fmt.Sprintf("gf%d", p)}
		if cp.regular, err = readFace(fmt.Sprintf("sans-p%d.json", p)); err != nil {
			return nil, fmt.Errorf("letters font: %w", err)
		}
		if cp.bold, err = readFace(fmt.Sprintf("sans-bold-p%d.json", p)); err != nil {
			return nil, fmt.Errorf("letters font: %w", err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n") {
			var code, r int
			var name string
			if _, err := fmt.Sscanf(line, "!%x U+%x %s", &code, &r, &name); err != nil {
				return nil, fmt.Errorf("letters font: p%d.map: %q: %w", p, line, err)
			}
			cp.chars = append(cp.chars, [2]int{code, r})
			if _, seen := t.where[rune(r)]; !seen {
				t.where[rune(r)] = glyph{page: uint8(p), code: byte(code)}
			}
		}
		t.pages = append(t.pages, cp)
	}
	for r := range t.ascii {
		t.ascii[r] = t.where[rune(r)]
	}
	return t, nil
}

// find returns where r is, if the font has it.
func (t *fontPages) find(r rune) (glyph, bool) {
	if r >= 0x20 && r < 0x7f {
		return t.ascii[r], true
	}
	g, ok := t.where[r]
	return g, ok
}

// run is text on one code page, encoded for it.
type run struct {
	page  uint8
	bytes string
}

// line is one line of text as runs, ready to draw.
type line []run

// runs turns s into runs. It composes s (NFC: "e" and a combining acute become "é"); turns tabs
// and other spaces into plain spaces; drops controls and invisible format characters; and for a
// character the font lacks (Chinese, Arabic, emoji) writes a close form ("→" as "->") or "?".
func (t *fontPages) runs(s string) line {
	var out line
	var cur []byte
	page := uint8(0)
	put := func(g glyph) {
		if g.page != page && len(cur) > 0 {
			out = append(out, run{page: page, bytes: string(cur)})
			cur = cur[:0]
		}
		page = g.page
		cur = append(cur, g.code)
	}
	for _, r := range norm.NFC.String(s) {
		if g, ok := t.find(r); ok {
			put(g)
			continue
		}
		switch {
		case r == '\t' || unicode.Is(unicode.Zs, r):
			put(t.ascii[' '])
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		default:
			for _, a := range approximate(t, r) {
				g, _ := t.find(a)
				put(g)
			}
		}
	}
	if len(cur) > 0 {
		out = append(out, run{page: page, bytes: string(cur)})
	}
	return out
}

// asciiFallback gives the close form of characters the font lacks that do not decompose into
// letters it has.
var asciiFallback = map[rune]string{'⇒': "=>", '⇔': "<=>"}

// approximate returns the closest text the font has for r, or "?".
func approximate(t *fontPages, r rune) string {
	if s, ok := asciiFallback[r]; ok {
		return s
	}
	// Strip what the font cannot show: a letter with an unusual accent keeps its letter.
	var base strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		if _, ok := t.find(d); ok {
			base.WriteRune(d)
		} else if !unicode.Is(unicode.Mn, d) {
			return "?"
		}
	}
	if base.Len() == 0 {
		return "?"
	}
	return base.String()
}

// width is the advance width of l in thousandths of the type size.
func (t *fontPages) width(l line, style string) int {
	w := 0
	for _, r := range l {
		widths := &t.pages[r.page].face(style).widths
		for i := 0; i < len(r.bytes); i++ {
			w += widths[r.bytes[i]]
		}
	}
	return w
}

// wrap breaks text into lines no wider than max thousandths of the type size: at spaces, after
// hyphens inside a word too long for a line (a double-barrelled name), within a word only when it
// alone is too wide, and wherever the text has a newline.
func (t *fontPages) wrap(s, style string, max int) []line {
	var out []line
	for _, para := range strings.Split(s, "\n") {
		out = append(out, t.wrapParagraph(t.runs(para), style, max)...)
	}
	return out
}

// cell is one encoded character and its width, the unit wrapParagraph measures in.
type cell struct {
	g glyph
	w int
}

func (t *fontPages) wrapParagraph(l line, style string, max int) []line {
	var cells []cell
	space := t.ascii[' ']
	for _, r := range l {
		widths := &t.pages[r.page].face(style).widths
		for i := 0; i < len(r.bytes); i++ {
			cells = append(cells, cell{glyph{r.page, r.bytes[i]}, widths[r.bytes[i]]})
		}
	}
	isSpace := func(c cell) bool { return c.g == space }
	isHyphen := func(c cell) bool { return c.g == t.ascii['-'] }
	var out []line
	for len(cells) > 0 {
		// Take as many cells as fit, remembering the last place a break may fall.
		end, width, lastSpace, lastHyphen := 0, 0, -1, -1
		for end < len(cells) && width+cells[end].w <= max {
			if isSpace(cells[end]) {
				lastSpace = end
			} else if isHyphen(cells[end]) {
				lastHyphen = end
			}
			width += cells[end].w
			end++
		}
		next := end
		switch {
		case end == len(cells):
		case isSpace(cells[end]):
			next = end + 1
		case lastSpace > 0:
			end, next = lastSpace, lastSpace+1
		case lastHyphen >= 0:
			end, next = lastHyphen+1, lastHyphen+1
		case end == 0:
			end, next = 1, 1 // one character wider than the line: it still has to go somewhere
		}
		out = append(out, encodeCells(trimSpaces(cells[:end], space)))
		cells = cells[next:]
		for len(cells) > 0 && isSpace(cells[0]) && len(out) > 0 {
			cells = cells[1:]
		}
	}
	if len(out) == 0 {
		out = append(out, nil)
	}
	return out
}

func trimSpaces(cells []cell, space glyph) []cell {
	for len(cells) > 0 && cells[len(cells)-1].g == space {
		cells = cells[:len(cells)-1]
	}
	return cells
}

func encodeCells(cells []cell) line {
	var out line
	var cur []byte
	for i, c := range cells {
		if i > 0 && c.g.page != cells[i-1].g.page {
			out = append(out, run{page: cells[i-1].g.page, bytes: string(cur)})
			cur = cur[:0]
		}
		cur = append(cur, c.g.code)
	}
	if len(cur) > 0 {
		out = append(out, run{page: cells[len(cells)-1].g.page, bytes: string(cur)})
	}
	return out
}
