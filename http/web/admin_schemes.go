package web

import (
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/scheme"
)

// Managing schemes: the office's own pages to list, create and edit a scheme with every rule, and
// read the versions its rules went through. Every read and save goes through the API's methods
// (apiv1.Server.AdminSchemes, CreateScheme, EditScheme...), which apply the one rule of who may
// (scheme.Role.ManagesSchemes) and check every rule. The form is drawn from scheme.Fields, so a new
// rule there appears here; lists are rows of inputs, with blank rows to add to them.

// requireSchemeManager lets only those who manage schemes reach these pages.
func (s *Server) requireSchemeManager(c *gin.Context) {
	u, ok := currentUser(c)
	if !ok {
		c.Redirect(http.StatusSeeOther, "/sign-in")
		c.Abort()
		return
	}
	if !u.Role.ManagesSchemes() {
		s.notAllowed(c, "This page is not available to your account")
		return
	}
	c.Next()
}

// Blank rows offered under each list, to add to it without scripts: more on a new scheme's form,
// which starts with none.
var (
	blankRows    = map[scheme.FieldKind]int{scheme.FieldAreas: 2, scheme.FieldWards: 3, scheme.FieldCriteria: 2, scheme.FieldBands: 1}
	newBlankRows = map[scheme.FieldKind]int{scheme.FieldAreas: 10, scheme.FieldWards: 10, scheme.FieldCriteria: 6, scheme.FieldBands: 3}
)

// formNameOf is a scalar rule's form field: its JSON name, money typed in pounds without "_pence".
func formNameOf(key string) string { return strings.TrimSuffix(key, "_pence") }

// schemeForm is a scheme's form read into the API's request, with where each listed item came from
// (its row on the form, blank rows skipped), so the API's refusals land on the right input.
type schemeForm struct {
	req      apiv1.SchemeRequest
	rowOf    map[string][]int // list → the form row of each item the request holds
	areaRow  map[string]int   // area name → row
	wardRow  map[string]int   // "Area: Ward" → row
	priority []int            // the line of each priority
	// unreadable are the rules that could not be read at all (money that is not money): their
	// other problems would be about the 0 read in their place.
	unreadable map[string]bool
}

// rowCount is how many rows of a list the form holds: one more than the highest index sent.
func rowCount(v url.Values, list string) int {
	n := 0
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(list) + `\[(\d+)\]`)
	for k := range v {
		if m := re.FindStringSubmatch(k); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i < 500 && i+1 > n {
				n = i + 1
			}
		}
	}
	return n
}

func row(list string, i int, col string) string { return fmt.Sprintf("%s[%d].%s", list, i, col) }

