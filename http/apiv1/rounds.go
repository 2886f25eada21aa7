package apiv1

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Rounds and budgets, run by the people who manage schemes (scheme.Role.ManagesSchemes): open a
// round with its dates, guidance and optional budget, close it early or extend it (each moves the
// round workflow's closing timer), and set or adjust a scheme's budget for a financial year. Every
// act is an admin event in its own transaction (the store writes it). Applicants and anyone signed
// in may ask to be told when a scheme's rounds open and close.

// RoundRequest opens a round (POST /admin/schemes/{id}/rounds). Times are London date-times
// ("2026-10-26T23:59", as a clock in London shows them) or RFC 3339 with an offset.
type RoundRequest struct {
	Name     string       `json:"name"`
	OpensAt  string       `json:"opens_at"`
	ClosesAt string       `json:"closes_at"`
	Guidance string       `json:"guidance"`
	Budget   *money.Pence `json:"budget_pence"`
}

// ClosureRequest closes a round early, now (POST /admin/rounds/{id}/closure).
type ClosureRequest struct {
	Reason string `json:"reason"`
}

// ExtensionRequest moves a round's closing time later (POST /admin/rounds/{id}/extension).
type ExtensionRequest struct {
	ClosesAt string `json:"closes_at"`
	Reason   string `json:"reason"`
}

// BudgetRequest sets or adjusts a scheme's budget for a financial year (PUT /admin/schemes/{id}/budgets/{fy}).
type BudgetRequest struct {
	Budget *money.Pence `json:"budget_pence"`
	Reason string       `json:"reason"`
}

// RoundView is a round as the admin API and pages show it.
type RoundView struct {
	store.Round
	Scheme    string      `json:"scheme"`
	State     string      `json:"state"`    // scheduled, open, closed (in its grace period) or locked
	LocksAt   time.Time   `json:"locks_at"` // when its drafts are (or were) locked: closing plus the scheme's grace period
	Committed money.Pence `json:"committed_pence"`
}

func (s *Server) roundView(ctx context.Context, r store.Round, sc store.Scheme) (RoundView, error) {
	committed, err := s.Store.RoundCommitted(ctx, r.ID)
	if err != nil {
		return RoundView{}, err
	}
	return RoundView{Round: r, Scheme: sc.Name, State: r.State(s.now()), LocksAt: r.LocksAt(sc.Rules), Committed: committed}, nil
}

// managedScheme reads a scheme for one who manages schemes. An unknown id is not found for anyone,
// as on every path with an id (schemes are public); a known one is refused to other roles.
func (s *Server) managedScheme(ctx context.Context, u store.User, id int64) (store.Scheme, error) {
	sc, err := s.Store.Scheme(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return sc, httperr.NotFound("scheme")
	}
	if err != nil {
		return sc, err
	}
	return sc, mayManageSchemes(u)
}

// SchemeRounds lists a scheme's rounds, newest first, for those who manage schemes.
func (s *Server) SchemeRounds(ctx context.Context, u store.User, schemeID int64) (store.Scheme, []RoundView, error) {
	sc, err := s.managedScheme(ctx, u, schemeID)
	if err != nil {
		return sc, nil, err
	}
	list, err := s.Store.Rounds(ctx, schemeID)
	if err != nil {
		return sc, nil, err
	}
	out := make([]RoundView, 0, len(list))
	for _, r := range list {
		v, err := s.roundView(ctx, r, sc)
		if err != nil {
			return sc, nil, err
		}
		out = append(out, v)
	}
	return sc, out, nil
}

// RoundOf reads one round for those who manage schemes.
func (s *Server) RoundOf(ctx context.Context, u store.User, id int64) (RoundView, error) {
	r, err := s.Store.Round(ctx, id)
	if errors.Is(err, store.ErrNotFound) { // as managedScheme: unknown is not found for anyone
		return RoundView{}, httperr.NotFound("round")
	}
	if err != nil {
		return RoundView{}, err
	}
	if err := mayManageSchemes(u); err != nil {
		return RoundView{}, err
	}
	sc, err := s.Store.Scheme(ctx, r.SchemeID)
	if err != nil {
		return RoundView{}, err
	}
	return s.roundView(ctx, r, sc)
}

