package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

// ---- Contract: what callers of the grassroots workflow need ----

// TaskQueue is where Grantflow's workers listen.
const TaskQueue = "grantflow"

// ApplicationWorkflowID is the one workflow id an application ever has, so a second submit is refused.
func ApplicationWorkflowID(applicationID int64) string {
	return fmt.Sprintf("application-%d", applicationID)
}

// Updates (human decisions, validated before anything is recorded) and the status query.
const (
	UpdateDeclareConflict   = "declare-conflict"
	UpdateAssess            = "assess"
	UpdateDecide            = "decide"
	UpdateAnswerInformation = "answer-information"
	UpdateAcceptOffer       = "accept-offer"
	UpdateRecordPayment     = "record-payment"
	UpdateSubmitReport      = "submit-report"
	UpdateReviewReport      = "review-report"
	QueryStatus             = "status"
)

// Search attributes registered on the namespace, kept current by the workflow.
var (
	SearchStage  = temporal.NewSearchAttributeKeyKeyword("GrantflowStage")
	SearchScheme = temporal.NewSearchAttributeKeyKeyword("GrantflowScheme")
)

// Stage is where an application stands; it is also the read model's status.
type Stage string

const (
	StageDraft                Stage = "draft"
	StageSubmitted            Stage = "submitted"
	StageScreening            Stage = "screening"
	StageIneligible           Stage = "ineligible"
	StageAssessment           Stage = "assessment"
	StageDecision             Stage = "decision"
	StageInformationRequested Stage = "information_requested"
	StageDeclined             Stage = "declined"
	StageApproved             Stage = "approved" // letters being issued
	StageOffered              Stage = "offered"
	StageLapsed               Stage = "lapsed"
	StageAccepted             Stage = "accepted" // awaiting payment
	StagePaid                 Stage = "paid"     // awaiting the end-of-grant report
	StageReportSubmitted      Stage = "report_submitted"
	StageClosed               Stage = "closed"
)

// Actor is the person taking a step, as the HTTP layer authenticated them.
type Actor = grant.Actor

// GrassrootsInput is a submitted application with the scheme rules it was submitted under.
type GrassrootsInput struct {
	ApplicationID    int64
	OrganisationID   int64
	OrganisationType string
	SchemeID         int64
	SchemeName       string
	Rules            scheme.Rules
	RoundOpens       time.Time
	RoundCloses      time.Time
	Submitter        Actor
	Title            string
	Purpose          string
	Amount           money.Pence
	ProjectStart     time.Time
	ProjectEnd       time.Time
	Areas            []string
	Priorities       []string
}

// DeclareConflictRequest is a declaration of interest by an assessor or decider.
type DeclareConflictRequest struct {
	Actor       Actor
	HasConflict bool
	Details     string
}

// Recommendations an assessor may make.
const (
	RecommendFund      = "fund"
	RecommendDoNotFund = "do_not_fund"
)

// AssessRequest is one assessor's scores. NoConflict is the assessor's declaration that they have no
// conflict of interest; scores are refused without it.
type AssessRequest struct {
	Actor          Actor
	NoConflict     bool
	Scores         []Score
	Recommendation string
	Comment        string
}

// Decision outcomes.
const (
	OutcomeApprove            = "approve"
	OutcomeDecline            = "decline"
	OutcomeRequestInformation = "request_information"
)

// DecideRequest is a decision under delegated authority.
type DecideRequest struct {
	Actor      Actor
	Outcome    string
	Amount     money.Pence // approve: not above the request
	Purpose    string      // approve: what the grant is for (published)
	Conditions []string    // approve: conditions attached (published)
	Reasons    string      // approve: why it will secure crime and disorder reduction (published)
	Declined   []string    // decline: reasons the applicant will read
	Question   string      // request_information
	Deadline   time.Time   // request_information: when the answer is due
}

// AnswerInformationRequest is the applicant's answer to a question.
type AnswerInformationRequest struct {
	Actor  Actor
	Answer string
}

// AcceptOfferRequest is the organisation's acceptance of the offer.
type AcceptOfferRequest struct {
	Actor Actor
}

// RecordPaymentRequest is finance recording the payment made.
type RecordPaymentRequest struct {
	Actor     Actor
	Amount    money.Pence
	PaidOn    time.Time
	Reference string
}

// SubmitReportRequest is the end-of-grant report.
type SubmitReportRequest struct {
	Actor    Actor
	Summary  string
	Outcomes string
	Spent    money.Pence
}

