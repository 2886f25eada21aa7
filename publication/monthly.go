package publication

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/gb"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// A month's register is published on the first working day of the month after it (England and
// Wales: no weekend, no bank holiday), frozen as a JSON file (the canonical one: versions are
// compared by it) and a CSV file of the same awards. The frozen files carry the award facts
// (Award), not the amount paid or the grant's progress: those move with every payment and would
// make a new version of every month, every month, though nothing about the grant had changed.
// What does make a new version is a change to the award: a variation (amount, dates, conditions),
// an early ending, an offer that lapsed (the award leaves the month), a correction of a name.

var workingDays = func() *cal.BusinessCalendar {
	c := cal.NewBusinessCalendar()
	c.AddHoliday(gb.Holidays...) // England and Wales's bank holidays, with their substitute days
	return c
}()

// FirstWorkingDay is the first working day of the month, at midnight in London.
func FirstWorkingDay(year int, month time.Month) time.Time {
	d := time.Date(year, month, 1, 12, 0, 0, 0, scheme.London) // midday: no clock change near it
	for !workingDays.IsWorkday(d) {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, scheme.London)
}

// Due reports whether the month's register is due for publication at now: the first working day
// of the following month has begun, in London.
func Due(month, now time.Time) bool {
	m := month.In(scheme.London)
	next := time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, scheme.London)
	return !now.Before(FirstWorkingDay(next.Year(), next.Month()))
}

// Number is a publication's number: "REG-2026-11 v2" is the second version of November 2026.
func Number(month time.Time, version int) string {
	return fmt.Sprintf("REG-%s v%d", month.Format("2006-01"), version)
}

// Change is what happened to one award between two versions of a month: added, removed (an offer
// that lapsed) or changed, field by field.
type Change struct {
	Reference string        `json:"reference"`
	Change    string        `json:"change"` // added, removed or changed
	Fields    []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field's value before and after, as the CSV writes it.
type FieldChange struct {
	Field  string `json:"field"` // the JSON field's name
	Title  string `json:"title"` // the CSV column's title
	Before string `json:"before"`
	After  string `json:"after"`
}

// Changes lists what differs between two versions' awards, in the order of the newer version
// (then the removed ones, in the older version's order).
func Changes(before, after []Award) []Change {
	old := map[string]Award{}
	for _, a := range before {
		old[a.Reference] = a
	}
	seen := map[string]bool{}
	out := []Change{}
	for _, a := range after {
		seen[a.Reference] = true
		was, ok := old[a.Reference]
		if !ok {
			out = append(out, Change{Reference: a.Reference, Change: "added"})
			continue
		}
		var fields []FieldChange
		for _, col := range columns {
			if col.running {
				continue
			}
			b, n := col.value(Row{Award: was}), col.value(Row{Award: a})
			if b != n {
				fields = append(fields, FieldChange{Field: col.key, Title: col.title, Before: b, After: n})
			}
		}
		if len(fields) > 0 {
			out = append(out, Change{Reference: a.Reference, Change: "changed", Fields: fields})
		}
	}
	for _, a := range before {
		if !seen[a.Reference] {
			out = append(out, Change{Reference: a.Reference, Change: "removed"})
		}
	}
	return out
}

// Frozen is a month's register as it would be published now: both files and their hashes.
type Frozen struct {
	Awards     []Award
	Total      money.Pence
	JSON, CSV  []byte
	JSONSHA256 string
	CSVSHA256  string
}

// Freeze reads the month's register and writes its frozen files. A month holds at most a few
// hundred awards, so its files are made in memory (they are stored whole, too).
func Freeze(ctx context.Context, rows Rows, month time.Time) (Frozen, error) {
	var f Frozen
	var jsonBuf, csvBuf bytes.Buffer
	j := NewJSON(&jsonBuf, true)
	c, err := NewCSV(&csvBuf, true)
	if err != nil {
		return f, err
	}
	err = rows(ctx, store.RegisterFilter{Month: month}, func(g store.RegisterGrant) error {
		r := RowOf(g)
		f.Awards = append(f.Awards, r.Award)
		f.Total += g.Amount
		if err := j.Write(r); err != nil {
			return err
		}
		return c.Write(r)
	})
	if err != nil {
		return f, fmt.Errorf("freeze the register of %s: %w", month.Format("January 2006"), err)
	}
	if err := j.Close(); err != nil {
		return f, err
	}
	if err := c.Close(); err != nil {
		return f, err
	}
	f.JSON, f.CSV = jsonBuf.Bytes(), csvBuf.Bytes()
	f.JSONSHA256, f.CSVSHA256 = SHA256(f.JSON), SHA256(f.CSV)
	return f, nil
}

// SHA256 is the hex SHA-256 of a file, as the publications page shows it.
func SHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Publisher publishes the register's months.
type Publisher struct {
	Store *store.Store
}

// PublishDue publishes, as at now, every month that is due and has not been published, and a new
// version of every published month whose register has changed since its latest version; it
// returns what it published. Months run from the first award's to the last one due, so a
// publisher that was down catches up. Running it again publishes nothing new: a version's number
// is unique to its month, and unchanged content is never published twice.
func (p *Publisher) PublishDue(ctx context.Context, now time.Time) ([]store.RegisterPublication, error) {
	first, found, err := p.Store.FirstAwardMonth(ctx)
	if err != nil || !found {
		return nil, err
	}
	var out []store.RegisterPublication
	for m := first; Due(m, now); m = m.AddDate(0, 1, 0) {
		pub, ok, err := p.PublishMonth(ctx, m, now)
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, pub)
		}
	}
	return out, nil
}

