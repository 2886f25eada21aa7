package web

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/headers"
	"grantflow/publication"
	"grantflow/scheme"
	"grantflow/store"
)

// The public grants register (no sign-in): /grants lists the awards with filters and totals and
// links to the same list as CSV and JSON; /grants/publications lists the monthly frozen
// publications and serves their files. (/register is the registration of an organisation.)

// grantsPage is what grants.html shows: a page of the grants the filters find, with the totals
// of them all (the downloads carry them all).
type grantsPage struct {
	Filters         []grantsSelect
	Search          string // the search as sent, when it was good
	SearchError     string
	Rows            []grantRow
	Count           int
	Shown           string // "Showing 51 to 100 of 120 grants"
	Pages           pagination
	Awarded, Paid   string
	CSV, JSON, Feed string // the downloads and the API, with the page's filters
	Filtered        bool
}

// grantRow is one grant on the page, its amounts written as letters write money (£1,234.56).
type grantRow struct {
	publication.Row
	Awarded, Paid string
}

// grantsSelect is one filter's select.
type grantsSelect struct {
	Name, ID, Label, Error string
	Options                []findOption
}

// grantsMessages are the page's messages for a filter it cannot take.
var grantsMessages = map[string]string{
	apiv1.RegisterSearch:   "Search terms must be ordinary text of 200 characters or fewer",
	apiv1.RegisterYear:     "Select a financial year from the list",
	apiv1.RegisterMonth:    "Select a month from the list",
	apiv1.RegisterScheme:   "Select a scheme from the list",
	apiv1.RegisterPriority: "Select a priority from the list",
	apiv1.RegisterArea:     "Select an area from the list",
}

// grantsFilter reads the page's filters: on a bad one it shows the page with the error summary
// (422) and reports false.
func (s *Server) grantsFilter(c *gin.Context) (store.RegisterFilter, *form, grantsPage, bool) {
	ctx := c.Request.Context()
	q := c.Request.URL.Query()
	f := &form{values: url.Values{}}
	ch, err := s.opts.API.RegisterChoices(ctx)
	if err != nil {
		s.serverError(c, err)
		return store.RegisterFilter{}, nil, grantsPage{}, false
	}
	filter, bad := ch.Filter(q)
	for _, name := range apiv1.RegisterFilters {
		if _, wrong := bad[name]; wrong {
			f.add(name, grantsMessages[name])
			continue
		}
		if v := q.Get(name); v != "" {
			f.values.Set(name, v) // only what was good is shown again, and carried to the downloads
		}
	}
	first, found, err := s.opts.Store.FirstAwardMonth(ctx)
	if err != nil {
		s.serverError(c, err)
		return store.RegisterFilter{}, nil, grantsPage{}, false
	}
	now := s.now().In(scheme.London)
	thisMonth := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, scheme.London)
	if !found || first.After(thisMonth) {
		first = thisMonth
	}
	years := []findOption{{Label: "Any year"}}
	for y := scheme.FinancialYear(now); y >= scheme.FinancialYear(first); y-- {
		years = append(years, findChoice(strconv.Itoa(y), scheme.FinancialYearLabel(y), f.Value(apiv1.RegisterYear)))
	}
	months := []findOption{{Label: "Any month"}}
	for m := thisMonth; !m.Before(first); m = m.AddDate(0, -1, 0) {
		months = append(months, findChoice(m.Format("2006-01"), m.Format("January 2006"), f.Value(apiv1.RegisterMonth)))
	}
	schemes := []findOption{{Label: "Any scheme"}}
	for _, sc := range ch.Schemes {
		schemes = append(schemes, findChoice(sc.Slug, sc.Name, f.Value(apiv1.RegisterScheme)))
	}
	priorities := []findOption{{Label: "Any priority"}}
	for _, p := range ch.Priorities {
		priorities = append(priorities, findChoice(p, p, f.Value(apiv1.RegisterPriority)))
	}
	areas := []findOption{{Label: "Any area"}}
	for _, a := range ch.Areas {
		areas = append(areas, findChoice(a, a, f.Value(apiv1.RegisterArea)))
	}
	data := grantsPage{Filtered: len(f.values) > 0, Search: f.Value(apiv1.RegisterSearch), SearchError: f.Error(apiv1.RegisterSearch)}
	for _, sel := range []struct {
		name, label string
		options     []findOption
	}{
		{apiv1.RegisterYear, "Financial year", years}, {apiv1.RegisterMonth, "Month awarded", months},
		{apiv1.RegisterScheme, "Scheme", schemes}, {apiv1.RegisterPriority, "Police and Crime Plan priority", priorities},
		{apiv1.RegisterArea, "Area", areas},
	} {
		data.Filters = append(data.Filters, grantsSelect{Name: sel.name, ID: htmlID(sel.name), Label: sel.label, Error: f.Error(sel.name), Options: sel.options})
	}
	query := ""
	if len(f.values) > 0 {
		query = "?" + f.values.Encode()
	}
	data.CSV, data.JSON, data.Feed = "/grants.csv"+query, "/grants.json"+query, "/api/v1/register"+query
	if f.invalid() {
		s.render(c, http.StatusUnprocessableEntity, "grants", page{Title: "Grants we have made", Nav: "grants", Form: f, Data: data})
		return filter, f, data, false
	}
	return filter, f, data, true
}