// Report review outcomes.
const (
	ReviewAccept         = "accept"
	ReviewRequestChanges = "request_changes"
)

// ReviewReportRequest is the officer's review of the end-of-grant report.
type ReviewReportRequest struct {
	Actor   Actor
	Outcome string
	Comment string
}

// UpdateResult tells the caller where the application now stands.
type UpdateResult struct {
	Stage   Stage  `json:"stage"`
	Message string `json:"message"`
}

// GrassrootsStatus is what the status query answers.
type GrassrootsStatus struct {
	Stage             Stage              `json:"stage"`
	Eligibility       *EligibilityResult `json:"eligibility,omitempty"`
	AssessmentRound   int                `json:"assessment_round"`
	AssessorID        int64              `json:"assessor_id,omitempty"`
	Assessment        *ScoreSummary      `json:"assessment,omitempty"`
	Recommendation    string             `json:"recommendation,omitempty"`
	Barred            []int64            `json:"barred_user_ids,omitempty"` // declared a conflict
	Question          string             `json:"question,omitempty"`
	QuestionDeadline  *time.Time         `json:"question_deadline,omitempty"`
	AwardID           int64              `json:"award_id,omitempty"`
	AwardReference    string             `json:"award_reference,omitempty"`
	AwardAmount       money.Pence        `json:"award_amount_pence,omitempty"`
	AcceptBy          *time.Time         `json:"accept_by,omitempty"`
	ReportDue         *time.Time         `json:"report_due,omitempty"`
	ReportOverdue     bool               `json:"report_overdue"`
	ReportVersion     int                `json:"report_version"`
	AwardLetterID     int64              `json:"award_letter_document_id,omitempty"`
	FinanceNoticeID   int64              `json:"finance_notice_document_id,omitempty"`
	DeclineLetterID   int64              `json:"decline_letter_document_id,omitempty"`
	DecidedBy         int64              `json:"decided_by,omitempty"`
	DeclineReasons    []string           `json:"decline_reasons,omitempty"`
	IneligibleBecause []string           `json:"ineligible_because,omitempty"`
}

// GrassrootsResult is how the application ended.
type GrassrootsResult struct {
	Stage          Stage
	AwardReference string
	Paid           money.Pence
}

// ---- Workflow ----

// GrassrootsWorkflow carries one small-grant application from submission to closure.
func GrassrootsWorkflow(ctx workflow.Context, in GrassrootsInput) (GrassrootsResult, error) {
	g := &grassroots{in: in}
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	if err := g.setup(ctx); err != nil {
		return GrassrootsResult{}, err
	}
	return g.run(ctx)
}

type grassroots struct {
	application
	in     GrassrootsInput
	status GrassrootsStatus

	// what the human steps hand to the main line
	decision *DecideRequest
	answered bool
	accepted bool
	paid     money.Pence
	report   *SubmitReportRequest
	infoSeq  int
}

// Options for the activities: short, retried on infrastructure errors, never on business refusals.
var activityOptions = workflow.ActivityOptions{
	StartToCloseTimeout: 30 * time.Second,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		MaximumInterval:        time.Minute,
		NonRetryableErrorTypes: []string{activities.ErrTypeBudgetExceeded, activities.ErrTypeNotFound},
	},
}

// Typed nil pointers: the worker registers the real structs; workflows only name their methods.
var (
	records   *activities.Records
	awards    *activities.Awards
	documents *activities.Documents
)

func (g *grassroots) setup(ctx workflow.Context) error {
	g.application = newApplication(ctx, g.in.ApplicationID, g.in.OrganisationID, g.in.Rules, StageSubmitted)
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (GrassrootsStatus, error) {
		st := g.status
		st.Stage, st.Barred = g.stage, g.barred
		return st, nil
	}); err != nil {
		return err
	}
	return registerUpdates(ctx, []updateHandler{
		{UpdateDeclareConflict, g.declareConflict, g.validateDeclareConflict},
		{UpdateAssess, g.assess, g.validateAssess},
		{UpdateDecide, g.decide, g.validateDecide},
		{UpdateAnswerInformation, g.answerInformation, g.validateAnswerInformation},
		{UpdateAcceptOffer, g.acceptOffer, g.validateAcceptOffer},
		{UpdateRecordPayment, g.recordPayment, g.validateRecordPayment},
		{UpdateSubmitReport, g.submitReport, g.validateSubmitReport},
		{UpdateReviewReport, g.reviewReport, g.validateReviewReport},
	})
}

