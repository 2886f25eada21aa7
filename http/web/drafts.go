package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// The application form: start a draft for a round, save it as often as wanted (anything may be
// missing until submission), come back to it, and submit it through Options.Submitter, which
// applies the JSON API's rules and starts the workflow. A grassroots (one-off) scheme asks for an
// amount and the project's dates; a service (multi-year) scheme asks for the service's details
// instead (service_draft.go).

// Field names on the page, in the order of the form.
const (
	dTitle      = "title"
	dPurpose    = "purpose"
	dAmount     = "amount"
	dStart      = "project-start"
	dEnd        = "project-end"
	dAreas      = "areas"
	dPriorities = "priorities"
)

var draftLabels = map[string]string{
	dTitle: "Project title", dPurpose: "What the money is for", dAmount: "Amount", dStart: "The date the project starts",
	dEnd: "The date the project ends", dAreas: "Areas", dPriorities: "Priorities",
}

// apiFields maps the JSON API's field names to the page's, in the order of the form.
var apiFields = []struct{ api, page, missing string }{
	{"title", dTitle, "Enter a project title"},
	{"purpose", dPurpose, "Enter what the money is for"},
	{"amount_requested_pence", dAmount, "Enter how much you are applying for"},
	{"project_start", dStart, "Enter the date the project starts"},
	{"project_end", dEnd, "Enter the date the project ends"},
	{"areas", dAreas, "Select at least one area the project will serve"},
	{"priorities", dPriorities, "Select at least one Police and Crime Plan priority"},
}

// draftPage is what application.html shows.
type draftPage struct {
	ID         int64 // 0 before the draft is first saved
	Action     string
	Scheme     string
	Round      string
	Closes     string
	Areas      []option
	Priorities []option
	Saved      bool
	Service    *serviceForm // the service (multi-year) scheme's questions; nil for grassroots
}

func (s *Server) notFound(c *gin.Context) {
	s.render(c, http.StatusNotFound, "error", page{Title: "Page not found", Data: errorPage{
		Heading: "Page not found",
		Lines:   []string{"If you typed the web address, check it is correct.", "If you pasted the web address, check you copied the entire address."},
		Link:    "Go to your applications", LinkTo: "/applications",
	}})
	c.Abort()
}

// draftRound reads a round and its scheme, reporting false when there is no such round.
func (s *Server) draftRound(c *gin.Context, id int64) (store.Round, store.Scheme, bool, error) {
	ctx := c.Request.Context()
	round, err := s.opts.Store.Round(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Round{}, store.Scheme{}, false, nil
	}
	if err != nil {
		return store.Round{}, store.Scheme{}, false, err
	}
	sc, err := s.opts.Store.Scheme(ctx, round.SchemeID)
	if err != nil {
		return store.Round{}, store.Scheme{}, false, err
	}
	return round, sc, true, nil
}

// draftPageFor lays out the form for the scheme; svc is the service draft's saved details, whose
// rows and years the form must be able to show.
func (s *Server) draftPageFor(sc store.Scheme, round store.Round, svc store.ServiceDetails) draftPage {
	d := draftPage{Scheme: sc.Name, Round: round.Name, Closes: closingTime(round.ClosesAt)}
	if sc.Kind == scheme.Service {
		d.Service = serviceFormFor(sc.Rules, scheme.FinancialYear(s.now()), svc)
	}
	for _, a := range sc.Rules.Areas {
		d.Areas = append(d.Areas, option{Value: a, Label: a})
	}
	for _, p := range sc.Rules.Priorities {
		d.Priorities = append(d.Priorities, option{Value: p, Label: p})
	}
	return d
}

// applicantOrg is the signed-in applicant's organisation, or false for anyone else.
func applicantOrg(c *gin.Context) (store.User, int64, bool) {
	u, _ := currentUser(c)
	if u.Role != scheme.RoleApplicant || len(u.Organisations) == 0 {
		return u, 0, false
	}
	return u, u.Organisations[0], true
}

// newRound reads ?round=ID for the start pages; false means the page is not found.
func (s *Server) newRound(c *gin.Context) (draftPage, store.Round, store.Scheme, bool) {
	if _, _, ok := applicantOrg(c); !ok {
		s.notFound(c)
		return draftPage{}, store.Round{}, store.Scheme{}, false
	}
	id, err := strconv.ParseInt(c.Query("round"), 10, 64)
	if err != nil || id <= 0 {
		s.notFound(c)
		return draftPage{}, store.Round{}, store.Scheme{}, false
	}
	round, sc, ok, err := s.draftRound(c, id)
	if err != nil {
		s.serverError(c, err)
		return draftPage{}, store.Round{}, store.Scheme{}, false
	}
	if !ok {
		s.notFound(c)
		return draftPage{}, store.Round{}, store.Scheme{}, false
	}
	d := s.draftPageFor(sc, round, store.ServiceDetails{})
	d.Action = "/applications/new?round=" + strconv.FormatInt(round.ID, 10)
	return d, round, sc, true
}

