package apiv1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"sigs.k8s.io/yaml"

	"grantflow/http/httperr"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/schemefile"
	"grantflow/store"
)

// A scheme's application form for those who manage schemes (scheme.Role.ManagesSchemes): GET
// /admin/schemes/{id}/form reads it, PUT saves a new version with a reason. The form is checked
// as a definition file's is (schemefile), each problem named by its path.

// SchemeFormView is a scheme's current form: as saved (Form, and the same as YAML for editing),
// as an applicant sees it under the current rules (Preview), and its versions.
type SchemeFormView struct {
	SchemeID int64              `json:"scheme_id"`
	Scheme   string             `json:"scheme"`
	Kind     string             `json:"kind"`
	Version  int                `json:"version"` // 0: never saved, the kind's default form
	Form     questions.Form     `json:"form"`
	YAML     string             `json:"yaml"`
	Preview  questions.Form     `json:"preview"`
	History  []SchemeFormChange `json:"history"`
	// RoundID is the round whose form this is (0: the scheme's, which rounds without their own use);
	// Rounds are the scheme's rounds, any of which may have a form of its own.
	RoundID int64         `json:"round_id,omitempty"`
	Rounds  []RoundChoice `json:"rounds"`
}

// RoundChoice names one of a scheme's rounds.
type RoundChoice struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// SchemeFormChange is one saved version of the form.
type SchemeFormChange struct {
	Version   int    `json:"version"`
	RoundID   *int64 `json:"round_id,omitempty"`
	CreatedAt string `json:"created_at"`
	CreatedBy string `json:"created_by"`
	Reason    string `json:"reason"`
}

// SchemeFormRequest saves a new version: the form as JSON (form) or as YAML text (yaml), and why.
type SchemeFormRequest struct {
	Form   json.RawMessage `json:"form,omitempty"`
	YAML   string          `json:"yaml,omitempty"`
	Reason string          `json:"reason"`
	// RoundID, when set, makes the form that round's own: its drafts answer it instead of the
	// scheme's (applications already submitted keep the form they were submitted under).
	RoundID int64 `json:"round_id,omitempty"`
}

func (s *Server) schemeForManager(ctx context.Context, u store.User, id int64) (store.Scheme, error) {
	if !u.Role.ManagesSchemes() {
		return store.Scheme{}, httperr.Forbidden("your role (" + string(u.Role) + ") cannot manage schemes")
	}
	sc, err := s.Store.Scheme(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return sc, httperr.NotFound("scheme")
	}
	return sc, err
}

// SchemeForm is GET /admin/schemes/{id}/form without HTTP, for the pages too.
func (s *Server) SchemeForm(ctx context.Context, u store.User, id int64) (SchemeFormView, error) {
	return s.RoundForm(ctx, u, id, 0)
}

// RoundForm is the form a round's drafts answer (its own, else the scheme's); round 0 is the
// scheme's. A round of another scheme is not found.
func (s *Server) RoundForm(ctx context.Context, u store.User, id, roundID int64) (SchemeFormView, error) {
	sc, err := s.schemeForManager(ctx, u, id)
	if err != nil {
		return SchemeFormView{}, err
	}
	rounds, err := s.Store.Rounds(ctx, sc.ID)
	if err != nil {
		return SchemeFormView{}, err
	}
	choices := []RoundChoice{}
	for _, r := range rounds {
		choices = append(choices, RoundChoice{ID: r.ID, Name: r.Name})
	}
	if roundID != 0 && !slices.ContainsFunc(choices, func(r RoundChoice) bool { return r.ID == roundID }) {
		return SchemeFormView{}, httperr.NotFound("round")
	}
	f, version, err := schemefile.StoredForm(ctx, s.Store, sc, roundID)
	if err != nil {
		return SchemeFormView{}, err
	}
	js, err := json.Marshal(f)
	if err != nil {
		return SchemeFormView{}, err
	}
	y, err := yaml.JSONToYAML(js)
	if err != nil {
		return SchemeFormView{}, err
	}
	v := SchemeFormView{SchemeID: sc.ID, Scheme: sc.Name, Kind: string(sc.Kind), Version: version, Form: f, YAML: string(y),
		Preview: f.Resolve(sc.Rules), History: []SchemeFormChange{}, RoundID: roundID, Rounds: choices}
	history, err := s.Store.SchemeForms(ctx, sc.ID)
	if err != nil {
		return SchemeFormView{}, err
	}
	for _, h := range history {
		v.History = append(v.History, SchemeFormChange{Version: h.Version, RoundID: h.RoundID, CreatedAt: h.CreatedAt.In(scheme.London).Format("2 January 2006 15:04"),
			CreatedBy: h.CreatedBy, Reason: h.Reason})
	}
	return v, nil
}