// run is the list of stages.
func (g *grassroots) run(ctx workflow.Context) (GrassrootsResult, error) {
	if err := g.screen(ctx); err != nil {
		return g.end(ctx, err)
	}
	if g.stage == StageIneligible {
		return g.end(ctx, nil)
	}
	for g.decision == nil || g.decision.Outcome != OutcomeApprove {
		if err := g.awaitAssessmentAndDecision(ctx); err != nil {
			return g.end(ctx, err)
		}
		switch g.decision.Outcome {
		case OutcomeDecline:
			return g.end(ctx, g.sendDeclineLetter(ctx))
		case OutcomeRequestInformation:
			if err := g.awaitInformation(ctx); err != nil {
				return g.end(ctx, err)
			}
		}
	}
	if err := g.offer(ctx); err != nil {
		return g.end(ctx, err)
	}
	if accepted, err := g.awaitAcceptance(ctx); err != nil || !accepted {
		return g.end(ctx, err)
	}
	if err := g.awaitPayment(ctx); err != nil {
		return g.end(ctx, err)
	}
	return g.end(ctx, g.awaitReport(ctx))
}

// end waits for any running update handler before the workflow returns.
func (g *grassroots) end(ctx workflow.Context, err error) (GrassrootsResult, error) {
	if waitErr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); waitErr != nil && err == nil {
		err = waitErr
	}
	return GrassrootsResult{Stage: g.stage, AwardReference: g.status.AwardReference, Paid: g.paid}, err
}

// ---- Stages ----

func (g *grassroots) screen(ctx workflow.Context) error {
	if err := g.moveTo(ctx, StageScreening, grant.System, "Eligibility screening started", ""); err != nil {
		return err
	}
	result := CheckEligibility(g.in.Rules, EligibilityInput{
		OrganisationType: g.in.OrganisationType, AreasServed: g.in.Areas, Priorities: g.in.Priorities, Amount: g.in.Amount,
		ProjectStart: g.in.ProjectStart, ProjectEnd: g.in.ProjectEnd, RoundOpens: g.in.RoundOpens, RoundCloses: g.in.RoundCloses,
		SubmittedAt: workflow.Now(ctx),
	})
	g.status.Eligibility = &result
	if !result.Eligible {
		g.status.IneligibleBecause = result.Reasons()
		return g.moveTo(ctx, StageIneligible, grant.System, "Not eligible: application closed", strings.Join(result.Reasons(), " "))
	}
	return g.moveTo(ctx, StageAssessment, grant.System, "Eligible: ready for assessment", "All eligibility checks passed.")
}

// awaitAssessmentAndDecision waits for a scored assessment, then for a decision on it.
func (g *grassroots) awaitAssessmentAndDecision(ctx workflow.Context) error {
	g.decision = nil
	if err := workflow.Await(ctx, func() bool { return g.stage == StageDecision }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return g.decision != nil })
}

// awaitInformation waits for the applicant's answer or the deadline, then returns to assessment.
func (g *grassroots) awaitInformation(ctx workflow.Context) error {
	deadline := g.decision.Deadline
	answered, err := workflow.AwaitWithTimeout(ctx, deadline.Sub(workflow.Now(ctx)), func() bool { return g.answered })
	if err != nil {
		return err
	}
	if !answered {
		err := g.locked(ctx, func() error {
			if g.answered { // the answer won the race with the timer
				return nil
			}
			in := activities.CloseInformationRequestInput{Step: g.step(ctx, grant.System, "Information request lapsed: back to assessment",
				"No answer arrived by "+deadline.In(scheme.London).Format("2 January 2006 15:04")+".", StageAssessment), Seq: g.infoSeq}
			if err := workflow.ExecuteActivity(ctx, records.CloseInformationRequest, in).Get(ctx, nil); err != nil {
				return err
			}
			g.setStage(ctx, StageAssessment)
			return nil
		})
		if err != nil {
			return err
		}
	}
	g.status.Question, g.status.QuestionDeadline = "", nil
	return nil
}

// offer issues the award letter and the finance notice, then waits for acceptance.
func (g *grassroots) offer(ctx workflow.Context) error {
	var letter, notice activities.DocumentResult
	reportDue := g.reportDue()
	in := activities.IssueDocumentInput{Step: g.step(ctx, grant.System, "Award letter issued", g.status.AwardReference, StageApproved), ReportDue: reportDue}
	if err := workflow.ExecuteActivity(ctx, documents.IssueAwardLetter, in).Get(ctx, &letter); err != nil {
		return err
	}
	in.Step = g.step(ctx, grant.System, "Finance award notice sent", g.status.AwardReference, StageOffered)
	if err := workflow.ExecuteActivity(ctx, documents.IssueFinanceAwardNotice, in).Get(ctx, &notice); err != nil {
		return err
	}
	g.status.AwardLetterID, g.status.FinanceNoticeID = letter.DocumentID, notice.DocumentID
	g.setStage(ctx, StageOffered)
	return nil
}

