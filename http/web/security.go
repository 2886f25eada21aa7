package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/store"
)

// A person's own sign-in security (their second factor and recovery codes), an admin's reset of
// someone's second factor, and the admin audit trail. Each goes through the API's methods.

// secondFactorPage is the account's second-factor page.
type secondFactorPage struct {
	Status  store.SecondFactor
	Done    string
	CanTurn bool // applicants may turn it on and off; staff must keep it
}

func (s *Server) secondFactorPage(c *gin.Context) {
	u, _ := currentUser(c)
	sf, err := s.opts.Store.SecondFactorOf(c.Request.Context(), u)
	if err != nil {
		s.serverError(c, err)
		return
	}
	s.render(c, http.StatusOK, "second-factor", page{Title: "Sign-in security", Nav: "security",
		Data: secondFactorPage{Status: sf, Done: c.Query("done"), CanTurn: !u.Role.IsStaff()}})
}

// secondFactorSetUpForm is an applicant turning a second factor on (staff set theirs up at sign-in).
func (s *Server) secondFactorSetUpForm(c *gin.Context) {
	u, _ := currentUser(c)
	s.showEnrol(c, u, nil, http.StatusOK, "/account/second-factor/set-up")
}

func (s *Server) secondFactorSetUp(c *gin.Context) {
	u, _ := currentUser(c)
	f := readForm(c)
	codes, status := s.confirmEnrolment(c, u, f, func() error { return nil })
	if codes == nil {
		if status != 0 {
			s.showEnrol(c, u, f, status, "/account/second-factor/set-up")
		}
		return
	}
	s.showRecoveryCodes(c, codes, "Your authenticator app is set up", "/account/second-factor")
}

