package publication_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"grantflow/publication"
)

// fuzzRow is a register row whose free text (what organisations and officers type) is s.
func fuzzRow(s string) publication.Row {
	return publication.Row{
		Award: publication.Award{
			Reference: "GF-2026-00017", Recipient: s, OrganisationType: "Charity", Scheme: "Safer Streets",
			Title: s, Purpose: s + " and more", Conditions: []string{s, "Report quarterly"}, Reasons: s,
			AmountAwarded: "4250.00", AwardDate: "2026-06-01", Priorities: []string{s}, Areas: []string{"Cardiff"},
			DecidedBy: "Grants officer", DecisionRecord: s,
		},
		Status: "Accepted", AmountPaid: "0.00",
	}
}

var registerSeeds = []string{
	"Cymdeithas Gymunedol Ŵyr Łódź", "=HYPERLINK(\"http://evil.example\",\"click\")", "+44 29 2000 0000",
	"-2+3", "@SUM(A1:A9)", "\t=1+1", "\r=1+1", "line one\r\nline two", "\"quoted\", with comma", "",
}

// FuzzRegisterCSV: any text in a register row writes a CSV that encoding/csv reads back as the row's
// cells after escaping (the writer ends lines with CRLF, so a carriage return inside a cell is dropped),
// and no cell a spreadsheet would run as a formula (starting = + - @, a tab or a carriage return).
func FuzzRegisterCSV(f *testing.F) {
	for _, s := range registerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, frozen := range []bool{false, true} {
			var buf bytes.Buffer
			w, err := publication.NewCSV(&buf, frozen)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(fuzzRow(s)); err != nil {
				t.Fatalf("Write(%q): %v", s, err)
			}
			if err := w.Close(); err != nil {
				t.Fatalf("Close after %q: %v", s, err)
			}
			records, err := csv.NewReader(&buf).ReadAll()
			if err != nil {
				t.Fatalf("the CSV written for %q does not read back: %v\n%q", s, err, buf.String())
			}
			if len(records) != 2 || len(records[1]) != len(records[0]) {
				t.Fatalf("the CSV written for %q reads back as %d records: %q", s, len(records), records)
			}
			recipient := records[1][1]
			if want := strings.ReplaceAll(publication.SafeCell(s), "\r", ""); recipient != want {
				t.Fatalf("recipient %q reads back as %q, want %q", s, recipient, want)
			}
			for _, cell := range records[1] {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Fatalf("cell %q (from %q) would run as a formula", cell, s)
				}
			}
		}
	})
}

// FuzzRegisterJSON: any text in a register row writes a JSON array that decodes to the same text.
func FuzzRegisterJSON(f *testing.F) {
	for _, s := range registerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var buf bytes.Buffer
		w := publication.NewJSON(&buf, false)
		row := fuzzRow(s)
		if err := w.Write(row); err != nil {
			t.Fatalf("Write(%q): %v", s, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("Close after %q: %v", s, err)
		}
		var back []publication.Row
		if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("the JSON written for %q does not decode: %v\n%s", s, err, buf.String())
		}
		if len(back) != 1 {
			t.Fatalf("the JSON written for %q holds %d rows", s, len(back))
		}
		for _, got := range []string{back[0].Recipient, back[0].Title, back[0].Conditions[0], back[0].Priorities[0]} {
			if utf8.ValidString(s) && got != s || !utf8.ValidString(got) {
				t.Fatalf("text %q decodes as %q", s, got) // encoding/json writes an invalid byte as U+FFFD
			}
		}
	})
}

// FuzzSafeCell: the formula guard every CSV we write calls (the register, 360Giving, the figures,
// payments due) leaves no cell a spreadsheet would run as a formula, and changes text only by a
// leading apostrophe, so the text itself is kept.
func FuzzSafeCell(f *testing.F) {
	for _, s := range registerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := publication.SafeCell(s)
		if got != "" && strings.ContainsRune("=+-@\t\r", rune(got[0])) {
			t.Fatalf("SafeCell(%q) = %q would run as a formula", s, got)
		}
		if got != s && got != "'"+s {
			t.Fatalf("SafeCell(%q) = %q changes the text itself", s, got)
		}
		if got != s && s != "" && !strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			t.Fatalf("SafeCell(%q) = %q guards text that is no formula", s, got)
		}
	})
}
