package apiv1

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"grantflow/http/httperr"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// Each human step is a Temporal update: the workflow's validator refuses a wrong person, stage or
// value before anything is recorded, and that refusal comes back as a 4xx.
//
// Every step is an exported method taking the person, the application and a request value, so
// that the web pages drive applications through exactly the code the endpoints use; the
// handlers only read the path and the JSON body.

// Step sends one update for an application the person may see. build gets the scheme's kind and
// the person as an actor and returns the update's name and argument, or the request's problems.
// It waits for the workflow no longer than the step deadline (underStepDeadline).
func (s *Server) Step(ctx context.Context, u store.User, id int64, build func(kind scheme.Kind, a workflows.Actor) (string, any, error)) (workflows.UpdateResult, error) {
	return underStepDeadline(s, ctx, func(ctx context.Context) (workflows.UpdateResult, error) { return s.step(ctx, u, id, build) })
}

func (s *Server) step(ctx context.Context, u store.User, id int64, build func(kind scheme.Kind, a workflows.Actor) (string, any, error)) (workflows.UpdateResult, error) {
	app, err := s.visible(ctx, u, id)
	if err != nil {
		return workflows.UpdateResult{}, err
	}
	// Not app.WorkflowID: the workflow's first event can move the status on before submit's MarkSubmitted
	// (which only updates a draft) records it, leaving it empty; the id is deterministic anyway.
	if app.Status == string(workflows.StageDraft) {
		return workflows.UpdateResult{}, errWrongStage("the application has not been submitted")
	}
	sc, err := s.Store.Scheme(ctx, app.SchemeID)
	if err != nil {
		return workflows.UpdateResult{}, err
	}
	update, arg, err := build(sc.Kind, ActorOf(u))
	if err != nil {
		return workflows.UpdateResult{}, err
	}
	// Sent once: while the read model shows a stage the workflow has not reached (an activity is
	// publishing it), the workflow itself admits a step taken at that stage and holds it until it
	// gets there (admitAhead, version admit-steps-ahead in workflows/application.go), so nothing
	// here waits or sends it again.
	return s.sendStep(ctx, app.ID, update, arg)
}

func (s *Server) sendStep(ctx context.Context, id int64, update string, arg any) (workflows.UpdateResult, error) {
	handle, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: workflows.ApplicationWorkflowID(id), UpdateID: stepUpdateID(ctx, update), UpdateName: update, Args: []any{arg},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return workflows.UpdateResult{}, err
	}
	var result workflows.UpdateResult
	err = handle.Get(ctx, &result)
	return result, err
}

// visible reads an application the person may see; another organisation's is simply not found.
func (s *Server) visible(ctx context.Context, u store.User, id int64) (store.Application, error) {
	app, err := s.Store.Application(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !mayView(u, app)) {
		return store.Application{}, httperr.NotFound("application")
	}
	return app, err
}

// serviceOnly refuses a step that service (multi-year) awards alone have.
func serviceOnly(kind scheme.Kind) error {
	if kind != scheme.Service {
		return httperr.Conflict("wrong_scheme", "this step is for service (multi-year) awards only")
	}
	return nil
}

// stepHandler serves a step whose request is the JSON body: the application must be visible
// before the body is read, so nothing is said about another organisation's application. The
// step's effect is the workflow's update (store.EffectInWorkflow): a repeat under its
// Idempotency-Key sends it again and joins the first.
func stepHandler[T any](s *Server, do func(context.Context, store.User, int64, T) (workflows.UpdateResult, error)) gin.HandlerFunc {
	return func(c *gin.Context) {
		app, u, err := s.loadVisible(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		var req T
		if err := bind(c, &req); err != nil {
			s.fail(c, err)
			return
		}
		s.respondStep(c, app.ID)(do(store.EffectInWorkflow(c.Request.Context()), u, app.ID, req))
	}
}

// respondStep answers with the update's result and the application as it now stands.
func (s *Server) respondStep(c *gin.Context, id int64) func(workflows.UpdateResult, error) {
	return func(result workflows.UpdateResult, err error) {
		if err != nil {
			s.fail(c, err)
			return
		}
		d, err := s.Application(c.Request.Context(), currentUser(c), id)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"result": result, "application": d})
	}
}

