package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/store"
)

// Rounds and budgets run by those who manage schemes (apiv1.SchemeRounds and the rest, which apply
// scheme.Role.ManagesSchemes), and the "tell me when rounds open" subscription for anyone signed in.

type roundLine struct {
	ID                                            int64
	Name, Opens, Closes, State, Budget, Committed string
	Guidance                                      string
	ClosedEarly                                   bool
	CloseReason, LocksAt                          string
}

func roundLineOf(v apiv1.RoundView) roundLine {
	l := roundLine{ID: v.ID, Name: v.Name, Opens: dateTime(v.OpensAt), Closes: dateTime(v.ClosesAt), State: roundStateName(v.State),
		Budget: "None of its own", Committed: v.Committed.String(), Guidance: v.Guidance, ClosedEarly: v.ClosedEarly, CloseReason: v.CloseReason,
		LocksAt: dateTime(v.LocksAt)}
	if v.Budget != nil {
		l.Budget = v.Budget.String()
	}
	return l
}

func roundStateName(state string) string {
	switch state {
	case store.RoundScheduled:
		return "Not yet open"
	case store.RoundOpen:
		return "Open"
	case store.RoundClosed:
		return "Closed (drafts may still be submitted)"
	case store.RoundLocked:
		return "Closed, drafts locked"
	}
	return state
}

type adminRoundsPage struct {
	SchemeID int64
	Scheme   string
	Rounds   []roundLine
	Created  bool
}

// adminRounds lists a scheme's rounds for those who manage schemes.
func (s *Server) adminRounds(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	sc, list, err := s.opts.API.SchemeRounds(c.Request.Context(), u, id)
	if err != nil {
		s.failRead(c, err)
		return
	}
	d := adminRoundsPage{SchemeID: sc.ID, Scheme: sc.Name}
	for _, v := range list {
		d.Rounds = append(d.Rounds, roundLineOf(v))
	}
	s.render(c, http.StatusOK, "admin-rounds", page{Title: sc.Name + ": funding rounds", Nav: "work", Data: d})
}

type newRoundPage struct {
	SchemeID int64
	Scheme   string
	Grace    int
}

const (
	fRoundName     = "name"
	fRoundOpens    = "opens"
	fRoundOpensAt  = "opens-time"
	fRoundCloses   = "closes"
	fRoundClosesAt = "closes-time"
	fRoundGuidance = "guidance"
	fRoundBudget   = "budget"
	fReason        = "reason"
)

func (s *Server) schemeForRound(c *gin.Context, raw string) (store.Scheme, bool) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		s.notFound(c)
		return store.Scheme{}, false
	}
	u, _ := currentUser(c)
	sc, _, err := s.opts.API.SchemeRounds(c.Request.Context(), u, id)
	if err != nil {
		s.failRead(c, err)
		return store.Scheme{}, false
	}
	return sc, true
}

// newRoundForm asks for a new round's name, dates and times (London), guidance and budget.
func (s *Server) newRoundForm(c *gin.Context) {
	sc, ok := s.schemeForRound(c, c.Query("scheme"))
	if !ok {
		return
	}
	s.render(c, http.StatusOK, "round-new", page{Title: "Open a funding round", Nav: "work",
		Data: newRoundPage{SchemeID: sc.ID, Scheme: sc.Name, Grace: sc.Rules.DraftGraceHours}})
}

// londonInput joins a GOV.UK date input and a 24-hour time ("23:59") into the API's London
// date-time, recording what is missing against the field.
func (f *form) londonInput(date, clock, what string) string {
	t, ok := f.date(date, what)
	hm := f.Value(clock)
	if hm == "" {
		f.add(clock, "Enter the time "+strings.TrimPrefix(what, "the date ")+", like 23:59")
		return ""
	}
	h, m, found := strings.Cut(hm, ":")
	hour, err1 := strconv.Atoi(h)
	minute, err2 := strconv.Atoi(m)
	if !found || err1 != nil || err2 != nil || hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		f.add(clock, "Enter a time on the 24-hour clock, like 09:00 or 23:59")
		return ""
	}
	if !ok {
		return ""
	}
	return fmt.Sprintf("%sT%02d:%02d", t.Format("2006-01-02"), hour, minute)
}

