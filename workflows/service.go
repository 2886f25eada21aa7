package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

// ServiceInput is a submitted service application with the rules it was submitted under.
type ServiceInput struct {
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
	Areas              []string
	Priorities         []string
	Service            grant.ServiceDetails
	// ClockOffset shifts the workflow's clock: end-to-end tests and demos run an award "as if" on
	// another date, so quarters that would take months can be driven at once. Zero in production.
	ClockOffset time.Duration
}

// PanelNominee is a person the officer puts on the panel (resolved by the caller from user ids).
type PanelNominee struct {
	UserID        int64
	Name          string
	Role          scheme.Role
	Organisations []int64
}

// AssignPanelRequest puts assessors on the panel with a deadline for their scores.
type AssignPanelRequest struct {
	Actor     Actor
	Assessors []PanelNominee
	Deadline  time.Time
}

// ModerateRequest is the officer's record of the panel's recommendation.
type ModerateRequest struct {
	Actor          Actor
	Recommendation string // RecommendFund or RecommendDoNotFund
	// StartDate is when the grant agreement starts (London midnight), required to fund: never
	// before the decision; the first of Years is pro-rated to the quarters left from it.
	StartDate           time.Time
	Years               []grant.YearAmount
	Conditions          []string
	ConditionsPrecedent []string
	Reasons             string
}

// ServiceDecideRequest approves the recommendation or declines.
type ServiceDecideRequest struct {
	Actor      Actor
	NoConflict bool     // the decider's declaration that they have no conflict of interest
	Outcome    string   // OutcomeApprove or OutcomeDecline
	Declined   []string // decline reasons
}

// ConfirmConditionsRequest records that the conditions precedent are met.
type ConfirmConditionsRequest struct {
	Actor Actor
	Note  string
}

// RecordTranchePaymentRequest is finance paying a released tranche.
type RecordTranchePaymentRequest struct {
	Actor     Actor
	Tranche   int
	Amount    money.Pence
	PaidOn    time.Time
	Reference string
}

// IndicatorActual is an indicator's figure for the quarter.
type IndicatorActual struct {
	Key    string `json:"key"`
	Actual int64  `json:"actual"`
}

// BeneficiaryCount is people helped in an area (and ward, where the scheme lists wards) and age
// band: grant.BeneficiaryCount, which end-of-grant reports share.
type BeneficiaryCount = grant.BeneficiaryCount

// Age bands for beneficiaries; the first two count as under-25s.
var AgeBands = grant.AgeBands

// ReturnContent is a quarterly monitoring return.
type ReturnContent struct {
	Indicators            []IndicatorActual  `json:"indicators"`
	SpendToDate           money.Pence        `json:"spend_to_date_pence"`
	Beneficiaries         []BeneficiaryCount `json:"beneficiaries"`
	SafeguardingIncidents int                `json:"safeguarding_incidents"`
	Narrative             string             `json:"narrative"`
}

// Under25 counts the beneficiaries under 25.
func (c ReturnContent) Under25() int {
	n := 0
	for _, b := range c.Beneficiaries {
		if b.AgeBand != "25_plus" {
			n += b.Count
		}
	}
	return n
}

// SubmitReturnRequest is the provider's return for one quarter.
type SubmitReturnRequest struct {
	Actor   Actor
	Quarter Quarter
	Content ReturnContent
}

// RAG ratings.
const (
	RAGRed   = "red"
	RAGAmber = "amber"
	RAGGreen = "green"
)

// ReviewReturnRequest is the officer's review of a quarter's return.
type ReviewReturnRequest struct {
	Actor   Actor
	Quarter Quarter
	Outcome string // ReviewAccept or ReviewRequestChanges
	RAG     string
	Comment string
}

// VaryRequest changes an award: new amounts per year (adding or removing years moves the end
// date), new conditions, and a summary for the re-issued agreement.
type VaryRequest struct {
	Actor      Actor
	Years      []grant.YearAmount
	Conditions []string
	Summary    string
}

// AcceptVariationRequest is the provider's acceptance of the varied agreement: the version they
// read, which must be the award's latest.
type AcceptVariationRequest struct {
	Actor   Actor
	Version int
}

// TerminateRequest ends an award early.
type TerminateRequest struct {
	Actor  Actor
	Reason string
}

