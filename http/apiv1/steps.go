package apiv1

import (
	"fmt"
	"grantflow/http/httperr"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"grantflow/money"
	"grantflow/scheme"
	"grantflow/workflows"
)

// Each human step is a Temporal update: the workflow's validator refuses a wrong person, stage or
// value before anything is recorded, and that refusal comes back here as a 4xx.

// step sends one update for the application in the path and answers with the application as it now stands.
func (s *Server) step(c *gin.Context, update string, build func(actor workflows.Actor) (any, error)) {
	app, u, err := s.loadVisible(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	// Not app.WorkflowID: the workflow's first event can move the status on before submit's MarkSubmitted
	// (which only updates a draft) records it, leaving it empty; the id is deterministic anyway.
	if app.Status == string(workflows.StageDraft) {
		s.fail(c, errWrongStage("the application has not been submitted"))
		return
	}
	arg, err := build(actorOf(u))
	if err != nil {
		s.fail(c, err)
		return
	}
	handle, err := s.Temporal.UpdateWorkflow(c.Request.Context(), client.UpdateWorkflowOptions{
		WorkflowID: workflows.ApplicationWorkflowID(app.ID), UpdateName: update, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		s.fail(c, err)
		return
	}
	var result workflows.UpdateResult
	if err := handle.Get(c.Request.Context(), &result); err != nil {
		s.fail(c, err)
		return
	}
	d, err := s.detail(c, app.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{"result": result, "application": d})
}

// withBody binds the JSON body into req before building the update argument.
func withBody[T any](c *gin.Context, make func(workflows.Actor, T) (any, error)) func(workflows.Actor) (any, error) {
	return func(a workflows.Actor) (any, error) {
		var req T
		if err := bind(c, &req); err != nil {
			return nil, err
		}
		return make(a, req)
	}
}

type conflictRequest struct {
	HasConflict bool   `json:"has_conflict"`
	Details     string `json:"details"`
}

func (s *Server) declareConflict(c *gin.Context) {
	s.step(c, workflows.UpdateDeclareConflict, withBody(c, func(a workflows.Actor, r conflictRequest) (any, error) {
		p := problems{}
		p.maxLen("details", r.Details, 5000)
		return workflows.DeclareConflictRequest{Actor: a, HasConflict: r.HasConflict, Details: r.Details}, p.err()
	}))
}

type assessmentRequest struct {
	NoConflict     bool              `json:"no_conflict"`
	Scores         []workflows.Score `json:"scores"`
	Recommendation string            `json:"recommendation"`
	Comment        string            `json:"comment"`
}

func (s *Server) assess(c *gin.Context) {
	s.step(c, workflows.UpdateAssess, withBody(c, func(a workflows.Actor, r assessmentRequest) (any, error) {
		p := problems{}
		for i, sc := range r.Scores {
			p.maxLen(fmt.Sprintf("scores[%d].comment", i), sc.Comment, 5000)
		}
		p.maxLen("comment", r.Comment, 10000)
		return workflows.AssessRequest{Actor: a, NoConflict: r.NoConflict, Scores: r.Scores, Recommendation: r.Recommendation, Comment: r.Comment}, p.err()
	}))
}

type decisionRequest struct {
	Outcome        string      `json:"outcome"`
	Amount         money.Pence `json:"amount_pence"`
	Purpose        string      `json:"purpose"`
	Conditions     []string    `json:"conditions"`
	Reasons        string      `json:"reasons"`
	DeclineReasons []string    `json:"decline_reasons"`
	Question       string      `json:"question"`
	Deadline       string      `json:"deadline"`
}

func (s *Server) decide(c *gin.Context) {
	kind, err := s.kindOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.step(c, workflows.UpdateDecide, withBody(c, func(a workflows.Actor, r decisionRequest) (any, error) {
		p := problems{}
		if kind == scheme.Service { // the award's terms come from the moderated recommendation
			p.eachMaxLen("decline_reasons", r.DeclineReasons, 5000)
			return workflows.ServiceDecideRequest{Actor: a, Outcome: r.Outcome, Declined: r.DeclineReasons}, p.err()
		}
		d := workflows.DecideRequest{Actor: a, Outcome: r.Outcome, Amount: r.Amount, Purpose: r.Purpose, Conditions: r.Conditions,
			Reasons: r.Reasons, Declined: r.DeclineReasons, Question: r.Question}
		if r.Outcome == workflows.OutcomeRequestInformation {
			if r.Deadline == "" {
				p.add("deadline", "is required")
			} else if t := p.date("deadline", r.Deadline); t != nil {
				d.Deadline = time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, scheme.London) // the end of that day
			}
		}
		p.maxLen("purpose", r.Purpose, 5000)
		p.maxLen("reasons", r.Reasons, 5000)
		p.maxLen("question", r.Question, 5000)
		p.eachMaxLen("conditions", r.Conditions, 5000)
		p.eachMaxLen("decline_reasons", r.DeclineReasons, 5000)
		return d, p.err()
	}))
}

type answerRequest struct {
	Answer string `json:"answer"`
}

func (s *Server) answerInformation(c *gin.Context) {
	kind, err := s.kindOf(c)
	if err == nil && kind != scheme.Grassroots {
		err = httperr.Conflict("wrong_scheme", "information requests are part of one-off grant applications only")
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.step(c, workflows.UpdateAnswerInformation, withBody(c, func(a workflows.Actor, r answerRequest) (any, error) {
		p := problems{}
		p.maxLen("answer", r.Answer, 10000)
		return workflows.AnswerInformationRequest{Actor: a, Answer: strings.TrimSpace(r.Answer)}, p.err()
	}))
}

func (s *Server) acceptOffer(c *gin.Context) {
	s.step(c, workflows.UpdateAcceptOffer, func(a workflows.Actor) (any, error) {
		return workflows.AcceptOfferRequest{Actor: a}, nil
	})
}

type paymentRequest struct {
	Tranche   int         `json:"tranche"` // service awards: which tranche was paid
	Amount    money.Pence `json:"amount_pence"`
	PaidOn    string      `json:"paid_on"`
	Reference string      `json:"reference"`
}

func (s *Server) recordPayment(c *gin.Context) {
	kind, err := s.kindOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	update := workflows.UpdateRecordPayment
	if kind == scheme.Service {
		update = workflows.UpdateRecordTranche
	}
	s.step(c, update, withBody(c, func(a workflows.Actor, r paymentRequest) (any, error) {
		p := problems{}
		p.amount("amount_pence", r.Amount)
		p.required("paid_on", r.PaidOn)
		p.maxLen("reference", r.Reference, 100)
		var paidOn time.Time
		if t := p.date("paid_on", r.PaidOn); t != nil {
			paidOn = *t
		}
		if kind == scheme.Service {
			if r.Tranche <= 0 {
				p.add("tranche", "give the number of the tranche paid")
			}
			return workflows.RecordTranchePaymentRequest{Actor: a, Tranche: r.Tranche, Amount: r.Amount, PaidOn: paidOn, Reference: strings.TrimSpace(r.Reference)}, p.err()
		}
		return workflows.RecordPaymentRequest{Actor: a, Amount: r.Amount, PaidOn: paidOn, Reference: strings.TrimSpace(r.Reference)}, p.err()
	}))
}

type reportRequest struct {
	Summary  string      `json:"summary"`
	Outcomes string      `json:"outcomes"`
	Spent    money.Pence `json:"spent_pence"`
}

// submitReport takes the end-of-grant report (one-off grants) or the final report (service awards).
func (s *Server) submitReport(c *gin.Context) {
	kind, err := s.kindOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	update := workflows.UpdateSubmitReport
	if kind == scheme.Service {
		update = workflows.UpdateSubmitFinalReport
	}
	s.step(c, update, withBody(c, func(a workflows.Actor, r reportRequest) (any, error) {
		p := problems{}
		p.maxLen("summary", r.Summary, 10000)
		p.maxLen("outcomes", r.Outcomes, 10000)
		return workflows.SubmitReportRequest{Actor: a, Summary: r.Summary, Outcomes: r.Outcomes, Spent: r.Spent}, p.err()
	}))
}

type reviewRequest struct {
	Outcome string `json:"outcome"`
	Comment string `json:"comment"`
}

func (s *Server) reviewReport(c *gin.Context) {
	kind, err := s.kindOf(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	update := workflows.UpdateReviewReport
	if kind == scheme.Service {
		update = workflows.UpdateReviewFinalReport
	}
	s.step(c, update, withBody(c, func(a workflows.Actor, r reviewRequest) (any, error) {
		p := problems{}
		p.maxLen("comment", r.Comment, 10000)
		return workflows.ReviewReportRequest{Actor: a, Outcome: r.Outcome, Comment: r.Comment}, p.err()
	}))
}