func (s *Server) regenerateRecoveryCodes(c *gin.Context) {
	u, _ := currentUser(c)
	codes, err := s.opts.API.RegenerateRecoveryCodes(c.Request.Context(), u)
	if he := (*httperr.Error)(nil); errors.As(err, &he) && he.Status < 500 {
		s.render(c, he.Status, "error", page{Title: "You have no recovery codes", Data: errorPage{Heading: "You have no recovery codes",
			Lines: []string{"Set up an authenticator app first."}, Link: "Go back", LinkTo: "/account/second-factor"}})
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	s.showRecoveryCodes(c, codes, "Your new recovery codes", "/account/second-factor")
}

// turnOffSecondFactor is an applicant turning theirs off, with a current code to show it is them.
func (s *Server) turnOffSecondFactor(c *gin.Context) {
	u, _ := currentUser(c)
	if u.Role.IsStaff() {
		s.notAllowed(c, "Staff must keep a second factor")
		return
	}
	f := readForm(c)
	show := func(status int) {
		sf, _ := s.opts.Store.SecondFactorOf(c.Request.Context(), u)
		s.render(c, status, "second-factor", page{Title: "Sign-in security", Nav: "security", Form: f, Data: secondFactorPage{Status: sf, CanTurn: true}})
	}
	code := f.Value("code")
	if code == "" {
		f.add("code", "Enter the code from your authenticator app, or a recovery code, to turn it off")
		show(http.StatusUnprocessableEntity)
		return
	}
	ctx := c.Request.Context()
	err := s.opts.API.CheckCode(ctx, u, code, caller(c))
	if s.throttled(c, err, func(msg string) { f.add("code", msg); show(http.StatusTooManyRequests) }) {
		return
	}
	if errors.Is(err, store.ErrBadCode) {
		f.add("code", "The code is not right, or has been used already")
		show(http.StatusUnprocessableEntity)
		return
	}
	if errors.Is(err, store.ErrNoSecondFactor) {
		c.Redirect(http.StatusSeeOther, "/account/second-factor")
		return
	}
	if err == nil {
		err = s.opts.Store.RemoveSecondFactor(ctx, u, s.now())
	}
	if err != nil && !errors.Is(err, store.ErrNoSecondFactor) {
		s.serverError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/account/second-factor?done=off")
}

// resetPage is the admin's form to reset someone's second factor.
type resetPage struct {
	Done string
}

func (s *Server) resetSecondFactorForm(c *gin.Context) {
	var f *form
	if email := c.Query("email"); email != "" && utf8.ValidString(email) { // from the person's page
		f = &form{values: url.Values{"email": {email}}}
	}
	s.render(c, http.StatusOK, "second-factor-reset", page{Title: "Reset someone's second factor", Nav: "audit", Form: f, Data: resetPage{Done: c.Query("done")}})
}

func (s *Server) resetSecondFactor(c *gin.Context) {
	admin, _ := currentUser(c)
	f := readForm(c)
	show := func(status int) {
		s.render(c, status, "second-factor-reset", page{Title: "Reset someone's second factor", Nav: "audit", Form: f})
	}
	email := f.Value("email")
	if email == "" {
		f.add("email", "Enter the email address of the person whose second factor to reset")
	} else if len(email) > 254 || strings.ContainsRune(email, 0) {
		f.add("email", "Enter an email address like name@example.org")
	}
	if f.Value("reason") == "" {
		f.add("reason", "Enter why you are resetting it, for the audit trail (for example, a lost phone, confirmed by a call)")
	}
	if f.invalid() {
		show(http.StatusUnprocessableEntity)
		return
	}
	ctx := c.Request.Context()
	who, err := s.opts.Store.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		f.add("email", "There is no account with this email address")
		show(http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	_, err = s.opts.API.ResetSecondFactor(ctx, admin, who.ID, apiv1.SecondFactorResetRequest{Reason: f.Value("reason")})
	var he *httperr.Error
	if errors.As(err, &he) && he.Status < 500 {
		switch {
		case he.Fields["reason"] != "":
			f.add("reason", "Reason "+he.Fields["reason"])
		case he.Status == http.StatusConflict:
			f.add("email", upperFirst(he.Message))
		default:
			s.notAllowed(c, "You cannot reset this second factor")
			return
		}
		show(he.Status)
		return
	}
	if err != nil {
		s.serverError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/second-factor-reset?done="+url.QueryEscape(who.Name))
}

// auditPage is the admin audit trail page.
type auditPage struct {
	Events         []store.AdminEvent
	Kinds, Actors  []option
	Pages          pagination // Newer is the previous page, Older the next
	FromSet, ToSet bool
}

// auditKinds are the subjects the trail has, for the filter's choices.
var auditKinds = []string{"scheme", "rules", "round", "budget", "user", "organisation", "invitation"}

// adminAudit lists the admin audit trail with its filters (a GET form: the filters are in the address).
func (s *Server) adminAudit(c *gin.Context) {
	u, _ := currentUser(c)
	q := c.Request.URL.Query()
	f := &form{values: q}
	aq := apiv1.AuditQuery{SubjectKind: q.Get("subject_kind"), Action: q.Get("action"), ActorID: q.Get("actor_id")}
	p := pageRequest(q, 0)
	aq.After, aq.Before = p.After, p.Before
	dateParam := func(name, what string) string {
		if f.Value(name+"-day")+f.Value(name+"-month")+f.Value(name+"-year") == "" {
			return ""
		}
		t, ok := f.date(name, what)
		if !ok {
			return ""
		}
		return t.Format("2006-01-02")
	}
	aq.From = dateParam("from", "the date to list from")
	aq.To = dateParam("to", "the date to list to")
	var events []store.AdminEvent
	var links store.PageLinks
	var err error
	if !f.invalid() {
		events, links, _, err = s.opts.API.AdminAudit(c.Request.Context(), u, aq)
		var he *httperr.Error
		if errors.As(err, &he) && (he.Fields["after"] != "" || he.Fields["before"] != "") && len(he.Fields) == 1 {
			aq.After, aq.Before = "", "" // not one of our links: the first page
			events, links, _, err = s.opts.API.AdminAudit(c.Request.Context(), u, aq)
		}
	}
	status := http.StatusOK
	var he *httperr.Error
	if errors.As(err, &he) && he.Status == http.StatusUnprocessableEntity {
		labels := map[string]string{"subject_kind": "Subject", "action": "Action", "actor_id": "Who", "from": "The from date", "to": "The to date"}
		for field, reason := range he.Fields {
			name := field
			if field == "from" || field == "to" {
				f.addAt(field, htmlID(field)+"-day", labels[field]+" "+reason)
				continue
			}
			f.add(name, labels[field]+" "+reason)
		}
		err = nil
	} else if err != nil {
		s.serverError(c, err)
		return
	}
	if f.invalid() {
		status = http.StatusUnprocessableEntity
	}
	kinds := []option{{Value: "", Label: "Any"}}
	for _, k := range auditKinds {
		kinds = append(kinds, option{Value: k, Label: upperFirst(k)})
	}
	actors, err := s.opts.Store.AdminEventActors(c.Request.Context())
	if err != nil {
		s.serverError(c, err)
		return
	}
	who := []option{{Value: "", Label: "Anyone"}}
	for _, a := range actors {
		who = append(who, option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name})
	}
	view := auditPage{Events: events, Kinds: kinds, Actors: who, Pages: paginationOf("Pages of the audit trail", "/admin/audit", q, links),
		FromSet: q.Get("from-day") != "", ToSet: q.Get("to-day") != ""}
	s.render(c, status, "admin-audit", pageOf("Audit trail", "audit", f, view))
}

func pageOf(title, nav string, f *form, data any) page {
	return page{Title: title, Nav: nav, Form: f, Data: data}
}

// requireManagesPeople lets through admins only (scheme.Role.ManagesPeople).
func (s *Server) requireManagesPeople(c *gin.Context) {
	u, ok := currentUser(c)
	if !ok || !u.Role.ManagesPeople() {
		s.notAllowed(c, "This page is not available to your account")
		return
	}
	c.Next()
}