// PanelSeat is one assessor on the panel.
type PanelSeat struct {
	AssessorID int64         `json:"assessor_id"`
	Name       string        `json:"name"`
	Deadline   time.Time     `json:"deadline"`
	Removed    bool          `json:"removed"`
	Submitted  bool          `json:"submitted"`
	Summary    *ScoreSummary `json:"summary,omitempty"`
	Reminded   bool          `json:"reminded"`
	Escalated  bool          `json:"escalated"`
}

// ServiceRecommendation is the moderated recommendation.
type ServiceRecommendation struct {
	By                  Actor              `json:"by"`
	Fund                bool               `json:"fund"`
	Years               []grant.YearAmount `json:"years"`
	Conditions          []string           `json:"conditions"`
	ConditionsPrecedent []string           `json:"conditions_precedent"`
	Reasons             string             `json:"reasons"`
	StartDate           time.Time          `json:"start_date,omitzero"` // zero for recommendations from before start dates
	Version             int                `json:"version,omitempty"`   // 2, 3, ... when moderated again at decision
}

// ServiceAward is the award as the workflow tracks it.
type ServiceAward struct {
	ID             int64              `json:"id"`
	Reference      string             `json:"reference"`
	Version        int                `json:"version"`
	Years          []grant.YearAmount `json:"years"`
	Conditions     []string           `json:"conditions"`
	FirstFY        int                `json:"first_financial_year"`
	StartDate      time.Time          `json:"start_date,omitzero"` // zero: an award from before start dates, which ran from 1 April of FirstFY
	AcceptBy       time.Time          `json:"accept_by"`
	AcceptReminded bool               `json:"accept_reminded"`
	DecisionRecord string             `json:"decision_record,omitempty"`
	ConditionsMet  bool               `json:"conditions_met"`
	Terminated     bool               `json:"terminated"`
	Paid           money.Pence        `json:"paid_pence"`
	// A varied agreement awaiting the provider's acceptance (StageVariationOffered): by when, and
	// whether the provider has been reminded and the officer told that the date has passed.
	VariationAcceptBy  time.Time `json:"variation_accept_by,omitempty"`
	VariationReminded  bool      `json:"variation_reminded,omitempty"`
	VariationEscalated bool      `json:"variation_escalated,omitempty"`
}

// Start is when the award's agreement starts.
func (a *ServiceAward) Start() AwardStart { return AwardStart{FirstFY: a.FirstFY, Date: a.StartDate} }

// Return statuses.
const (
	ReturnAwaiting         = "awaiting"
	ReturnSubmitted        = "submitted"
	ReturnChangesRequested = "changes_requested"
	ReturnAccepted         = "accepted"
	ReturnNotRequired      = "not_required" // for a quarter that had not begun when the award ended early
	ReturnWaived           = "waived"       // missing at closure, waived by the head of commissioning
)

// ReturnState is one quarter's monitoring return as the workflow tracks it.
type ReturnState struct {
	Quarter        Quarter   `json:"quarter"`
	Due            time.Time `json:"due"`
	Status         string    `json:"status"`
	Version        int       `json:"version"`
	RAG            string    `json:"rag,omitempty"`
	RemindedBefore bool      `json:"reminded_before"`
	RemindedOnDay  bool      `json:"reminded_on_day"`
	Overdue        bool      `json:"overdue"`
}

// ServiceState is the whole state of a service application, carried from one run to the next when
// the workflow continues as new at each financial year end. It is also the status query's answer.
type ServiceState struct {
	In             ServiceInput           `json:"input"` // carried into the next run: it must survive the data converter
	Stage          Stage                  `json:"stage"`
	Run            int                    `json:"run"`
	Barred         []int64                `json:"barred_user_ids,omitempty"`
	Eligibility    *EligibilityResult     `json:"eligibility,omitempty"`
	Panel          []PanelSeat            `json:"panel"`
	Recommendation *ServiceRecommendation `json:"recommendation,omitempty"`
	DeclineReasons []string               `json:"decline_reasons,omitempty"`
	Award          *ServiceAward          `json:"award,omitempty"`
	Tranches       []TrancheState         `json:"tranches,omitempty"`
	Returns        []ReturnState          `json:"returns,omitempty"`
	Committed      bool                   `json:"committed"` // the budget holds this application's amounts
	FinalVersion   int                    `json:"final_report_version"`
	FinalSpent     money.Pence            `json:"final_spent_pence"`
	AgendaFailures int                    `json:"agenda_failures,omitempty"` // times the agenda has been held (holdAfterAgendaFailure)
	// Reconciling is set when the final report is submitted under version marker
	// closure-reconciliation: closure then refuses missing returns and recovers an underspend.
	Reconciling bool      `json:"reconciling,omitempty"`
	Recovery    *Recovery `json:"recovery,omitempty"`
}