// readSchemeForm reads the form into a request, recording on f what cannot be read at all (an
// amount that is not money, a number that is not whole).
func readSchemeForm(f *form, creating bool) schemeForm {
	sf := schemeForm{rowOf: map[string][]int{}, areaRow: map[string]int{}, wardRow: map[string]int{}, unreadable: map[string]bool{}}
	r := &sf.req
	r.Name, r.Description, r.Reason = f.Value("name"), f.Value("description"), f.Value("reason")
	if creating {
		r.Slug = f.Value("slug")
	}
	r.Rules.Version, _ = strconv.Atoi(f.Value("version"))
	for _, fd := range scheme.Fields {
		switch fd.Kind {
		case scheme.FieldText, scheme.FieldMoney, scheme.FieldNumber, scheme.FieldKindChoice:
			if err := fd.Set(&r.Rules, f.Value(formNameOf(fd.Key))); err != nil {
				f.add(formNameOf(fd.Key), fd.Label+" "+err.Error())
				sf.unreadable[fd.Key] = true
			}
		case scheme.FieldOrganisationTypes:
			r.OrganisationTypes = f.List("organisation_types")
		case scheme.FieldLines:
			for i, line := range strings.Split(f.Raw(fd.Key), "\n") {
				if line = strings.TrimSpace(line); line != "" {
					r.Priorities = append(r.Priorities, line)
					sf.priority = append(sf.priority, i+1)
				}
			}
		case scheme.FieldAreas:
			for i := range rowCount(f.values, "areas") {
				name, code := f.Value(row("areas", i, "name")), strings.ToUpper(f.Value(row("areas", i, "code")))
				if name == "" && code == "" {
					continue
				}
				if name == "" {
					f.add(row("areas", i, "name"), fmt.Sprintf("Area %d: enter the area's name for the code %s", i+1, code))
					sf.unreadable["areas"], sf.unreadable["area_codes"] = true, true
					continue
				}
				sf.rowOf["areas"] = append(sf.rowOf["areas"], i)
				sf.areaRow[name] = i
				r.Areas = append(r.Areas, name)
				if code != "" {
					if r.AreaCodes == nil {
						r.AreaCodes = map[string]string{}
					}
					r.AreaCodes[name] = code
				}
			}
		case scheme.FieldWards:
			for i := range rowCount(f.values, "wards") {
				area, name, code := f.Value(row("wards", i, "area")), f.Value(row("wards", i, "name")), strings.ToUpper(f.Value(row("wards", i, "code")))
				if area == "" && name == "" && code == "" {
					continue
				}
				if area == "" || name == "" {
					missing := "area"
					if area != "" {
						missing = "name"
					}
					f.add(row("wards", i, missing), fmt.Sprintf("Ward %d: enter the ward's %s", i+1, missing))
					sf.unreadable["wards"], sf.unreadable["ward_codes"] = true, true
					continue
				}
				label := scheme.WardLabel(area, name)
				sf.rowOf["wards"] = append(sf.rowOf["wards"], i)
				sf.wardRow[label] = i
				r.Wards = append(r.Wards, label)
				if code != "" {
					if r.WardCodes == nil {
						r.WardCodes = map[string]string{}
					}
					r.WardCodes[label] = code
				}
			}
		case scheme.FieldCriteria:
			for i := range rowCount(f.values, "criteria") {
				c := scheme.Criterion{Key: f.Value(row("criteria", i, "key")), Name: f.Value(row("criteria", i, "name"))}
				weight, minimum := f.Value(row("criteria", i, "weight_percent")), f.Value(row("criteria", i, "minimum"))
				if c.Key == "" && c.Name == "" && weight == "" && minimum == "" {
					continue
				}
				var err error
				if c.Weight, err = optionalInt(weight); err != nil {
					f.add(row("criteria", i, "weight_percent"), fmt.Sprintf("Criterion %d weight must be a whole percentage, like 25", i+1))
					sf.unreadable["criteria"] = true
				}
				if c.Minimum, err = optionalInt(minimum); err != nil {
					f.add(row("criteria", i, "minimum"), fmt.Sprintf("Criterion %d minimum must be a score from 0 to 5", i+1))
					sf.unreadable["criteria"] = true
				}
				sf.rowOf["criteria"] = append(sf.rowOf["criteria"], i)
				r.Criteria = append(r.Criteria, c)
			}
		case scheme.FieldBands:
			for i := range rowCount(f.values, "delegation") {
				b := scheme.Band{Role: scheme.Role(f.Value(row("delegation", i, "role"))), Title: f.Value(row("delegation", i, "title"))}
				upTo := f.Value(row("delegation", i, "up_to"))
				if b.Role == "" && b.Title == "" && upTo == "" {
					continue
				}
				if upTo != "" {
					p, err := money.Parse(upTo)
					if err != nil {
						f.add(row("delegation", i, "up_to"), fmt.Sprintf("Band %d limit must be an amount in pounds, like 5000, or blank for no limit", i+1))
						sf.unreadable["delegation"] = true
					}
					b.UpTo = p
				}
				sf.rowOf["delegation"] = append(sf.rowOf["delegation"], i)
				r.Delegation = append(r.Delegation, b)
			}
		}
	}
	return sf
}

// checkRead adds, to a form some of whose rules could not be read, every other problem the API
// would name, so the person mends them all at once (nothing is saved until all are read).
func (sf schemeForm) checkRead(f *form, creating bool) {
	fields := apiv1.SchemeProblems(sf.req, creating)
	for key := range fields {
		list := key
		if i := strings.IndexAny(key, "[."); i >= 0 {
			list = key[:i]
		}
		if sf.unreadable[list] || sf.unreadable[key] {
			delete(fields, key)
		}
	}
	sf.placeRefusals(f, fields)
}