// awaitAcceptance waits for the organisation to accept, with a reminder; an unaccepted offer lapses
// and its budget is released.
func (g *grassroots) awaitAcceptance(ctx workflow.Context) (bool, error) {
	acceptBy := *g.status.AcceptBy
	remindAt := acceptBy.AddDate(0, 0, -g.in.Rules.AcceptanceReminderDays)
	accepted, err := g.awaitWithReminder(ctx, func() bool { return g.accepted }, remindAt, acceptBy, func() error {
		return g.notify(ctx, "acceptance-reminder", "applicant", "reminder",
			fmt.Sprintf("Your offer of %s (%s) must be accepted by %s or it will lapse.", g.status.AwardAmount, g.status.AwardReference, acceptBy.In(scheme.London).Format("2 January 2006")))
	})
	if err != nil || accepted {
		return accepted, err
	}
	err = g.locked(ctx, func() error {
		if g.accepted {
			return nil
		}
		lapse := activities.SetAwardStatusInput{Step: g.step(ctx, grant.System, "Offer lapsed: not accepted in time", "The acceptance deadline passed.", StageLapsed), AwardStatus: "lapsed"}
		if err := workflow.ExecuteActivity(ctx, awards.SetAwardStatus, lapse).Get(ctx, nil); err != nil {
			return err
		}
		release := g.step(ctx, grant.System, "Budget released", g.status.AwardAmount.String()+" returned to the scheme's budget.", StageLapsed)
		if err := workflow.ExecuteActivity(ctx, awards.ReleaseBudget, release).Get(ctx, nil); err != nil {
			return err
		}
		g.setStage(ctx, StageLapsed)
		return nil
	})
	return g.accepted, err
}

func (g *grassroots) awaitPayment(ctx workflow.Context) error {
	return workflow.Await(ctx, func() bool { return g.stage == StagePaid })
}

// awaitReport waits for the end-of-grant report (reminder before the due date, overdue flag and
// escalation after) and for an officer to accept it. A report sent back for changes gets a fresh
// deadline, with its own reminder and escalation, then the grant closes on acceptance.
func (g *grassroots) awaitReport(ctx workflow.Context) error {
	due := *g.status.ReportDue
	for round := 1; ; round++ {
		if err := g.awaitReportBy(ctx, due, round); err != nil {
			return err
		}
		if err := workflow.Await(ctx, func() bool { return g.stage != StageReportSubmitted }); err != nil {
			return err
		}
		if g.stage == StageClosed {
			return nil
		}
		resubmitBy := endOfDay(workflow.Now(ctx).AddDate(0, 0, g.in.Rules.ResubmissionDays()))
		if resubmitBy.After(due) {
			due = resubmitBy
		}
		g.status.ReportDue = &due
	}
}

// awaitReportBy waits for a report version until its due date, then flags it overdue and keeps waiting.
func (g *grassroots) awaitReportBy(ctx workflow.Context, due time.Time, round int) error {
	dueText := due.In(scheme.London).Format("2 January 2006")
	key := func(name string) string {
		if round == 1 {
			return name
		}
		return fmt.Sprintf("%s-%d", name, round)
	}
	remindAt := due.AddDate(0, 0, -g.in.Rules.ReportReminderDays)
	submitted, err := g.awaitWithReminder(ctx, func() bool { return g.report != nil }, remindAt, due, func() error {
		return g.notify(ctx, key("report-reminder"), "applicant", "reminder",
			fmt.Sprintf("Your end-of-grant report for %s is due by %s.", g.status.AwardReference, dueText))
	})
	if err != nil || submitted {
		return err
	}
	err = g.locked(ctx, func() error {
		if g.report != nil {
			return nil
		}
		in := activities.FlagReportOverdueInput{Step: g.step(ctx, grant.System, "End-of-grant report overdue",
			"It was due by "+dueText+".", g.stage), Overdue: true}
		if err := workflow.ExecuteActivity(ctx, records.FlagReportOverdue, in).Get(ctx, nil); err != nil {
			return err
		}
		g.status.ReportOverdue = true
		return g.notify(ctx, key("report-overdue"), "officer", "escalation",
			fmt.Sprintf("The end-of-grant report for %s is overdue (due %s).", g.status.AwardReference, dueText))
	})
	if err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return g.report != nil })
}