// ServiceWorkflow carries a commissioned-service application from submission through panel,
// moderation and decision to an award paid in quarterly tranches over years, gated by monitoring
// returns, to closure. Each run covers at most one financial year of delivery, then continues as new.
func ServiceWorkflow(ctx workflow.Context, st ServiceState) (ServiceState, error) {
	sv := &service{st: st}
	if sv.st.Stage == "" {
		sv.st.Stage = StageSubmitted
	}
	sv.st.Run++
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	if err := sv.setup(ctx); err != nil {
		return sv.st, err
	}
	return sv.run(ctx)
}

type service struct {
	application
	st    ServiceState
	dirty bool // a handler changed something the main line should look at
	// advanced is set when the clock moves forward (advance-clock) and cleared only as the agenda
	// is next processed, so an advance that lands while the agenda is busy is not lost.
	advanced bool
	// releasing is the tranche whose payment notice is being issued: the read model may already
	// show it released, so finance's payment is let through to wait for the lock, and is checked
	// again there once the release is done (or refused if it failed).
	releasing int
}

func (sv *service) setup(ctx workflow.Context) error {
	sv.application = newApplication(ctx, scheme.Service, sv.st.In.ApplicationID, sv.st.In.OrganisationID, sv.st.In.Rules, sv.st.Stage)
	sv.barred, sv.offset = sv.st.Barred, sv.st.In.ClockOffset
	sv.markTwoPersonPayments(ctx)
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (ServiceState, error) { return sv.snapshot(), nil }); err != nil {
		return err
	}
	sv.listenForClockAdvances(ctx)
	return errors.Join(
		humanStep(ctx, &sv.application, UpdateAssignPanel, sv.validateAssignPanel, sv.assignPanel, "Panel assigned."),
		humanStep(ctx, &sv.application, UpdateDeclareConflict, sv.validateDeclareConflict, sv.declareConflict, "Declaration recorded."),
		humanStep(ctx, &sv.application, UpdateAssess, sv.validateAssess, sv.assess, "Scores recorded."),
		humanStep(ctx, &sv.application, UpdateModerate, sv.validateModerate, sv.moderate, "Recommendation recorded and decision pack produced."),
		humanStep(ctx, &sv.application, UpdateDecide, sv.validateDecide, sv.decide, "Decision recorded."),
		humanStep(ctx, &sv.application, UpdateAcceptOffer, sv.validateAcceptOffer, sv.acceptOffer, "Offer accepted."),
		humanStep(ctx, &sv.application, UpdateConfirmConditions, sv.validateConfirmConditions, sv.confirmConditions, "Conditions precedent confirmed: tranches are released as they fall due."),
		humanStep(ctx, &sv.application, UpdateProposePayment, sv.validateProposeTranche, sv.proposeTranche, "Payment proposed: another member of finance approves it."),
		humanStep(ctx, &sv.application, UpdateApprovePayment, sv.validateApproveTranche, sv.approveTranche, "Payment approved: it can be paid."),
		humanStep(ctx, &sv.application, UpdateRecordTranche, sv.validateRecordTranche, sv.recordTranche, "Payment recorded."),
		humanStep(ctx, &sv.application, UpdateSubmitReturn, sv.validateSubmitReturn, sv.submitReturn, "Return submitted: a commissioning officer will review it."),
		humanStep(ctx, &sv.application, UpdateReviewReturn, sv.validateReviewReturn, sv.reviewReturn, "Review recorded."),
		humanStep(ctx, &sv.application, UpdateVary, sv.validateVary, sv.vary, "Variation decided; the agreement has been re-issued."),
		humanStep(ctx, &sv.application, UpdateAcceptVariation, sv.validateAcceptVariation, sv.acceptVariation,
			"Varied agreement accepted: payments go on under its terms."),
		humanStep(ctx, &sv.application, UpdateTerminate, sv.validateTerminate, sv.terminate, "Award ended early: the provider is asked for a final report."),
		humanStep(ctx, &sv.application, UpdateSubmitFinalReport, sv.validateSubmitFinalReport, sv.submitFinalReport, "Final report submitted."),
		humanStep(ctx, &sv.application, UpdateReviewFinalReport, sv.validateReviewFinalReport, sv.reviewFinalReport, "Final report reviewed."),
		humanStep(ctx, &sv.application, UpdateWaiveReturns, sv.validateWaiveReturns, sv.waiveReturns, "Returns waived: the grant may close without them."),
		humanStep(ctx, &sv.application, UpdateRecordRepayment, sv.validateRecordRepayment, sv.recordRepayment, "Repayment recorded."),
		humanStep(ctx, &sv.application, UpdateWriteOff, sv.validateWriteOff, sv.writeOff, "Amount owed written off: the grant is closed."),
	)
}

