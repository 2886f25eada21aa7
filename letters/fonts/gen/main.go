// Command gen writes the font files the letters embed (run by go generate in letters/fonts).
//
// gofpdf embeds a UTF-8 font by re-parsing and re-subsetting it for every document, which costs
// several times a whole core-font page. Its other way, a TrueType font with a one-byte encoding
// made once by gofpdf.MakeFont, costs almost nothing per document. One byte gives 224 characters,
// so the characters Liberation Sans has are laid out over several code pages: page 0 is Windows
// code page 1252 (plain English letters never need another page), and the rest take 128 characters
// each in code order. Every page keeps ASCII at its usual codes. The writer switches page in the
// middle of a line when a name needs it.
//
// For each style (regular, bold) gen writes the font cut to those characters (sans.z,
// sans-bold.z, zlib-compressed, embedded once per document however many pages use it) and one
// gofpdf definition per page (sans-p0.json, ...), and writes each page's map (p0.map, ...: code,
// character, glyph name) for the lookup table the writer builds at start-up.
package main

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/go-fonts/liberation/liberationsansbold"
	"github.com/go-fonts/liberation/liberationsansregular"
	"github.com/jung-kurt/gofpdf"
	"golang.org/x/image/font/sfnt"
)

// styles are the faces the letters use, by gofpdf style string.
var styles = []struct {
	name, style string
	ttf         []byte
}{
	{"sans", "", liberationsansregular.TTF},
	{"sans-bold", "B", liberationsansbold.TTF},
}

