package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/grant"
	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// The application form: start a draft for a round, save it as often as wanted (anything may be
// missing until submission), come back to it, and submit it through Options.Submitter, which
// applies the JSON API's rules and starts the workflow. Every save goes through the API's own
// CreateDraft and UpdateDraft, so the pages and the API accept the same drafts. A grassroots
// (one-off) scheme asks for an amount and the project's dates; a service (multi-year) scheme asks
// for the service's details instead (service_draft.go).

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

// draftRules put the API's refusals of a draft's answers on the form, in its order: the common
// questions, then the grassroots scheme's amount and dates or the service scheme's questions
// (serviceForm.rules). A refusal of a field the form lacks goes on the title, the first.
func draftRules(service []fieldRule) []fieldRule {
	rules := []fieldRule{
		on("title", dTitle, "Project title").missing("Enter a project title"),
		on("purpose", dPurpose, "What the money is for").missing("Enter what the money is for"),
	}
	if service == nil {
		rules = append(rules, on("amount_requested_pence", dAmount, "Amount").missing("Enter how much you are applying for"),
			onDate("project_start", dStart, "The date the project starts").missing("Enter the date the project starts"),
			onDate("project_end", dEnd, "The date the project ends").missing("Enter the date the project ends").
				saying("must be after project_start", "The date the project ends must be after the date it starts"))
	}
	rules = append(rules, on("areas", dAreas, "Areas"), on("priorities", dPriorities, "Priorities"))
	return append(rules, service...)
}

