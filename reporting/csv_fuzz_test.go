package reporting_test

import (
	"bytes"
	"encoding/csv"
	"regexp"
	"strings"
	"testing"

	"grantflow/money"
	"grantflow/reporting"
)

// plainNumber is the one kind of cell WriteCSV leaves starting with a minus: a negative amount or count.
var plainNumber = regexp.MustCompile(`^-[0-9]+(\.[0-9]+)?$`)

// FuzzWriteCSV: any organisation name, outcome text and amount writes figures that encoding/csv reads
// back with the text intact after escaping, and no cell a spreadsheet would run as a formula: a cell
// starting = + - @, a tab or a carriage return is escaped unless it is a plain negative number.
func FuzzWriteCSV(f *testing.F) {
	for _, seed := range []struct {
		text   string
		amount int64
	}{
		{"Cymdeithas Gymunedol Ŵyr Łódź", 425000}, {"=HYPERLINK(\"http://evil.example\")", -1250}, {"-Inf", 0},
		{"-0x1p-2", 5}, {"-1e5", 7}, {"@SUM(A1:A9)", 1 << 40}, {"+44 29 2000 0000", -1 << 63}, {"\t=1", 1},
	} {
		f.Add(seed.text, seed.amount)
	}
	f.Fuzz(func(t *testing.T, text string, amount int64) {
		figures := reporting.Figures{
			Period: reporting.Period{FinancialYear: 2026, Quarter: 2},
			Totals: reporting.Line{Name: text, Code: text, Committed: money.Pence(amount), Awards: 3},
			Grassroots: []reporting.GrassrootsResult{{
				Reference: "GF-2026-00017", Recipient: text, Amount: money.Pence(amount), Outcomes: text,
			}},
		}
		var buf bytes.Buffer
		if err := reporting.WriteCSV(&buf, figures); err != nil {
			t.Fatalf("WriteCSV(%q, %d): %v", text, amount, err)
		}
		records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatalf("the CSV for %q does not read back: %v\n%q", text, err, buf.String())
		}
		width := len(reporting.CSVHeader)
		found := false
		for _, record := range records {
			if len(record) != width {
				t.Fatalf("a record for %q has %d cells, want %d: %q", text, len(record), width, record)
			}
			for _, cell := range record {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !plainNumber.MatchString(cell) {
					t.Fatalf("cell %q (from %q, %d) would run as a formula", cell, text, amount)
				}
			}
			if record[0] == "grassroots" && record[6] == "outcomes" {
				found = true
				want := strings.ReplaceAll(text, "\r\n", "\n") // encoding/csv reads a quoted CRLF as LF
				if got := record[7]; got != want && got != "'"+want {
					t.Fatalf("outcomes %q read back as %q", text, record[7])
				}
			}
		}
		if !found {
			t.Fatalf("the CSV for %q has no outcomes row", text)
		}
	})
}
