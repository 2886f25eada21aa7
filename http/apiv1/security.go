package apiv1

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/internal/securitylog"
	"grantflow/scheme"
	"grantflow/store"
)

// A person's own second factor, an admin's reset of someone's, and the office's audit trail.

func (s *Server) getSecondFactor(c *gin.Context) {
	sf, err := s.Store.SecondFactorOf(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, sf)
}

// RegenerateRecoveryCodes replaces the person's recovery codes; the new ones are shown once.
func (s *Server) RegenerateRecoveryCodes(ctx context.Context, u store.User) ([]string, error) {
	codes, err := s.Store.RegenerateRecoveryCodes(ctx, u, s.now())
	if errors.Is(err, store.ErrNoSecondFactor) {
		return nil, httperr.Conflict("no_second_factor", "you have no second factor, so no recovery codes: set one up first")
	}
	return codes, err
}

func (s *Server) regenerateRecoveryCodes(c *gin.Context) {
	codes, err := s.RegenerateRecoveryCodes(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"recovery_codes": codes})
}

// SecondFactorResetRequest is an admin's reset of a person's second factor.
type SecondFactorResetRequest struct {
	Reason string `json:"reason"`
}

// ResetSecondFactor is an admin (scheme.Role.ManagesPeople) resetting someone's second factor: it
// goes, their sessions and tokens end, and they set a new one up at their next sign-in.
func (s *Server) ResetSecondFactor(ctx context.Context, by store.User, userID int64, req SecondFactorResetRequest) (store.User, error) {
	if !by.Role.ManagesPeople() {
		return store.User{}, httperr.Forbidden("only an admin can reset a second factor")
	}
	p := problems{}
	p.required("reason", req.Reason)
	p.maxLen("reason", req.Reason, 1000)
	if err := p.err(); err != nil {
		return store.User{}, err
	}
	if userID == by.ID {
		return store.User{}, httperr.Conflict("own_account", "you cannot reset your own second factor; ask another admin")
	}
	u, err := s.Store.ResetSecondFactor(ctx, store.ActorOf(by), userID, strings.TrimSpace(req.Reason), s.now())
	if err == nil {
		securitylog.Log(ctx, s.Logger, securitylog.SecondFactorReset, securitylog.Actor(by.ID), securitylog.Target(userID), securitylog.Role(string(u.Role)))
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return u, httperr.NotFound("user")
	case errors.Is(err, store.ErrNoSecondFactor):
		return u, httperr.Conflict("no_second_factor", "this person has no second factor to reset")
	}
	return u, err
}

func (s *Server) resetSecondFactor(c *gin.Context) {
	u := currentUser(c)
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("user"))
		return
	}
	// An id that names nobody is not found, for anyone (as every path with an id); only then the role.
	if _, err := s.Store.User(c.Request.Context(), id); errors.Is(err, store.ErrNotFound) {
		s.fail(c, httperr.NotFound("user"))
		return
	} else if err != nil {
		s.fail(c, err)
		return
	}
	if !u.Role.ManagesPeople() {
		s.fail(c, httperr.Forbidden("only an admin can reset a second factor"))
		return
	}
	var req SecondFactorResetRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	who, err := s.ResetSecondFactor(c.Request.Context(), u, id, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"user": who, "second_factor": gin.H{"enabled": false}})
}

// AuditQuery is the audit trail's filters as sent: every value a string, checked by AuditFilter.
type AuditQuery struct {
	SubjectKind, Action, ActorID, From, To, Limit, After, Before string
	Sent                                                         url.Values // the whole query, to refuse page numbers and offsets
}

var (
	auditKind   = regexp.MustCompile(`^[a-z_]{1,40}$`)
	auditAction = regexp.MustCompile(`^[a-z_.]{1,80}$`)
)

// AuditFilter checks the filters, naming each bad one (422): from and to are London dates
// (YYYY-MM-DD, to included), limit 1 to store.MaxPageSize (store.DefaultPageSize when not sent), after and before cursors of
// the trail's next and previous pages.
func AuditFilter(q AuditQuery) (store.AdminEventFilter, error) {
	f := store.AdminEventFilter{}
	bad := map[string]string{}
	page, err := PageQuery{After: q.After, Before: q.Before, Size: q.Limit, SizeName: "limit", Sent: q.Sent}.Page()
	if he := (*httperr.Error)(nil); errors.As(err, &he) {
		maps.Copy(bad, he.Fields)
	}
	f.Page = page
	if f.Page.Size == 0 {
		f.Page.Size = store.DefaultPageSize // the answer says how many a page
	}
	if v := strings.TrimSpace(q.SubjectKind); v != "" {
		if !auditKind.MatchString(v) {
			bad["subject_kind"] = "must be a kind of subject such as scheme, round, budget or user"
		}
		f.SubjectKind = v
	}
	if v := strings.TrimSpace(q.Action); v != "" {
		if !auditAction.MatchString(v) {
			bad["action"] = "must be an action or its start, such as user. or scheme.created (lower-case letters, dots and underscores)"
		}
		f.Action = v
	}
	number := func(field, v string, min, max int64) int64 {
		if v = strings.TrimSpace(v); v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min || n > max {
			bad[field] = "must be a whole number from " + strconv.FormatInt(min, 10) + " to " + strconv.FormatInt(max, 10)
		}
		return n
	}
	f.ActorID = number("actor_id", q.ActorID, 1, 1<<53)
	date := func(field, v string) time.Time {
		if v = strings.TrimSpace(v); v == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation("2006-01-02", v, scheme.London)
		if err != nil {
			bad[field] = "must be a real date written as YYYY-MM-DD, such as 2026-11-27"
		}
		return d
	}
	f.From = date("from", q.From)
	if to := date("to", q.To); !to.IsZero() {
		f.To = time.Date(to.Year(), to.Month(), to.Day()+1, 0, 0, 0, 0, scheme.London) // the whole of that day in London
		if !f.From.IsZero() && to.Before(f.From) {
			bad["to"] = "must be the same as or after the from date"
		}
	}
	if len(bad) > 0 {
		return f, httperr.Fields(bad)
	}
	return f, nil
}

// AdminAudit is the office's audit trail for an admin (scheme.Role.ManagesPeople), newest first.
func (s *Server) AdminAudit(ctx context.Context, u store.User, q AuditQuery) ([]store.AdminEvent, store.PageLinks, store.AdminEventFilter, error) {
	if !u.Role.ManagesPeople() {
		return nil, store.PageLinks{}, store.AdminEventFilter{}, httperr.Forbidden("only an admin can read the audit trail")
	}
	f, err := AuditFilter(q)
	if err != nil {
		return nil, store.PageLinks{}, f, err
	}
	list, links, err := s.Store.AdminEventPage(ctx, f)
	return list, links, f, pageError(f.Page, err)
}

func (s *Server) adminAudit(c *gin.Context) {
	q := AuditQuery{SubjectKind: c.Query("subject_kind"), Action: c.Query("action"), ActorID: c.Query("actor_id"),
		From: c.Query("from"), To: c.Query("to"), Limit: c.Query("limit"), After: c.Query("after"), Before: c.Query("before"),
		Sent: c.Request.URL.Query()}
	list, links, f, err := s.AdminAudit(c.Request.Context(), currentUser(c), q)
	if err != nil {
		s.fail(c, err)
		return
	}
	next, previous := nextLinks(links)
	c.JSON(http.StatusOK, gin.H{"events": list, "limit": f.Page.Size, "next": next, "previous": previous})
}
