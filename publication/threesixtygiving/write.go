package threesixtygiving

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"grantflow/publication"
	"grantflow/scheme"
	"grantflow/store"
)

// Source is where the grants come from: the store's register, streamed.
type Source interface {
	EachRegisterGrant(ctx context.Context, f store.RegisterFilter, fn func(store.RegisterGrant) error) error
	Schemes(ctx context.Context) ([]store.Scheme, error)
	RegisterMostPlaces(ctx context.Context) (int, error)
}

// ErrNoGrants is why no JSON package is written before the first award: the standard's package
// must hold at least one grant.
var ErrNoGrants = errors.New("no grants have been awarded yet, so there is no 360Giving package to publish")

// Started reports whether a writer's error came after bytes reached its writer (the file is cut
// short) rather than before (nothing was written, and the caller may still answer with an error
// of its own). Output is buffered in 64 KiB, so a failure early in a stream writes nothing.
func Started(err error) bool {
	var s startedError
	return errors.As(err, &s)
}

type startedError struct{ err error }

func (e startedError) Error() string { return e.err.Error() }
func (e startedError) Unwrap() error { return e.err }

// lazyWriter buffers what is written and remembers whether any of it has reached the
// underlying writer, so an error before then leaves the response untouched.
type lazyWriter struct {
	buf     *bufio.Writer
	started bool
}

type sentWriter struct {
	w    io.Writer
	sent *bool
}

func (s sentWriter) Write(p []byte) (int, error) { *s.sent = true; return s.w.Write(p) }

func newLazyWriter(w io.Writer) *lazyWriter {
	l := &lazyWriter{}
	l.buf = bufio.NewWriterSize(sentWriter{w, &l.started}, 64<<10)
	return l
}

func (l *lazyWriter) Write(p []byte) (int, error) { return l.buf.Write(p) }

func (l *lazyWriter) fail(err error) error {
	if err == nil {
		return nil
	}
	if l.started {
		return startedError{err}
	}
	return err
}

// rulesBySlug reads every scheme's rules once: their codes serve every row of a stream.
func rulesBySlug(ctx context.Context, src Source) (map[string]scheme.Rules, error) {
	list, err := src.Schemes(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the schemes' rules for 360Giving: %w", err)
	}
	rules := make(map[string]scheme.Rules, len(list))
	for _, sc := range list {
		rules[sc.Slug] = sc.Rules
	}
	return rules, nil
}

