package apiv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/scheme"
	"grantflow/store"
)

// Schemes and their rules, set up by the office itself (scheme.Role.ManagesSchemes): list, create
// and edit a scheme with every rule, and read the versions its rules went through. A scheme's body
// is flat: its name, description and address (slug) beside every rule under the rules' own JSON
// names, so a refusal names the rule as the rules do ("criteria[2].weight_percent").

// AdminSchemeView is a scheme with every rule, as the office edits it. "version" is the rules
// version: send it back with an edit to be refused if someone else changed the rules meanwhile.
type AdminSchemeView struct {
	ID          int64  `json:"id"`
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Description string `json:"description"`
	scheme.Rules
}

// SchemeRequest creates or edits a scheme.
type SchemeRequest struct {
	Slug        string `json:"slug,omitempty"` // the scheme's address, when creating; made from the name when empty
	Name        string `json:"name"`
	Description string `json:"description"`
	Reason      string `json:"reason"` // why: required when editing
	// Every rule; "version" is the rules version the edit started from (0 or absent: not checked).
	scheme.Rules
}

// SchemeSavedView answers an edit: the scheme now, and whether the rules became a new version.
type SchemeSavedView struct {
	Scheme     AdminSchemeView `json:"scheme"`
	NewVersion bool            `json:"new_version"`
	Changes    []scheme.Change `json:"changes"`
}

// RulesVersionView is one kept version of a scheme's rules and what changed from the one before.
type RulesVersionView struct {
	Version int             `json:"version"`
	At      time.Time       `json:"at"`
	By      string          `json:"by"`
	Role    string          `json:"role"`
	Reason  string          `json:"reason"`
	Changes []scheme.Change `json:"changes"`         // from the version before; empty for the first kept
	Rules   *scheme.Rules   `json:"rules,omitempty"` // on the read of one version
}

func adminSchemeView(sc store.Scheme) AdminSchemeView {
	return AdminSchemeView{ID: sc.ID, Slug: sc.Slug, Name: sc.Name, Description: sc.Description, Rules: sc.Rules}
}

// mayManageSchemes is the one rule of who sets up schemes, for the API and the pages.
func mayManageSchemes(u store.User) error {
	if !u.Role.ManagesSchemes() {
		return httperr.Forbidden("only an administrator or a head of commissioning may manage schemes, their forms, rounds and budgets")
	}
	return nil
}

// Limits on a scheme's lists, far above any real scheme's.
var schemeListLimits = []struct {
	field string
	n     func(scheme.Rules) int
	max   int
}{
	{"organisation_types", func(r scheme.Rules) int { return len(r.OrganisationTypes) }, 20},
	{"areas", func(r scheme.Rules) int { return len(r.Areas) }, 200},
	{"area_codes", func(r scheme.Rules) int { return len(r.AreaCodes) }, 200},
	{"wards", func(r scheme.Rules) int { return len(r.Wards) }, 2000},
	{"ward_codes", func(r scheme.Rules) int { return len(r.WardCodes) }, 2000},
	{"priorities", func(r scheme.Rules) int { return len(r.Priorities) }, 100},
	{"criteria", func(r scheme.Rules) int { return len(r.Criteria) }, 20},
	{"delegation", func(r scheme.Rules) int { return len(r.Delegation) }, 10},
}