// PublishMonth publishes the month's register if it has never been published or differs from
// its latest version; ok is false when there was nothing new to publish.
func (p *Publisher) PublishMonth(ctx context.Context, month, now time.Time) (store.RegisterPublication, bool, error) {
	m := month.In(scheme.London)
	month = time.Date(m.Year(), m.Month(), 1, 0, 0, 0, 0, scheme.London)
	frozen, err := Freeze(ctx, p.Store.EachRegisterGrant, month)
	if err != nil {
		return store.RegisterPublication{}, false, err
	}
	pub := store.RegisterPublication{Month: month, Version: 1, Awards: len(frozen.Awards), Total: frozen.Total,
		JSONSHA256: frozen.JSONSHA256, CSVSHA256: frozen.CSVSHA256, PublishedAt: now}
	latest, latestJSON, err := p.Store.LatestRegisterPublication(ctx, month)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return store.RegisterPublication{}, false, err
	case latest.JSONSHA256 == frozen.JSONSHA256:
		return latest, false, nil
	default:
		var before []Award
		if err := json.Unmarshal(latestJSON, &before); err != nil {
			return store.RegisterPublication{}, false, fmt.Errorf("read publication %s: %w", latest.Number, err)
		}
		changes, err := json.Marshal(Changes(before, frozen.Awards))
		if err != nil {
			return store.RegisterPublication{}, false, err
		}
		pub.Version, pub.Changes = latest.Version+1, changes
	}
	pub.Number = Number(month, pub.Version)
	inserted, err := p.Store.InsertRegisterPublication(ctx, pub, frozen.JSON, frozen.CSV)
	if err != nil || !inserted {
		return pub, false, err
	}
	return pub, true, nil
}

// FileName is a publication's file name: "REG-2026-11-v2.csv".
func FileName(number string, f Format) string {
	return strings.ReplaceAll(number, " ", "-") + "." + string(f)
}

// ParseFileName reads a file name made by FileName back into the publication's number and format.
func ParseFileName(name string) (number string, f Format, ok bool) {
	base, ext, found := strings.Cut(name, ".")
	if !found || (ext != string(FormatCSV) && ext != string(FormatJSON)) {
		return "", "", false
	}
	i := strings.LastIndex(base, "-v")
	if i < 0 {
		return "", "", false
	}
	return base[:i] + " " + base[i+1:], Format(ext), true
}