func optionalInt(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}

var apiListItem = regexp.MustCompile(`^([a-z_]+)\[(\d+)\](?:\.([a-z_]+))?$`)

// placeRefusals puts each of the API's refusals on its input, in the words a person reads, in the
// order of the form.
func (sf schemeForm) placeRefusals(f *form, fields map[string]string) {
	type placed struct {
		order       int
		name, words string
	}
	var out []placed
	order := func(list string) int {
		for i, fd := range scheme.Fields {
			if fd.Key == list {
				return (i + 10) * 1000
			}
		}
		switch list {
		case "slug":
			return 1
		case "name":
			return 2
		case "description":
			return 3
		case "reason":
			return 1 << 30
		}
		return 1 << 29
	}
	for key, reason := range fields {
		p := placed{order: order(key), name: key, words: labelled(fieldLabel(key), reason)}
		if fd, ok := scheme.FieldByKey(key); ok && fd.Scalar() {
			p.name = formNameOf(key)
		}
		if name, code, ok := strings.Cut(key, "."); ok && (name == "area_codes" || name == "ward_codes") {
			list := strings.TrimSuffix(name, "_codes") + "s"
			rows := map[string]map[string]int{"areas": sf.areaRow, "wards": sf.wardRow}[list]
			p.order = order(list)
			p.name = list
			if i, found := rows[code]; found {
				p.name, p.order = row(list, i, "code"), p.order+i*10+2
				p.words = labelled(fmt.Sprintf("%s %d code", strings.TrimSuffix(upperFirst(list), "s"), i+1), reason)
			}
		}
		if m := apiListItem.FindStringSubmatch(key); m != nil {
			list, col := m[1], m[3]
			idx, _ := strconv.Atoi(m[2])
			p.order = order(list)
			switch list {
			case "organisation_types":
				p.name = list
			case "priorities":
				p.name = list
				if idx < len(sf.priority) {
					p.words = labelled(fmt.Sprintf("Priority on line %d", sf.priority[idx]), reason)
				}
			default:
				if rows := sf.rowOf[list]; idx < len(rows) {
					i := rows[idx]
					if col == "" {
						col = "name"
					}
					if col == "up_to_pence" {
						col = "up_to"
					}
					p.name, p.order = row(list, i, col), p.order+i*10+1
					p.words = labelled(rowLabel(list, i, col), reason)
				}
			}
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b placed) int {
		if a.order != b.order {
			return a.order - b.order
		}
		return strings.Compare(a.name, b.name)
	})
	for _, p := range out {
		href := editorID(p.name)
		switch p.name { // a whole list's problem links to its first input
		case "areas", "wards", "criteria", "delegation":
			href = editorID(row(p.name, 0, map[string]string{"areas": "name", "wards": "area", "criteria": "key", "delegation": "role"}[p.name]))
		}
		f.addAt(p.name, href, p.words)
	}
}

// editorID is the id of a field of the scheme editor: "criteria[2].weight_percent" →
// "criteria-2-weight-percent", so links to it need no escaping.
func editorID(name string) string {
	return htmlID(strings.NewReplacer("[", "-", "]", "").Replace(name))
}

func fieldLabel(key string) string {
	if fd, ok := scheme.FieldByKey(key); ok {
		return fd.Label
	}
	switch key {
	case "name":
		return "Name"
	case "description":
		return "Description"
	case "slug":
		return "Address"
	case "reason":
		return "Why you are making this change"
	}
	return upperFirst(strings.ReplaceAll(key, "_", " "))
}

func rowLabel(list string, i int, col string) string {
	noun := map[string]string{"areas": "Area", "wards": "Ward", "criteria": "Criterion", "delegation": "Band"}[list]
	what := map[string]string{"name": "", "code": " code", "area": " area", "key": " key", "weight_percent": " weight", "minimum": " minimum",
		"role": " role", "title": " title", "up_to": " limit"}[col]
	if list == "criteria" && col == "name" {
		what = " name"
	}
	return fmt.Sprintf("%s %d%s", noun, i+1, what)
}

