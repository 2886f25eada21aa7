package letters

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"grantflow/internal/pdftext"
)

// FuzzAwardLetterText: any UTF-8 text as the organisation's name and the grant's purpose either is
// refused naming the field (blank text), or renders a PDF whose text, read back, holds every word
// of it the font can draw (words short enough not to be broken across lines). The same text as a
// decline letter's reason and in the published decision record (purpose, condition, reason) renders
// and reads back the same way.
func FuzzAwardLetterText(f *testing.F) {
	for _, s := range []string{
		"Cymdeithas Gymunedol Ŵyr Łódź", "Şükrü Öztürk İğdır Dayanışması", "Nguye\u0302\u0303n Thị Hương",
		"Ședință 日本 Ltd 🙂", "  \t ", "A\tB\u2009C\u200bD", "=HYPERLINK(\"x\")", "(Brackets) \\ backslash \\) ",
		"line one\nline two\r\n\x00nul", "\xff\xfe not UTF-8",
	} {
		f.Add(s)
	}
	if _, err := fontTable(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return // the API refuses text that is not UTF-8 before it reaches a letter
		}
		l := award()
		l.Recipient.Organisation = s
		l.Purpose = s
		doc, err := l.PDF()
		if strings.TrimSpace(s) == "" {
			var invalid *ValidationError
			if !errors.As(err, &invalid) || !slices.Contains(invalid.Fields(), "Recipient.Organisation") {
				t.Fatalf("a blank organisation %q gave %v, not a refusal naming Recipient.Organisation", s, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("the letter to %q: %v", s, err)
		}
		readsBack(t, "the letter to", s, doc)
		declined := decline()
		declined.Reasons = []string{s}
		doc, err = declined.PDF()
		if err != nil {
			t.Fatalf("the decline letter giving the reason %q: %v", s, err)
		}
		readsBack(t, "the decline letter giving the reason", s, doc)
		published := record()
		published.Purpose, published.Conditions, published.Reasons = s, []string{s}, []string{s}
		doc, err = published.PDF()
		if err != nil {
			t.Fatalf("the decision record holding %q: %v", s, err)
		}
		readsBack(t, "the decision record holding", s, doc)
	})
}

// readsBack fails unless the text of doc holds every word of s the font can draw (words short
// enough not to be broken across lines).
func readsBack(t *testing.T, what, s string, doc []byte) {
	t.Helper()
	got, err := pdftext.Text(doc)
	if err != nil {
		t.Fatalf("%s %q does not read back: %v", what, s, err)
	}
	for _, word := range strings.Fields(norm.NFC.String(s)) {
		if utf8.RuneCountInString(word) <= 20 && drawable(word) && !strings.Contains(got, word) {
			t.Fatalf("%s %q does not read back %q:\n%s", what, s, word, got)
		}
	}
}

// drawable reports whether the letters' fonts draw every character of word.
func drawable(word string) bool {
	fonts, err := fontTable()
	if err != nil {
		return false
	}
	for _, r := range word {
		if _, ok := fonts.find(r); !ok {
			return false
		}
	}
	return true
}