// listenForClockAdvances moves the clock of a workflow started with a clock offset (tests and
// demos) forward by each advance-clock signal, and wakes the agenda to act on the new time. The
// offset is carried into later runs. A workflow on the real clock ignores the signal.
func (sv *service) listenForClockAdvances(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, SignalAdvanceClock)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var by time.Duration
			ch.Receive(ctx, &by)
			if sv.st.In.ClockOffset == 0 || by <= 0 {
				sv.logger.Warn("advance-clock ignored: only a workflow started with a clock offset moves forward", "by", by)
				continue
			}
			sv.st.In.ClockOffset += by
			sv.offset = sv.st.In.ClockOffset
			sv.advanced = true
		}
	})
}

// snapshot is the state with the shared fields folded in.
func (sv *service) snapshot() ServiceState {
	st := sv.st
	st.Stage, st.Barred = sv.stage, sv.barred
	return st
}

// showing is a publication's view of the service for stepShowing: change, the state a step's
// activity writes, applied over a copy of the state (the award copied, so change may set its
// fields; anything else it must replace, not change in place), put back by the returned restore.
func (sv *service) showing(change func()) func() (restore func()) {
	return func() func() {
		saved := sv.st
		if saved.Award != nil {
			award := *saved.Award
			sv.st.Award = &award
		}
		change()
		return func() { sv.st = saved }
	}
}

// run screens a new application, then works through the agenda (deadlines, tranches, returns) as
// they fall due, waking early whenever a person's step changes something, until the grant ends or
// the financial year does.
func (sv *service) run(ctx workflow.Context) (ServiceState, error) {
	if sv.stage == StageSubmitted {
		if err := sv.screen(ctx); err != nil {
			return sv.end(ctx, err)
		}
	}
	runFY := scheme.FinancialYear(sv.now(ctx)) // a run delivers at most one financial year
	for !sv.finished() {
		sv.advanced = false
		if err := sv.locked(ctx, func() error { return sv.processAgenda(ctx) }); err != nil {
			if !sv.holdAfterAgendaFailure(ctx, err) {
				return sv.end(ctx, err)
			}
			continue
		}
		if sv.finished() {
			break
		}
		now := sv.now(ctx)
		if sv.delivering() && scheme.FinancialYear(now) > runFY {
			return sv.continueAsNew(ctx)
		}
		wake, timed := sv.nextAgendaTime(now)
		if yearEnd := (Quarter{FY: runFY, Q: 4}).End(); sv.delivering() && (!timed || yearEnd.Before(wake)) {
			wake, timed = yearEnd, true
		}
		sv.dirty = false
		changed := func() bool { return sv.dirty || sv.advanced || sv.finished() }
		var err error
		if timed {
			err = awaitUntil(ctx, wake.Sub(now), changed)
		} else {
			err = workflow.Await(ctx, changed)
		}
		if err != nil {
			return sv.end(ctx, err)
		}
	}
	return sv.end(ctx, nil)
}

// agendaRetry is how long the agenda waits, after one of its steps failed for good, before it
// tries again (unless a person's step comes first).
const agendaRetry = 24 * time.Hour