func (g *grassroots) sendDeclineLetter(ctx workflow.Context) error {
	var letter activities.DocumentResult
	in := activities.DeclineInput{Step: g.step(ctx, g.decision.Actor, "Decline letter issued", "", StageDeclined), Reasons: g.decision.Declined}
	if err := workflow.ExecuteActivity(ctx, documents.IssueDeclineLetter, in).Get(ctx, &letter); err != nil {
		return err
	}
	g.status.DeclineLetterID = letter.DocumentID
	return nil
}

// ---- Human steps: validators refuse before anything is recorded; handlers record and move on ----

func (g *grassroots) validateDeclareConflict(ctx workflow.Context, r DeclareConflictRequest) error {
	if err := g.mayJudge(r.Actor, scheme.RoleAssessor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner); err != nil {
		return err
	}
	if g.stage != StageAssessment && g.stage != StageDecision {
		return g.wrongStage("declare a conflict of interest")
	}
	if r.HasConflict && strings.TrimSpace(r.Details) == "" {
		return refuse(RefusalInvalid, "details", "say what the conflict of interest is")
	}
	return nil
}

func (g *grassroots) declareConflict(ctx workflow.Context, r DeclareConflictRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
	err := g.locked(ctx, func() error {
		if err := g.validateDeclareConflict(ctx, r); err != nil {
			return err
		}
		what, why := "Declared no conflict of interest", ""
		if r.HasConflict {
			what, why = "Declared a conflict of interest: barred from scoring and deciding", r.Details
		}
		in := activities.DeclareConflictInput{Step: g.step(ctx, r.Actor, what, why, g.stage), HasConflict: r.HasConflict, Details: r.Details}
		if err := workflow.ExecuteActivity(ctx, records.DeclareConflict, in).Get(ctx, nil); err != nil {
			return err
		}
		if r.HasConflict {
			g.barred = append(g.barred, r.Actor.UserID)
		}
		return nil
	})
	return g.result("Declaration recorded."), err
}

func (g *grassroots) validateAssess(ctx workflow.Context, r AssessRequest) error {
	if err := g.mayJudge(r.Actor, scheme.RoleAssessor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning); err != nil {
		return err
	}
	if g.stage != StageAssessment {
		return g.wrongStage("submit an assessment")
	}
	if !r.NoConflict {
		return refuse(RefusalInvalid, "no_conflict", "declare that you have no conflict of interest before scoring (or declare the conflict instead)")
	}
	if err := ValidateScores(g.in.Rules, r.Scores); err != nil {
		return invalid(err)
	}
	if r.Recommendation != RecommendFund && r.Recommendation != RecommendDoNotFund {
		return refuse(RefusalInvalid, "recommendation", "must be %q or %q", RecommendFund, RecommendDoNotFund)
	}
	return nil
}

func (g *grassroots) assess(ctx workflow.Context, r AssessRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
	err := g.locked(ctx, func() error {
		if err := g.validateAssess(ctx, r); err != nil {
			return err
		}
		summary := SummariseScores(g.in.Rules, r.Scores)
		scores, _ := jsonMarshal(r.Scores)
		why := assessmentReason(summary, r.Recommendation)
		round := g.status.AssessmentRound + 1
		in := activities.SaveAssessmentInput{Step: g.step(ctx, r.Actor, "Assessment submitted", why, StageDecision), Round: round,
			Scores: scores, Weighted: summary.Weighted, Fundable: summary.Fundable, Recommendation: r.Recommendation, Comment: r.Comment}
		if err := workflow.ExecuteActivity(ctx, records.SaveAssessment, in).Get(ctx, nil); err != nil {
			return err
		}
		g.status.AssessmentRound, g.status.AssessorID, g.status.Assessment, g.status.Recommendation = round, r.Actor.UserID, &summary, r.Recommendation
		g.setStage(ctx, StageDecision)
		return nil
	})
	return g.result("Assessment recorded: the application awaits a decision."), err
}

