package apiv1

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/publication"
	"grantflow/scheme"
	"grantflow/store"
)

// The public grants register (no sign-in): every award as store.EachRegisterGrant reads it,
// filtered by financial year, month, scheme, priority and area, and the monthly publications.

// RegisterChoices are the values the register's filters accept: the schemes and the priorities and
// areas their rules name.
type RegisterChoices struct {
	Schemes    []store.Scheme
	Priorities []string
	Areas      []string
}

// RegisterChoices reads the filters' choices from the schemes.
func (s *Server) RegisterChoices(ctx context.Context) (RegisterChoices, error) {
	schemes, err := s.Store.Schemes(ctx)
	if err != nil {
		return RegisterChoices{}, err
	}
	ch := RegisterChoices{Schemes: schemes}
	for _, sc := range schemes {
		for _, p := range sc.Rules.Priorities {
			if !slices.Contains(ch.Priorities, p) {
				ch.Priorities = append(ch.Priorities, p)
			}
		}
		for _, a := range sc.Rules.Areas {
			if !slices.Contains(ch.Areas, a) {
				ch.Areas = append(ch.Areas, a)
			}
		}
	}
	slices.Sort(ch.Priorities)
	slices.Sort(ch.Areas)
	return ch, nil
}

// Register filter parameters, the same on the API, the page and its downloads.
const (
	RegisterYear     = "financial_year"
	RegisterMonth    = "month"
	RegisterScheme   = "scheme"
	RegisterPriority = "priority"
	RegisterArea     = "area"
	RegisterSearch   = "q" // part of the award reference, the recipient's name or the title
)

// RegisterFilters are the filter parameters in the order the page shows them.
var RegisterFilters = []string{RegisterSearch, RegisterYear, RegisterMonth, RegisterScheme, RegisterPriority, RegisterArea}

// Filter reads the register's filters from a query; a value it cannot take is named with the
// reason (an empty value leaves the filter open).
func (ch RegisterChoices) Filter(q url.Values) (store.RegisterFilter, map[string]string) {
	var f store.RegisterFilter
	bad := map[string]string{}
	get := func(name string) (string, bool) {
		v := strings.TrimSpace(q.Get(name))
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) || len(v) > 200 {
			return "", false
		}
		return v, true
	}
	if v, ok := get(RegisterSearch); !ok {
		bad[RegisterSearch] = "must be ordinary text of at most 200 characters"
	} else {
		f.Text = v
	}
	if v, ok := get(RegisterYear); !ok {
		bad[RegisterYear] = financialYearReason
	} else if y, err := ParseFinancialYear(v); err != nil {
		bad[RegisterYear] = err.Error()
	} else {
		f.FinancialYear = y
	}
	if v, ok := get(RegisterMonth); !ok {
		bad[RegisterMonth] = "must be a month like 2026-11"
	} else if v != "" {
		m, err := time.ParseInLocation("2006-01", v, scheme.London)
		if err != nil || m.Year() < 2000 || m.Year() > 2100 {
			bad[RegisterMonth] = "must be a month like 2026-11"
		}
		f.Month = m
	}
	if v, ok := get(RegisterScheme); !ok || (v != "" && !slices.ContainsFunc(ch.Schemes, func(sc store.Scheme) bool { return sc.Slug == v })) {
		bad[RegisterScheme] = "must be a scheme's short name (slug), as GET /api/v1/schemes lists them"
	} else {
		f.SchemeSlug = v
	}
	if v, ok := get(RegisterPriority); !ok || (v != "" && !slices.Contains(ch.Priorities, v)) {
		bad[RegisterPriority] = "must be one of the Police and Crime Plan priorities the schemes name"
	} else {
		f.Priority = v
	}
	if v, ok := get(RegisterArea); !ok || (v != "" && !slices.Contains(ch.Areas, v)) {
		bad[RegisterArea] = "must be one of the areas the schemes name"
	} else {
		f.Area = v
	}
	if len(bad) > 0 {
		return store.RegisterFilter{}, bad
	}
	return f, nil
}