// amountInput reads an amount in pounds; empty is nil.
func (f *form) amountInput(name, what string) *money.Pence {
	v := f.Value(name)
	if v == "" {
		return nil
	}
	p, err := money.Parse(v)
	if err != nil {
		f.add(name, upperFirst(what)+" must be an amount in pounds, like 25000 or 25,000.00")
		return nil
	}
	return &p
}

var roundRules = []fieldRule{
	on("name", fRoundName, "Round name"),
	onDate("opens_at", fRoundOpens, "The opening date and time"),
	onDate("closes_at", fRoundCloses, "The closing date and time"),
	on("guidance", fRoundGuidance, "Guidance"),
	on("budget_pence", fRoundBudget, "Round budget"),
}

// createRound opens the round through the API, which starts its timers.
func (s *Server) createRound(c *gin.Context) {
	f := readForm(c)
	sc, ok := s.schemeForRound(c, f.Value("scheme"))
	if !ok {
		return
	}
	u, _ := currentUser(c)
	req := apiv1.RoundRequest{Name: f.Value(fRoundName), Guidance: f.Value(fRoundGuidance)}
	if req.Name == "" {
		f.add(fRoundName, "Enter a name for the round")
	}
	req.OpensAt = f.londonInput(fRoundOpens, fRoundOpensAt, "the date the round opens")
	req.ClosesAt = f.londonInput(fRoundCloses, fRoundClosesAt, "the date the round closes")
	req.Budget = f.amountInput(fRoundBudget, "the round budget")
	if !f.invalid() {
		v, err := s.opts.API.CreateRound(c.Request.Context(), u, sc.ID, req)
		if err == nil {
			c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/rounds/%d?created=1", v.ID))
			return
		}
		he := httperr.From(err)
		if he.Status >= 500 || !f.refused(he, roundRules) {
			s.serverError(c, err)
			return
		}
	}
	s.render(c, http.StatusUnprocessableEntity, "round-new", page{Title: "Open a funding round", Nav: "work", Form: f,
		Data: newRoundPage{SchemeID: sc.ID, Scheme: sc.Name, Grace: sc.Rules.DraftGraceHours}})
}

type roundPage struct {
	roundLine
	SchemeID       int64
	Scheme         string
	MayClose       bool
	MayExtend      bool
	Created, Moved string
}

// adminRound shows one round with the forms to close it early and to extend it.
func (s *Server) adminRound(c *gin.Context) {
	s.showRound(c, http.StatusOK, nil)
}

func (s *Server) showRound(c *gin.Context, status int, f *form) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	v, err := s.opts.API.RoundOf(c.Request.Context(), u, id)
	if err != nil {
		s.failRead(c, err)
		return
	}
	d := roundPage{roundLine: roundLineOf(v), SchemeID: v.SchemeID, Scheme: v.Scheme, MayClose: v.State == store.RoundOpen,
		MayExtend: v.State == store.RoundOpen || v.State == store.RoundScheduled, Created: c.Query("created"), Moved: c.Query("moved")}
	s.render(c, status, "round", page{Title: v.Scheme + ": " + v.Name, Nav: "work", Form: f, Data: d})
}

// closeRound closes the round early, now, with the reason.
func (s *Server) closeRound(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	f := readForm(c)
	u, _ := currentUser(c)
	req := apiv1.ClosureRequest{Reason: f.Value("close-reason")}
	if req.Reason == "" {
		f.add("close-reason", "Enter why the round is closing early")
	}
	if !f.invalid() {
		_, err := s.opts.API.CloseRoundEarly(c.Request.Context(), u, id, req)
		if err == nil {
			c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/rounds/%d?moved=closed", id))
			return
		}
		he := httperr.From(err)
		if he.Status >= 500 {
			s.serverError(c, err)
			return
		}
		if !f.refused(he, []fieldRule{on("reason", "close-reason", "Reason")}) {
			f.add("close-reason", upperFirst(he.Message))
		}
	}
	s.showRound(c, http.StatusUnprocessableEntity, f)
}

