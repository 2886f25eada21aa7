package publication_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"grantflow/money"
	"grantflow/publication"
	"grantflow/scheme"
	"grantflow/store"
)

func day(y int, m time.Month, d int) *time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, scheme.London)
	return &t
}

// grant is a register row with every field filled, some with text a spreadsheet would run.
func grant(ref string) store.RegisterGrant {
	return store.RegisterGrant{
		Reference: ref, SchemeName: "Community Safety Grants", Recipient: "=HYPERLINK(\"http://evil.example\")",
		OrgType: scheme.OrgRegisteredCharity, CharityNumber: "1234567", Title: "Night café, \"safe\" space",
		Purpose: "+44 runs a café;\nevenings", Conditions: []string{"Acknowledge the Commissioner", "-Report monthly"},
		Reasons: "@reasons\tfollow", Amount: money.Pence(123456), Disbursed: money.Pence(5),
		AwardedAt:    time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC), // still the 30th in London
		PlannedStart: day(2027, 1, 4), PlannedEnd: nil, Status: "paid",
		Priorities: []string{"Youth violence", "Anti-social behaviour"}, Areas: []string{"Leicester"}, Wards: nil,
		DecidedByRole: "head_of_commissioning", DelegationBand: "Head of Commissioning", DecisionRecord: "",
	}
}

func TestCSVHasPlainTitlesPoundsDatesListsAndDisarmsFormulas(t *testing.T) {
	var buf bytes.Buffer
	rows := func(_ context.Context, _ store.RegisterFilter, fn func(store.RegisterGrant) error) error {
		return fn(grant("CS-2026-0001"))
	}
	if err := publication.WriteRegister(context.Background(), rows, store.RegisterFilter{}, publication.FormatCSV, &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\r\n") {
		t.Error("RFC 4180 ends lines with CRLF")
	}
	records, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatalf("the CSV does not read back: %v", err)
	}
	if len(records) != 2 {
		t.Fatalf("%d records, want a header and one row", len(records))
	}
	cell := map[string]string{}
	for i, title := range records[0] {
		cell[title] = records[1][i]
	}
	for title, want := range map[string]string{
		"Reference":         "CS-2026-0001",
		"Recipient":         `'=HYPERLINK("http://evil.example")`,
		"Organisation type": "Registered charity",
		"Charity number":    "1234567",
		"Title":             `Night café, "safe" space`,
		"Purpose":           "'+44 runs a café;\nevenings",
		"Conditions":        "Acknowledge the Commissioner; -Report monthly",
		"Reasons it will reduce crime and disorder": "'@reasons\tfollow",
		"Amount awarded (£)":                        "1234.56",
		"Amount paid (£)":                           "0.05",
		"Award date":                                "2026-11-30",
		"Planned start":                             "2027-01-04",
		"Planned end":                               "",
		"Status":                                    "Under way",
		"Police and Crime Plan priorities":          "Youth violence; Anti-social behaviour",
		"Wards":                                     "",
		"Decided by":                                "Head of Commissioning",
	} {
		if got, ok := cell[title]; !ok || got != want {
			t.Errorf("%s = %q (present %v), want %q", title, got, ok, want)
		}
	}
	for _, s := range []string{"=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"} {
		if got := publication.SafeCell(s); got != "'"+s {
			t.Errorf("SafeCell(%q) = %q", s, got)
		}
	}
	if got := publication.SafeCell("1234.56"); got != "1234.56" {
		t.Errorf("an amount was changed: %q", got)
	}
}

func TestJSONIsOneWellFormedArrayWithStableNames(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		var buf bytes.Buffer
		rows := func(_ context.Context, _ store.RegisterFilter, fn func(store.RegisterGrant) error) error {
			for i := range n {
				if err := fn(grant(fmt.Sprintf("CS-2026-%04d", i+1))); err != nil {
					return err
				}
			}
			return nil
		}
		if err := publication.WriteRegister(context.Background(), rows, store.RegisterFilter{}, publication.FormatJSON, &buf); err != nil {
			t.Fatal(err)
		}
		var got []map[string]any
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%d rows: not JSON: %v\n%s", n, err, buf.String())
		}
		if len(got) != n {
			t.Fatalf("%d objects, want %d", len(got), n)
		}
		if n == 0 {
			continue
		}
		want := []string{"reference", "recipient", "organisation_type", "charity_number", "company_number", "scheme", "title", "purpose",
			"conditions", "reasons", "amount_awarded", "award_date", "planned_start", "planned_end", "ended_early_on", "priorities",
			"areas", "wards", "decided_by", "decision_record", "status", "amount_paid"}
		if len(got[0]) != len(want) {
			t.Errorf("fields %v, want exactly %v", got[0], want)
		}
		for _, k := range want {
			if _, ok := got[0][k]; !ok {
				t.Errorf("no %s in %v", k, got[0])
			}
		}
		if got[0]["amount_awarded"] != 1234.56 || fmt.Sprint(got[0]["wards"]) != "[]" || got[0]["recipient"] != `=HYPERLINK("http://evil.example")` {
			t.Errorf("row %v", got[0])
		}
		if !strings.Contains(buf.String(), `"amount_awarded":1234.56`) {
			t.Errorf("amounts are not written as exact pounds and pence: %s", buf.String())
		}
	}
}

// countingWriter counts what reached it.
type countingWriter struct{ n int }