// labelled joins a label and the API's reason into one message: "Maximum amount must be at least…".
func labelled(label, reason string) string {
	for _, start := range []string{"must ", "is ", "cannot ", "only "} {
		if strings.HasPrefix(reason, start) {
			return label + " " + reason
		}
	}
	return label + ": " + reason
}

// valuesOf fills the form from a scheme.
func valuesOf(v apiv1.AdminSchemeView) url.Values {
	out := url.Values{"name": {v.Name}, "description": {v.Description}, "version": {strconv.Itoa(v.Rules.Version)}}
	r := v.Rules
	for _, fd := range scheme.Fields {
		if fd.Scalar() {
			out.Set(formNameOf(fd.Key), fd.Text(r))
		}
	}
	out["organisation_types"] = append([]string(nil), r.OrganisationTypes...)
	out.Set("priorities", strings.Join(r.Priorities, "\n"))
	for i, a := range r.Areas {
		out.Set(row("areas", i, "name"), a)
		out.Set(row("areas", i, "code"), r.AreaCode(a))
	}
	for i, w := range r.Wards {
		area, name, ok := scheme.SplitWard(w)
		if !ok {
			name = w
		}
		out.Set(row("wards", i, "area"), area)
		out.Set(row("wards", i, "name"), name)
		out.Set(row("wards", i, "code"), r.WardCode(w))
	}
	for i, c := range r.Criteria {
		out.Set(row("criteria", i, "key"), c.Key)
		out.Set(row("criteria", i, "name"), c.Name)
		out.Set(row("criteria", i, "weight_percent"), strconv.Itoa(c.Weight))
		out.Set(row("criteria", i, "minimum"), strconv.Itoa(c.Minimum))
	}
	for i, b := range r.Delegation {
		out.Set(row("delegation", i, "role"), string(b.Role))
		out.Set(row("delegation", i, "title"), b.Title)
		if b.UpTo > 0 {
			out.Set(row("delegation", i, "up_to"), fmt.Sprintf("%d.%02d", b.UpTo/100, b.UpTo%100))
		}
	}
	return out
}

// The editor as the template draws it.
type schemeEditor struct {
	Creating   bool
	Action     string
	Cancel     string
	SchemeName string
	Version    string
	Sections   []editorSection
}

type editorSection struct {
	Title string
	Items []editorItem
}

// editorItem is one rule: a single input (Kind input, textarea, choices) or a list of rows.
type editorItem struct {
	Kind    string
	Field   fieldView
	Columns []string
	Rows    [][]fieldView
}