// extendRound moves the round's closing time later, with the reason.
func (s *Server) extendRound(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	f := readForm(c)
	u, _ := currentUser(c)
	req := apiv1.ExtensionRequest{Reason: f.Value("extend-reason")}
	req.ClosesAt = f.londonInput("extend", "extend-time", "the date the round now closes")
	if req.Reason == "" {
		f.add("extend-reason", "Enter why the round is extended")
	}
	if !f.invalid() {
		_, err := s.opts.API.ExtendRound(c.Request.Context(), u, id, req)
		if err == nil {
			c.Redirect(http.StatusSeeOther, fmt.Sprintf("/admin/rounds/%d?moved=extended", id))
			return
		}
		he := httperr.From(err)
		if he.Status >= 500 {
			s.serverError(c, err)
			return
		}
		if !f.refused(he, []fieldRule{onDate("closes_at", "extend", "The new closing date and time"), on("reason", "extend-reason", "Reason")}) {
			f.add("extend", upperFirst(he.Message))
		}
	}
	s.showRound(c, http.StatusUnprocessableEntity, f)
}

// setBudget sets or adjusts the scheme's budget for a financial year from the budget page.
func (s *Server) setBudget(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	f := readForm(c)
	u, _ := currentUser(c)
	fy, err := strconv.Atoi(f.Value("year"))
	if err != nil {
		f.add("year", "Choose the financial year")
	}
	req := apiv1.BudgetRequest{Reason: f.Value(fReason), Budget: f.amountInput("amount", "the budget")}
	if req.Budget == nil && f.Error("amount") == "" {
		f.add("amount", "Enter the budget for the year in pounds")
	}
	if req.Reason == "" {
		f.add(fReason, "Enter why the budget is being set or changed")
	}
	if !f.invalid() {
		_, err := s.opts.API.SetBudget(c.Request.Context(), u, id, fy, req)
		if err == nil {
			c.Redirect(http.StatusSeeOther, fmt.Sprintf("/schemes/%d/budget?saved=1", id))
			return
		}
		he := httperr.From(err)
		if he.Status >= 500 || !f.refused(he, []fieldRule{on("financial_year", "year", "Financial year"), on("budget_pence", "amount", "Budget"), on("reason", fReason, "Reason")}) {
			if he.Status >= 500 {
				s.serverError(c, err)
				return
			}
			s.failRead(c, err)
			return
		}
	}
	s.renderBudget(c, http.StatusUnprocessableEntity, id, f)
}

type schemeRoundsPage struct {
	SchemeID   int64
	Scheme     string
	Rounds     []roundLine
	Subscribed bool
	Saved      string
}

// schemeRounds shows a scheme's rounds with their guidance, and the "tell me when rounds open"
// subscription, to anyone signed in.
func (s *Server) schemeRounds(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	sc, err := s.opts.Store.Scheme(ctx, id)
	if err != nil {
		s.failRead(c, err)
		return
	}
	list, err := s.opts.Store.Rounds(ctx, id)
	if err != nil {
		s.serverError(c, err)
		return
	}
	u, _ := currentUser(c)
	subscribed, err := s.opts.Store.Subscribed(ctx, u.ID, id)
	if err != nil {
		s.serverError(c, err)
		return
	}
	d := schemeRoundsPage{SchemeID: sc.ID, Scheme: sc.Name, Subscribed: subscribed, Saved: c.Query("saved")}
	now := s.now()
	for _, r := range list {
		d.Rounds = append(d.Rounds, roundLineOf(apiv1.RoundView{Round: r, State: r.State(now), LocksAt: r.LocksAt(sc.Rules)}))
	}
	s.render(c, http.StatusOK, "scheme-rounds", page{Title: sc.Name + ": funding rounds", Nav: "funding", Data: d})
}

// roundSubscription subscribes or unsubscribes the person (the form's "subscribe" is yes or no).
func (s *Server) roundSubscription(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	f := readForm(c)
	u, _ := currentUser(c)
	on := f.Value("subscribe") == "yes"
	if err := s.opts.API.SubscribeToRounds(c.Request.Context(), u, id, on); err != nil {
		s.failRead(c, err)
		return
	}
	saved := "unsubscribed"
	if on {
		saved = "subscribed"
	}
	c.Redirect(http.StatusSeeOther, fmt.Sprintf("/schemes/%d/rounds?saved=%s", id, saved))
}