var slugShape = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,59}$`)

// slugOf makes an address from a name: "Grassroots Community Fund" → "grassroots-community-fund".
func slugOf(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	out := strings.Trim(b.String(), "-")
	if len(out) > 60 {
		out = strings.Trim(out[:60], "-")
	}
	return out
}

// check collects every problem of the request: its own fields and every rule's.
func (r *SchemeRequest) check(creating bool) problems {
	p := problems{}
	r.Name, r.Description, r.Reason = strings.TrimSpace(r.Name), strings.TrimSpace(r.Description), strings.TrimSpace(r.Reason)
	p.required("name", r.Name)
	p.maxLen("name", r.Name, 200)
	p.maxLen("description", r.Description, 2000)
	p.maxLen("reason", r.Reason, 1000)
	if creating {
		if r.Slug == "" {
			r.Slug = slugOf(r.Name)
		}
		if r.Name != "" && !slugShape.MatchString(r.Slug) {
			p.add("slug", "must be 2 to 60 small letters, digits and hyphens, such as grassroots-fund")
		}
	} else if r.Reason == "" {
		p.add("reason", "is required: say why the scheme is changing")
	}
	tooLong := map[string]bool{}
	for _, l := range schemeListLimits {
		if n := l.n(r.Rules); n > l.max {
			p.add(l.field, fmt.Sprintf("must list at most %d (it lists %d)", l.max, n))
			tooLong[l.field] = true
		}
	}
	if len(tooLong) == 0 {
		for f, reason := range r.Rules.Problems() {
			p.add(f, reason)
		}
	}
	return p
}

// SchemeProblems are every problem the API would name in a scheme's request, by field, without
// saving anything: for a form some of whose fields could not be read, so a person mends all at once.
func SchemeProblems(r SchemeRequest, creating bool) map[string]string {
	out := map[string]string{}
	if f, reason := badText(reflect.ValueOf(r), ""); f != "" {
		out[f] = reason
	}
	for f, reason := range r.check(creating) {
		if _, seen := out[f]; !seen {
			out[f] = reason
		}
	}
	return out
}

// AdminSchemes lists every scheme with its rules.
func (s *Server) AdminSchemes(ctx context.Context, u store.User) ([]AdminSchemeView, error) {
	if err := mayManageSchemes(u); err != nil {
		return nil, err
	}
	list, err := s.Store.Schemes(ctx)
	if err != nil {
		return nil, err
	}
	out := []AdminSchemeView{}
	for _, sc := range list {
		out = append(out, adminSchemeView(sc))
	}
	return out, nil
}

// AdminScheme reads one scheme with its rules.
func (s *Server) AdminScheme(ctx context.Context, u store.User, id int64) (AdminSchemeView, error) {
	if err := mayManageSchemes(u); err != nil {
		return AdminSchemeView{}, err
	}
	sc, err := s.Store.Scheme(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return AdminSchemeView{}, httperr.NotFound("scheme")
	}
	return adminSchemeView(sc), err
}

// CreateScheme makes a new scheme; its rules are version 1.
func (s *Server) CreateScheme(ctx context.Context, u store.User, r SchemeRequest) (AdminSchemeView, error) {
	if err := mayManageSchemes(u); err != nil {
		return AdminSchemeView{}, err
	}
	if err := refuseBadText(r); err != nil {
		return AdminSchemeView{}, err
	}
	if err := r.check(true).err(); err != nil {
		return AdminSchemeView{}, err
	}
	r.Rules.Version = 0
	saved, err := s.Store.CreateScheme(ctx, store.Scheme{Slug: r.Slug, Name: r.Name, Description: r.Description, Rules: r.Rules},
		store.SchemeEdit{By: store.ActorOf(u), At: s.now(), Reason: r.Reason})
	if errors.Is(err, store.ErrSchemeExists) {
		return AdminSchemeView{}, httperr.Field("slug", fmt.Sprintf("%q is already another scheme's address: choose another", r.Slug))
	}
	if err != nil {
		return AdminSchemeView{}, schemeSaveError(err)
	}
	return adminSchemeView(saved.Scheme), nil
}

// EditScheme saves a scheme's name, description and rules; changed rules become a new version.
func (s *Server) EditScheme(ctx context.Context, u store.User, id int64, r SchemeRequest) (SchemeSavedView, error) {
	if err := mayManageSchemes(u); err != nil {
		return SchemeSavedView{}, err
	}
	if _, err := s.Store.Scheme(ctx, id); errors.Is(err, store.ErrNotFound) {
		return SchemeSavedView{}, httperr.NotFound("scheme")
	} else if err != nil {
		return SchemeSavedView{}, err
	}
	if err := refuseBadText(r); err != nil {
		return SchemeSavedView{}, err
	}
	if err := r.check(false).err(); err != nil {
		return SchemeSavedView{}, err
	}
	base := r.Rules.Version
	saved, err := s.Store.UpdateScheme(ctx, id, store.Scheme{Name: r.Name, Description: r.Description, Rules: r.Rules},
		store.SchemeEdit{By: store.ActorOf(u), At: s.now(), Reason: r.Reason, BaseVersion: base})
	if err != nil {
		return SchemeSavedView{}, schemeSaveError(err)
	}
	changes := saved.Changes
	if changes == nil {
		changes = []scheme.Change{}
	}
	return SchemeSavedView{Scheme: adminSchemeView(saved.Scheme), NewVersion: saved.NewVersion, Changes: changes}, nil
}

func schemeSaveError(err error) error {
	var p scheme.Problems
	switch {
	case errors.As(err, &p):
		return httperr.Fields(p)
	case errors.Is(err, store.ErrStaleRules):
		return httperr.Conflict("stale_rules", err.Error()+": reload the scheme and make your change again")
	case errors.Is(err, store.ErrNotFound):
		return httperr.NotFound("scheme")
	}
	return err
}

// SchemeRulesVersions lists a scheme's rules versions, newest first, each with what changed from
// the one before.
func (s *Server) SchemeRulesVersions(ctx context.Context, u store.User, id int64) ([]RulesVersionView, error) {
	if _, err := s.AdminScheme(ctx, u, id); err != nil {
		return nil, err
	}
	list, err := s.Store.RulesVersions(ctx, id)
	if err != nil {
		return nil, err
	}
	out := []RulesVersionView{}
	for i, v := range list {
		view := versionView(v)
		if i+1 < len(list) && list[i+1].Version == v.Version-1 {
			view.Changes = scheme.Differences(list[i+1].Rules, v.Rules)
		}
		if view.Changes == nil {
			view.Changes = []scheme.Change{}
		}
		out = append(out, view)
	}
	return out, nil
}

// SchemeRulesVersion reads one version of a scheme's rules, whole, with what changed from the one before.
func (s *Server) SchemeRulesVersion(ctx context.Context, u store.User, id int64, version int) (RulesVersionView, error) {
	if _, err := s.AdminScheme(ctx, u, id); err != nil {
		return RulesVersionView{}, err
	}
	v, err := s.Store.RulesVersion(ctx, id, version)
	if errors.Is(err, store.ErrNotFound) {
		return RulesVersionView{}, httperr.NotFound("rules version")
	}
	if err != nil {
		return RulesVersionView{}, err
	}
	view := versionView(v)
	view.Rules = &v.Rules
	view.Changes = []scheme.Change{}
	if version > 1 {
		prev, err := s.Store.RulesVersion(ctx, id, version-1)
		switch {
		case err == nil:
			view.Changes = scheme.Differences(prev.Rules, v.Rules)
		case !errors.Is(err, store.ErrNotFound): // a version from before versions were kept has no predecessor
			return RulesVersionView{}, err
		}
	}
	return view, nil
}

func versionView(v store.RulesVersion) RulesVersionView {
	return RulesVersionView{Version: v.Version, At: v.At, By: v.ActorName, Role: v.ActorRole, Reason: v.Reason}
}

func (s *Server) listAdminSchemes(c *gin.Context) {
	list, err := s.AdminSchemes(c.Request.Context(), currentUser(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"schemes": list})
}

func (s *Server) createAdminScheme(c *gin.Context) {
	u := currentUser(c)
	if err := mayManageSchemes(u); err != nil { // refused before the body is read
		s.fail(c, err)
		return
	}
	var req SchemeRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	view, err := s.CreateScheme(c.Request.Context(), u, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"scheme": view})
}

func (s *Server) getAdminScheme(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	view, err := s.AdminScheme(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"scheme": view})
}

func (s *Server) putAdminScheme(c *gin.Context) {
	u := currentUser(c)
	if err := mayManageSchemes(u); err != nil {
		s.fail(c, err)
		return
	}
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	var req SchemeRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	saved, err := s.EditScheme(c.Request.Context(), u, id, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, saved)
}

func (s *Server) listRulesVersions(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	list, err := s.SchemeRulesVersions(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"versions": list})
}

func (s *Server) getRulesVersion(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	v, err := strconv.Atoi(c.Param("version"))
	if err != nil || v <= 0 {
		s.fail(c, httperr.NotFound("rules version"))
		return
	}
	view, err := s.SchemeRulesVersion(c.Request.Context(), currentUser(c), id, v)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"version": view})
}