func (s *Server) schemeEditor(p page, creating bool, action, cancel, name string) schemeEditor {
	ed := schemeEditor{Creating: creating, Action: action, Cancel: cancel, SchemeName: name, Version: p.Form.Value("version")}
	sections := map[string]*editorSection{}
	var order []string
	add := func(section string, it editorItem) {
		if sections[section] == nil {
			sections[section] = &editorSection{Title: section}
			order = append(order, section)
		}
		sections[section].Items = append(sections[section].Items, it)
	}
	var intro []editorItem
	if creating {
		intro = append(intro, editorItem{Kind: "input", Field: fieldFor(p, "slug", "Address", "hint=Small letters, digits and hyphens, used in web addresses; made from the name if you leave it blank", "class=govuk-input--width-20", "spellcheck=false")})
	}
	intro = append(intro, editorItem{Kind: "input", Field: fieldFor(p, "name", "Name")},
		editorItem{Kind: "textarea", Field: fieldFor(p, "description", "Description", "hint=What the scheme funds, as applicants read it", "rows=3")})
	for _, it := range intro {
		add(scheme.SectionScheme, it)
	}
	for _, fd := range scheme.Fields {
		hint := fd.Hint
		if fd.Default != "" {
			hint = strings.TrimSpace(hint + ". Leave blank for the default of " + fd.Default)
			hint = strings.TrimPrefix(hint, ". ")
		}
		opts := []string{}
		if hint != "" {
			opts = append(opts, "hint="+hint)
		}
		name := formNameOf(fd.Key)
		switch fd.Kind {
		case scheme.FieldText:
			add(fd.Section, editorItem{Kind: "input", Field: fieldFor(p, name, fd.Label, append(opts, "class=govuk-input--width-20")...)})
		case scheme.FieldMoney:
			add(fd.Section, editorItem{Kind: "input", Field: fieldFor(p, name, fd.Label, append(opts, "prefix=£", "class=govuk-input--width-10", "inputmode=decimal")...)})
		case scheme.FieldNumber:
			add(fd.Section, editorItem{Kind: "input", Field: fieldFor(p, name, fd.Label, append(opts, "class=govuk-input--width-4", "inputmode=numeric")...)})
		case scheme.FieldKindChoice:
			items := []option{{Value: string(scheme.Grassroots), Label: "Grassroots", Hint: "Small one-off grants: one assessor, an officer's decision"},
				{Value: string(scheme.Service), Label: "Commissioned service", Hint: "Funding over several years: a panel, tranches and monitoring returns"}}
			add(fd.Section, editorItem{Kind: "choices", Field: choicesFor(p, name, fd.Label, items, "legend=govuk-fieldset__legend--s")})
		case scheme.FieldOrganisationTypes:
			var items []option
			for _, t := range slices.Sorted(maps.Keys(scheme.OrganisationTypes)) {
				items = append(items, option{Value: t, Label: upperFirst(scheme.OrganisationTypes[t])})
			}
			add(fd.Section, editorItem{Kind: "choices", Field: choicesFor(p, name, fd.Label, items, "multiple=true", "legend=govuk-fieldset__legend--s")})
		case scheme.FieldLines:
			f := fieldFor(p, name, fd.Label, append(opts, "rows=8")...)
			f.Value = p.Form.Raw(name)
			add(fd.Section, editorItem{Kind: "textarea", Field: f})
		case scheme.FieldAreas, scheme.FieldWards, scheme.FieldCriteria, scheme.FieldBands:
			add(fd.Section, s.rowsItem(p, fd, opts, creating))
		}
	}
	for _, t := range order {
		ed.Sections = append(ed.Sections, *sections[t])
	}
	return ed
}

// rowsItem draws a list rule as rows of inputs, with blank rows to add to it.
func (s *Server) rowsItem(p page, fd scheme.Field, opts []string, creating bool) editorItem {
	type col struct{ key, label, class, mode string }
	var cols []col
	switch fd.Kind {
	case scheme.FieldAreas:
		cols = []col{{"name", "Area", "govuk-input--width-20", ""}, {"code", "ONS code", "govuk-input--width-10", ""}}
	case scheme.FieldWards:
		cols = []col{{"area", "Area", "govuk-input--width-10", ""}, {"name", "Ward", "govuk-input--width-20", ""}, {"code", "ONS code", "govuk-input--width-10", ""}}
	case scheme.FieldCriteria:
		cols = []col{{"key", "Key", "govuk-input--width-10", ""}, {"name", "Criterion", "govuk-input--width-20", ""},
			{"weight_percent", "Weight (%)", "govuk-input--width-3", "numeric"}, {"minimum", "Minimum score", "govuk-input--width-2", "numeric"}}
	case scheme.FieldBands:
		cols = []col{{"role", "Role", "", ""}, {"title", "Title", "govuk-input--width-20", ""}, {"up_to", "Up to (£)", "govuk-input--width-10", "decimal"}}
	}
	list := fd.Key
	it := editorItem{Kind: "rows", Field: fieldFor(p, list, fd.Label, opts...)}
	it.Field.ID = htmlID(list)
	for _, c := range cols {
		it.Columns = append(it.Columns, c.label)
	}
	n := rowCount(p.Form.values, list)
	switch {
	case p.Form.Value("sent") == "" && creating: // a form just opened gets blank rows to add to the list
		n += newBlankRows[fd.Kind]
	case p.Form.Value("sent") == "":
		n += blankRows[fd.Kind]
	case n == 0:
		n = 1
	}
	for i := range n {
		var cells []fieldView
		for _, c := range cols {
			name := row(list, i, c.key)
			opts := []string{"context=for " + strings.ToLower(rowLabel(list, i, ""))}
			if c.class != "" {
				opts = append(opts, "class="+c.class)
			}
			if c.mode != "" {
				opts = append(opts, "inputmode="+c.mode)
			}
			v := fieldFor(p, name, c.label, opts...)
			v.ID = editorID(name)
			if c.key == "role" {
				v.Items = []itemView{{Value: "", Label: "Choose a role"}}
				for _, r := range scheme.DecidingRoles {
					v.Items = append(v.Items, itemView{Value: string(r), Label: r.Title(), Checked: p.Form.Value(name) == string(r)})
				}
				if cur := p.Form.Value(name); cur != "" && !slices.Contains(scheme.DecidingRoles, scheme.Role(cur)) {
					v.Items = append(v.Items, itemView{Value: cur, Label: scheme.Role(cur).Title(), Checked: true})
				}
			}
			cells = append(cells, v)
		}
		it.Rows = append(it.Rows, cells)
	}
	return it
}