func (g *grassroots) validateDecide(ctx workflow.Context, r DecideRequest) error {
	if err := g.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner); err != nil {
		return err
	}
	if g.stage != StageDecision {
		return g.wrongStage("decide")
	}
	if g.decision != nil { // approved: the offer is being issued
		return refuse(RefusalStage, "", "a decision has already been recorded on this application")
	}
	if r.Actor.UserID == g.status.AssessorID {
		return refuse(RefusalForbidden, "", "you assessed this application, so someone else must decide it")
	}
	switch r.Outcome {
	case OutcomeApprove:
		switch {
		case r.Amount <= 0:
			return refuse(RefusalInvalid, "amount_pence", "must be more than £0.00")
		case r.Amount > g.in.Amount:
			return refuse(RefusalInvalid, "amount_pence", "%s is more than the %s requested", r.Amount, g.in.Amount)
		case strings.TrimSpace(r.Purpose) == "":
			return refuse(RefusalInvalid, "purpose", "say what the grant is for; it is published")
		case strings.TrimSpace(r.Reasons) == "":
			return refuse(RefusalInvalid, "reasons", "say why the grant will secure crime and disorder reduction; it is published")
		case g.status.Assessment != nil && !g.status.Assessment.Fundable:
			return refuse(RefusalInvalid, "outcome", "the assessment marks this application not fundable (%s)", strings.Join(g.status.Assessment.BelowMinimum, "; "))
		case len(r.Conditions) == 0: // the award letter sets them out; without any it could not be written
			return refuse(RefusalInvalid, "conditions", "give at least one condition of grant; the award letter lists them")
		}
		for i, c := range r.Conditions {
			if strings.TrimSpace(c) == "" {
				return refuse(RefusalInvalid, fmt.Sprintf("conditions[%d]", i), "is empty")
			}
		}
		if err := MayApprove(g.in.Rules, r.Actor.Role, r.Amount); err != nil {
			return refuse(RefusalForbidden, "amount_pence", "%s", err.Error())
		}
	case OutcomeDecline:
		if len(r.Declined) == 0 {
			return refuse(RefusalInvalid, "decline_reasons", "give at least one reason the applicant can read")
		}
		for i, reason := range r.Declined {
			if strings.TrimSpace(reason) == "" {
				return refuse(RefusalInvalid, fmt.Sprintf("decline_reasons[%d]", i), "is empty")
			}
		}
	case OutcomeRequestInformation:
		if strings.TrimSpace(r.Question) == "" {
			return refuse(RefusalInvalid, "question", "is required")
		}
		if !r.Deadline.After(workflow.Now(ctx).Add(time.Hour)) {
			return refuse(RefusalInvalid, "deadline", "must be at least an hour from now")
		}
	default:
		return refuse(RefusalInvalid, "outcome", "must be %q, %q or %q", OutcomeApprove, OutcomeDecline, OutcomeRequestInformation)
	}
	return nil
}

func (g *grassroots) decide(ctx workflow.Context, r DecideRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
	err := g.locked(ctx, func() error {
		if err := g.validateDecide(ctx, r); err != nil {
			return err
		}
		switch r.Outcome {
		case OutcomeApprove:
			if err := g.approve(ctx, r); err != nil {
				return err
			}
		case OutcomeDecline:
			in := activities.DeclineInput{Step: g.step(ctx, r.Actor, "Declined", strings.Join(r.Declined, " "), StageDeclined), Reasons: r.Declined}
			if err := workflow.ExecuteActivity(ctx, records.Decline, in).Get(ctx, nil); err != nil {
				return err
			}
			g.status.DeclineReasons = r.Declined
			g.setStage(ctx, StageDeclined)
		case OutcomeRequestInformation:
			g.infoSeq++
			g.answered = false
			in := activities.AskForInformationInput{Step: g.step(ctx, r.Actor, "More information requested", r.Question, StageInformationRequested),
				Seq: g.infoSeq, Question: r.Question, Deadline: r.Deadline}
			if err := workflow.ExecuteActivity(ctx, records.AskForInformation, in).Get(ctx, nil); err != nil {
				return err
			}
			deadline := r.Deadline
			g.status.Question, g.status.QuestionDeadline = r.Question, &deadline
			g.setStage(ctx, StageInformationRequested)
		}
		g.status.DecidedBy = r.Actor.UserID
		g.decision = &r
		return nil
	})
	return g.result("Decision recorded."), err
}