// groups are the characters laid out beyond page 0, by Unicode range, each group in pages and a
// font cut of its own so that a letter carries only the groups its text uses: a Welsh or Polish
// name adds the Latin cut, not the Greek and Cyrillic one. Hebrew and Arabic are left out: they
// are written right to left and need shaping, which gofpdf does not do.
var groups = []struct {
	name   string
	ranges [][2]rune
}{
	{"latin", [][2]rune{
		{0x00a0, 0x024f}, // Latin-1 Supplement, Latin Extended-A and -B
		{0x0259, 0x0259}, // schwa (Azerbaijani)
		{0x02b9, 0x02dd}, // modifier letters: ʻokina, circumflex, caron, breve, ring, ogonek
		{0x0300, 0x036f}, // combining accents, for letters Unicode has no single character for
		{0x1e00, 0x1eff}, // Latin Extended Additional (Welsh ŵ ẁ ẃ ẅ ỳ, Vietnamese)
		{0x2010, 0x2044}, // dashes, quotes, bullets, ellipsis, primes, fraction slash
		{0x20a0, 0x20c0}, // currency signs
		{0x2100, 0x215e}, // letterlike symbols (№, ℅, ™) and fractions
		{0x2190, 0x2195}, // arrows
		{0x2212, 0x2212}, // minus
		{0x2248, 0x2265}, // ≈ ≠ ≤ ≥
		{0xfb01, 0xfb02}, // fi and fl
	}},
	{"greek-cyrillic", [][2]rune{{0x0370, 0x03ff}, {0x0400, 0x04ff}}},
}

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: gen <folder for the font files>")
	}
	out := os.Args[1]
	cp1252, err := gofpdfMap("cp1252.map")
	check(err)

	// The characters both faces have, beyond page 0.
	faces := make([]*sfnt.Font, len(styles))
	for i, s := range styles {
		faces[i], err = sfnt.Parse(s.ttf)
		check(err)
	}
	var buf sfnt.Buffer
	inPage0 := map[rune]bool{}
	for _, e := range cp1252 {
		inPage0[e.r] = true
	}
	// name returns r's glyph name, or "" when either face lacks it. The names are uniXXXX, which
	// the Adobe Glyph List specification maps to U+XXXX, so a PDF reader can turn codes back into
	// text without a table of names.
	name := func(r rune) string {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Me) {
			return "" // controls, bidirectional marks, enclosing marks: nothing to draw on their own
		}
		for _, f := range faces {
			if gi, err := f.GlyphIndex(&buf, r); err != nil || gi == 0 {
				return ""
			}
		}
		return fmt.Sprintf("uni%04X", r)
	}

	pages := [][]entry{cp1252}
	cuts := []cut{{file: "basic", pages: []int{0}}}
	for _, g := range groups {
		var chars []entry
		for _, rg := range g.ranges {
			for r := rg[0]; r <= rg[1]; r++ {
				if n := name(r); n != "" && !inPage0[r] {
					chars = append(chars, entry{r: r, name: n})
				}
			}
		}
		c := cut{file: g.name}
		for len(chars) > 0 {
			n := min(128, len(chars))
			page := asciiEntries(cp1252)
			for i, e := range chars[:n] {
				e.code = 0x80 + i
				page = append(page, e)
			}
			c.pages = append(c.pages, len(pages))
			pages = append(pages, page)
			chars = chars[n:]
		}
		cuts = append(cuts, c)
	}

	tmp, err := os.MkdirTemp("", "grantflow-fonts")
	check(err)
	defer os.RemoveAll(tmp)
	// MakeFont compares every map with cp1252.map in the same folder to find the differences.
	check(writeMap(filepath.Join(tmp, "cp1252.map"), cp1252))
	for p, page := range pages {
		check(writeMap(filepath.Join(out, fmt.Sprintf("p%d.map", p)), page))
		check(writeMap(filepath.Join(tmp, fmt.Sprintf("p%d.map", p)), page))
	}
	for _, s := range styles {
		for _, c := range cuts {
			var chars strings.Builder
			for _, p := range c.pages {
				for _, e := range pages[p] {
					chars.WriteRune(e.r)
				}
			}
			file := s.name + "-" + c.file
			ttf := filepath.Join(tmp, file+".ttf")
			check(os.WriteFile(ttf, gofpdf.UTF8CutFont(s.ttf, chars.String()), 0o644))
			for _, p := range c.pages {
				check(gofpdf.MakeFont(ttf, filepath.Join(tmp, fmt.Sprintf("p%d.map", p)), tmp, io.Discard, true))
				check(os.Rename(filepath.Join(tmp, file+".json"), filepath.Join(out, fmt.Sprintf("%s-p%d.json", s.name, p))))
			}
			check(os.Rename(filepath.Join(tmp, file+".z"), filepath.Join(out, file+".z")))
		}
	}
	// The font's licence travels with the files cut from it.
	fontsDir, err := moduleDir("github.com/go-fonts/liberation")
	check(err)
	licence, err := os.ReadFile(filepath.Join(fontsDir, "LICENSE-SIL"))
	check(err)
	check(os.WriteFile(filepath.Join(out, "LICENSE"), licence, 0o644))
	log.Printf("%d code pages", len(pages))
}

// cut is one font file: the pages whose characters it holds.
type cut struct {
	file  string
	pages []int
}

// entry is one line of a gofpdf map file: a code, the character it shows and its glyph name.
type entry struct {
	code int
	r    rune
	name string
}

func asciiEntries(cp1252 []entry) []entry {
	var out []entry
	for _, e := range cp1252 {
		if e.code < 0x80 {
			out = append(out, e)
		}
	}
	return out
}

// moduleDir is where the go command keeps a module this one requires.
func moduleDir(path string) (string, error) {
	dir, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", path, err)
	}
	return strings.TrimSpace(string(dir)), nil
}

// gofpdfMap reads one of the code page maps gofpdf ships, keeping the printable codes.
func gofpdfMap(name string) ([]entry, error) {
	dir, err := moduleDir("github.com/jung-kurt/gofpdf")
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "font", name))
	if err != nil {
		return nil, err
	}
	var out []entry
	for _, line := range strings.Split(string(raw), "\n") {
		var e entry
		if _, err := fmt.Sscanf(line, "!%x U+%x %s", &e.code, &e.r, &e.name); err != nil || e.code < 0x20 || e.name == ".notdef" {
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

func writeMap(path string, page []entry) error {
	var b bytes.Buffer
	for _, e := range page {
		fmt.Fprintf(&b, "!%02X U+%04X %s\n", e.code, e.r, e.name)
	}
	return os.WriteFile(path, b.Bytes(), 0o644)
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