// adminSchemes lists every scheme.
func (s *Server) adminSchemes(c *gin.Context) {
	u, _ := currentUser(c)
	list, err := s.opts.API.AdminSchemes(c.Request.Context(), u)
	if err != nil {
		s.adminFailure(c, err)
		return
	}
	type schemeRow struct {
		ID                int64
		Name, Kind        string
		Version           int
		Min, Max, Minimum string
	}
	var rows []schemeRow
	for _, v := range list {
		rows = append(rows, schemeRow{ID: v.ID, Name: v.Name, Kind: kindShort(v.Rules.Kind), Version: v.Rules.Version,
			Min: v.Rules.MinAmount.String(), Max: v.Rules.MaxAmount.String()})
	}
	s.render(c, http.StatusOK, "admin-schemes", page{Title: "Manage schemes", Nav: "schemes", Data: rows})
}

func kindShort(k scheme.Kind) string {
	switch k {
	case scheme.Grassroots:
		return "Grassroots"
	case scheme.Service:
		return "Commissioned service"
	}
	return string(k)
}

// adminFailure shows the page for an API refusal that is not about a field.
func (s *Server) adminFailure(c *gin.Context, err error) {
	switch he := httperr.From(err); he.Status {
	case http.StatusNotFound:
		s.notFound(c)
	case http.StatusForbidden:
		s.notAllowed(c, "This page is not available to your account")
	default:
		s.serverError(c, err)
	}
}

func (s *Server) newSchemeForm(c *gin.Context) {
	f := &form{values: url.Values{"kind": {string(scheme.Grassroots)}}}
	s.showSchemeForm(c, http.StatusOK, f, true, 0, "")
}

func (s *Server) showSchemeForm(c *gin.Context, status int, f *form, creating bool, id int64, name string) {
	p := page{Title: "Create a scheme", Nav: "schemes", Form: f}
	action, cancel := "/admin/schemes/new", "/admin/schemes"
	if !creating {
		p.Title = "Change " + name
		action, cancel = fmt.Sprintf("/admin/schemes/%d/edit", id), fmt.Sprintf("/admin/schemes/%d", id)
	}
	p.Data = s.schemeEditor(p, creating, action, cancel, name)
	s.render(c, status, "admin-scheme-form", p)
}

func (s *Server) createScheme(c *gin.Context) {
	u, _ := currentUser(c)
	f := readForm(c)
	sf := readSchemeForm(f, true)
	if f.invalid() {
		sf.checkRead(f, true)
	} else {
		v, err := s.opts.API.CreateScheme(c.Request.Context(), u, sf.req)
		if err == nil {
			c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/schemes/%d?created=1", v.ID))
			return
		}
		he := httperr.From(err)
		if he.Status != http.StatusUnprocessableEntity || len(he.Fields) == 0 {
			s.adminFailure(c, err)
			return
		}
		sf.placeRefusals(f, he.Fields)
	}
	s.showSchemeForm(c, http.StatusUnprocessableEntity, f, true, 0, "")
}