// maxFormYAML bounds a form sent as YAML: many times the longest real form.
const maxFormYAML = 200000

// SaveSchemeForm is PUT /admin/schemes/{id}/form without HTTP: 422 naming each problem by its
// path ("form.sections[2].questions[0].options") and saving nothing while any remains.
func (s *Server) SaveSchemeForm(ctx context.Context, u store.User, id int64, req SchemeFormRequest) (SchemeFormView, error) {
	sc, err := s.schemeForManager(ctx, u, id)
	if err != nil {
		return SchemeFormView{}, err
	}
	p := problems{}
	if req.RoundID != 0 {
		if r, err := s.Store.Round(ctx, req.RoundID); err != nil || r.SchemeID != sc.ID {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return SchemeFormView{}, err
			}
			p.add("round_id", "is not a round of this scheme")
		}
	}
	reason := strings.TrimSpace(req.Reason)
	switch {
	case reason == "":
		p.add("reason", "is required: say why the form changes")
	case utf8.RuneCountInString(reason) > 1000:
		p.add("reason", "must be at most 1000 characters")
	case strings.ContainsRune(reason, 0):
		p.add("reason", "must be ordinary text")
	}
	// The YAML's own faults first: a form that cannot be read has no other problems to name.
	switch {
	case utf8.RuneCountInString(req.YAML) > maxFormYAML:
		return SchemeFormView{}, httperr.Field("yaml", fmt.Sprintf("must be at most %d characters", maxFormYAML))
	case strings.ContainsRune(req.YAML, 0):
		return SchemeFormView{}, httperr.Field("yaml", "must be ordinary text")
	}
	var f questions.Form
	var perr error
	switch {
	case len(req.Form) > 0 && req.YAML != "":
		p.add("form", "send the form as form or as yaml, not both")
	case len(req.Form) > 0:
		f, perr = schemefile.ParseForm(req.Form)
	case strings.TrimSpace(req.YAML) != "":
		f, perr = schemefile.ParseForm([]byte(req.YAML))
	default:
		p.add("form", "is required (or yaml)")
	}
	var fp schemefile.Problems
	switch {
	case errors.As(perr, &fp):
		for _, pr := range fp {
			p.add(pathOr(pr.Path, "form"), pr.Reason)
		}
	case perr != nil:
		return SchemeFormView{}, perr
	case len(p) == 0 || len(req.Form) > 0 || req.YAML != "":
		for _, pr := range schemefile.FormProblems(sc.Rules, f, "form") {
			p.add(pr.Path, pr.Reason)
		}
	}
	if err := p.err(); err != nil {
		return SchemeFormView{}, err
	}
	def, err := json.Marshal(f)
	if err != nil {
		return SchemeFormView{}, err
	}
	if _, _, err := s.Store.SaveSchemeForm(ctx, sc.ID, req.RoundID, def, store.ActorOf(u), s.now(), reason); err != nil {
		return SchemeFormView{}, err
	}
	return s.RoundForm(ctx, u, id, req.RoundID)
}

func pathOr(path, def string) string {
	if path == "" {
		return def
	}
	return path
}

func (s *Server) getSchemeForm(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	var round int64
	if q := c.Query("round_id"); q != "" {
		if round, err = strconv.ParseInt(q, 10, 64); err != nil || round <= 0 {
			s.fail(c, httperr.Field("round_id", "must be the id of one of the scheme's rounds"))
			return
		}
	}
	v, err := s.RoundForm(c.Request.Context(), currentUser(c), id, round)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (s *Server) putSchemeForm(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("scheme"))
		return
	}
	u := currentUser(c)
	if _, err := s.schemeForManager(c.Request.Context(), u, id); err != nil { // before reading the body
		s.fail(c, err)
		return
	}
	var req SchemeFormRequest
	if err := bind(c, &req); err != nil {
		s.fail(c, err)
		return
	}
	v, err := s.SaveSchemeForm(c.Request.Context(), u, id, req)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}