// LondonTime reads a date-time as a clock in London shows it ("2026-10-26T23:59", seconds
// optional, a space for the T allowed) or, with an offset, as RFC 3339. A London time the clocks
// skip (the night they go forward) or show twice (the night they go back) is refused unless an
// offset says which.
func LondonTime(v string) (time.Time, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, "is required"
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04Z07:00"} { // with an offset, seconds or not
		if t, err := time.Parse(layout, v); err == nil {
			return t, ""
		}
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		c, err := time.Parse(layout, v) // the clock's reading, before saying where
		if err != nil {
			continue
		}
		t := time.Date(c.Year(), c.Month(), c.Day(), c.Hour(), c.Minute(), c.Second(), 0, scheme.London)
		if back := t.In(scheme.London); back.Hour() != c.Hour() || back.Minute() != c.Minute() || back.Day() != c.Day() {
			return time.Time{}, "is a time the clocks skip in London (they go forward that night); choose another time"
		}
		if sameClock(t.Add(-time.Hour), t) || sameClock(t.Add(time.Hour), t) {
			return time.Time{}, "happens twice in London as the clocks go back that night; give the offset, e.g. 2026-10-25T01:30:00+01:00"
		}
		return t, ""
	}
	return time.Time{}, "must be a date and time like 2026-10-26T23:59 (London time)"
}

func sameClock(a, b time.Time) bool {
	a, b = a.In(scheme.London), b.In(scheme.London)
	return a.Year() == b.Year() && a.YearDay() == b.YearDay() && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}

// CreateRound opens a round of the scheme and starts its workflow, in one transaction with its
// admin event. Each bad field is named: a closing time not after the opening, one already past, a
// budget of nothing or less, a name the scheme already has.
func (s *Server) CreateRound(ctx context.Context, u store.User, schemeID int64, req RoundRequest) (RoundView, error) {
	sc, err := s.managedScheme(ctx, u, schemeID)
	if err != nil {
		return RoundView{}, err
	}
	if err := refuseBadText(req); err != nil {
		return RoundView{}, err
	}
	p := problems{}
	req.Name = strings.TrimSpace(req.Name)
	p.required("name", req.Name)
	p.maxLen("name", req.Name, 200)
	p.maxLen("guidance", req.Guidance, 20000)
	opens, why := LondonTime(req.OpensAt)
	if why != "" {
		p.add("opens_at", why)
	}
	closes, whyClose := LondonTime(req.ClosesAt)
	now := s.now()
	switch {
	case whyClose != "":
		p.add("closes_at", whyClose)
	case why == "" && !closes.After(opens):
		p.add("closes_at", "must be after the opening time")
	case !closes.After(now):
		p.add("closes_at", "must be in the future")
	}
	if req.Budget != nil && *req.Budget <= 0 {
		p.add("budget_pence", "must be more than £0.00 (in pence); leave it out for a round without a budget of its own")
	}
	if err := p.err(); err != nil {
		return RoundView{}, err
	}
	start := func(r store.Round) error {
		_, err := underStepDeadline(s, ctx, func(ctx context.Context) (client.WorkflowRun, error) {
			return s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
				ID: workflows.RoundWorkflowID(r.ID), TaskQueue: s.taskQueue(),
				WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
			}, workflows.RoundWorkflowName, workflows.RoundInput{RoundID: r.ID, OpensAt: r.OpensAt, ClosesAt: r.ClosesAt})
		})
		return err
	}
	if s.Temporal == nil { // page tests without Temporal: the round has no timers (grantflow serve always has a client)
		start = nil
	}
	r, err := s.Store.CreateRound(ctx, store.Round{SchemeID: sc.ID, Name: req.Name, OpensAt: opens, ClosesAt: closes,
		Guidance: strings.TrimSpace(req.Guidance), Budget: req.Budget}, store.ActorOf(u), now, start)
	if errors.Is(err, store.ErrDuplicate) {
		return RoundView{}, httperr.Field("name", "the scheme already has a round of this name")
	}
	if err != nil {
		return RoundView{}, err
	}
	return s.roundView(ctx, r, sc)
}