// ConflictRequest declares whether an assessor has a conflict of interest.
type ConflictRequest struct {
	HasConflict bool   `json:"has_conflict"`
	Details     string `json:"details"`
}

// DeclareConflict records a conflict declaration.
func (s *Server) DeclareConflict(ctx context.Context, u store.User, id int64, r ConflictRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(_ scheme.Kind, a workflows.Actor) (string, any, error) {
		p := problems{}
		p.maxLen("details", r.Details, 5000)
		return workflows.UpdateDeclareConflict, workflows.DeclareConflictRequest{Actor: a, HasConflict: r.HasConflict, Details: r.Details}, p.err()
	})
}

// AssessmentRequest is an assessor's scores and recommendation.
type AssessmentRequest struct {
	NoConflict     bool              `json:"no_conflict"`
	Scores         []workflows.Score `json:"scores"`
	Recommendation string            `json:"recommendation"`
	Comment        string            `json:"comment"`
}

// Assess records an assessment.
func (s *Server) Assess(ctx context.Context, u store.User, id int64, r AssessmentRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(_ scheme.Kind, a workflows.Actor) (string, any, error) {
		p := problems{}
		for i, sc := range r.Scores {
			p.maxLen(fmt.Sprintf("scores[%d].comment", i), sc.Comment, 5000)
		}
		p.maxLen("comment", r.Comment, 10000)
		return workflows.UpdateAssess, workflows.AssessRequest{Actor: a, NoConflict: r.NoConflict, Scores: r.Scores, Recommendation: r.Recommendation, Comment: r.Comment}, p.err()
	})
}

// DecisionRequest approves, declines or (one-off grants) asks for more information. A service
// award's terms come from the moderated recommendation, so only the outcome and any decline
// reasons apply to it.
type DecisionRequest struct {
	NoConflict     bool        `json:"no_conflict"` // the decider declares no conflict of interest
	Outcome        string      `json:"outcome"`
	Amount         money.Pence `json:"amount_pence"`
	Purpose        string      `json:"purpose"`
	Conditions     []string    `json:"conditions"`
	Reasons        string      `json:"reasons"`
	DeclineReasons []string    `json:"decline_reasons"`
	Question       string      `json:"question"`
	Deadline       string      `json:"deadline"`
}

// Decide records a decision.
func (s *Server) Decide(ctx context.Context, u store.User, id int64, r DecisionRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		p := problems{}
		if kind == scheme.Service {
			p.eachMaxLen("decline_reasons", r.DeclineReasons, 5000)
			return workflows.UpdateDecide, workflows.ServiceDecideRequest{Actor: a, NoConflict: r.NoConflict, Outcome: r.Outcome, Declined: r.DeclineReasons}, p.err()
		}
		d := workflows.DecideRequest{Actor: a, NoConflict: r.NoConflict, Outcome: r.Outcome, Amount: r.Amount, Purpose: r.Purpose, Conditions: r.Conditions,
			Reasons: r.Reasons, Declined: r.DeclineReasons, Question: r.Question}
		if r.Outcome == workflows.OutcomeRequestInformation {
			if r.Deadline == "" {
				p.add("deadline", "is required")
			} else if t := p.date("deadline", r.Deadline); t != nil {
				d.Deadline = endOfLondonDay(*t)
			}
		}
		p.maxLen("purpose", r.Purpose, 5000)
		p.maxLen("reasons", r.Reasons, 5000)
		p.maxLen("question", r.Question, 5000)
		p.eachMaxLen("conditions", r.Conditions, 5000)
		p.eachMaxLen("decline_reasons", r.DeclineReasons, 5000)
		return workflows.UpdateDecide, d, p.err()
	})
}

// AnswerRequest answers an information request.
type AnswerRequest struct {
	Answer string `json:"answer"`
}