func (c *countingWriter) Write(b []byte) (int, error) { c.n += len(b); return len(b), nil }

// The writers stream: most of the file has reached its reader before the last row is read.
func TestWritersStreamRowsAsTheyCome(t *testing.T) {
	for _, format := range []publication.Format{publication.FormatCSV, publication.FormatJSON} {
		sink := &countingWriter{}
		const rowsN = 5000
		var before int
		rows := func(_ context.Context, _ store.RegisterFilter, fn func(store.RegisterGrant) error) error {
			for i := range rowsN {
				if i == rowsN-1 {
					before = sink.n
				}
				if err := fn(grant(fmt.Sprintf("CS-2026-%05d", i))); err != nil {
					return err
				}
			}
			return nil
		}
		if err := publication.WriteRegister(context.Background(), rows, store.RegisterFilter{}, format, sink); err != nil {
			t.Fatal(err)
		}
		if before < sink.n*9/10 {
			t.Errorf("%s: %d of %d bytes written before the last row: the file is held, not streamed", format, before, sink.n)
		}
	}
}

func TestFrozenFilesLeaveOutWhatMovesOnItsOwn(t *testing.T) {
	var buf bytes.Buffer
	w, err := publication.NewCSV(&buf, true)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(publication.RowOf(grant("CS-2026-0001"))); err != nil {
		t.Fatal(err)
	}
	w.Close()
	header := strings.SplitN(buf.String(), "\r\n", 2)[0]
	if strings.Contains(header, "Amount paid") || strings.Contains(header, "Status") || !strings.Contains(header, "Ended early on") {
		t.Errorf("frozen header %q", header)
	}
	var jbuf bytes.Buffer
	j := publication.NewJSON(&jbuf, true)
	j.Write(publication.RowOf(grant("CS-2026-0001")))
	j.Close()
	if strings.Contains(jbuf.String(), "amount_paid") || strings.Contains(jbuf.String(), `"status"`) {
		t.Errorf("frozen JSON %s", jbuf.String())
	}
}

func TestFirstWorkingDaySkipsWeekendsAndEnglishBankHolidays(t *testing.T) {
	for _, c := range []struct {
		year  int
		month time.Month
		want  string
		why   string
	}{
		{2026, time.December, "2026-12-01", "a Tuesday"},
		{2026, time.June, "2026-06-01", "a Monday"},
		{2026, time.August, "2026-08-03", "the 1st is a Saturday"},
		{2026, time.November, "2026-11-02", "the 1st is a Sunday"},
		{2027, time.January, "2027-01-04", "New Year's Day is a Friday"},
		{2027, time.May, "2027-05-04", "the 1st is a Saturday and Monday the 3rd the early May bank holiday"},
		{2028, time.January, "2028-01-04", "New Year's Day is a Saturday, its bank holiday Monday the 3rd"},
	} {
		got := publication.FirstWorkingDay(c.year, c.month)
		if got.Format(time.DateOnly) != c.want || got.Location() != scheme.London || got.Hour() != 0 {
			t.Errorf("%d-%02d (%s): %v, want %s", c.year, c.month, c.why, got, c.want)
		}
	}
	// May 2027's register (April's awards) is due on Tuesday 4 May 2027, from midnight London time.
	april := time.Date(2027, time.April, 1, 0, 0, 0, 0, scheme.London)
	for at, want := range map[time.Time]bool{
		time.Date(2027, 5, 3, 12, 0, 0, 0, scheme.London):  false,
		time.Date(2027, 5, 3, 23, 30, 0, 0, time.UTC):      true, // 00:30 on the 4th in London
		time.Date(2027, 5, 4, 6, 30, 0, 0, scheme.London):  true,
		time.Date(2027, 4, 30, 23, 0, 0, 0, scheme.London): false,
	} {
		if got := publication.Due(april, at); got != want {
			t.Errorf("April 2027 due at %v: %v, want %v", at, got, want)
		}
	}
}

func TestChangesSayWhatWasAddedRemovedAndChanged(t *testing.T) {
	a, b, c := publication.RowOf(grant("A")).Award, publication.RowOf(grant("B")).Award, publication.RowOf(grant("C")).Award
	b2 := b
	b2.AmountAwarded, b2.EndedEarlyOn = "1000.00", "2027-02-01"
	got := publication.Changes([]publication.Award{a, b}, []publication.Award{b2, c})
	js, _ := json.Marshal(got)
	want := `[{"reference":"B","change":"changed","fields":[{"field":"amount_awarded","title":"Amount awarded (£)","before":"1234.56","after":"1000.00"},` +
		`{"field":"ended_early_on","title":"Ended early on","before":"","after":"2027-02-01"}]},{"reference":"C","change":"added"},{"reference":"A","change":"removed"}]`
	if string(js) != want {
		t.Errorf("changes\n%s\nwant\n%s", js, want)
	}
	if n, f, ok := publication.ParseFileName(publication.FileName("REG-2026-11 v2", publication.FormatCSV)); !ok || n != "REG-2026-11 v2" || f != publication.FormatCSV {
		t.Errorf("file name round trip: %q %q %v", n, f, ok)
	}
	for _, bad := range []string{"REG-2026-11-v2.pdf", "REG-2026-11.csv", "x", ""} {
		if _, _, ok := publication.ParseFileName(bad); ok {
			t.Errorf("%q read as a publication's file", bad)
		}
	}
}