// packageHead is the package's metadata, written before its grants.
type packageHead struct {
	Version     string    `json:"version"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	Identifier  string    `json:"identifier"`
	Modified    string    `json:"modified"`
	Publisher   publisher `json:"publisher"`
	License     string    `json:"license,omitempty"`
	DownloadURL string    `json:"downloadURL,omitempty"`
	AccessURL   string    `json:"accessURL,omitempty"`
}

type publisher struct {
	Identifier string `json:"identifier"`
	Name       string `json:"name"`
	Website    string `json:"website,omitempty"`
}

// Paths of the published files under the site's address.
const (
	PagePath = "/open-data"
	JSONPath = "/open-data/360giving.json"
	CSVPath  = "/open-data/360giving.csv"
)

// WriteJSON streams the register as a 360Giving JSON package to w: the package's metadata, then
// each award as it is read, never the whole list in memory. now is the package's modified time.
// Nothing is written before the first award (ErrNoGrants when there is none); an error after
// that is reported with Started(err) true.
func (p Publisher) WriteJSON(ctx context.Context, src Source, f store.RegisterFilter, w io.Writer, now time.Time) error {
	rules, err := rulesBySlug(ctx, src)
	if err != nil {
		return err
	}
	head := packageHead{Version: packageVersion, Title: "Grants awarded by " + p.FunderName,
		Description: "Every grant " + p.FunderName + " has awarded, from its grants register, in the 360Giving Data Standard " + Version + ".",
		Identifier:  p.Prefix + "-grants", Modified: now.UTC().Format(time.RFC3339),
		Publisher: publisher{Identifier: p.FunderID, Name: p.FunderName, Website: p.SiteURL}, License: p.LicenceURL}
	if p.SiteURL != "" {
		head.DownloadURL, head.AccessURL = strings.TrimRight(p.SiteURL, "/")+JSONPath, strings.TrimRight(p.SiteURL, "/")+PagePath
	}
	out := newLazyWriter(w)
	n := 0
	err = src.EachRegisterGrant(ctx, f, func(g store.RegisterGrant) error {
		if n == 0 {
			b, err := json.Marshal(head)
			if err != nil {
				return err
			}
			out.Write(b[:len(b)-1]) // the head without its closing brace
			out.Write([]byte(`,"grants":[` + "\n"))
		} else {
			out.Write([]byte(",\n"))
		}
		n++
		b, err := json.Marshal(p.grantOf(g, rules[g.SchemeSlug]))
		if err != nil {
			return fmt.Errorf("write 360Giving grant %s: %w", g.Reference, err)
		}
		_, err = out.Write(b)
		return err
	})
	if err != nil {
		return out.fail(err)
	}
	if n == 0 {
		return ErrNoGrants
	}
	out.Write([]byte("\n]}\n"))
	return out.fail(out.buf.Flush())
}

// The CSV's columns, titled as the standard's spreadsheet template titles them (the schema's
// titles joined by ":"). Beneficiary locations are numbered from 0, as the standard's guidance
// on one-to-many relationships in a single sheet has it, so each grant stays on one row.
var csvHead = []string{
	"Identifier", "Title", "Description", "Currency", "Amount Awarded", "Amount Disbursed", "Award Date",
	"Planned Dates:Start Date", "Planned Dates:End Date",
	"Recipient Org:Identifier", "Recipient Org:Name", "Recipient Org:Charity Number", "Recipient Org:Company Number",
	"Funding Org:Identifier", "Funding Org:Name",
	"Grant Programme:Code", "Grant Programme:Title",
	"Last Modified",
}

var locationColumns = []string{"Name", "Geographic Code", "Geographic Code Type"}

// WriteCSV streams the register as the 360Giving CSV flattening to w: a header, then one row per
// award as it is read. Nothing is written before the first award's row is ready (an empty
// register is the header alone); an error after that is reported with Started(err) true.
func (p Publisher) WriteCSV(ctx context.Context, src Source, f store.RegisterFilter, w io.Writer) error {
	rules, err := rulesBySlug(ctx, src)
	if err != nil {
		return err
	}
	places, err := src.RegisterMostPlaces(ctx)
	if err != nil {
		return err
	}
	head := append([]string{}, csvHead...)
	for i := range places {
		for _, c := range locationColumns {
			head = append(head, "Beneficiary Location:"+strconv.Itoa(i)+":"+c)
		}
	}
	out := newLazyWriter(w)
	cw := csv.NewWriter(out)
	row := make([]string, len(head))
	n := 0
	err = src.EachRegisterGrant(ctx, f, func(g store.RegisterGrant) error {
		if n == 0 {
			if err := cw.Write(head); err != nil {
				return err
			}
		}
		n++
		gr := p.grantOf(g, rules[g.SchemeSlug])
		clear(row)
		var start, end string
		if len(gr.PlannedDates) > 0 {
			start, end = gr.PlannedDates[0].StartDate, gr.PlannedDates[0].EndDate
		}
		r, fo, prog := gr.RecipientOrganization[0], gr.FundingOrganization[0], gr.GrantProgramme[0]
		copy(row, []string{gr.ID, cell(gr.Title), cell(gr.Description), gr.Currency, string(gr.AmountAwarded), string(gr.AmountDisbursed), gr.AwardDate,
			start, end, r.ID, cell(r.Name), cell(r.CharityNumber), cell(r.CompanyNumber), fo.ID, cell(fo.Name), prog.Code, cell(prog.Title), gr.DateModified})
		if len(gr.BeneficiaryLocation) > places {
			return fmt.Errorf("write 360Giving CSV: grant %s names %d places, more than the %d counted", g.Reference, len(gr.BeneficiaryLocation), places)
		}
		for i, l := range gr.BeneficiaryLocation {
			at := len(csvHead) + i*len(locationColumns)
			row[at], row[at+1], row[at+2] = cell(l.Name), l.GeoCode, l.GeoCodeType
		}
		return cw.Write(row)
	})
	if err == nil && n == 0 {
		err = cw.Write(head)
	}
	if err != nil {
		return out.fail(err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return out.fail(err)
	}
	return out.fail(out.buf.Flush())
}

// cell keeps text typed by applicants or the office (a scheme's name, an area's) from being taken
// for a formula when the file is opened in a spreadsheet.
func cell(s string) string { return publication.SafeCell(s) }
