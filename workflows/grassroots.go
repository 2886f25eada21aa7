package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

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
	// BeforeDraftsLocked: submitted before the round's drafts were locked (the API refuses a locked
	// draft), so a submission in the grace period after closing is in time. False in histories from
	// before the grace period, which keep their screening.
	BeforeDraftsLocked bool
	Submitter          Actor
	Title              string
	Purpose            string
	Amount             money.Pence
	ProjectStart       time.Time
	ProjectEnd         time.Time
	Areas              []string
	Priorities         []string
}

// DecideRequest is a decision under delegated authority.
type DecideRequest struct {
	Actor      Actor
	NoConflict bool // the decider's declaration that they have no conflict of interest
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

// RecordPaymentRequest is finance recording the payment made.
type RecordPaymentRequest struct {
	Actor     Actor
	Amount    money.Pence
	PaidOn    time.Time
	Reference string
}

// GrassrootsStatus is what the status query answers.
type GrassrootsStatus struct {
	Stage             Stage              `json:"stage"`
	Eligibility       *EligibilityResult `json:"eligibility,omitempty"`
	AssessmentRound   int                `json:"assessment_round"`
	AssessorID        int64              `json:"assessor_id,omitempty"`  // the latest assessment's
	Assessors         []int64            `json:"assessor_ids,omitempty"` // everyone who has assessed it, in any round
	Assessment        *ScoreSummary      `json:"assessment,omitempty"`
	Recommendation    string             `json:"recommendation,omitempty"`
	Barred            []int64            `json:"barred_user_ids,omitempty"` // declared a conflict
	Question          string             `json:"question,omitempty"`
	QuestionDeadline  *time.Time         `json:"question_deadline,omitempty"`
	AwardID           int64              `json:"award_id,omitempty"`
	AwardReference    string             `json:"award_reference,omitempty"`
	AwardAmount       money.Pence        `json:"award_amount_pence,omitempty"`
	DecisionRecord    string             `json:"decision_record,omitempty"`  // PCC/2026/017: a decision above the officer band
	PaymentSignOff    *PaymentSignOff    `json:"payment_sign_off,omitempty"` // two-person payments: who proposed and approved it
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

func (g *grassroots) setup(ctx workflow.Context) error {
	g.application = newApplication(ctx, scheme.Grassroots, g.in.ApplicationID, g.in.OrganisationID, g.in.Rules, StageSubmitted)
	g.markTwoPersonPayments(ctx)
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (GrassrootsStatus, error) {
		st := g.status
		st.Stage, st.Barred = g.stage, g.barred
		return st, nil
	}); err != nil {
		return err
	}
	return errors.Join(
		humanStep(ctx, &g.application, UpdateDeclareConflict, g.validateDeclareConflict, g.declareConflict, "Declaration recorded."),
		humanStep(ctx, &g.application, UpdateAssess, g.validateAssess, g.assess, "Assessment recorded: the application awaits a decision."),
		humanStep(ctx, &g.application, UpdateDecide, g.validateDecide, g.decide, "Decision recorded."),
		humanStep(ctx, &g.application, UpdateAnswerInformation, g.validateAnswerInformation, g.answerInformation, "Thank you: your answer has been sent to the assessor."),
		humanStep(ctx, &g.application, UpdateAcceptOffer, g.validateAcceptOffer, g.acceptOffer, "Offer accepted: finance will make the payment."),
		humanStep(ctx, &g.application, UpdateProposePayment, g.validateProposePayment, g.proposePayment, "Payment proposed: another member of finance approves it."),
		humanStep(ctx, &g.application, UpdateApprovePayment, g.validateApprovePayment, g.approvePayment, "Payment approved: it can be paid."),
		humanStep(ctx, &g.application, UpdateRecordPayment, g.validateRecordPayment, g.recordPayment, "Payment recorded."),
		humanStep(ctx, &g.application, UpdateSubmitReport, g.validateSubmitReport, g.submitReport, "Report submitted: a commissioning officer will review it."),
		humanStep(ctx, &g.application, UpdateReviewReport, g.validateReviewReport, g.reviewReport, "Review recorded."),
	)
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
	g.settle()
	if waitErr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); waitErr != nil && err == nil {
		err = waitErr
	}
	return GrassrootsResult{Stage: g.stage, AwardReference: g.status.AwardReference, Paid: g.paid}, err
}

func (g *grassroots) screen(ctx workflow.Context) error {
	if err := g.moveTo(ctx, StageScreening, grant.System, "Eligibility screening started", ""); err != nil {
		return err
	}
	result := CheckEligibility(g.in.Rules, EligibilityInput{
		OrganisationType: g.in.OrganisationType, AreasServed: g.in.Areas, Priorities: g.in.Priorities, Amount: g.in.Amount,
		ProjectStart: g.in.ProjectStart, ProjectEnd: g.in.ProjectEnd, RoundOpens: g.in.RoundOpens, RoundCloses: g.in.RoundCloses,
		SubmittedAt: workflow.Now(ctx), BeforeDraftsLocked: g.in.BeforeDraftsLocked,
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

// offer publishes the decision record (a decision above the officer band), then issues the award
// letter and the finance notice.
func (g *grassroots) offer(ctx workflow.Context) error {
	if err := g.issueDecisionRecord(ctx); err != nil {
		return err
	}
	var letter, notice activities.DocumentResult
	reportDue := g.reportDue()
	in := activities.IssueDocumentInput{Step: g.step(ctx, grant.System, "Award letter issued", g.status.AwardReference, StageApproved), ReportDue: reportDue}
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueAwardLetter, in).Get(ctx, &letter); err != nil {
		return err
	}
	in.Step = g.step(ctx, grant.System, "Finance award notice sent", g.status.AwardReference, StageOffered)
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueFinanceAwardNotice, in).Get(ctx, &notice); err != nil {
		return err
	}
	g.status.AwardLetterID, g.status.FinanceNoticeID = letter.DocumentID, notice.DocumentID
	g.setStage(ctx, StageOffered)
	return nil
}

// grassrootsDecisionRecords is the version marker under which a grassroots award decided above the
// officer band (by the head of commissioning or the Commissioner) gets a numbered, published
// decision record, as a service award always had; runs approved before it have none.
const grassrootsDecisionRecords = "grassroots-decision-records"

// issueDecisionRecord numbers and publishes the record of an approval above the officer band, in
// the series the scheme's rules prefix (PCC/2026/017), shared with every other decision of the year.
func (g *grassroots) issueDecisionRecord(ctx workflow.Context) error {
	band, err := BandFor(g.in.Rules, g.status.AwardAmount)
	if err != nil || !AboveOfficerBand(band) {
		return nil
	}
	if workflow.GetVersion(ctx, grassrootsDecisionRecords, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil
	}
	in := activities.DecisionRecordInput{Step: g.step(ctx, g.decision.Actor, "Decision record published", band.Title, g.stage),
		Prefix: g.in.Rules.RecordPrefix(), AwardVersion: 1, DelegationBand: band.Title, RulesVersion: g.in.Rules.Version}
	var number string
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueDecisionRecord, in).Get(ctx, &number); err != nil {
		return err
	}
	g.status.DecisionRecord = number
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
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueDeclineLetter, in).Get(ctx, &letter); err != nil {
		return err
	}
	g.status.DeclineLetterID = letter.DocumentID
	return nil
}

// reportDue is when the end-of-grant report is due: a configured number of months after the project ends.
func (g *grassroots) reportDue() time.Time {
	return endOfDay(addCalendarMonths(civilDate(g.in.ProjectEnd), g.in.Rules.ReportDueMonths))
}