// draftPage is what application.html shows.
type draftPage struct {
	ID         int64 // 0 before the draft is first saved
	Action     string
	Scheme     string
	Round      string
	Closes     string
	Guidance   string // the round's guidance for applicants
	Locked     string // why the draft can no longer be changed or submitted, once its round's grace period has ended
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
func (s *Server) draftPageFor(sc store.Scheme, round store.Round, svc grant.ServiceDetails) draftPage {
	d := draftPage{Scheme: sc.Name, Round: round.Name, Closes: closingTime(round.ClosesAt), Guidance: round.Guidance}
	if round.DraftLocked(sc.Rules, s.now()) {
		d.Locked = fmt.Sprintf("The funding round closed at %s and the time allowed after it has ended, so this draft is locked: it can no longer be changed or submitted.",
			closingTime(round.ClosesAt))
	} else if !s.now().Before(round.ClosesAt) {
		d.Closes = closingTime(round.LocksAt(sc.Rules)) + " (the round has closed; drafts are locked then)"
	}
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
	d := s.draftPageFor(sc, round, grant.ServiceDetails{})
	d.Action = "/applications/new?round=" + strconv.FormatInt(round.ID, 10)
	return d, round, sc, true
}

// newApplicationForm is the form for ?round=ID; without a round it offers the open rounds to
// choose from, or goes straight to the only one.
func (s *Server) newApplicationForm(c *gin.Context) {
	if c.Query("round") == "" {
		s.chooseRound(c)
		return
	}
	d, _, _, ok := s.newRound(c)
	if !ok {
		return
	}
	_, org, _ := applicantOrg(c)
	full, err := s.opts.Store.DraftQuotaReached(c.Request.Context(), org)
	if err != nil {
		s.serverError(c, err)
		return
	}
	if full != nil { // said before the form is filled in, not after
		s.render(c, http.StatusOK, "error", page{Title: "You cannot start another application yet", Nav: "applications", Data: errorPage{
			Heading: "You cannot start another application yet", Lines: []string{full.Error()},
			Link: "Go to your applications", LinkTo: "/applications",
		}})
		return
	}
	s.render(c, http.StatusOK, "application", page{Title: "Apply to the " + d.Scheme, Nav: "applications", Data: d})
}

func (s *Server) chooseRound(c *gin.Context) {
	if _, _, ok := applicantOrg(c); !ok {
		s.notFound(c)
		return
	}
	open, err := s.openSchemes(c.Request.Context())
	if err != nil {
		s.serverError(c, err)
		return
	}
	if len(open) == 1 {
		c.Redirect(http.StatusSeeOther, open[0].StartPath())
		return
	}
	var all []schemeView
	if len(open) == 0 { // nothing to start: offer to be told when each scheme's next round opens
		if all, err = s.schemes(c.Request.Context(), s.now()); err != nil {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, http.StatusOK, "choose-round", page{Title: "Which fund do you want to apply to?", Nav: "applications", Data: chooseRoundPage{Open: open, All: all}})
}

// createApplication saves the first version of a draft through the API and goes on to its own page.
func (s *Server) createApplication(c *gin.Context) {
	d, round, sc, ok := s.newRound(c)
	if !ok {
		return
	}
	s.sendDraft(c, d, "Apply to the "+d.Scheme, func(ctx context.Context, u store.User, req apiv1.DraftRequest) (int64, error) {
		req.SchemeID, req.RoundID = sc.ID, round.ID
		return s.opts.API.CreateDraft(ctx, u, req)
	})
}

// sendDraft reads the form into the API's request and sends it (send is the API's CreateDraft or
// UpdateDraft), going on to the draft's form with a confirmation. What the page cannot read, and
// the API's refusal of fields, are shown on the form with everything typed kept; an application
// submitted meanwhile goes back to the list; anything else is not found or the sorry page.
func (s *Server) sendDraft(c *gin.Context, d draftPage, title string, send func(context.Context, store.User, apiv1.DraftRequest) (int64, error)) {
	f := readForm(c)
	req, rules := draftRequestOf(f, d.Service)
	if f.invalid() {
		s.render(c, http.StatusUnprocessableEntity, "application", page{Title: title, Nav: "applications", Form: f, Data: d})
		return
	}
	u, _ := currentUser(c)
	id, err := send(c.Request.Context(), u, req)
	if err == nil {
		c.Redirect(http.StatusSeeOther, fmt.Sprintf("/applications/%d/edit?saved=1", id))
		return
	}
	he := httperr.From(err)
	switch {
	case he.Status == http.StatusConflict && he.Code == "wrong_stage":
		c.Redirect(http.StatusSeeOther, "/applications")
	case he.Status == http.StatusNotFound || he.Status == http.StatusForbidden:
		s.notFound(c)
	case he.Status < 500 && f.refused(he, rules):
		s.render(c, http.StatusUnprocessableEntity, "application", page{Title: title, Nav: "applications", Form: f, Data: d})
	case he.Status < 500: // a refusal about no field of the form: the draft is locked, say
		s.render(c, he.Status, "error", page{Title: "Your answers could not be saved", Data: errorPage{
			Heading: "Your answers could not be saved", Lines: refusalLines(he),
			Link: "Go back to your applications", LinkTo: "/applications",
		}})
	default:
		s.serverError(c, err)
	}
}

// ownDraft loads the application in the path for a member of its organisation with the applicant
// role; anyone else gets the not-found page.
func (s *Server) ownDraft(c *gin.Context) (store.Application, draftPage, bool) {
	fail := func() (store.Application, draftPage, bool) {
		s.notFound(c)
		return store.Application{}, draftPage{}, false
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
		return store.Application{}, draftPage{}, false
	}
	round, sc, found, err := s.draftRound(c, app.RoundID)
	if err == nil && !found {
		err = fmt.Errorf("application %d: round %d not found", app.ID, app.RoundID)
	}
	var svc grant.ServiceDetails
	if err == nil {
		svc, err = app.Service()
	}
	if err != nil {
		s.serverError(c, err)
		return store.Application{}, draftPage{}, false
	}
	d := s.draftPageFor(sc, round, svc)
	d.ID = app.ID
	d.Action = fmt.Sprintf("/applications/%d/edit", app.ID)
	return app, d, true
}

// formOf fills the form with what the draft holds (svc: its service details, for service schemes).
func formOf(a store.Application, svc *serviceForm) *form {
	v := url.Values{}
	v.Set(dTitle, a.Title)
	v.Set(dPurpose, a.Purpose)
	if a.AmountRequested > 0 {
		v.Set(dAmount, strings.TrimPrefix(a.AmountRequested.String(), "£"))
	}
	if a.ProjectStart.Valid {
		setDate(v, dStart, a.ProjectStart.Time.Format(time.DateOnly))
	}
	if a.ProjectEnd.Valid {
		setDate(v, dEnd, a.ProjectEnd.Time.Format(time.DateOnly))
	}
	v[dAreas] = append([]string(nil), a.Areas...)
	v[dPriorities] = append([]string(nil), a.Priorities...)
	if svc != nil {
		svc.fill(v)
	}
	return &form{values: v}
}

func (s *Server) editApplicationForm(c *gin.Context) {
	app, d, ok := s.ownDraft(c)
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

// saveApplication replaces the draft's answers with what was sent, through PUT
// /api/v1/applications/{id}'s own method.
func (s *Server) saveApplication(c *gin.Context) {
	app, d, ok := s.ownDraft(c)
	if !ok {
		return
	}
	if app.Status != string(workflows.StageDraft) {
		c.Redirect(http.StatusSeeOther, "/applications")
		return
	}
	s.sendDraft(c, d, "Your application to the "+d.Scheme, func(ctx context.Context, u store.User, req apiv1.DraftRequest) (int64, error) {
		req.SchemeID, req.RoundID = app.SchemeID, app.RoundID
		return app.ID, s.opts.API.UpdateDraft(ctx, u, app.ID, req)
	})
}

// submitApplication submits the saved draft through the Submitter; what the API finds missing is
// listed in the error summary, linked to its field.
func (s *Server) submitApplication(c *gin.Context) {
	app, d, ok := s.ownDraft(c)
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
		s.render(c, http.StatusOK, "submitted", page{Title: "Application submitted", Nav: "applications", Data: submittedPage{
			Reference: applicationReference(app.ID), Scheme: d.Scheme, Path: applicationPath(app.ID), Copy: submittedAnswersPath(app.ID)}})
		return
	}
	he := httperr.From(err)
	switch {
	case he.Status == http.StatusNotFound:
		s.notFound(c)
	case he.Code == "email_not_verified": // saved, but not sent until the address is confirmed
		s.render(c, he.Status, "verify-needed", page{Title: "Confirm your email address first", Nav: "applications", Data: verifyNeededPage{
			Email: u.Email, Back: d.Action}})
	case he.Status == http.StatusConflict && he.Code == "wrong_stage":
		c.Redirect(http.StatusSeeOther, "/applications")
	case he.Status >= 500:
		s.serverError(c, err)
	case d.Service == nil && onlyAnswers(he):
		if g, ok := s.ownGrassrootsDraft(c); ok {
			s.renderCheckAnswers(c, http.StatusUnprocessableEntity, g, he)
		}
	default:
		if d.Service == nil { // the project details first: the rest of the form is the task list's
			he = withoutAnswers(he)
		}
		f := formOf(app, d.Service)
		var service []fieldRule
		if d.Service != nil { // the API's indexes count the saved outcomes, which the form shows in order
			service = d.Service.rules(d.Service.saved, savedRows(d.Service.saved))
		}
		if !f.refused(he, draftRules(service)) { // a refusal about no field of the form (the round has closed, say)
			s.render(c, he.Status, "error", page{Title: "Your application could not be submitted", Data: errorPage{
				Heading: "Your application could not be submitted", Lines: refusalLines(he),
				Link: "Go back to your application", LinkTo: d.Action,
			}})
			return
		}
		s.render(c, http.StatusUnprocessableEntity, "application", page{Title: "Your application to the " + d.Scheme, Nav: "applications", Form: f, Data: d})
	}
}

// submittedPage is the confirmation that an application was submitted.
type submittedPage struct {
	Reference, Scheme, Path, Copy string
}

// onlyAnswers reports a refusal only of the grassroots form's answers beyond the project
// details, which the check-answers page lists.
func onlyAnswers(he *httperr.Error) bool {
	if len(he.Fields) == 0 {
		return false
	}
	for k := range he.Fields {
		if !strings.HasPrefix(k, "answers.") {
			return false
		}
	}
	return true
}

// withoutAnswers is a refusal without its fields about the answers beyond the project details.
func withoutAnswers(he *httperr.Error) *httperr.Error {
	out := *he
	out.Fields = map[string]string{}
	for k, v := range he.Fields {
		if !strings.HasPrefix(k, "answers.") {
			out.Fields[k] = v
		}
	}
	return &out
}

// applicationReference is the number an applicant quotes about an application before any award.
func applicationReference(id int64) string { return store.ApplicationReference(id) }

// draftRequestOf reads the answers into the API's request, with the rules that put the API's
// refusals back on the form. Only what the API cannot read is checked here: an amount typed in
// pounds and pence, a date typed in three boxes, the service questions' rows (svc is the service
// scheme's form; nil for grassroots). What a draft may hold is the API's to say.
func draftRequestOf(f *form, svc *serviceForm) (apiv1.DraftRequest, []fieldRule) {
	req := apiv1.DraftRequest{Title: f.Value(dTitle), Purpose: f.Value(dPurpose), Areas: f.List(dAreas), Priorities: f.List(dPriorities)}
	if svc != nil { // the amount is each year's, and the service runs for whole financial years
		details, rules := svc.read(f)
		req.Service = &details
		return req, draftRules(rules)
	}
	if v := f.Value(dAmount); v != "" {
		p, err := money.Parse(v)
		if err != nil {
			f.add(dAmount, "Enter the amount in pounds and pence, like 4,250.00")
		}
		req.AmountRequested = p
	}
	if t := optionalDate(f, dStart, "the date the project starts"); t != nil {
		req.ProjectStart = t.Format(time.DateOnly)
	}
	if t := optionalDate(f, dEnd, "the date the project ends"); t != nil {
		req.ProjectEnd = t.Format(time.DateOnly)
	}
	return req, draftRules(nil)
}

// setDate fills a date input's three boxes from a YYYY-MM-DD date; any other text leaves them blank.
func setDate(v url.Values, name, date string) {
	if t, err := time.Parse(time.DateOnly, date); err == nil {
		v.Set(name+"-day", strconv.Itoa(t.Day()))
		v.Set(name+"-month", strconv.Itoa(int(t.Month())))
		v.Set(name+"-year", strconv.Itoa(t.Year()))
	}
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

// chooseRoundPage is what choose-round.html shows: the open rounds, or when none is open every
// scheme, with a link to its rounds page where a person can ask to be told when the next opens.
type chooseRoundPage struct {
	Open, All []schemeView
}
