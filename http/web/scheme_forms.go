package web

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"grantflow/http/apiv1"
	"grantflow/http/httperr"
)

// A scheme's application form for those who manage schemes: a preview of every section as an
// applicant will see it, and the definition as YAML to edit, saved as a new version with a reason
// (the API's SchemeForm and SaveSchemeForm; its problems are shown by their path).

const (
	fFormYAML   = "form-yaml"
	fFormReason = "form-reason"
)

type schemeFormPage struct {
	View   apiv1.SchemeFormView
	Action string
	Saved  bool
}

func schemeFormPath(id int64) string { return fmt.Sprintf("/admin/schemes/%d/form", id) }

// fFormRound names the round whose own form is edited; empty: the scheme's.
const fFormRound = "form-round"

// formRound reads the round of the form edited: none, or a round's id.
func formRound(v string) (int64, bool) {
	if v == "" {
		return 0, true
	}
	id, err := strconv.ParseInt(v, 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) schemeFormPage(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	round, ok := formRound(c.Query("round"))
	if !ok {
		s.notFound(c)
		return
	}
	v, err := s.opts.API.RoundForm(c.Request.Context(), u, id, round)
	if err != nil {
		s.failRead(c, err)
		return
	}
	f := &form{values: map[string][]string{fFormYAML: {v.YAML}, fFormRound: {c.Query("round")}}}
	s.render(c, http.StatusOK, "scheme-form", page{Title: v.Scheme + " application form", Nav: "work", Form: f,
		Data: schemeFormPage{View: v, Action: schemeFormPath(id), Saved: c.Query("saved") != ""}})
}

func (s *Server) saveSchemeForm(c *gin.Context) {
	id, ok := s.pathID(c)
	if !ok {
		return
	}
	u, _ := currentUser(c)
	ctx := c.Request.Context()
	f := readForm(c)
	round, ok := formRound(f.Value(fFormRound))
	if !ok {
		s.notFound(c)
		return
	}
	v, err := s.opts.API.RoundForm(ctx, u, id, round)
	if err != nil {
		s.failRead(c, err)
		return
	}
	if !f.invalid() {
		_, err = s.opts.API.SaveSchemeForm(ctx, u, id, apiv1.SchemeFormRequest{YAML: f.values.Get(fFormYAML), Reason: f.Value(fFormReason), RoundID: round})
		if err == nil {
			saved := schemeFormPath(id) + "?saved=1"
			if round != 0 {
				saved = fmt.Sprintf("%s?round=%d&saved=1", schemeFormPath(id), round)
			}
			c.Redirect(http.StatusSeeOther, saved)
			return
		}
		he := httperr.From(err)
		if he.Status >= 500 || len(he.Fields) == 0 {
			s.failRead(c, err)
			return
		}
		if reason, ok := he.Fields["reason"]; ok {
			f.add(fFormReason, "Reason "+reason)
		}
		var paths []string
		for path := range he.Fields {
			if path != "reason" {
				paths = append(paths, path)
			}
		}
		slices.Sort(paths)
		msgs := make([]string, len(paths))
		for i, path := range paths {
			msgs[i] = path + ": " + he.Fields[path]
		}
		if len(msgs) > 0 { // every problem, each by its path, on the one field
			f.add(fFormYAML, "Fix the form definition: "+strings.Join(msgs, "; "))
		}
	}
	s.render(c, http.StatusUnprocessableEntity, "scheme-form", page{Title: v.Scheme + " application form", Nav: "work", Form: f,
		Data: schemeFormPage{View: v, Action: schemeFormPath(id)}})
}

// kindName is how the preview names a question's kind.
func kindName(k string) string {
	return map[string]string{"text": "Short text", "textarea": "Long text", "number": "Number", "money": "Money", "choice": "Single choice",
		"checkboxes": "Multiple choice", "yes_no": "Yes or no", "date": "Date", "confirm": "Declaration", "lines": "Table", "file": "File upload"}[strings.TrimSpace(k)]
}