// approve commits the budget first: if it cannot cover the award nothing else is recorded.
func (g *grassroots) approve(ctx workflow.Context, r DecideRequest) error {
	now := workflow.Now(ctx)
	fy := scheme.FinancialYear(now)
	commit := activities.CommitBudgetInput{ApplicationID: g.in.ApplicationID, SchemeID: g.in.SchemeID,
		Years: []grant.YearAmount{{FinancialYear: fy, Amount: r.Amount}}, At: now}
	if err := workflow.ExecuteActivity(ctx, awards.CommitBudget, commit).Get(ctx, nil); err != nil {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeBudgetExceeded {
			return refuse(RefusalBudget, "amount_pence", "%s", appErr.Message())
		}
		return err
	}
	band, _ := BandFor(g.in.Rules, r.Amount)
	acceptBy := endOfDay(now.AddDate(0, 0, g.in.Rules.AcceptanceDays))
	ref := activities.AwardReference(g.in.Rules.Code, fy, g.in.ApplicationID)
	var award activities.AwardResult
	in := activities.CreateAwardInput{
		Step:      g.step(ctx, r.Actor, fmt.Sprintf("Approved: %s awarded", r.Amount), r.Reasons, StageApproved),
		Reference: ref, Amount: r.Amount, Purpose: r.Purpose, Conditions: r.Conditions, Reasons: r.Reasons,
		DelegationBand: band.Title, RulesVersion: g.in.Rules.Version, AcceptBy: acceptBy,
	}
	if err := workflow.ExecuteActivity(ctx, awards.CreateAward, in).Get(ctx, &award); err != nil {
		return err
	}
	due := g.reportDue()
	g.status.AwardID, g.status.AwardReference, g.status.AwardAmount = award.AwardID, award.Reference, r.Amount
	g.status.AcceptBy, g.status.ReportDue = &acceptBy, &due
	g.setStage(ctx, StageApproved)
	return nil
}

func (g *grassroots) validateAnswerInformation(ctx workflow.Context, r AnswerInformationRequest) error {
	if err := g.mayAct(r.Actor); err != nil {
		return err
	}
	if g.stage != StageInformationRequested {
		return g.wrongStage("answer an information request")
	}
	if strings.TrimSpace(r.Answer) == "" {
		return refuse(RefusalInvalid, "answer", "is required")
	}
	return nil
}

func (g *grassroots) answerInformation(ctx workflow.Context, r AnswerInformationRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
	err := g.locked(ctx, func() error {
		if err := g.validateAnswerInformation(ctx, r); err != nil {
			return err
		}
		answer := r.Answer
		in := activities.CloseInformationRequestInput{Step: g.step(ctx, r.Actor, "Information provided: back to assessment", r.Answer, StageAssessment), Seq: g.infoSeq, Answer: &answer}
		if err := workflow.ExecuteActivity(ctx, records.CloseInformationRequest, in).Get(ctx, nil); err != nil {
			return err
		}
		g.answered = true
		g.setStage(ctx, StageAssessment)
		return nil
	})
	return g.result("Thank you: your answer has been sent to the assessor."), err
}

func (g *grassroots) validateAcceptOffer(ctx workflow.Context, r AcceptOfferRequest) error {
	if err := g.mayAct(r.Actor); err != nil {
		return err
	}
	if g.stage != StageOffered {
		return g.wrongStage("accept the offer")
	}
	if !workflow.Now(ctx).Before(*g.status.AcceptBy) {
		return refuse(RefusalStage, "", "the offer lapsed on %s", g.status.AcceptBy.In(scheme.London).Format("2 January 2006"))
	}
	return nil
}

func (g *grassroots) acceptOffer(ctx workflow.Context, r AcceptOfferRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
	err := g.locked(ctx, func() error {
		if err := g.validateAcceptOffer(ctx, r); err != nil {
			return err
		}
		in := activities.SetAwardStatusInput{Step: g.step(ctx, r.Actor, "Offer accepted", "", StageAccepted), AwardStatus: "accepted", Accepting: true}
		if err := workflow.ExecuteActivity(ctx, awards.SetAwardStatus, in).Get(ctx, nil); err != nil {
			return err
		}
		g.accepted = true
		g.setStage(ctx, StageAccepted)
		return g.notify(ctx, "payment-due", "finance", "payment_due",
			fmt.Sprintf("%s accepted: pay %s to %s.", g.status.AwardReference, g.status.AwardAmount, g.in.Title))
	})
	return g.result("Offer accepted: finance will make the payment."), err
}

func (g *grassroots) validateRecordPayment(ctx workflow.Context, r RecordPaymentRequest) error {
	if r.Actor.Role != scheme.RoleFinance {
		return refuse(RefusalForbidden, "", "only finance may record payments")
	}
	if g.stage != StageAccepted {
		return g.wrongStage("record a payment")
	}
	switch {
	case r.Amount != g.status.AwardAmount:
		return refuse(RefusalInvalid, "amount_pence", "must be the award's %s, paid in one payment", g.status.AwardAmount)
	case strings.TrimSpace(r.Reference) == "":
		return refuse(RefusalInvalid, "reference", "is required")
	case r.PaidOn.IsZero():
		return refuse(RefusalInvalid, "paid_on", "is required")
	case r.PaidOn.After(workflow.Now(ctx).Add(24 * time.Hour)):
		return refuse(RefusalInvalid, "paid_on", "cannot be in the future")
	}
	return nil
}

