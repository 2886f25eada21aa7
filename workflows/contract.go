// The contract every caller of the application workflows shares: the task queue and workflow ids, the
// update and query names, the stages, the requests common to both kinds of scheme, and the options
// the workflows run their activities with.

package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

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
	UpdateProposePayment    = "propose-payment" // both kinds: finance proposes a payment (a tranche of a service award)
	UpdateApprovePayment    = "approve-payment" // both kinds: another member of finance approves it
	UpdateRecordPayment     = "record-payment"
	UpdateSubmitReport      = "submit-report"
	UpdateReviewReport      = "review-report"
	QueryStatus             = "status"
)

// Service updates, in addition to the shared declare-conflict, assess, decide and accept-offer.
const (
	UpdateAssignPanel        = "assign-panel"
	UpdateModerate           = "moderate"
	UpdateConfirmConditions  = "confirm-conditions"
	UpdateRecordTranche      = "record-tranche-payment"
	UpdateSubmitReturn       = "submit-return"
	UpdateReviewReturn       = "review-return"
	UpdateVary               = "vary"
	UpdateAcceptVariation    = "accept-variation"
	UpdateTerminate          = "terminate"
	UpdateSubmitFinalReport  = "submit-final-report"
	UpdateReviewFinalReport  = "review-final-report"
	UpdateWaiveReturns       = "waive-returns"
	UpdateRecordRepayment    = "record-repayment"
	UpdateWriteOff           = "write-off"
	ServiceWorkflowName      = "ServiceWorkflow"
	serviceRunEventsEstimate = 2000 // each run (one financial year) must stay well under this
	// SignalAdvanceClock moves a service workflow's clock forward by a time.Duration, so tests and
	// demos can drive quarters at once. Honoured only by workflows started with a non-zero
	// ServiceInput.ClockOffset (never real applications); sent through the Temporal client, never
	// through the public API.
	SignalAdvanceClock = "advance-clock"
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

// Service stages, in addition to the shared ones.
const (
	StageModeration       Stage = "moderation"
	StageActive           Stage = "active"            // conditions met, tranches and returns running
	StageVariationOffered Stage = "variation_offered" // varied: the provider is to accept the new agreement; tranches wait, returns go on
	StageFinalReport      Stage = "final_report"      // awaiting the final report (after the last quarter or a termination)
	StageFinalSubmitted   Stage = "final_report_submitted"
	StageRecovery         Stage = "recovery"   // final report accepted; the underspend is owed back before the grant closes
	StageTerminatedEarly  Stage = "terminated" // recorded with the termination; the grant then awaits its final report
)

// Milestone is one step of an application's progress as people follow it (the page's "where it
// stands"); several stages fall in one milestone.
type Milestone string

const (
	MilestoneSubmitted   Milestone = "submitted"
	MilestoneEligibility Milestone = "eligibility"
	MilestoneAssessment  Milestone = "assessment"
	MilestoneModeration  Milestone = "moderation"
	MilestoneDecision    Milestone = "decision"
	MilestoneOffer       Milestone = "offer"      // the offer, and its acceptance
	MilestonePayment     Milestone = "payment"    // a grassroots grant's one payment
	MilestoneMonitoring  Milestone = "monitoring" // grassroots: the end-of-grant report
	MilestoneDelivery    Milestone = "delivery"   // service: quarterly tranches and monitoring returns
	MilestoneFinal       Milestone = "final"      // service: the final report (and any underspend repaid)
	MilestoneClosed      Milestone = "closed"
)

// stageDef is one stage: the milestone it falls in for each kind of scheme ("" where that kind never
// reaches it, or before submission) and whether an application's journey ends there short of closing.
type stageDef struct {
	stage               Stage
	grassroots, service Milestone
	endsShortOfClosing  bool
}

// stageDefs is the one definition of the stages, in the order of an application's life: Stages and
// each kind's Milestones are read from it.
var stageDefs = []stageDef{
	{stage: StageDraft},
	{StageSubmitted, MilestoneSubmitted, MilestoneSubmitted, false},
	{StageScreening, MilestoneEligibility, MilestoneEligibility, false},
	{StageIneligible, MilestoneEligibility, MilestoneEligibility, true},
	{StageAssessment, MilestoneAssessment, MilestoneAssessment, false},
	{StageModeration, "", MilestoneModeration, false},
	{StageDecision, MilestoneDecision, MilestoneDecision, false},
	{StageInformationRequested, MilestoneDecision, "", false},
	{StageDeclined, MilestoneDecision, MilestoneDecision, true},
	{StageApproved, MilestoneOffer, MilestoneOffer, false},
	{StageOffered, MilestoneOffer, MilestoneOffer, false},
	{StageLapsed, MilestoneOffer, MilestoneOffer, true},
	// Accepted: a grassroots grant then waits for its payment; a service award for its conditions.
	{StageAccepted, MilestonePayment, MilestoneOffer, false},
	{StageActive, "", MilestoneDelivery, false},
	{StageVariationOffered, "", MilestoneDelivery, false},
	{StagePaid, MilestoneMonitoring, "", false},
	{StageReportSubmitted, MilestoneMonitoring, "", false},
	{StageFinalReport, "", MilestoneFinal, false},
	{StageFinalSubmitted, "", MilestoneFinal, false},
	{StageTerminatedEarly, "", MilestoneFinal, false}, // an ended award then awaits its final report
	{StageRecovery, "", MilestoneFinal, false},
	{StageClosed, MilestoneClosed, MilestoneClosed, false},
}

// Stages are every stage, in the order of an application's life (for lists and filters).
var Stages = func() []Stage {
	out := make([]Stage, len(stageDefs))
	for i, d := range stageDefs {
		out[i] = d.stage
	}
	return out
}()

func (d stageDef) milestone(kind scheme.Kind) Milestone {
	if kind == scheme.Service {
		return d.service
	}
	return d.grassroots
}

// Milestones are a kind of scheme's steps of progress, in order.
func Milestones(kind scheme.Kind) []Milestone {
	var out []Milestone
	for _, d := range stageDefs {
		if m := d.milestone(kind); m != "" && !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out
}

// MilestoneOf says which milestone an application of the kind is at in the stage, and whether its
// journey ended there without going on (not eligible, declined, an offer lapsed). A draft, or a stage
// the kind never reaches, is at none ("").
func MilestoneOf(kind scheme.Kind, stage Stage) (m Milestone, ended bool) {
	for _, d := range stageDefs {
		if d.stage == stage {
			return d.milestone(kind), d.endsShortOfClosing
		}
	}
	return "", false
}

// Actor is the person taking a step, as the HTTP layer authenticated them.
type Actor = grant.Actor

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

// AcceptOfferRequest is the organisation's acceptance of the offer.
type AcceptOfferRequest struct {
	Actor Actor
}

// SubmitReportRequest is the end-of-grant report (or a service's final report).
type SubmitReportRequest struct {
	Actor    Actor
	Summary  string
	Outcomes string
	Spent    money.Pence
	// Beneficiaries are who a grassroots project reached, by area, ward and age band (empty in
	// reports from before they were asked). A service's final report has none: its returns count.
	Beneficiaries []BeneficiaryCount
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

// ChangeTwoPersonPayments is the version marker of two-person payments. A run that began before
// it (no marker) keeps recording a payment in one step by one member of finance; a run that began
// after it pays only what one member of finance proposed and another approved.
const ChangeTwoPersonPayments = "two-person-payments"

// PaymentSignOffRequest is finance proposing or approving a payment: the grant (Tranche 0 or 1),
// or one tranche of a service award.
type PaymentSignOffRequest struct {
	Actor   Actor
	Tranche int
}

// PaymentSignOff is the two people in finance behind one payment: who proposed it and who approved it.
type PaymentSignOff struct {
	ProposedBy Actor  `json:"proposed_by"`
	ApprovedBy *Actor `json:"approved_by,omitempty"`
}

// Approved reports whether a second person has approved the proposal.
func (s *PaymentSignOff) Approved() bool { return s != nil && s.ApprovedBy != nil }

// proposedBy reports whether the person proposed the payment (and so may not approve it).
func (s *PaymentSignOff) proposedBy(userID int64) bool {
	return s != nil && s.ProposedBy.UserID == userID
}

// UpdateResult tells the caller where the application now stands.
type UpdateResult struct {
	Stage   Stage  `json:"stage"`
	Message string `json:"message"`
}

// Typed nil pointers: the worker registers the real structs; workflows only name their methods.
var (
	records   *activities.Records
	awards    *activities.Awards
	documents *activities.Documents
)