// AnswerInformation sends the applicant's answer (one-off grants only).
func (s *Server) AnswerInformation(ctx context.Context, u store.User, id int64, r AnswerRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		if kind != scheme.Grassroots {
			return "", nil, httperr.Conflict("wrong_scheme", "information requests are part of one-off grant applications only")
		}
		p := problems{}
		p.maxLen("answer", r.Answer, 10000)
		return workflows.UpdateAnswerInformation, workflows.AnswerInformationRequest{Actor: a, Answer: strings.TrimSpace(r.Answer)}, p.err()
	})
}

// PaymentRequest records a payment made: the grant, or one tranche of a service award.
type PaymentRequest struct {
	Tranche   int         `json:"tranche"` // service awards: which tranche was paid
	Amount    money.Pence `json:"amount_pence"`
	PaidOn    string      `json:"paid_on"`
	Reference string      `json:"reference"`
}

// RecordPayment records a payment finance has made.
func (s *Server) RecordPayment(ctx context.Context, u store.User, id int64, r PaymentRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		p := problems{}
		p.amount("amount_pence", r.Amount)
		p.required("paid_on", r.PaidOn)
		p.maxLen("reference", r.Reference, 100)
		var paidOn time.Time
		if t := p.date("paid_on", r.PaidOn); t != nil {
			paidOn = *t
		}
		if kind == scheme.Service && r.Tranche <= 0 {
			p.add("tranche", "give the number of the tranche paid")
		}
		if err := p.err(); err != nil {
			return "", nil, err
		}
		if u.Role == scheme.RoleFinance { // others are refused by the workflow's rules, as before
			if err := s.refuseWhileBankChangeHeld(ctx, id); err != nil {
				return "", nil, err
			}
		}
		if kind == scheme.Service {
			return workflows.UpdateRecordTranche, workflows.RecordTranchePaymentRequest{Actor: a, Tranche: r.Tranche, Amount: r.Amount, PaidOn: paidOn, Reference: strings.TrimSpace(r.Reference)}, p.err()
		}
		return workflows.UpdateRecordPayment, workflows.RecordPaymentRequest{Actor: a, Amount: r.Amount, PaidOn: paidOn, Reference: strings.TrimSpace(r.Reference)}, p.err()
	})
}

// ReportRequest is the end-of-grant report (one-off grants) or the final report (service awards).
type ReportRequest struct {
	Summary  string      `json:"summary"`
	Outcomes string      `json:"outcomes"`
	Spent    money.Pence `json:"spent_pence"`
	// Beneficiaries are who a grassroots project reached, by area, ward and age band; a service's
	// final report has none (its quarterly returns counted them).
	Beneficiaries []workflows.BeneficiaryCount `json:"beneficiaries"`
}

// SubmitReport sends the report.
func (s *Server) SubmitReport(ctx context.Context, u store.User, id int64, r ReportRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		p := problems{}
		p.maxLen("summary", r.Summary, 10000)
		p.maxLen("outcomes", r.Outcomes, 10000)
		if len(r.Beneficiaries) > 500 {
			p.add("beneficiaries", "lists too many rows")
		}
		update := workflows.UpdateSubmitReport
		if kind == scheme.Service {
			update = workflows.UpdateSubmitFinalReport
		}
		return update, workflows.SubmitReportRequest{Actor: a, Summary: r.Summary, Outcomes: r.Outcomes, Spent: r.Spent, Beneficiaries: r.Beneficiaries}, p.err()
	})
}

// ReviewRequest is an officer's review of a report.
type ReviewRequest struct {
	Outcome string `json:"outcome"`
	Comment string `json:"comment"`
}

// ReviewReport accepts a report or sends it back.
func (s *Server) ReviewReport(ctx context.Context, u store.User, id int64, r ReviewRequest) (workflows.UpdateResult, error) {
	return s.Step(ctx, u, id, func(kind scheme.Kind, a workflows.Actor) (string, any, error) {
		p := problems{}
		p.maxLen("comment", r.Comment, 10000)
		update := workflows.UpdateReviewReport
		if kind == scheme.Service {
			update = workflows.UpdateReviewFinalReport
		}
		return update, workflows.ReviewReportRequest{Actor: a, Outcome: r.Outcome, Comment: r.Comment}, p.err()
	})
}
