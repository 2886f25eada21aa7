package letters

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// The letters use PDF core fonts (Helvetica), which can show only the 218 printable characters of
// Windows code page 1252: ASCII plus £, €, accented Latin letters such as é and ï, curly quotes,
// dashes and the bullet. Text reaches the page through one path, writer.text, which
//
//  1. composes the string (NFC), so an "e" followed by a combining acute becomes "é";
//  2. replaces anything outside cp1252 with a close ASCII form ("ł" → "l", "ș" → "s",
//     "→" → "->", "≤" → "<=", thin spaces → space) or, when there is none (Cyrillic, Chinese,
//     emoji), with "?";
//  3. encodes the result as cp1252 bytes with gofpdf's own translator
//     (UnicodeTranslatorFromDescriptor("")).
//
// Step 2 is what keeps the PDF sound: gofpdf's translator would otherwise put "." in place of each
// unknown character silently. Document metadata (title, author) is written as UTF-16 and keeps
// every character.

// cp1252Extras are the characters that cp1252 places in bytes 0x80 to 0x9F.
const cp1252Extras = "€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ"

// asciiFallback gives the close form of characters that cp1252 lacks and that do not decompose
// into a cp1252 letter plus accents.
var asciiFallback = map[rune]string{
	'‐': "-", '‑': "-", '‒': "-", '―': "-", '−': "-", '⁃': "-",
	'‛': "'", '′': "'", '‟': `"`, '″': `"`,
	'←': "<-", '→': "->", '↔': "<->", '⇒': "=>",
	'≤': "<=", '≥': ">=", '≠': "!=", '≈': "~",
	'⁄': "/", '∕': "/", '№': "No.",
	'Ł': "L", 'ł': "l", 'Đ': "D", 'đ': "d", 'Ħ': "H", 'ħ': "h", 'ı': "i",
	'Ĳ': "IJ", 'ĳ': "ij", 'ẞ': "SS", 'ŉ': "'n",
}

// inCP1252 reports whether core fonts can show r (newline counts: MultiCell breaks lines on it).
func inCP1252(r rune) bool {
	switch {
	case r == '\n':
		return true
	case r >= 0x20 && r < 0x7f:
		return true
	case r >= 0xa0 && r <= 0xff:
		return true
	default:
		return strings.ContainsRune(cp1252Extras, r)
	}
}

// foldCP1252 rewrites s so that every character is one core fonts can show; see the comment at
// the top of this file.
func foldCP1252(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case inCP1252(r):
			b.WriteRune(r)
		case r == '\t' || unicode.Is(unicode.Zs, r):
			b.WriteByte(' ')
		case r == '\r' || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Mn, r):
			// Carriage returns, other controls, zero-width format characters and stray combining
			// marks carry nothing a reader can see.
		default:
			b.WriteString(approximate(r))
		}
	}
	return b.String()
}

// approximate returns the closest cp1252 text for r, or "?".
func approximate(r rune) string {
	if s, ok := asciiFallback[r]; ok {
		return s
	}
	// Strip accents: "ő" decomposes to "o" and a combining double acute.
	var base strings.Builder
	for _, d := range norm.NFD.String(string(r)) {
		switch {
		case unicode.Is(unicode.Mn, d):
		case inCP1252(d) && d != '\n':
			base.WriteRune(d)
		default:
			return "?"
		}
	}
	if base.Len() == 0 {
		return "?"
	}
	return base.String()
}