func (s *Server) newApplicationForm(c *gin.Context) {
	d, _, _, ok := s.newRound(c)
	if !ok {
		return
	}
	s.render(c, http.StatusOK, "application", page{Title: "Apply to the " + d.Scheme, Nav: "applications", Data: d})
}

// createApplication saves the first version of a draft and goes on to its own page.
func (s *Server) createApplication(c *gin.Context) {
	d, round, sc, ok := s.newRound(c)
	if !ok {
		return
	}
	f := readForm(c)
	draft, svc := readDraft(f, sc, d.Service)
	if f.invalid() {
		s.render(c, http.StatusUnprocessableEntity, "application", page{Title: "Apply to the " + d.Scheme, Nav: "applications", Form: f, Data: d})
		return
	}
	u, org, _ := applicantOrg(c)
	draft.SchemeID, draft.RoundID = sc.ID, round.ID
	ctx := c.Request.Context()
	id, err := s.opts.Store.CreateDraft(ctx, org, u.ID, draft)
	if err == nil && svc != nil {
		err = s.opts.Store.SaveServiceDetails(ctx, id, *svc)
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d/edit?saved=1", id))
}

// ownDraft loads the application in the path for a member of its organisation with the applicant
// role; anyone else gets the not-found page.
func (s *Server) ownDraft(c *gin.Context) (store.Application, draftPage, store.Scheme, bool) {
	fail := func() (store.Application, draftPage, store.Scheme, bool) {
		s.notFound(c)
		return store.Application{}, draftPage{}, store.Scheme{}, false
	}
	u, _, ok := applicantOrg(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if !ok || err != nil || id <= 0 {
		return fail()
	}
	app, err := s.opts.Store.Application(c.Request.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.MemberOf(app.OrganisationID)) {
		return fail()
	}
	if err != nil {
		s.serverError(c, err)
		return store.Application{}, draftPage{}, store.Scheme{}, false
	}
	round, sc, found, err := s.draftRound(c, app.RoundID)
	if err == nil && !found {
		err = fmt.Errorf("application %d: round %d not found", app.ID, app.RoundID)
	}
	var svc store.ServiceDetails
	if err == nil {
		svc, err = app.Service()
	}
	if err != nil {
		s.serverError(c, err)
		return store.Application{}, draftPage{}, store.Scheme{}, false
	}
	d := s.draftPageFor(sc, round, svc)
	d.ID = app.ID
	d.Action = fmt.Sprintf("/applications/%d/edit", app.ID)
	return app, d, sc, true
}

// formOf fills the form with what the draft holds (svc: its service details, for service schemes).
func formOf(a store.Application, svc *serviceForm) *form {
	v := url.Values{}
	v.Set(dTitle, a.Title)
	v.Set(dPurpose, a.Purpose)
	if a.AmountRequested > 0 {
		v.Set(dAmount, strings.TrimPrefix(a.AmountRequested.String(), "£"))
	}
	for name, t := range map[string]struct {
		ok bool
		at time.Time
	}{dStart: {a.ProjectStart.Valid, a.ProjectStart.Time}, dEnd: {a.ProjectEnd.Valid, a.ProjectEnd.Time}} {
		if t.ok {
			v.Set(name+"-day", strconv.Itoa(t.at.Day()))
			v.Set(name+"-month", strconv.Itoa(int(t.at.Month())))
			v.Set(name+"-year", strconv.Itoa(t.at.Year()))
		}
	}
	v[dAreas] = append([]string(nil), a.Areas...)
	v[dPriorities] = append([]string(nil), a.Priorities...)
	if svc != nil {
		svc.fill(v)
	}
	return &form{values: v}
}

func (s *Server) editApplicationForm(c *gin.Context) {
	app, d, _, ok := s.ownDraft(c)
	if !ok {
		return
	}
	if app.Status != string(workflows.StageDraft) {
		c.Redirect(http.StatusSeeOther, "/applications")
		return
	}
	d.Saved = c.Query("saved") != ""
	s.render(c, http.StatusOK, "application", page{Title: "Your application to the " + d.Scheme, Nav: "applications", Form: formOf(app, d.Service), Data: d})
}

// saveApplication replaces the draft's answers with what was sent, as PUT /api/v1/applications/{id} does.
func (s *Server) saveApplication(c *gin.Context) {
	app, d, sc, ok := s.ownDraft(c)
	if !ok {
		return
	}
	if app.Status != string(workflows.StageDraft) {
		c.Redirect(http.StatusSeeOther, "/applications")
		return
	}
	f := readForm(c)
	draft, svc := readDraft(f, sc, d.Service)
	if f.invalid() {
		s.render(c, http.StatusUnprocessableEntity, "application", page{Title: "Your application to the " + d.Scheme, Nav: "applications", Form: f, Data: d})
		return
	}
	draft.SchemeID, draft.RoundID = app.SchemeID, app.RoundID
	ctx := c.Request.Context()
	err := s.opts.Store.UpdateDraft(ctx, app.ID, draft)
	if err == nil && svc != nil {
		err = s.opts.Store.SaveServiceDetails(ctx, app.ID, *svc)
	}
	if errors.Is(err, store.ErrDuplicate) { // submitted meanwhile
		c.Redirect(http.StatusSeeOther, "/applications")
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d/edit?saved=1", app.ID))
}

// submitApplication submits the saved draft through the Submitter; what the API finds missing is
// listed in the error summary, linked to its field.
func (s *Server) submitApplication(c *gin.Context) {
	app, d, _, ok := s.ownDraft(c)
	if !ok {
		return
	}
	if app.Status != string(workflows.StageDraft) {
		c.Redirect(http.StatusSeeOther, "/applications")
		return
	}
	if s.opts.Submitter == nil {
		s.serverError(c, errors.New("web: no Submitter configured"))
		return
	}
	u, _ := currentUser(c)
	err := s.opts.Submitter.Submit(c.Request.Context(), u, app.ID)
	if err == nil {
		c.Redirect(http.StatusSeeOther, "/applications")
		return
	}
	var he *httperr.Error
	if !errors.As(err, &he) {
		he = httperr.From(err)
	}
	switch {
	case he.Status == http.StatusNotFound:
		s.notFound(c)
	case he.Status == http.StatusConflict && he.Code == "wrong_stage":
		c.Redirect(http.StatusSeeOther, "/applications")
	case he.Status >= 500:
		s.serverError(c, err)
	default:
		f := formOf(app, d.Service)
		for _, m := range apiFields {
			reason, ok := he.Fields[m.api]
			if !ok {
				continue
			}
			href := htmlID(m.page)
			if m.page == dStart || m.page == dEnd {
				href += "-day"
			}
			msg := fieldMessage(draftLabels[m.page], reason)
			if reason == "is required" {
				msg = m.missing
			}
			f.addAt(m.page, href, msg)
		}
		if d.Service != nil {
			d.Service.refused(f, he.Fields)
		}
		if !f.invalid() { // a refusal about no field of the form (the round has closed, say)
			s.render(c, he.Status, "error", page{Title: "Your application could not be submitted", Data: errorPage{
				Heading: "Your application could not be submitted", Lines: []string{upperFirst(he.Message) + "."},
				Link: "Go back to your application", LinkTo: d.Action,
			}})
			return
		}
		s.render(c, http.StatusUnprocessableEntity, "application", page{Title: "Your application to the " + d.Scheme, Nav: "applications", Form: f, Data: d})
	}
}

// readDraft reads the answers, recording what cannot be saved even in a draft. Anything may be
// left out until submission. A service scheme's draft has its service details too (svc is its
// form); a grassroots draft has none.
func readDraft(f *form, sc store.Scheme, svc *serviceForm) (store.Draft, *store.ServiceDetails) {
	var d store.Draft
	f.noNUL(draftLabels, dTitle, dPurpose, dAreas, dPriorities)
	d.Title, d.Purpose = f.Value(dTitle), f.Value(dPurpose)
	if len([]rune(d.Title)) > 200 {
		f.add(dTitle, "Project title must be 200 characters or fewer")
	}
	if len([]rune(d.Purpose)) > 5000 {
		f.add(dPurpose, "What the money is for must be 5,000 characters or fewer")
	}
	if svc != nil { // the amount is each year's, and the service runs for whole financial years
		d.Areas = chosen(f, dAreas, sc.Rules.Areas, "Select areas from the list")
		d.Priorities = chosen(f, dPriorities, sc.Rules.Priorities, "Select priorities from the list")
		details := svc.read(f)
		return d, &details
	}
	if v := f.Value(dAmount); v != "" {
		p, err := money.Parse(v)
		switch {
		case err != nil:
			f.add(dAmount, "Enter the amount in pounds and pence, like 4,250.00")
		case p > money.Pounds(100_000_000):
			f.add(dAmount, "Amount is larger than any grant")
		default:
			d.AmountRequested = p
		}
	}
	d.ProjectStart = optionalDate(f, dStart, "the date the project starts")
	d.ProjectEnd = optionalDate(f, dEnd, "the date the project ends")
	if d.ProjectStart != nil && d.ProjectEnd != nil && !d.ProjectEnd.After(*d.ProjectStart) {
		f.addAt(dEnd, htmlID(dEnd)+"-day", "The date the project ends must be after the date it starts")
	}
	d.Areas = chosen(f, dAreas, sc.Rules.Areas, "Select areas from the list")
	d.Priorities = chosen(f, dPriorities, sc.Rules.Priorities, "Select priorities from the list")
	return d, nil
}

// optionalDate reads a date input that may be left blank in a draft.
func optionalDate(f *form, name, what string) *time.Time {
	if f.Value(name+"-day") == "" && f.Value(name+"-month") == "" && f.Value(name+"-year") == "" {
		return nil
	}
	t, ok := f.date(name, what)
	if !ok {
		return nil
	}
	return &t
}

// chosen is the ticked checkboxes, each of which must be one the scheme offers.
func chosen(f *form, name string, allowed []string, message string) []string {
	out := []string{}
	for _, v := range f.List(name) {
		if !slices.Contains(allowed, v) {
			f.add(name, message)
			continue
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