// holdAfterAgendaFailure keeps a multi-year award going when a step of its agenda fails for good
// (a payment notice that cannot be made, say) rather than ending the whole award: the officer is
// told what failed, and the agenda is tried again a day later, or as soon as someone takes a step.
// It reports false, and the run ends with the error as it always did, for a cancelled workflow, a
// run from before this existed (version marker), or when even the officer cannot be told.
func (sv *service) holdAfterAgendaFailure(ctx workflow.Context, err error) bool {
	if temporal.IsCanceledError(err) || workflow.GetVersion(ctx, "agenda-failure-hold", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return false
	}
	sv.st.AgendaFailures++
	reference := ""
	if sv.st.Award != nil {
		reference = sv.st.Award.Reference + ": "
	}
	msg := fmt.Sprintf("%sa scheduled step could not be done and will be tried again within a day, or as soon as a step is taken on the award: %v", reference, err)
	if nerr := sv.notify(ctx, fmt.Sprintf("agenda-failed-%d", sv.st.AgendaFailures), "officer", "escalation", msg); nerr != nil {
		return false
	}
	sv.dirty = false
	return awaitUntil(ctx, agendaRetry, func() bool { return sv.dirty || sv.finished() }) == nil
}

func (sv *service) finished() bool {
	switch sv.stage {
	case StageIneligible, StageDeclined, StageLapsed, StageClosed:
		return true
	}
	return false
}

// delivering is true once an award is accepted: only then do runs roll over at year end.
func (sv *service) delivering() bool {
	switch sv.stage {
	case StageAccepted, StageActive, StageVariationOffered, StageFinalReport, StageFinalSubmitted:
		return true
	}
	return false
}

func (sv *service) end(ctx workflow.Context, err error) (ServiceState, error) {
	sv.settle()
	if waitErr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); waitErr != nil && err == nil {
		err = waitErr
	}
	return sv.snapshot(), err
}

// continueAsNew starts the next financial year's run with the state carried over, once no step is
// half-way through.
func (sv *service) continueAsNew(ctx workflow.Context) (ServiceState, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return sv.snapshot(), err
	}
	return sv.snapshot(), workflow.NewContinueAsNewError(ctx, ServiceWorkflow, sv.snapshot())
}

// processAgenda does whatever has fallen due: panel reminders and escalations, the acceptance
// reminder and lapse, tranche releases and holds, return reminders and escalations, and the move to
// the final report once every quarter is done.
func (sv *service) processAgenda(ctx workflow.Context) error {
	now := sv.now(ctx)
	switch sv.stage {
	case StageAssessment:
		return sv.panelAgenda(ctx, now)
	case StageOffered:
		return sv.offerAgenda(ctx, now)
	case StageAccepted, StageActive:
		if err := sv.trancheAgenda(ctx, now); err != nil {
			return err
		}
		if err := sv.returnAgenda(ctx, now); err != nil {
			return err
		}
		return sv.completeIfDone(ctx)
	case StageVariationOffered: // tranches due are held until the provider accepts; returns go on
		if err := sv.trancheAgenda(ctx, now); err != nil {
			return err
		}
		if err := sv.returnAgenda(ctx, now); err != nil {
			return err
		}
		return sv.variationAgenda(ctx, now)
	case StageFinalReport, StageFinalSubmitted:
		return sv.returnAgenda(ctx, now)
	case StageRecovery:
		return sv.recoveryAgenda(ctx, now)
	}
	return nil
}

// nextAgendaTime is the next moment something falls due. Each phase names its own moments, beside
// the agenda that acts on them, so the due-time rules are written once.
func (sv *service) nextAgendaTime(now time.Time) (time.Time, bool) {
	var moments []time.Time
	switch sv.stage {
	case StageAssessment:
		moments = sv.panelMoments()
	case StageOffered:
		moments = sv.offerMoments()
	case StageAccepted, StageActive, StageFinalReport, StageFinalSubmitted:
		moments = append(sv.trancheMoments(), sv.returnMoments()...)
	case StageVariationOffered:
		moments = append(append(sv.trancheMoments(), sv.returnMoments()...), sv.variationMoments()...)
	case StageRecovery:
		moments = sv.recoveryMoments()
	}
	var next time.Time
	for _, t := range moments {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	return next, !next.IsZero()
}