// registerFilter reads the request's filters, or answers 422 naming each bad one.
func (s *Server) registerFilter(c *gin.Context) (store.RegisterFilter, bool) {
	ch, err := s.RegisterChoices(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return store.RegisterFilter{}, false
	}
	f, bad := ch.Filter(c.Request.URL.Query())
	if bad != nil {
		s.fail(c, httperr.Fields(bad))
		return f, false
	}
	return f, true
}

// RegisterGrantsPage is a page of the register as the API answers it: the grants, the totals of
// every grant the filters find, and the cursors of the neighbouring pages.
type RegisterGrantsPage struct {
	Grants        []publication.Row `json:"grants"`
	Count         int               `json:"count"`
	AmountAwarded json.Number       `json:"amount_awarded"`
	AmountPaid    json.Number       `json:"amount_paid"`
	Next          *string           `json:"next"`
	Previous      *string           `json:"previous"`
}

// listRegister answers a page of the register's awards, oldest decision first, with the totals of
// all the filters find: {"grants": [...], "count", "amount_awarded", "amount_paid", "next",
// "previous"}. The whole register is a download (/grants.json, /grants.csv).
func (s *Server) listRegister(c *gin.Context) {
	page, err := pageOf(c, "per_page")
	if err != nil {
		s.fail(c, err)
		return
	}
	f, ok := s.registerFilter(c)
	if !ok {
		return
	}
	reg, err := s.Store.RegisterGrants(c.Request.Context(), f, page)
	if err != nil {
		s.fail(c, pageError(page, err))
		return
	}
	out := RegisterGrantsPage{Grants: make([]publication.Row, len(reg.Grants)), Count: reg.Count,
		AmountAwarded: publication.Pounds(reg.Awarded), AmountPaid: publication.Pounds(reg.Paid)}
	for i, g := range reg.Grants {
		out.Grants[i] = publication.RowOf(g)
	}
	out.Next, out.Previous = nextLinks(reg.Links)
	c.JSON(http.StatusOK, out)
}

// RegisterPublicationView is one monthly publication as the API and the page list it.
type RegisterPublicationView struct {
	Number        string               `json:"number"`
	Month         string               `json:"month"` // 2026-11
	MonthName     string               `json:"-"`     // November 2026
	Version       int                  `json:"version"`
	Awards        int                  `json:"awards"`
	AmountAwarded json.Number          `json:"amount_awarded"` // pounds and pence, 1234.56
	Total         string               `json:"-"`              // £1,234.56
	PublishedAt   time.Time            `json:"published_at"`
	JSONSHA256    string               `json:"json_sha256"`
	CSVSHA256     string               `json:"csv_sha256"`
	JSONURL       string               `json:"json_url"`
	CSVURL        string               `json:"csv_url"`
	Changes       []publication.Change `json:"changes"` // since the previous version; [] for a first
}

// RegisterPublications lists the monthly publications, newest month first.
func (s *Server) RegisterPublications(ctx context.Context) ([]RegisterPublicationView, error) {
	list, err := s.Store.RegisterPublications(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RegisterPublicationView, len(list))
	for i, p := range list {
		v := RegisterPublicationView{Number: p.Number, Month: p.Month.Format("2006-01"), MonthName: p.Month.Format("January 2006"),
			Version: p.Version, Awards: p.Awards, AmountAwarded: publication.Pounds(p.Total), Total: p.Total.String(),
			PublishedAt: p.PublishedAt, JSONSHA256: p.JSONSHA256, CSVSHA256: p.CSVSHA256,
			JSONURL: "/grants/publications/" + publication.FileName(p.Number, publication.FormatJSON),
			CSVURL:  "/grants/publications/" + publication.FileName(p.Number, publication.FormatCSV),
			Changes: []publication.Change{}}
		if err := json.Unmarshal(p.Changes, &v.Changes); len(p.Changes) > 0 && err != nil {
			return nil, fmt.Errorf("read the changes of publication %s: %w", p.Number, err)
		}
		out[i] = v
	}
	return out, nil
}

func (s *Server) listRegisterPublications(c *gin.Context) {
	list, err := s.RegisterPublications(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"publications": list})
}
