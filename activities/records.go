package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/store"
)

// Records keeps the read model and the audit trail in step with the workflow.
type Records struct {
	Store *store.Store // its outbox turns each notification into its recipients' messages, in the same transaction
}

// RecordStep writes an audit event and moves the application to the step's status.
func (r *Records) RecordStep(ctx context.Context, s Step) error {
	return classify(r.Store.RecordEvent(ctx, event(ctx, s)))
}

// DeclareConflictInput is an assessor's or decider's declaration of interest.
type DeclareConflictInput struct {
	Step        Step
	HasConflict bool
	Details     string
}

// DeclareConflict records the declaration.
func (r *Records) DeclareConflict(ctx context.Context, in DeclareConflictInput) error {
	c := store.Conflict{ApplicationID: in.Step.ApplicationID, UserID: in.Step.Actor.UserID, HasConflict: in.HasConflict, Details: in.Details, DeclaredAt: in.Step.At}
	return classify(r.Store.SaveConflict(ctx, c, event(ctx, in.Step)))
}

// SaveAssessmentInput is one assessor's scored assessment.
type SaveAssessmentInput struct {
	Step           Step
	Round          int
	Scores         json.RawMessage
	Weighted       float64
	Fundable       bool
	Recommendation string
	Comment        string
}

// SaveAssessment records the scores and the weighted total.
func (r *Records) SaveAssessment(ctx context.Context, in SaveAssessmentInput) error {
	a := store.Assessment{ApplicationID: in.Step.ApplicationID, Round: in.Round, AssessorID: in.Step.Actor.UserID, Scores: in.Scores,
		Weighted: in.Weighted, Fundable: in.Fundable, Recommendation: in.Recommendation, Comment: in.Comment, SubmittedAt: in.Step.At}
	return classify(r.Store.SaveAssessment(ctx, a, event(ctx, in.Step)))
}

// AskForInformationInput is a question put to the applicant.
type AskForInformationInput struct {
	Step     Step
	Seq      int
	Question string
	Deadline time.Time
}

// AskForInformation records the question and its deadline.
func (r *Records) AskForInformation(ctx context.Context, in AskForInformationInput) error {
	q := store.InformationRequest{ApplicationID: in.Step.ApplicationID, Seq: in.Seq, Question: in.Question, Deadline: in.Deadline,
		AskedBy: in.Step.Actor.UserID, AskedAt: in.Step.At}
	return classify(r.Store.SaveInformationRequest(ctx, q, event(ctx, in.Step)))
}

// CloseInformationRequestInput carries the applicant's answer, or none when the deadline passed.
type CloseInformationRequestInput struct {
	Step   Step
	Seq    int
	Answer *string
}

// CloseInformationRequest records the answer or the lapse.
func (r *Records) CloseInformationRequest(ctx context.Context, in CloseInformationRequestInput) error {
	return classify(r.Store.CloseInformationRequest(ctx, in.Step.ApplicationID, in.Seq, in.Answer, in.Step.At, event(ctx, in.Step)))
}

// DeclineInput is a decision not to fund, with the reasons the applicant will read.
type DeclineInput struct {
	Step    Step
	Reasons []string
}

// Decline records the decision.
func (r *Records) Decline(ctx context.Context, in DeclineInput) error {
	return classify(r.Store.SaveDecline(ctx, in.Step.ApplicationID, in.Reasons, in.Step.Actor.UserID, in.Step.At, event(ctx, in.Step)))
}

// SubmitReportInput is an end-of-grant report.
type SubmitReportInput struct {
	Step     Step
	Version  int
	Summary  string
	Outcomes string
	Spent    money.Pence
	// Beneficiaries are who the project reached (end-of-grant reports; none before they were asked).
	Beneficiaries []grant.BeneficiaryCount
}

// SubmitReport records a report version.
func (r *Records) SubmitReport(ctx context.Context, in SubmitReportInput) error {
	reached, err := json.Marshal(in.Beneficiaries)
	if in.Beneficiaries == nil {
		reached = []byte("[]")
	}
	if err != nil {
		return fmt.Errorf("report %d of application %d: beneficiaries: %w", in.Version, in.Step.ApplicationID, err)
	}
	rep := store.GrantReport{ApplicationID: in.Step.ApplicationID, Version: in.Version, Summary: in.Summary, Outcomes: in.Outcomes,
		Spent: in.Spent, Beneficiaries: reached, SubmittedBy: in.Step.Actor.UserID, SubmittedAt: in.Step.At}
	return classify(r.Store.SaveGrantReport(ctx, rep, event(ctx, in.Step)))
}

// ReviewReportInput is the officer's review of a report version.
type ReviewReportInput struct {
	Step    Step
	Version int
	Outcome string
	Comment string
}

// ReviewReport records the review.
func (r *Records) ReviewReport(ctx context.Context, in ReviewReportInput) error {
	return classify(r.Store.ReviewGrantReport(ctx, in.Step.ApplicationID, in.Version, in.Outcome, in.Comment, in.Step.Actor.UserID, event(ctx, in.Step)))
}

// FlagReportOverdueInput marks the end-of-grant report overdue.
type FlagReportOverdueInput struct {
	Step    Step
	Overdue bool
}

// FlagReportOverdue sets the overdue flag that officers' lists show.
func (r *Records) FlagReportOverdue(ctx context.Context, in FlagReportOverdueInput) error {
	return classify(r.Store.SetReportOverdue(ctx, in.Step.ApplicationID, in.Overdue, event(ctx, in.Step)))
}

// NotifyInput is a reminder or escalation.
type NotifyInput struct {
	ApplicationID int64
	Key           string // unique per reminder, e.g. "application-7/acceptance-reminder"
	Audience      string // "applicant", "finance", a staff role such as "officer", "user:<id>", or several joined with "+" (see store.recipients)
	Kind          string
	Message       string
	At            time.Time
	// PaymentDue, when set, is finance's notice that a payment is due: the message is written
	// here, naming the organisation to pay from the read model (the workflow knows only its id).
	PaymentDue *PaymentDue
}

// PaymentDue is what finance is told to pay once an offer is accepted.
type PaymentDue struct {
	AwardReference string
	Amount         money.Pence
}

// Notify records the notification once per key, with one message per recipient.
func (r *Records) Notify(ctx context.Context, in NotifyInput) error {
	msg := in.Message
	if in.PaymentDue != nil {
		app, err := r.Store.Application(ctx, in.ApplicationID)
		if err != nil {
			return classify(err)
		}
		msg = fmt.Sprintf("%s accepted: pay %s to %s.", in.PaymentDue.AwardReference, in.PaymentDue.Amount, app.Organisation)
	}
	return classify(r.Store.Notify(ctx, store.Notification{Key: in.Key, ApplicationID: in.ApplicationID, Audience: in.Audience,
		Kind: in.Kind, Message: msg, CreatedAt: in.At}))
}