func (g *grassroots) recordPayment(ctx workflow.Context, r RecordPaymentRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
	err := g.locked(ctx, func() error {
		if err := g.validateRecordPayment(ctx, r); err != nil {
			return err
		}
		in := activities.RecordPaymentInput{Step: g.step(ctx, r.Actor, "Payment recorded: "+r.Amount.String(), "Reference "+r.Reference, StagePaid),
			AwardID: g.status.AwardID, Tranche: 1, Amount: r.Amount, PaidOn: r.PaidOn, Reference: r.Reference}
		if err := workflow.ExecuteActivity(ctx, awards.RecordPayment, in).Get(ctx, nil); err != nil {
			return err
		}
		g.paid = r.Amount
		g.setStage(ctx, StagePaid)
		return nil
	})
	return g.result("Payment recorded."), err
}

func (g *grassroots) validateSubmitReport(ctx workflow.Context, r SubmitReportRequest) error {
	if err := g.mayAct(r.Actor); err != nil {
		return err
	}
	if g.stage != StagePaid {
		return g.wrongStage("submit the end-of-grant report")
	}
	return validateReport(r, g.paid)
}

func (g *grassroots) submitReport(ctx workflow.Context, r SubmitReportRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
	err := g.locked(ctx, func() error {
		if err := g.validateSubmitReport(ctx, r); err != nil {
			return err
		}
		version := g.status.ReportVersion + 1
		in := activities.SubmitReportInput{Step: g.step(ctx, r.Actor, "End-of-grant report submitted", "", StageReportSubmitted),
			Version: version, Summary: r.Summary, Outcomes: r.Outcomes, Spent: r.Spent}
		if err := workflow.ExecuteActivity(ctx, records.SubmitReport, in).Get(ctx, nil); err != nil {
			return err
		}
		g.report, g.status.ReportVersion, g.status.ReportOverdue = &r, version, false
		g.setStage(ctx, StageReportSubmitted)
		return nil
	})
	return g.result("Report submitted: a commissioning officer will review it."), err
}

func (g *grassroots) validateReviewReport(ctx workflow.Context, r ReviewReportRequest) error {
	if err := g.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning); err != nil {
		return err
	}
	if g.stage != StageReportSubmitted {
		return g.wrongStage("review the end-of-grant report")
	}
	return validateReview(r)
}

func (g *grassroots) reviewReport(ctx workflow.Context, r ReviewReportRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
	err := g.locked(ctx, func() error {
		if err := g.validateReviewReport(ctx, r); err != nil {
			return err
		}
		next, what := StagePaid, "End-of-grant report: changes requested"
		if r.Outcome == ReviewAccept {
			next, what = StageClosed, "End-of-grant report accepted: grant closed"
		}
		in := activities.ReviewReportInput{Step: g.step(ctx, r.Actor, what, r.Comment, next), Version: g.status.ReportVersion, Outcome: r.Outcome, Comment: r.Comment}
		if err := workflow.ExecuteActivity(ctx, records.ReviewReport, in).Get(ctx, nil); err != nil {
			return err
		}
		if next == StageClosed {
			closing := activities.SetAwardStatusInput{Step: g.step(ctx, r.Actor, "Award closed", "", StageClosed), AwardStatus: "closed"}
			if err := workflow.ExecuteActivity(ctx, awards.SetAwardStatus, closing).Get(ctx, nil); err != nil {
				return err
			}
		}
		g.report = nil
		g.setStage(ctx, next)
		return nil
	})
	return g.result("Review recorded."), err
}

// ---- Rules about people ----

// ---- Plumbing ----

// reportDue is when the end-of-grant report is due: a configured number of months after the project ends.
func (g *grassroots) reportDue() time.Time {
	return endOfDay(addCalendarMonths(civilDate(g.in.ProjectEnd), g.in.Rules.ReportDueMonths))
}

// endOfDay is the last moment of t's day in London, so deadlines fall where people expect them.
func endOfDay(t time.Time) time.Time {
	t = t.In(scheme.London)
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, scheme.London).UTC()
}