// CloseRoundEarly closes an open round now, with the reason, moving its workflow's timer.
func (s *Server) CloseRoundEarly(ctx context.Context, u store.User, id int64, req ClosureRequest) (RoundView, error) {
	if _, err := s.RoundOf(ctx, u, id); err != nil {
		return RoundView{}, err
	}
	if err := refuseBadText(req); err != nil {
		return RoundView{}, err
	}
	p := problems{}
	p.required("reason", req.Reason)
	p.maxLen("reason", req.Reason, 2000)
	if err := p.err(); err != nil {
		return RoundView{}, err
	}
	now := s.now()
	return s.moveClose(ctx, u, id, workflows.MoveCloseRequest{ClosesAt: now, Early: true, Reason: strings.TrimSpace(req.Reason)}, now)
}

// ExtendRound moves a round's closing time later, with the reason.
func (s *Server) ExtendRound(ctx context.Context, u store.User, id int64, req ExtensionRequest) (RoundView, error) {
	current, err := s.RoundOf(ctx, u, id)
	if err != nil {
		return RoundView{}, err
	}
	if err := refuseBadText(req); err != nil {
		return RoundView{}, err
	}
	p := problems{}
	p.required("reason", req.Reason)
	p.maxLen("reason", req.Reason, 2000)
	closes, why := LondonTime(req.ClosesAt)
	now := s.now()
	switch {
	case why != "":
		p.add("closes_at", why)
	case !closes.After(now):
		p.add("closes_at", "must be in the future")
	case !closes.After(current.ClosesAt):
		p.add("closes_at", "must be later than the current closing time, "+current.ClosesAt.In(scheme.London).Format("15:04 on 2 January 2006"))
	}
	if err := p.err(); err != nil {
		return RoundView{}, err
	}
	return s.moveClose(ctx, u, id, workflows.MoveCloseRequest{ClosesAt: closes, Reason: strings.TrimSpace(req.Reason)}, now)
}

func (s *Server) moveClose(ctx context.Context, u store.User, id int64, req workflows.MoveCloseRequest, now time.Time) (RoundView, error) {
	r, err := s.Store.MoveRoundClose(ctx, id, req.ClosesAt, req.Early, req.Reason, store.ActorOf(u), now, func(r store.Round) error {
		if r.WorkflowID == nil || s.Temporal == nil { // a round made before rounds had timers (or by the seed): its row is all there is
			return nil
		}
		_, err := underStepDeadline(s, ctx, func(ctx context.Context) (struct{}, error) {
			handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
				WorkflowID: *r.WorkflowID, UpdateName: workflows.UpdateMoveClose, Args: []any{req},
				UpdateID:     cmp.Or(stepUpdateID(ctx, workflows.UpdateMoveClose), fmt.Sprintf("move-close-%d-%d", r.ID, now.UnixNano())),
				WaitForStage: client.WorkflowUpdateStageCompleted,
			})
			if err != nil {
				return struct{}{}, err
			}
			return struct{}{}, handle.Get(ctx, nil)
		})
		return err
	})
	switch {
	case errors.Is(err, store.ErrRoundClosed):
		return RoundView{}, httperr.Conflict("round_closed", err.Error())
	case errors.Is(err, store.ErrRoundNotOpen):
		return RoundView{}, httperr.Conflict("round_not_open", err.Error())
	case errors.Is(err, store.ErrNotFound):
		return RoundView{}, httperr.NotFound("round")
	case err != nil:
		return RoundView{}, err
	}
	return s.RoundOf(ctx, u, r.ID)
}