// grants is the register's page, a page of grants at a time.
func (s *Server) grants(c *gin.Context) {
	filter, f, data, ok := s.grantsFilter(c)
	if !ok {
		return
	}
	reg, p, err := firstPageIfBadCursor(pageRequest(c.Request.URL.Query(), store.DefaultPageSize), func(p store.PageRequest) (store.RegisterPage, error) {
		return s.opts.Store.RegisterGrants(c.Request.Context(), filter, p)
	})
	if err != nil {
		s.serverError(c, err)
		return
	}
	for _, g := range reg.Grants {
		data.Rows = append(data.Rows, grantRow{Row: publication.RowOf(g), Awarded: g.Amount.String(), Paid: g.Disbursed.String()})
	}
	data.Count = reg.Count
	data.Awarded, data.Paid = reg.Awarded.String(), reg.Paid.String()
	start := pager{}.pageStart(c.Request.URL.Query(), p)
	if len(reg.Grants) > 0 {
		data.Shown = showing(start, len(reg.Grants), reg.Count, false, "grant", "grants")
	}
	data.Pages = pager{}.numbered(paginationOf("Pages of grants", "/grants", f.values, reg.Links), reg.Links, start, len(reg.Grants), store.DefaultPageSize)
	s.render(c, http.StatusOK, "grants", page{Title: "Grants we have made", Nav: "grants", Form: f, Data: data})
}

// grantsDownload streams the register, filtered as the page is, as a CSV or JSON file.
func (s *Server) grantsDownload(format publication.Format) gin.HandlerFunc {
	return func(c *gin.Context) {
		filter, _, _, ok := s.grantsFilter(c)
		if !ok {
			return
		}
		c.Header("Content-Type", map[publication.Format]string{publication.FormatCSV: "text/csv; charset=utf-8", publication.FormatJSON: "application/json; charset=utf-8"}[format])
		c.Header("Content-Disposition", headers.Attachment("grants-register."+string(format)))
		c.Header("Cache-Control", "no-store")
		c.Status(http.StatusOK)
		if err := publication.WriteRegister(c.Request.Context(), s.opts.Store.EachRegisterGrant, filter, format, c.Writer); err != nil {
			// The status has gone: log it and cut the file short rather than end it as if whole.
			s.opts.Logger.ErrorContext(c.Request.Context(), "register download failed", "error", err)
			c.Abort()
		}
	}
}

// publicationsPage is what grants-publications.html shows.
type publicationsPage struct {
	Publications []apiv1.RegisterPublicationView
}

// grantsPublications lists the monthly publications.
func (s *Server) grantsPublications(c *gin.Context) {
	list, err := s.opts.API.RegisterPublications(c.Request.Context())
	if err != nil {
		s.serverError(c, err)
		return
	}
	s.render(c, http.StatusOK, "grants-publications", page{Title: "Monthly publications of the grants register", Nav: "grants", Data: publicationsPage{Publications: list}})
}

// grantsPublicationFile serves a publication's frozen file as it was published, with its hash.
func (s *Server) grantsPublicationFile(c *gin.Context) {
	number, format, ok := publication.ParseFileName(c.Param("file"))
	if !ok {
		s.notFound(c)
		return
	}
	p, file, err := s.opts.Store.RegisterPublicationFile(c.Request.Context(), number, string(format))
	if err == store.ErrNotFound {
		s.notFound(c)
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	sum := p.JSONSHA256
	contentType := "application/json; charset=utf-8"
	if format == publication.FormatCSV {
		sum, contentType = p.CSVSHA256, "text/csv; charset=utf-8"
	}
	if raw, err := hex.DecodeString(sum); err == nil {
		c.Header("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(raw)+":") // RFC 9530
	}
	c.Header("Content-Disposition", headers.Attachment(publication.FileName(p.Number, format)))
	c.Header("Cache-Control", "public, max-age=86400, immutable") // a publication never changes
	c.Data(http.StatusOK, contentType, file)
}