func (s *Server) schemeID(c *gin.Context) (int64, bool) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(c)
		return 0, false
	}
	return id, true
}

func (s *Server) editSchemeForm(c *gin.Context) {
	u, _ := currentUser(c)
	id, ok := s.schemeID(c)
	if !ok {
		return
	}
	v, err := s.opts.API.AdminScheme(c.Request.Context(), u, id)
	if err != nil {
		s.adminFailure(c, err)
		return
	}
	s.showSchemeForm(c, http.StatusOK, &form{values: valuesOf(v)}, false, id, v.Name)
}

func (s *Server) saveScheme(c *gin.Context) {
	u, _ := currentUser(c)
	id, ok := s.schemeID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	current, err := s.opts.API.AdminScheme(ctx, u, id)
	if err != nil {
		s.adminFailure(c, err)
		return
	}
	f := readForm(c)
	sf := readSchemeForm(f, false)
	if f.invalid() {
		sf.checkRead(f, false)
	} else {
		saved, err := s.opts.API.EditScheme(ctx, u, id, sf.req)
		if err == nil {
			c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/schemes/%d?saved=%d", id, map[bool]int{true: saved.Scheme.Rules.Version, false: 0}[saved.NewVersion]))
			return
		}
		he := httperr.From(err)
		switch {
		case he.Status == http.StatusConflict:
			f.addAt("version", "reason", "Someone else changed this scheme's rules since you opened it (it is now version "+
				strconv.Itoa(current.Rules.Version)+"). Open the scheme again to see their change, then make yours")
		case he.Status == http.StatusUnprocessableEntity && len(he.Fields) > 0:
			sf.placeRefusals(f, he.Fields)
		default:
			s.adminFailure(c, err)
			return
		}
	}
	s.showSchemeForm(c, http.StatusUnprocessableEntity, f, false, id, current.Name)
}

// ruleRow is one rule on the scheme's page: its label and its value in lines.
type ruleRow struct {
	Label string
	Lines []string
}

type schemePage struct {
	Scheme  apiv1.AdminSchemeView
	Kind    string
	Banner  string
	Text    string
	Details []ruleRow
	Rules   []ruleSection
}

type ruleSection struct {
	Title string
	Rows  []ruleRow
}

// ruleLines writes a rule for reading.
func ruleLines(fd scheme.Field, r scheme.Rules) []string {
	var out []string
	switch fd.Kind {
	case scheme.FieldText, scheme.FieldMoney, scheme.FieldNumber, scheme.FieldKindChoice:
		return []string{fd.Words(r)}
	case scheme.FieldOrganisationTypes:
		for _, t := range r.OrganisationTypes {
			out = append(out, upperFirst(scheme.OrganisationTypeName(t)))
		}
	case scheme.FieldLines:
		out = append(out, r.Priorities...)
	case scheme.FieldAreas:
		for _, a := range r.Areas {
			out = append(out, withCode(a, r.AreaCode(a)))
		}
	case scheme.FieldWards:
		for _, w := range r.Wards {
			out = append(out, withCode(w, r.WardCode(w)))
		}
	case scheme.FieldCriteria:
		for _, c := range r.Criteria {
			line := fmt.Sprintf("%s (%s): %d%%", c.Name, c.Key, c.Weight)
			if c.Minimum > 0 {
				line += fmt.Sprintf(", minimum score %d", c.Minimum)
			}
			out = append(out, line)
		}
	case scheme.FieldBands:
		for _, b := range r.Delegation {
			limit := "no limit"
			if b.UpTo > 0 {
				limit = "up to " + b.UpTo.String()
			}
			title := b.Title
			if title == "" {
				title = b.Role.Title()
			}
			out = append(out, fmt.Sprintf("%s (%s): %s", title, b.Role.Title(), limit))
		}
	}
	if len(out) == 0 {
		out = []string{"None"}
	}
	return out
}

func withCode(name, code string) string {
	if code == "" {
		return name
	}
	return name + " (" + code + ")"
}

