package apiv1

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"grantflow/http/httperr"
	"grantflow/questions"
	"grantflow/scheme"
	"grantflow/schemefile"
	"grantflow/store"
)

// The grassroots form's answers beyond the application's own fields, and the record of a
// submission. What is asked, what a draft may hold and what submission needs are the questions
// package's one definition; this file only reads and writes them.

// FormOf is the form an application in the round answers now: the round's own form, else the
// scheme's (its newest version), with options from the scheme's current rules. A submitted
// application's form is the one in its frozen copy (Submitted).
func (s *Server) FormOf(ctx context.Context, sc store.Scheme, roundID int64) (questions.Form, error) {
	return schemefile.FormOf(ctx, s.Store, sc, roundID)
}

// AnswersOf is every answer of an application, its own fields (the core questions) included,
// as the questions package reads them.
func AnswersOf(app store.Application) (questions.Answers, error) {
	a, err := savedAnswers(app)
	if err != nil {
		return nil, err
	}
	set := func(id string, v any, has bool) {
		if has {
			a.Set(id, v)
		}
	}
	set(questions.CoreTitle, app.Title, app.Title != "")
	set(questions.CorePurpose, app.Purpose, app.Purpose != "")
	set(questions.CoreAmount, app.AmountRequested, app.AmountRequested > 0)
	set(questions.CoreStart, app.ProjectStart.Time.Format(time.DateOnly), app.ProjectStart.Valid)
	set(questions.CoreEnd, app.ProjectEnd.Time.Format(time.DateOnly), app.ProjectEnd.Valid)
	set(questions.CoreAreas, []string(app.Areas), len(app.Areas) > 0)
	set(questions.CorePriorities, []string(app.Priorities), len(app.Priorities) > 0)
	return a, nil
}

// savedAnswers are the answers kept beyond the application's own fields: always an object.
func savedAnswers(app store.Application) (questions.Answers, error) {
	a := questions.Answers{}
	if len(app.AnswersJSON) > 0 {
		if err := json.Unmarshal(app.AnswersJSON, &a); err != nil {
			return nil, fmt.Errorf("application %d: answers: %w", app.ID, err)
		}
	}
	return a, nil
}

// checkAnswers adds what a draft's answers cannot hold to p, naming each field by its path
// ("answers.budget_lines[2].amount_pence").
func checkAnswers(p problems, f questions.Form, sc store.Scheme, a questions.Answers) {
	found := questions.CheckDraft(f, a)
	for _, pr := range found {
		p.add("answers."+pr.Question+pathTail(pr), pr.Reason)
	}
	if sc.Kind != scheme.Grassroots && len(found) == 0 && len(a) > 0 {
		p.add("answers", "is only for grassroots schemes (a service scheme's answers are its service details)")
	}
}

func pathTail(p questions.Problem) string {
	s := ""
	if p.Line >= 0 {
		s += fmt.Sprintf("[%d]", p.Line)
	}
	if p.Column != "" {
		s += "." + p.Column
	}
	return s
}

// incompleteAnswers adds what stops a grassroots application being submitted beyond its own
// fields (which SubmitApplication checks with their own words) to p.
func incompleteAnswers(p problems, f questions.Form, a questions.Answers) {
	for _, pr := range questions.Incomplete(f, a) {
		if pr.Section != questions.ProjectSection {
			p.add(pr.Path(), pr.Reason)
		}
	}
}

// checkUploads adds to p each file answer that is not one of the application's own uploads.
func (s *Server) checkUploads(ctx context.Context, p problems, f questions.Form, app store.Application, a questions.Answers) error {
	for _, sec := range f.Sections {
		for _, q := range sec.Questions {
			if q.Kind != questions.File || !a.Has(q.ID) {
				continue
			}
			up, err := s.Store.Upload(ctx, a.Number(q.ID))
			if errors.Is(err, store.ErrNotFound) || (err == nil && up.ApplicationID != app.ID) {
				p.add("answers."+q.ID, "is not one of this application's uploads")
				continue
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// snapshotOf is the frozen copy of what is being submitted.
func snapshotOf(f questions.Form, app store.Application) ([]byte, error) {
	a, err := AnswersOf(app)
	if err != nil {
		return nil, err
	}
	snap := questions.Snapshot{Form: f, Answers: a}
	if len(app.ServiceJSON) > 0 {
		snap.Service = json.RawMessage(app.ServiceJSON)
	}
	return json.Marshal(snap)
}

// SubmittedCopy is the record of a submission (GET /applications/{id}/submitted): who submitted
// it, when, and the frozen copy of the questions and answers as submitted.
type SubmittedCopy struct {
	ApplicationID int64              `json:"application_id"`
	SubmittedAt   time.Time          `json:"submitted_at"`
	SubmittedBy   SubmittedBy        `json:"submitted_by"`
	Form          questions.Form     `json:"form"`
	Answers       questions.Answers  `json:"answers"`
	Service       json.RawMessage    `json:"service,omitempty"`
	Snapshot      questions.Snapshot `json:"-"`
}

// SubmittedBy is the person who submitted an application.
type SubmittedBy struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Submitted is the record of an application's submission for someone who may see the
// application: not found for anyone else, for a draft, and for an application submitted before
// submissions were recorded.
func (s *Server) Submitted(ctx context.Context, u store.User, id int64) (SubmittedCopy, error) {
	if _, err := s.visible(ctx, u, id); err != nil {
		return SubmittedCopy{}, err
	}
	sub, err := s.Store.Submission(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return SubmittedCopy{}, httperr.NotFound("submitted copy")
	}
	if err != nil {
		return SubmittedCopy{}, err
	}
	var snap questions.Snapshot
	if err := json.Unmarshal(sub.Snapshot, &snap); err != nil {
		return SubmittedCopy{}, fmt.Errorf("submission of application %d: %w", id, err)
	}
	if snap.Answers == nil {
		snap.Answers = questions.Answers{}
	}
	return SubmittedCopy{ApplicationID: id, SubmittedAt: sub.SubmittedAt, SubmittedBy: SubmittedBy{ID: sub.SubmittedBy, Name: sub.ByName},
		Form: snap.Form, Answers: snap.Answers, Service: snap.Service, Snapshot: snap}, nil
}

func (s *Server) getSubmitted(c *gin.Context) {
	id, err := pathID(c, "id")
	if err != nil {
		s.fail(c, httperr.NotFound("application"))
		return
	}
	submitted, err := s.Submitted(c.Request.Context(), currentUser(c), id)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, submitted)
}
