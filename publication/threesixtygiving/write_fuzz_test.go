package threesixtygiving

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// oneGrant is a register holding one award, for the writers alone (the store's own tests read the
// register from PostgreSQL).
type oneGrant struct{ g store.RegisterGrant }

func (o oneGrant) EachRegisterGrant(_ context.Context, _ store.RegisterFilter, fn func(store.RegisterGrant) error) error {
	return fn(o.g)
}
func (o oneGrant) Schemes(context.Context) ([]store.Scheme, error) {
	return []store.Scheme{{Slug: o.g.SchemeSlug, Rules: scheme.Rules{Code: "GCF"}}}, nil
}
func (o oneGrant) RegisterMostPlaces(context.Context) (int, error) {
	return len(o.g.Areas) + len(o.g.Wards), nil
}

var decimalAmount = regexp.MustCompile(`^-?[0-9]+\.[0-9]{2}$`)

// Fuzz360Giving: any text an applicant or an office typed (title, purpose, organisation, scheme
// name, an area) writes a 360Giving CSV that reads back with every row as wide as the header and
// no cell a spreadsheet would run as a formula, and a JSON package that decodes with the text intact.
func Fuzz360Giving(f *testing.F) {
	for _, s := range []string{"Walks in Abbey", "=HYPERLINK(\"http://evil.example\")", "+44 youth", "-5", "@home", "\tTabbed", "Cymdeithas Ŵyr Łódź", ""} {
		f.Add(s, int64(425000))
	}
	p := Publisher{Prefix: DemoPrefix, FunderID: DemoFunderID, FunderName: "Office of the Police and Crime Commissioner (demo)"}
	f.Fuzz(func(t *testing.T, s string, amount int64) {
		src := oneGrant{store.RegisterGrant{
			Reference: "GF-2026-00017", SchemeSlug: "grassroots", SchemeName: s, Recipient: s, CharityNumber: "1234567",
			Title: s, Purpose: s, Amount: money.Pence(amount), Disbursed: money.Pence(amount) / 2, AwardedAt: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC), Areas: []string{s, "Leicester"},
		}}
		var buf bytes.Buffer
		if err := p.WriteCSV(context.Background(), src, store.RegisterFilter{}, &buf); err != nil {
			t.Fatalf("WriteCSV of %q: %v", s, err)
		}
		records, err := csv.NewReader(&buf).ReadAll()
		if err != nil || len(records) != 2 || len(records[1]) != len(records[0]) {
			t.Fatalf("the 360Giving CSV for %q does not read back as a header and a row: %q, %v", s, records, err)
		}
		for _, cell := range records[1] {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) && !decimalAmount.MatchString(cell) {
				t.Fatalf("cell %q (from %q) would run as a formula", cell, s)
			}
		}
		buf.Reset()
		if err := p.WriteJSON(context.Background(), src, store.RegisterFilter{}, &buf, time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)); err != nil {
			t.Fatalf("WriteJSON of %q: %v", s, err)
		}
		var pkg struct{ Grants []Grant }
		if err := json.Unmarshal(buf.Bytes(), &pkg); err != nil || len(pkg.Grants) != 1 {
			t.Fatalf("the 360Giving JSON for %q does not decode to one grant: %v\n%s", s, err, buf.String())
		}
		if g := pkg.Grants[0]; utf8.ValidString(s) && s != "" && (g.Title != s || g.RecipientOrganization[0].Name != s) {
			t.Fatalf("%q decodes as title %q, recipient %q", s, g.Title, g.RecipientOrganization[0].Name)
		}
	})
}