// SetBudget sets or adjusts the scheme's budget for a financial year (the year it begins, April to
// March) with the reason; a budget below what is committed is refused naming budget_pence.
func (s *Server) SetBudget(ctx context.Context, u store.User, schemeID int64, fy int, req BudgetRequest) (store.BudgetChange, error) {
	if _, err := s.managedScheme(ctx, u, schemeID); err != nil {
		return store.BudgetChange{}, err
	}
	if err := refuseBadText(req); err != nil {
		return store.BudgetChange{}, err
	}
	p := problems{}
	if fy < 2000 || fy > 2200 {
		p.add("financial_year", "must be the year a financial year begins, like 2026 for 2026-27")
	}
	switch {
	case req.Budget == nil:
		p.add("budget_pence", "is required")
	case *req.Budget < 0:
		p.add("budget_pence", "cannot be negative")
	}
	p.required("reason", req.Reason)
	p.maxLen("reason", req.Reason, 2000)
	if err := p.err(); err != nil {
		return store.BudgetChange{}, err
	}
	ch, err := s.Store.ChangeBudget(ctx, schemeID, fy, *req.Budget, strings.TrimSpace(req.Reason), store.ActorOf(u), s.now())
	if errors.Is(err, store.ErrBelowCommitted) {
		return ch, httperr.Field("budget_pence", fmt.Sprintf("cannot be less than the %s already committed in %s", ch.Committed, scheme.FinancialYearLabel(fy)))
	}
	return ch, err
}

// BudgetHistory lists every change to a scheme's budgets, for staff.
func (s *Server) BudgetHistory(ctx context.Context, u store.User, schemeID int64) ([]store.BudgetChange, error) {
	if !u.Role.IsStaff() {
		return nil, httperr.Forbidden("scheme finances are for staff")
	}
	return s.Store.BudgetChanges(ctx, schemeID)
}

// SubscribeToRounds asks for the person to be told when the scheme's rounds open and close (on) or stops it.
func (s *Server) SubscribeToRounds(ctx context.Context, u store.User, schemeID int64, on bool) error {
	if _, err := s.Store.Scheme(ctx, schemeID); errors.Is(err, store.ErrNotFound) {
		return httperr.NotFound("scheme")
	} else if err != nil {
		return err
	}
	if on {
		return s.Store.Subscribe(ctx, u.ID, schemeID, s.now())
	}
	return s.Store.Unsubscribe(ctx, u.ID, schemeID)
}

// The endpoints.

func (s *Server) listRounds(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	_, list, err := s.SchemeRounds(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"rounds": list})
}

func (s *Server) createRound(c *gin.Context) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	if _, err := s.managedScheme(c.Request.Context(), u, id); err != nil { // before reading the body
		s.fail(c, err)
		return
	}
	var req RoundRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.CreateRound(c.Request.Context(), u, id, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, v)
}

func (s *Server) getRound(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("round"))
		return
	}
	v, err := s.RoundOf(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) closeRound(c *gin.Context)  { moveRound(s, c, s.CloseRoundEarly) }
func (s *Server) extendRound(c *gin.Context) { moveRound(s, c, s.ExtendRound) }

// moveRound is a round's closure or extension over HTTP: the round is checked (found, and the
// caller manages schemes) before its body is read.
func moveRound[Req any](s *Server, c *gin.Context, move func(context.Context, store.User, int64, Req) (RoundView, error)) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		err = httperr.NotFound("round")
	}
	if err == nil {
		_, err = s.RoundOf(c.Request.Context(), u, id)
	}
	var req Req
	if err == nil {
		err = bind(c, &req)
	}
	var v RoundView
	if err == nil {
		v, err = move(c.Request.Context(), u, id, req)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) putBudget(c *gin.Context) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	if _, err := s.managedScheme(c.Request.Context(), u, id); err != nil {
		s.fail(c, err)
		return
	}
	fy, err := strconv.Atoi(c.Param("fy"))
	if err != nil {
		s.fail(c, httperr.Field("financial_year", "must be the year a financial year begins, like 2026 for 2026-27"))
		return
	}
	var req BudgetRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	ch, err := s.SetBudget(c.Request.Context(), u, id, fy, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, ch)
}

func (s *Server) listBudgetChanges(c *gin.Context) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	if _, err := s.managedScheme(c.Request.Context(), u, id); err != nil {
		s.fail(c, err)
		return
	}
	list, err := s.BudgetHistory(c.Request.Context(), u, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	years, err := s.Store.SchemeYears(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"years": years, "changes": list})
}

func (s *Server) subscription(on bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		id, err := pathID(c, "id")
		if err != nil {
			s.fail(c, httperr.NotFound("scheme"))
			return
		}
		if err := s.SubscribeToRounds(c.Request.Context(), currentUser(c), id, on); err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"subscribed": on})
	}
}
