package web

import (
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Staff's search of every application, whatever its stage (the queues show only what waits on
// staff). Staff may see every application, so nothing is filtered by organisation.

// findCountUpTo is as far as the search counts its matches ("more than 10000" beyond).
const findCountUpTo = 10000

// findPage is what find.html shows.
type findPage struct {
	Schemes, Rounds, Stages, Years []findOption
	Officers                       []findOption // case officers
	Rows                           []findRow
	Total                          int
	Shown                          string // "Showing 1 to 50 of 60 applications"
	Pages                          pagination
	Searched                       bool // any filter given: the empty message says so
	ByReference                    bool // the text is (part of) an application reference: say references match whole
}

type findOption struct {
	Value, Label string
	Selected     bool
}

// findSelect is one filter's select, as the find-select template shows it.
type findSelect struct {
	ID, Name, Label, Error string
	Options                []findOption
}

type findRow struct {
	applicationRow
	Organisation string
	Reference    string
	AppReference string // the application's own reference, which its applicant quotes
	CaseOfficer  string // "" when nobody is assigned
}

// findApplications lists the applications matching the search, a page at a time.
func (s *Server) findApplications(c *gin.Context) {
	ctx := c.Request.Context()
	st := s.opts.Store
	f := &form{values: c.Request.URL.Query()}
	schemes, err := st.Schemes(ctx)
	if err != nil {
		s.serverError(c, err)
		return
	}
	var rounds []store.Round
	for _, sc := range schemes {
		list, err := st.Rounds(ctx, sc.ID)
		if err != nil {
			s.serverError(c, err)
			return
		}
		rounds = append(rounds, list...)
	}
	u, _ := currentUser(c)
	officers, err := s.opts.API.CaseOfficers(ctx, u)
	if err != nil {
		s.serverError(c, err)
		return
	}
	search, ok := readSearch(f, schemes, rounds, officers)
	search.Page = pageRequest(c.Request.URL.Query(), store.DefaultPageSize)
	search.CountUpTo = findCountUpTo
	data := findPage{Searched: search.Text != "" || search.SchemeID != 0 || search.RoundID != 0 || search.Status != "" || search.FinancialYear != 0 || search.CaseOfficerID != 0 || search.Page.After != "" || search.Page.Before != ""}
	data.Schemes = []findOption{{Label: "Any fund"}}
	for _, sc := range schemes {
		data.Schemes = append(data.Schemes, findChoice(strconv.FormatInt(sc.ID, 10), sc.Name, f.Value("scheme")))
	}
	data.Rounds = []findOption{{Label: "Any round"}}
	years := map[int]bool{}
	for _, r := range rounds {
		label := r.Name
		if i := slices.IndexFunc(schemes, func(sc store.Scheme) bool { return sc.ID == r.SchemeID }); i >= 0 {
			label = schemes[i].Name + ": " + r.Name
		}
		data.Rounds = append(data.Rounds, findChoice(strconv.FormatInt(r.ID, 10), label, f.Value("round")))
		years[scheme.FinancialYear(r.OpensAt)] = true
	}
	data.Stages = []findOption{{Label: "Any stage"}}
	for _, stage := range workflows.Stages {
		label, _ := statusLabel(stage)
		data.Stages = append(data.Stages, findChoice(string(stage), label+" ("+strings.ReplaceAll(string(stage), "_", " ")+")", f.Value("stage")))
	}
	data.Years = []findOption{{Label: "Any year"}}
	for _, y := range slices.Sorted(maps.Keys(years)) {
		data.Years = append(data.Years, findChoice(strconv.Itoa(y), scheme.FinancialYearLabel(y), f.Value("year")))
	}
	data.Officers = []findOption{{Label: "Anyone"}, findChoice(findNoOfficer, "Not assigned", f.Value("officer"))}
	for _, o := range officers {
		data.Officers = append(data.Officers, findChoice(strconv.FormatInt(o.ID, 10), o.Name, f.Value("officer")))
	}
	if !ok {
		s.render(c, http.StatusUnprocessableEntity, "find", page{Title: "Find an application", Nav: "find", Form: f, Data: data})
		return
	}
	found, _, err := firstPageIfBadCursor(search.Page, func(p store.PageRequest) (store.SearchPage, error) {
		search.Page = p
		return st.SearchApplications(ctx, search)
	})
	if err != nil {
		s.serverError(c, err)
		return
	}
	ids := make([]int64, len(found.Applications))
	for i, a := range found.Applications {
		ids[i] = a.ID
	}
	refs, err := st.AwardReferences(ctx, ids)
	if err != nil {
		s.serverError(c, err)
		return
	}
	for _, a := range found.Applications {
		row := findRow{applicationRow: rowFor(a), Organisation: a.Organisation, Reference: refs[a.ID], AppReference: applicationReference(a.ID)}
		if a.CaseOfficer != nil {
			row.CaseOfficer = *a.CaseOfficer
		}
		data.Rows = append(data.Rows, row)
	}
	data.Total = found.Total
	start := pager{}.pageStart(c.Request.URL.Query(), search.Page)
	if len(found.Applications) > 0 {
		data.Shown = showing(start, len(found.Applications), found.Total, found.Capped, "application", "applications")
	}
	data.ByReference = store.LooksLikeReference(search.Text)
	q := url.Values{}
	for _, name := range findFilters {
		if v := f.Value(name); v != "" {
			q.Set(name, v)
		}
	}
	data.Pages = pager{}.numbered(paginationOf("Pages of results", "/staff/applications", q, found.Links), found.Links, start, len(found.Applications), store.DefaultPageSize)
	s.render(c, http.StatusOK, "find", page{Title: "Find an application", Nav: "find", Form: f, Data: data})
}

// findFilters are the search's fields, as the query string names them.
var findFilters = []string{"q", "scheme", "round", "stage", "year", "officer"}

// findNoOfficer is the case officer filter's value for the applications nobody is assigned to.
const findNoOfficer = "none"

// readSearch reads the search from the query string, adding an error naming each bad filter.
func readSearch(f *form, schemes []store.Scheme, rounds []store.Round, officers []apiv1.CaseOfficerView) (store.ApplicationSearch, bool) {
	var search store.ApplicationSearch
	for _, name := range findFilters {
		if v := f.Raw(name); !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			f.values.Set(name, "")
			f.add(name, "Search terms must be ordinary text")
		}
	}
	if f.invalid() {
		return search, false
	}
	search.Text = f.Value("q")
	if len(search.Text) > 200 {
		f.add("q", "Search terms must be 200 characters or fewer")
	}
	if v := f.Value("scheme"); v != "" {
		id, _ := strconv.ParseInt(v, 10, 64)
		if !slices.ContainsFunc(schemes, func(sc store.Scheme) bool { return sc.ID == id }) {
			f.add("scheme", "Select a fund from the list")
		}
		search.SchemeID = id
	}
	if v := f.Value("round"); v != "" {
		id, _ := strconv.ParseInt(v, 10, 64)
		if !slices.ContainsFunc(rounds, func(r store.Round) bool { return r.ID == id }) {
			f.add("round", "Select a funding round from the list")
		}
		search.RoundID = id
	}
	if v := f.Value("stage"); v != "" {
		if !slices.Contains(workflows.Stages, workflows.Stage(v)) {
			f.add("stage", "Select a stage from the list")
		}
		search.Status = v
	}
	if v := f.Value("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 2000 || y > 2100 {
			f.add("year", "Select a financial year from the list")
		}
		search.FinancialYear = y
	}
	switch v := f.Value("officer"); v {
	case "":
	case findNoOfficer:
		search.CaseOfficerID = store.NoCaseOfficer
	default:
		id, _ := strconv.ParseInt(v, 10, 64)
		if !slices.ContainsFunc(officers, func(o apiv1.CaseOfficerView) bool { return o.ID == id }) {
			f.add("officer", "Select a case officer from the list")
		}
		search.CaseOfficerID = id
	}
	return search, !f.invalid()
}

func findChoice(value, label, selected string) findOption {
	return findOption{Value: value, Label: label, Selected: value == selected}
}