func (s *Server) adminSchemePage(c *gin.Context) {
	u, _ := currentUser(c)
	id, ok := s.schemeID(c)
	if !ok {
		return
	}
	v, err := s.opts.API.AdminScheme(c.Request.Context(), u, id)
	if err != nil {
		s.adminFailure(c, err)
		return
	}
	d := schemePage{Scheme: v, Kind: kindShort(v.Rules.Kind)}
	switch saved := c.Query("saved"); {
	case c.Query("created") != "":
		d.Banner, d.Text = "Scheme created", "Its rules are version 1"
	case saved == "0":
		d.Banner, d.Text = "Scheme saved", "The rules did not change, so no new version was made"
	case saved != "":
		d.Banner, d.Text = "Rules version "+saved+" saved", "Applications already submitted keep the rules they were submitted under"
	}
	d.Details = []ruleRow{{"Name", []string{v.Name}}, {"Description", []string{v.Description}}, {"Address", []string{v.Slug}},
		{"Rules version", []string{strconv.Itoa(v.Rules.Version)}}}
	sections := map[string]int{}
	for _, fd := range scheme.Fields {
		i, ok := sections[fd.Section]
		if !ok {
			i = len(d.Rules)
			sections[fd.Section] = i
			d.Rules = append(d.Rules, ruleSection{Title: fd.Section})
		}
		d.Rules[i].Rows = append(d.Rules[i].Rows, ruleRow{Label: fd.Label, Lines: ruleLines(fd, v.Rules)})
	}
	s.render(c, http.StatusOK, "admin-scheme", page{Title: v.Name, Nav: "schemes", Data: d})
}

type versionsPage struct {
	Scheme   apiv1.AdminSchemeView
	Versions []versionRow
}

type versionRow struct {
	Version          int
	At, By, Reason   string
	Changes          []string
	IsCurrent, First bool
	Previous         int
}

func versionRowOf(v apiv1.RulesVersionView, current int) versionRow {
	by := v.By
	if t := scheme.Role(v.Role).Title(); t != "" {
		by += ", " + t
	}
	out := versionRow{Version: v.Version, At: dateTime(v.At), By: by, Reason: v.Reason, IsCurrent: v.Version == current, Previous: v.Version - 1}
	for _, ch := range v.Changes {
		out.Changes = append(out.Changes, ch.Text)
	}
	return out
}

func (s *Server) rulesVersionsPage(c *gin.Context) {
	u, _ := currentUser(c)
	id, ok := s.schemeID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	v, err := s.opts.API.AdminScheme(ctx, u, id)
	if err != nil {
		s.adminFailure(c, err)
		return
	}
	list, err := s.opts.API.SchemeRulesVersions(ctx, u, id)
	if err != nil {
		s.adminFailure(c, err)
		return
	}
	d := versionsPage{Scheme: v}
	for _, ver := range list {
		d.Versions = append(d.Versions, versionRowOf(ver, v.Rules.Version))
	}
	s.render(c, http.StatusOK, "admin-scheme-versions", page{Title: "Rules history: " + v.Name, Nav: "schemes", Data: d})
}

type versionPage struct {
	Scheme  apiv1.AdminSchemeView
	Version versionRow
}

func (s *Server) rulesVersionPage(c *gin.Context) {
	u, _ := currentUser(c)
	id, ok := s.schemeID(c)
	if !ok {
		return
	}
	n, err := strconv.Atoi(c.Param("version"))
	if err != nil || n <= 0 {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	v, err := s.opts.API.AdminScheme(ctx, u, id)
	if err != nil {
		s.adminFailure(c, err)
		return
	}
	ver, err := s.opts.API.SchemeRulesVersion(ctx, u, id, n)
	if err != nil {
		s.adminFailure(c, err)
		return
	}
	row := versionRowOf(ver, v.Rules.Version)
	row.First = n == 1
	s.render(c, http.StatusOK, "admin-scheme-version", page{Title: fmt.Sprintf("Rules version %d: %s", n, v.Name), Nav: "schemes",
		Data: versionPage{Scheme: v, Version: row}})
}
