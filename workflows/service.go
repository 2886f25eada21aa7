package workflows

import (
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

// ---- Contract: the commissioned-service workflow ----

// Service updates, in addition to the shared declare-conflict, assess, decide and accept-offer.
const (
	UpdateAssignPanel        = "assign-panel"
	UpdateModerate           = "moderate"
	UpdateConfirmConditions  = "confirm-conditions"
	UpdateRecordTranche      = "record-tranche-payment"
	UpdateSubmitReturn       = "submit-return"
	UpdateReviewReturn       = "review-return"
	UpdateVary               = "vary"
	UpdateTerminate          = "terminate"
	UpdateSubmitFinalReport  = "submit-final-report"
	UpdateReviewFinalReport  = "review-final-report"
	ServiceWorkflowName      = "ServiceWorkflow"
	serviceRunEventsEstimate = 2000 // each run (one financial year) must stay well under this
)

// Service stages, in addition to the shared ones.
const (
	StageModeration      Stage = "moderation"
	StageActive          Stage = "active"       // conditions met, tranches and returns running
	StageFinalReport     Stage = "final_report" // awaiting the final report (after the last quarter or a termination)
	StageFinalSubmitted  Stage = "final_report_submitted"
	StageTerminatedEarly Stage = "terminated" // recorded with the termination; the grant then awaits its final report
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
	Submitter        Actor
	Title            string
	Purpose          string
	Areas            []string
	Priorities       []string
	Service          grant.ServiceDetails
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
	Actor               Actor
	Recommendation      string // RecommendFund or RecommendDoNotFund
	Years               []grant.YearAmount
	Conditions          []string
	ConditionsPrecedent []string
	Reasons             string
}

// ServiceDecideRequest approves the recommendation or declines.
type ServiceDecideRequest struct {
	Actor    Actor
	Outcome  string   // OutcomeApprove or OutcomeDecline
	Declined []string // decline reasons
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

// BeneficiaryCount is people helped in an area and age band.
type BeneficiaryCount struct {
	Area    string `json:"area"`
	AgeBand string `json:"age_band"` // under_18, 18_24, 25_plus
	Count   int    `json:"count"`
}

// Age bands for beneficiaries; the first two count as under-25s.
var AgeBands = []string{"under_18", "18_24", "25_plus"}

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
}

// ServiceAward is the award as the workflow tracks it.
type ServiceAward struct {
	ID             int64              `json:"id"`
	Reference      string             `json:"reference"`
	Version        int                `json:"version"`
	Years          []grant.YearAmount `json:"years"`
	Conditions     []string           `json:"conditions"`
	FirstFY        int                `json:"first_financial_year"`
	AcceptBy       time.Time          `json:"accept_by"`
	AcceptReminded bool               `json:"accept_reminded"`
	DecisionRecord string             `json:"decision_record,omitempty"`
	ConditionsMet  bool               `json:"conditions_met"`
	Terminated     bool               `json:"terminated"`
	Paid           money.Pence        `json:"paid_pence"`
}

// Return statuses.
const (
	ReturnAwaiting         = "awaiting"
	ReturnSubmitted        = "submitted"
	ReturnChangesRequested = "changes_requested"
	ReturnAccepted         = "accepted"
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
}

// ---- Workflow ----

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
	// releasing is the tranche whose payment notice is being issued: the read model may already
	// show it released, so finance's payment is let through to wait for the lock, and is checked
	// again there once the release is done (or refused if it failed).
	releasing int
}

func (sv *service) setup(ctx workflow.Context) error {
	sv.application = newApplication(ctx, sv.st.In.ApplicationID, sv.st.In.OrganisationID, sv.st.In.Rules, sv.st.Stage)
	sv.barred, sv.offset = sv.st.Barred, sv.st.In.ClockOffset
	if err := workflow.SetQueryHandler(ctx, QueryStatus, func() (ServiceState, error) { return sv.snapshot(), nil }); err != nil {
		return err
	}
	return registerUpdates(ctx, []updateHandler{
		{UpdateAssignPanel, sv.assignPanel, sv.validateAssignPanel},
		{UpdateDeclareConflict, sv.declareConflict, sv.validateDeclareConflict},
		{UpdateAssess, sv.assess, sv.validateAssess},
		{UpdateModerate, sv.moderate, sv.validateModerate},
		{UpdateDecide, sv.decide, sv.validateDecide},
		{UpdateAcceptOffer, sv.acceptOffer, sv.validateAcceptOffer},
		{UpdateConfirmConditions, sv.confirmConditions, sv.validateConfirmConditions},
		{UpdateRecordTranche, sv.recordTranche, sv.validateRecordTranche},
		{UpdateSubmitReturn, sv.submitReturn, sv.validateSubmitReturn},
		{UpdateReviewReturn, sv.reviewReturn, sv.validateReviewReturn},
		{UpdateVary, sv.vary, sv.validateVary},
		{UpdateTerminate, sv.terminate, sv.validateTerminate},
		{UpdateSubmitFinalReport, sv.submitFinalReport, sv.validateSubmitFinalReport},
		{UpdateReviewFinalReport, sv.reviewFinalReport, sv.validateReviewFinalReport},
	})
}

// snapshot is the state with the shared fields folded in.
func (sv *service) snapshot() ServiceState {
	st := sv.st
	st.Stage, st.Barred = sv.stage, sv.barred
	return st
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
		changed := func() bool { return sv.dirty || sv.finished() }
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
	case StageAccepted, StageActive, StageFinalReport, StageFinalSubmitted:
		return true
	}
	return false
}

func (sv *service) end(ctx workflow.Context, err error) (ServiceState, error) {
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

// ---- Stages ----

func (sv *service) screen(ctx workflow.Context) error {
	if err := sv.moveTo(ctx, StageScreening, grant.System, "Eligibility screening started", ""); err != nil {
		return err
	}
	in := sv.st.In
	years := in.Service.Years
	amount := money.Pence(0)
	for _, y := range years { // the year furthest outside the limits, or the largest
		if y.Amount < in.Rules.MinAmount {
			amount = y.Amount
			break
		}
		amount = max(amount, y.Amount)
	}
	var start, end time.Time
	if len(years) > 0 {
		start = Quarter{FY: years[0].FinancialYear, Q: 1}.Start()
		end = Quarter{FY: years[len(years)-1].FinancialYear, Q: 4}.End().AddDate(0, 0, -1)
	}
	result := CheckEligibility(in.Rules, EligibilityInput{
		OrganisationType: in.OrganisationType, AreasServed: in.Areas, Priorities: in.Priorities, Amount: amount,
		ProjectStart: civilDate(start), ProjectEnd: civilDate(end), RoundOpens: in.RoundOpens, RoundCloses: in.RoundCloses,
		SubmittedAt: sv.now(ctx),
	})
	sv.st.Eligibility = &result
	if !result.Eligible {
		return sv.moveTo(ctx, StageIneligible, grant.System, "Not eligible: application closed", strings.Join(result.Reasons(), " "))
	}
	return sv.moveTo(ctx, StageAssessment, grant.System, "Eligible: awaiting the assessment panel", "All eligibility checks passed.")
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
	case StageFinalReport, StageFinalSubmitted:
		return sv.returnAgenda(ctx, now)
	}
	return nil
}

// nextAgendaTime is the next moment something falls due.
func (sv *service) nextAgendaTime(now time.Time) (time.Time, bool) {
	var next time.Time
	consider := func(t time.Time) {
		if t.After(now) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	switch sv.stage {
	case StageAssessment:
		for _, p := range sv.st.Panel {
			if !p.Removed && !p.Submitted {
				consider(p.Deadline.AddDate(0, 0, -sv.rules.PanelReminder()))
				consider(p.Deadline)
			}
		}
	case StageOffered:
		consider(sv.st.Award.AcceptBy.AddDate(0, 0, -sv.rules.AcceptanceReminderDays))
		consider(sv.st.Award.AcceptBy)
	case StageAccepted, StageActive, StageFinalReport, StageFinalSubmitted:
		for _, t := range sv.st.Tranches {
			if t.Status == TrancheScheduled {
				consider(t.Due)
			}
		}
		for _, r := range sv.st.Returns {
			if r.Status == ReturnAwaiting || r.Status == ReturnChangesRequested {
				consider(r.Due.AddDate(0, 0, -sv.rules.ReturnReminder()))
				consider(startOfDay(r.Due))
				consider(r.Due)
			}
		}
	}
	return next, !next.IsZero()
}

func (sv *service) panelAgenda(ctx workflow.Context, now time.Time) error {
	for i := range sv.st.Panel {
		p := &sv.st.Panel[i]
		if p.Removed || p.Submitted {
			continue
		}
		deadline := p.Deadline.In(scheme.London).Format("2 January 2006")
		if !p.Reminded && !now.Before(p.Deadline.AddDate(0, 0, -sv.rules.PanelReminder())) && now.Before(p.Deadline) {
			p.Reminded = true
			if err := sv.notify(ctx, fmt.Sprintf("panel-reminder-%d", p.AssessorID), fmt.Sprintf("user:%d", p.AssessorID), "reminder",
				fmt.Sprintf("Your scores for %s are due by %s.", sv.st.In.Title, deadline)); err != nil {
				return err
			}
		}
		if !p.Escalated && !now.Before(p.Deadline) {
			p.Escalated, p.Reminded = true, true
			if err := sv.notify(ctx, fmt.Sprintf("panel-overdue-%d", p.AssessorID), "officer", "escalation",
				fmt.Sprintf("%s has not scored %s; the deadline was %s.", p.Name, sv.st.In.Title, deadline)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (sv *service) offerAgenda(ctx workflow.Context, now time.Time) error {
	a := sv.st.Award
	remindAt := a.AcceptBy.AddDate(0, 0, -sv.rules.AcceptanceReminderDays)
	if !a.AcceptReminded && !now.Before(remindAt) && now.Before(a.AcceptBy) {
		a.AcceptReminded = true
		if err := sv.notify(ctx, "acceptance-reminder", "applicant", "reminder", fmt.Sprintf("Your offer of %s (%s) must be accepted by %s or it will lapse.",
			WholeLife(a.Years), a.Reference, a.AcceptBy.In(scheme.London).Format("2 January 2006"))); err != nil {
			return err
		}
	}
	if now.Before(a.AcceptBy) {
		return nil
	}
	lapse := activities.SetAwardStatusInput{Step: sv.step(ctx, grant.System, "Offer lapsed: not accepted in time", "The acceptance deadline passed.", StageLapsed), AwardStatus: "lapsed"}
	if err := workflow.ExecuteActivity(ctx, awards.SetAwardStatus, lapse).Get(ctx, nil); err != nil {
		return err
	}
	release := sv.step(ctx, grant.System, "Budget released", WholeLife(a.Years).String()+" returned to the scheme's budgets.", StageLapsed)
	if err := workflow.ExecuteActivity(ctx, awards.ReleaseBudget, release).Get(ctx, nil); err != nil {
		return err
	}
	sv.setStage(ctx, StageLapsed)
	return nil
}

// trancheAgenda releases each due tranche whose conditions are met and holds the others.
func (sv *service) trancheAgenda(ctx workflow.Context, now time.Time) error {
	for i := range sv.st.Tranches {
		t := &sv.st.Tranches[i]
		if (t.Status != TrancheScheduled && t.Status != TrancheHeld) || t.Due.After(now) || sv.st.Award.Terminated {
			continue
		}
		reason := sv.holdReason(*t)
		if reason == "" {
			if err := sv.releaseTranche(ctx, t); err != nil {
				return err
			}
			continue
		}
		if t.Status == TrancheHeld && t.HeldReason == reason {
			continue
		}
		in := activities.HoldTrancheInput{Step: sv.step(ctx, grant.System, fmt.Sprintf("Tranche %d (%s) held", t.No, t.Quarter.Label()), reason, sv.stage),
			AwardID: sv.st.Award.ID, Tranche: t.No, Reason: reason}
		if err := workflow.ExecuteActivity(ctx, awards.HoldTranche, in).Get(ctx, nil); err != nil {
			return err
		}
		t.Status, t.HeldReason = TrancheHeld, reason
		if err := sv.notify(ctx, fmt.Sprintf("tranche-%d-held-%d", t.No, len(reason)), "officer", "tranche_held",
			fmt.Sprintf("%s tranche %d (%s, %s) is held: %s", sv.st.Award.Reference, t.No, t.Quarter.Label(), t.Amount, reason)); err != nil {
			return err
		}
	}
	return nil
}

// holdReason says why a due tranche cannot be released yet, or "" when it can.
func (sv *service) holdReason(t TrancheState) string {
	if !sv.st.Award.ConditionsMet {
		return "the conditions precedent have not been confirmed as met"
	}
	prev := Quarter{FY: t.Quarter.FY, Q: t.Quarter.Q - 1}
	if t.Quarter.Q == 1 {
		prev = Quarter{FY: t.Quarter.FY - 1, Q: 4}
	}
	for _, r := range sv.st.Returns {
		if r.Quarter == prev && r.Status != ReturnAccepted {
			return fmt.Sprintf("the %s monitoring return has not been accepted", prev.Label())
		}
	}
	return ""
}

func (sv *service) releaseTranche(ctx workflow.Context, t *TrancheState) error {
	basis := "conditions precedent met"
	if TrancheNo(sv.st.Award.FirstFY, t.Quarter) > 1 {
		prev := Quarter{FY: t.Quarter.FY, Q: t.Quarter.Q - 1}
		if t.Quarter.Q == 1 {
			prev = Quarter{FY: t.Quarter.FY - 1, Q: 4}
		}
		basis += " and the " + prev.Label() + " monitoring return accepted"
	}
	in := activities.ReleaseTrancheInput{
		Step:    sv.step(ctx, grant.System, fmt.Sprintf("Tranche %d (%s) released: %s payment notice sent to finance", t.No, t.Quarter.Label(), t.Amount), basis, sv.stage),
		AwardID: sv.st.Award.ID, Tranche: t.No, Quarter: t.Quarter.Label(), Due: t.Due, Amount: t.Amount, Basis: basis,
	}
	sv.releasing = t.No
	defer func() { sv.releasing = 0 }()
	if err := workflow.ExecuteActivity(ctx, documents.IssuePaymentNotice, in).Get(ctx, nil); err != nil {
		return err
	}
	t.Status, t.HeldReason = TrancheReleased, ""
	return nil
}

// returnAgenda sends return reminders (before and on the due date) and escalates overdue returns.
func (sv *service) returnAgenda(ctx workflow.Context, now time.Time) error {
	for i := range sv.st.Returns {
		r := &sv.st.Returns[i]
		if r.Status != ReturnAwaiting && r.Status != ReturnChangesRequested {
			continue
		}
		due := r.Due.In(scheme.London).Format("2 January 2006")
		key := fmt.Sprintf("return-%d-q%d-v%d", r.Quarter.FY, r.Quarter.Q, r.Version)
		before := r.Due.AddDate(0, 0, -sv.rules.ReturnReminder())
		if !r.RemindedBefore && !now.Before(before) {
			r.RemindedBefore = true
			if now.Before(startOfDay(r.Due)) {
				if err := sv.notify(ctx, key+"-before", "applicant", "reminder",
					fmt.Sprintf("Your %s monitoring return for %s is due by %s.", r.Quarter.Label(), sv.st.Award.Reference, due)); err != nil {
					return err
				}
			}
		}
		if !r.RemindedOnDay && !now.Before(startOfDay(r.Due)) {
			r.RemindedOnDay = true
			if now.Before(r.Due) {
				if err := sv.notify(ctx, key+"-today", "applicant", "reminder",
					fmt.Sprintf("Your %s monitoring return for %s is due today.", r.Quarter.Label(), sv.st.Award.Reference)); err != nil {
					return err
				}
			}
		}
		if !r.Overdue && !now.Before(r.Due) {
			r.Overdue = true
			in := sv.step(ctx, grant.System, r.Quarter.Label()+" monitoring return overdue", "It was due by "+due+".", sv.stage)
			if err := workflow.ExecuteActivity(ctx, records.RecordStep, in).Get(ctx, nil); err != nil {
				return err
			}
			if err := sv.notify(ctx, key+"-overdue", "officer", "escalation",
				fmt.Sprintf("The %s monitoring return for %s is overdue (due %s).", r.Quarter.Label(), sv.st.Award.Reference, due)); err != nil {
				return err
			}
		}
	}
	return nil
}

// completeIfDone moves to the final report once every return is accepted and no tranche is pending.
func (sv *service) completeIfDone(ctx workflow.Context) error {
	if len(sv.st.Returns) == 0 {
		return nil
	}
	for _, r := range sv.st.Returns {
		if r.Status != ReturnAccepted {
			return nil
		}
	}
	for _, t := range sv.st.Tranches {
		if t.Status == TrancheScheduled || t.Status == TrancheHeld {
			return nil
		}
	}
	if err := sv.moveTo(ctx, StageFinalReport, grant.System, "Every quarter is done: final report due", ""); err != nil {
		return err
	}
	return sv.notify(ctx, "final-report-due", "applicant", "reminder",
		fmt.Sprintf("Every quarterly return for %s is accepted. Please submit your final report.", sv.st.Award.Reference))
}

// ---- Human steps ----

func (sv *service) validateAssignPanel(ctx workflow.Context, r AssignPanelRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning); err != nil {
		return err
	}
	if sv.stage != StageAssessment {
		return sv.wrongStage("assign the panel")
	}
	if len(r.Assessors) == 0 {
		return refuse(RefusalInvalid, "assessor_ids", "name at least one assessor")
	}
	if !r.Deadline.After(sv.now(ctx).Add(24 * time.Hour)) {
		return refuse(RefusalInvalid, "deadline", "must be at least a day from now")
	}
	active := 0
	for _, p := range sv.st.Panel {
		if !p.Removed {
			active++
		}
	}
	seen := map[int64]bool{}
	for i, n := range r.Assessors {
		field := fmt.Sprintf("assessor_ids[%d]", i)
		switch {
		case seen[n.UserID]:
			return refuse(RefusalInvalid, field, "%s is named twice", n.Name)
		case n.Role != scheme.RoleAssessor && n.Role != scheme.RoleOfficer && n.Role != scheme.RoleHeadOfCommissioning:
			return refuse(RefusalInvalid, field, "%s is not an assessor", n.Name)
		case sv.isBarred(n.UserID):
			return refuse(RefusalInvalid, field, "%s declared a conflict of interest in this application", n.Name)
		case (Actor{Organisations: n.Organisations}).MemberOf(sv.orgID):
			return refuse(RefusalInvalid, field, "%s is a member of the applicant organisation", n.Name)
		case n.UserID == r.Actor.UserID:
			return refuse(RefusalInvalid, field, "the officer who moderates cannot also score")
		case sv.seat(n.UserID) != nil && !sv.seat(n.UserID).Removed:
			return refuse(RefusalInvalid, field, "%s is already on the panel", n.Name)
		}
		seen[n.UserID] = true
		active++
	}
	if active < sv.rules.PanelSize() {
		return refuse(RefusalInvalid, "assessor_ids", "the panel needs at least %d assessors without a conflict of interest", sv.rules.PanelSize())
	}
	return nil
}

func (sv *service) assignPanel(ctx workflow.Context, r AssignPanelRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateAssignPanel(ctx, r); err != nil {
			return err
		}
		ids := make([]int64, len(r.Assessors))
		names := make([]string, len(r.Assessors))
		for i, n := range r.Assessors {
			ids[i], names[i] = n.UserID, n.Name
		}
		in := activities.AssignPanelInput{Step: sv.step(ctx, r.Actor, "Panel assigned: "+strings.Join(names, ", "),
			"Scores due by "+r.Deadline.In(scheme.London).Format("2 January 2006")+".", sv.stage), Assessors: ids, Deadline: r.Deadline}
		if err := workflow.ExecuteActivity(ctx, records.AssignPanel, in).Get(ctx, nil); err != nil {
			return err
		}
		for _, n := range r.Assessors {
			if s := sv.seat(n.UserID); s != nil {
				*s = PanelSeat{AssessorID: n.UserID, Name: n.Name, Deadline: r.Deadline}
				continue
			}
			sv.st.Panel = append(sv.st.Panel, PanelSeat{AssessorID: n.UserID, Name: n.Name, Deadline: r.Deadline})
		}
		sv.dirty = true
		return nil
	})
	return sv.result("Panel assigned."), err
}

func (sv *service) validateDeclareConflict(ctx workflow.Context, r DeclareConflictRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleAssessor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner); err != nil {
		return err
	}
	switch sv.stage {
	case StageAssessment, StageModeration, StageDecision:
	default:
		return sv.wrongStage("declare a conflict of interest")
	}
	if seat := sv.seat(r.Actor.UserID); seat != nil && seat.Submitted {
		return refuse(RefusalStage, "", "you have already scored this application; ask the officer to remove your scores instead")
	}
	if r.HasConflict && strings.TrimSpace(r.Details) == "" {
		return refuse(RefusalInvalid, "details", "say what the conflict of interest is")
	}
	return nil
}

// declareConflict records a declaration; a conflict removes the person from the panel and from
// seeing the scores, and tells the officer if the panel is now short.
func (sv *service) declareConflict(ctx workflow.Context, r DeclareConflictRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateDeclareConflict(ctx, r); err != nil {
			return err
		}
		what, why := "Declared no conflict of interest", ""
		if r.HasConflict {
			what, why = "Declared a conflict of interest: removed from the panel and barred from scoring and deciding", r.Details
		}
		in := activities.DeclareConflictInput{Step: sv.step(ctx, r.Actor, what, why, sv.stage), HasConflict: r.HasConflict, Details: r.Details}
		if err := workflow.ExecuteActivity(ctx, records.DeclareConflict, in).Get(ctx, nil); err != nil {
			return err
		}
		if !r.HasConflict {
			return nil
		}
		if seat := sv.seat(r.Actor.UserID); seat != nil && !seat.Removed {
			rm := activities.RemoveFromPanelInput{Step: sv.step(ctx, r.Actor, r.Actor.Name+" removed from the panel", "Declared a conflict of interest.", sv.stage),
				Assessor: r.Actor.UserID, Reason: "conflict of interest"}
			if err := workflow.ExecuteActivity(ctx, records.RemoveFromPanel, rm).Get(ctx, nil); err != nil {
				return err
			}
			seat.Removed = true
		}
		sv.barred = append(sv.barred, r.Actor.UserID) // only once off the panel, so a failed removal leaves no half-state
		switch {
		case sv.stage == StageAssessment && sv.panelComplete(): // the others have all scored: no one is left to wait for
			sv.setStage(ctx, StageModeration)
			return sv.notify(ctx, "moderation-due", "officer", "reminder", fmt.Sprintf("The panel has scored %s: it is ready for moderation.", sv.st.In.Title))
		case sv.seat(r.Actor.UserID) != nil && sv.activePanel() < sv.rules.PanelSize():
			return sv.notify(ctx, fmt.Sprintf("panel-short-%d", r.Actor.UserID), "officer", "escalation",
				fmt.Sprintf("%s left the panel for %s after declaring a conflict; assign another assessor.", r.Actor.Name, sv.st.In.Title))
		}
		return nil
	})
	return sv.result("Declaration recorded."), err
}

func (sv *service) validateAssess(ctx workflow.Context, r AssessRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleAssessor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning); err != nil {
		return err
	}
	if sv.stage != StageAssessment {
		return sv.wrongStage("submit an assessment")
	}
	seat := sv.seat(r.Actor.UserID)
	switch {
	case seat == nil || seat.Removed:
		return refuse(RefusalForbidden, "", "you are not on this application's panel")
	case seat.Submitted:
		return refuse(RefusalStage, "", "you have already submitted your scores")
	case !r.NoConflict:
		return refuse(RefusalInvalid, "no_conflict", "declare that you have no conflict of interest before scoring (or declare the conflict instead)")
	}
	if err := ValidateScores(sv.rules, r.Scores); err != nil {
		return invalid(err)
	}
	if r.Recommendation != RecommendFund && r.Recommendation != RecommendDoNotFund {
		return refuse(RefusalInvalid, "recommendation", "must be %q or %q", RecommendFund, RecommendDoNotFund)
	}
	return nil
}

// assess records one panel member's scores; when the whole panel has scored, moderation begins.
func (sv *service) assess(ctx workflow.Context, r AssessRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateAssess(ctx, r); err != nil {
			return err
		}
		summary := SummariseScores(sv.rules, r.Scores)
		scores, _ := jsonMarshal(r.Scores)
		why := assessmentReason(summary, r.Recommendation)
		seat := sv.seat(r.Actor.UserID)
		seat.Submitted, seat.Summary = true, &summary
		next := sv.stage
		if sv.panelComplete() {
			next = StageModeration
		}
		in := activities.SaveAssessmentInput{Step: sv.step(ctx, r.Actor, "Panel assessment submitted", why, next), Round: 1,
			Scores: scores, Weighted: summary.Weighted, Fundable: summary.Fundable, Recommendation: r.Recommendation, Comment: r.Comment}
		if err := workflow.ExecuteActivity(ctx, records.SaveAssessment, in).Get(ctx, nil); err != nil {
			seat.Submitted, seat.Summary = false, nil
			return err
		}
		if next != sv.stage {
			sv.setStage(ctx, next)
			return sv.notify(ctx, "moderation-due", "officer", "reminder", fmt.Sprintf("The panel has scored %s: it is ready for moderation.", sv.st.In.Title))
		}
		return nil
	})
	return sv.result("Scores recorded."), err
}

func (sv *service) validateModerate(ctx workflow.Context, r ModerateRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning); err != nil {
		return err
	}
	if sv.stage != StageModeration {
		return sv.wrongStage("moderate")
	}
	if sv.seat(r.Actor.UserID) != nil {
		return refuse(RefusalForbidden, "", "a panel member cannot moderate the panel")
	}
	if strings.TrimSpace(r.Reasons) == "" {
		return refuse(RefusalInvalid, "reasons", "give the panel's reasons; they are published with the decision")
	}
	switch r.Recommendation {
	case RecommendDoNotFund:
		return nil
	case RecommendFund:
	default:
		return refuse(RefusalInvalid, "recommendation", "must be %q or %q", RecommendFund, RecommendDoNotFund)
	}
	for _, p := range sv.st.Panel {
		if p.Submitted && !p.Removed && p.Summary != nil && !p.Summary.Fundable {
			return refuse(RefusalInvalid, "recommendation", "%s's scores mark the application not fundable (%s)", p.Name, strings.Join(p.Summary.BelowMinimum, "; "))
		}
	}
	if err := ValidateYears(sv.rules, r.Years, "years"); err != nil {
		return invalid(err)
	}
	requested := map[int]money.Pence{}
	for _, y := range sv.st.In.Service.Years {
		requested[y.FinancialYear] = y.Amount
	}
	for i, y := range r.Years {
		if y.Amount > requested[y.FinancialYear] {
			return refuse(RefusalInvalid, fmt.Sprintf("years[%d].amount_pence", i), "%s is more than the %s requested for %s",
				y.Amount, requested[y.FinancialYear], scheme.FinancialYearLabel(y.FinancialYear))
		}
	}
	if r.Years[0].FinancialYear < scheme.FinancialYear(sv.now(ctx)) {
		return refuse(RefusalInvalid, "years[0].financial_year", "funding cannot start in a financial year that has ended")
	}
	switch { // the grant agreement sets both out; it cannot be written without them
	case len(r.Conditions) == 0:
		return refuse(RefusalInvalid, "conditions", "give at least one condition of grant")
	case len(r.ConditionsPrecedent) == 0:
		return refuse(RefusalInvalid, "conditions_precedent", "give at least one condition to be met before the first payment")
	}
	if err := nonEmpty(r.Conditions, "conditions"); err != nil {
		return err
	}
	return nonEmpty(r.ConditionsPrecedent, "conditions_precedent")
}

// moderate records the panel's recommendation and produces the decision pack.
func (sv *service) moderate(ctx workflow.Context, r ModerateRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateModerate(ctx, r); err != nil {
			return err
		}
		rec := ServiceRecommendation{By: r.Actor, Fund: r.Recommendation == RecommendFund, Years: r.Years, Conditions: r.Conditions,
			ConditionsPrecedent: r.ConditionsPrecedent, Reasons: r.Reasons}
		what := "Panel moderated: recommended for funding, " + WholeLife(r.Years).String()
		if !rec.Fund {
			what, rec.Years = "Panel moderated: not recommended for funding", nil
		}
		in := activities.RecommendInput{Step: sv.step(ctx, r.Actor, what, r.Reasons, StageDecision), Fund: rec.Fund, Years: rec.Years,
			Conditions: rec.Conditions, ConditionsPrecedent: rec.ConditionsPrecedent, Reasons: rec.Reasons}
		if err := workflow.ExecuteActivity(ctx, documents.IssueDecisionPack, in).Get(ctx, nil); err != nil {
			return err
		}
		sv.st.Recommendation = &rec
		sv.setStage(ctx, StageDecision)
		return nil
	})
	return sv.result("Recommendation recorded and decision pack produced."), err
}

func (sv *service) validateDecide(ctx workflow.Context, r ServiceDecideRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner); err != nil {
		return err
	}
	if sv.stage != StageDecision {
		return sv.wrongStage("decide")
	}
	rec := sv.st.Recommendation
	if r.Actor.UserID == rec.By.UserID {
		return refuse(RefusalForbidden, "", "you recommended this award, so someone else must decide it")
	}
	if sv.seat(r.Actor.UserID) != nil {
		return refuse(RefusalForbidden, "", "you sat on the panel, so someone else must decide it")
	}
	switch r.Outcome {
	case OutcomeApprove:
		if !rec.Fund {
			return refuse(RefusalInvalid, "outcome", "the panel did not recommend funding; decline it, or ask for it to be moderated again")
		}
		if err := MayApprove(sv.rules, r.Actor.Role, WholeLife(rec.Years)); err != nil {
			return refuse(RefusalForbidden, "", "%s", err.Error())
		}
	case OutcomeDecline:
		if len(r.Declined) == 0 {
			return refuse(RefusalInvalid, "decline_reasons", "give at least one reason the applicant can read")
		}
		return nonEmpty(r.Declined, "decline_reasons")
	default:
		return refuse(RefusalInvalid, "outcome", "must be %q or %q", OutcomeApprove, OutcomeDecline)
	}
	return nil
}

func (sv *service) decide(ctx workflow.Context, r ServiceDecideRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateDecide(ctx, r); err != nil {
			return err
		}
		if r.Outcome == OutcomeDecline {
			in := activities.DeclineInput{Step: sv.step(ctx, r.Actor, "Declined", strings.Join(r.Declined, " "), StageDeclined), Reasons: r.Declined}
			if err := workflow.ExecuteActivity(ctx, records.Decline, in).Get(ctx, nil); err != nil {
				return err
			}
			if sv.st.Committed { // an earlier approval committed the budget before failing
				release := sv.step(ctx, r.Actor, "Budget released", "The application was declined after an approval could not be completed.", StageDeclined)
				if err := workflow.ExecuteActivity(ctx, awards.ReleaseBudget, release).Get(ctx, nil); err != nil {
					return err
				}
				sv.st.Committed = false
			}
			in.Step = sv.step(ctx, r.Actor, "Decline letter issued", "", StageDeclined)
			if err := workflow.ExecuteActivity(ctx, documents.IssueDeclineLetter, in).Get(ctx, nil); err != nil {
				return err
			}
			sv.st.DeclineReasons = r.Declined
			sv.setStage(ctx, StageDeclined)
			return nil
		}
		return sv.approve(ctx, r)
	})
	return sv.result("Decision recorded."), err
}

// approve commits every year's budget at once, makes the award and its documents: a numbered
// decision record above the officer band, the grant agreement and the finance award notice.
//
// Every step is idempotent, so if one fails for good the application goes back to decision: the
// decider may approve again (nothing is done twice) or decline (which releases the commitment).
func (sv *service) approve(ctx workflow.Context, r ServiceDecideRequest) (err error) {
	now := sv.now(ctx)
	rec := sv.st.Recommendation
	if err := sv.commit(ctx, rec.Years); err != nil {
		return err
	}
	sv.st.Committed = true
	defer func() {
		if err != nil && sv.stage != StageDecision {
			sv.st.Award, sv.st.Tranches, sv.st.Returns = nil, nil, nil
			sv.setStage(ctx, StageDecision)
		}
	}()
	band, _ := BandFor(sv.rules, WholeLife(rec.Years))
	first := rec.Years[0].FinancialYear
	award := &ServiceAward{Reference: activities.AwardReference(sv.rules.Code, first, sv.id), Version: 1, Years: rec.Years,
		Conditions: rec.Conditions, FirstFY: first, AcceptBy: endOfDay(now.AddDate(0, 0, sv.rules.AcceptanceDays))}
	var created activities.AwardResult
	in := activities.CreateServiceAwardInput{
		Award: activities.CreateAwardInput{
			Step:      sv.step(ctx, r.Actor, fmt.Sprintf("Approved: %s over %d years", WholeLife(rec.Years), len(rec.Years)), rec.Reasons, StageApproved),
			Reference: award.Reference, Amount: WholeLife(rec.Years), Purpose: sv.st.In.Purpose, Conditions: rec.Conditions, Reasons: rec.Reasons,
			DelegationBand: band.Title, RulesVersion: sv.rules.Version, AcceptBy: award.AcceptBy,
		},
		Years: rec.Years, ConditionsPrecedent: rec.ConditionsPrecedent, Tranches: storeTranches(plannedStates(PlanTranches(rec.Years))),
	}
	if err := workflow.ExecuteActivity(ctx, awards.CreateServiceAward, in).Get(ctx, &created); err != nil {
		return err
	}
	award.ID = created.AwardID
	sv.st.Award = award
	sv.st.Tranches = plannedStates(PlanTranches(rec.Years))
	sv.st.Returns = sv.plannedReturns(rec.Years, nil)
	sv.setStage(ctx, StageApproved)
	if err := sv.issueDecisionDocuments(ctx, r.Actor, band, "Award letter and grant agreement issued", ""); err != nil {
		return err
	}
	notice := activities.IssueDocumentInput{Step: sv.step(ctx, grant.System, "Finance award notice sent", award.Reference, StageOffered)}
	if err := workflow.ExecuteActivity(ctx, documents.IssueFinanceAwardNotice, notice).Get(ctx, nil); err != nil {
		return err
	}
	sv.setStage(ctx, StageOffered)
	sv.dirty = true
	return nil
}

// commit commits (or re-commits, for a variation) the award's amounts per year against the budgets.
func (sv *service) commit(ctx workflow.Context, years []grant.YearAmount) error {
	in := activities.CommitBudgetInput{ApplicationID: sv.id, SchemeID: sv.st.In.SchemeID, Years: years, At: sv.now(ctx)}
	if err := workflow.ExecuteActivity(ctx, awards.CommitBudget, in).Get(ctx, nil); err != nil {
		if msg, ok := budgetRefusal(err); ok {
			return refuse(RefusalBudget, "years", "%s", msg)
		}
		return err
	}
	return nil
}

// issueDecisionDocuments writes the decision record (above the officer band) and the agreement.
func (sv *service) issueDecisionDocuments(ctx workflow.Context, decider Actor, band scheme.Band, what, variation string) error {
	a := sv.st.Award
	if len(sv.rules.Delegation) > 0 && band.Role != sv.rules.Delegation[0].Role {
		var number string
		in := activities.DecisionRecordInput{Step: sv.step(ctx, decider, "Decision record published", band.Title, sv.stage),
			Prefix: sv.rules.RecordPrefix(), AwardVersion: a.Version, DelegationBand: band.Title, RulesVersion: sv.rules.Version}
		if err := workflow.ExecuteActivity(ctx, documents.IssueDecisionRecord, in).Get(ctx, &number); err != nil {
			return err
		}
		a.DecisionRecord = number
	}
	agreement := activities.AgreementInput{Step: sv.step(ctx, decider, what, fmt.Sprintf("%s version %d", a.Reference, a.Version), sv.stage),
		Version: a.Version, Variation: variation}
	for _, t := range sv.st.Tranches {
		if t.Status != TrancheCancelled {
			agreement.Tranches = append(agreement.Tranches, activities.ScheduledPayment{No: t.No, Quarter: t.Quarter.Label(), Due: t.Due, Amount: t.Amount})
		}
	}
	for _, r := range sv.st.Returns {
		agreement.Returns = append(agreement.Returns, activities.ScheduledReturn{Quarter: r.Quarter.Label(), Due: r.Due})
	}
	return workflow.ExecuteActivity(ctx, documents.IssueGrantAgreement, agreement).Get(ctx, nil)
}

func (sv *service) validateAcceptOffer(ctx workflow.Context, r AcceptOfferRequest) error {
	if err := sv.mayAct(r.Actor); err != nil {
		return err
	}
	if sv.stage != StageOffered {
		return sv.wrongStage("accept the offer")
	}
	if !sv.now(ctx).Before(sv.st.Award.AcceptBy) {
		return refuse(RefusalStage, "", "the offer lapsed on %s", sv.st.Award.AcceptBy.In(scheme.London).Format("2 January 2006"))
	}
	return nil
}

func (sv *service) acceptOffer(ctx workflow.Context, r AcceptOfferRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateAcceptOffer(ctx, r); err != nil {
			return err
		}
		in := activities.SetAwardStatusInput{Step: sv.step(ctx, r.Actor, "Offer accepted: conditions precedent to be confirmed", "", StageAccepted), AwardStatus: "accepted", Accepting: true}
		if err := workflow.ExecuteActivity(ctx, awards.SetAwardStatus, in).Get(ctx, nil); err != nil {
			return err
		}
		sv.setStage(ctx, StageAccepted)
		sv.dirty = true
		return sv.notify(ctx, "conditions-precedent", "officer", "reminder",
			fmt.Sprintf("%s accepted %s: confirm its conditions precedent so the first tranche can be released.", sv.st.In.Title, sv.st.Award.Reference))
	})
	return sv.result("Offer accepted."), err
}

func (sv *service) validateConfirmConditions(ctx workflow.Context, r ConfirmConditionsRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning); err != nil {
		return err
	}
	if sv.stage != StageAccepted {
		return sv.wrongStage("confirm the conditions precedent")
	}
	return nil
}

func (sv *service) confirmConditions(ctx workflow.Context, r ConfirmConditionsRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateConfirmConditions(ctx, r); err != nil {
			return err
		}
		in := sv.step(ctx, r.Actor, "Conditions precedent confirmed as met", r.Note, StageActive)
		if err := workflow.ExecuteActivity(ctx, awards.MarkConditionsMet, in).Get(ctx, nil); err != nil {
			return err
		}
		sv.st.Award.ConditionsMet = true
		sv.setStage(ctx, StageActive)
		sv.dirty = true
		return nil
	})
	return sv.result("Conditions precedent confirmed: tranches are released as they fall due."), err
}

func (sv *service) validateRecordTranche(ctx workflow.Context, r RecordTranchePaymentRequest) error {
	if r.Actor.Role != scheme.RoleFinance {
		return refuse(RefusalForbidden, "", "only finance may record payments")
	}
	if sv.st.Award == nil {
		return sv.wrongStage("record a payment")
	}
	t := sv.tranche(r.Tranche)
	switch {
	case t == nil:
		return refuse(RefusalInvalid, "tranche", "there is no tranche %d", r.Tranche)
	case t.Status == TranchePaid:
		return refuse(RefusalStage, "tranche", "tranche %d is already paid", r.Tranche)
	case t.Status != TrancheReleased && sv.releasing != t.No:
		return refuse(RefusalStage, "tranche", "tranche %d has not been released for payment (%s)", r.Tranche, t.Status)
	case r.Amount != t.Amount:
		return refuse(RefusalInvalid, "amount_pence", "must be the tranche's %s", t.Amount)
	case strings.TrimSpace(r.Reference) == "":
		return refuse(RefusalInvalid, "reference", "is required")
	case r.PaidOn.IsZero():
		return refuse(RefusalInvalid, "paid_on", "is required")
	case r.PaidOn.After(sv.now(ctx).Add(24 * time.Hour)):
		return refuse(RefusalInvalid, "paid_on", "cannot be in the future")
	}
	return nil
}

func (sv *service) recordTranche(ctx workflow.Context, r RecordTranchePaymentRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateRecordTranche(ctx, r); err != nil {
			return err
		}
		t := sv.tranche(r.Tranche)
		in := activities.RecordPaymentInput{Step: sv.step(ctx, r.Actor, fmt.Sprintf("Tranche %d (%s) paid: %s", t.No, t.Quarter.Label(), r.Amount), "Reference "+r.Reference, sv.stage),
			AwardID: sv.st.Award.ID, Tranche: t.No, Amount: r.Amount, PaidOn: r.PaidOn, Reference: r.Reference}
		if err := workflow.ExecuteActivity(ctx, awards.RecordTranchePayment, in).Get(ctx, nil); err != nil {
			return err
		}
		t.Status = TranchePaid
		sv.st.Award.Paid += r.Amount
		sv.dirty = true
		return nil
	})
	return sv.result("Payment recorded."), err
}

func (sv *service) validateSubmitReturn(ctx workflow.Context, r SubmitReturnRequest) error {
	if err := sv.mayAct(r.Actor); err != nil {
		return err
	}
	if sv.stage != StageActive && sv.stage != StageAccepted && sv.stage != StageFinalReport {
		return sv.wrongStage("submit a monitoring return")
	}
	ret := sv.returnFor(r.Quarter)
	switch {
	case ret == nil:
		return refuse(RefusalInvalid, "quarter", "%s is not a quarter of this award", r.Quarter.Label())
	case sv.now(ctx).Before(r.Quarter.End().AddDate(0, 0, -14)):
		return refuse(RefusalStage, "quarter", "the %s return can be sent from two weeks before the quarter ends", r.Quarter.Label())
	case ret.Status == ReturnSubmitted:
		return refuse(RefusalStage, "quarter", "the %s return is awaiting review", r.Quarter.Label())
	case ret.Status == ReturnAccepted:
		return refuse(RefusalStage, "quarter", "the %s return has been accepted", r.Quarter.Label())
	}
	return sv.validateReturnContent(r.Content)
}

func (sv *service) validateReturnContent(c ReturnContent) error {
	known := map[string]bool{}
	for _, o := range sv.st.In.Service.Outcomes {
		for _, ind := range o.Indicators {
			known[ind.Key] = true
		}
	}
	seen := map[string]bool{}
	for i, a := range c.Indicators {
		field := fmt.Sprintf("content.indicators[%d]", i)
		switch {
		case !known[a.Key]:
			return refuse(RefusalInvalid, field+".key", "%q is not one of this award's indicators", a.Key)
		case seen[a.Key]:
			return refuse(RefusalInvalid, field+".key", "%q is given twice", a.Key)
		case a.Actual < 0:
			return refuse(RefusalInvalid, field+".actual", "cannot be negative")
		}
		seen[a.Key] = true
	}
	if len(seen) != len(known) {
		return refuse(RefusalInvalid, "content.indicators", "give a figure for each of the award's %d indicators", len(known))
	}
	for i, b := range c.Beneficiaries {
		field := fmt.Sprintf("content.beneficiaries[%d]", i)
		if b.Count < 0 {
			return refuse(RefusalInvalid, field+".count", "cannot be negative")
		}
		if b.AgeBand != "under_18" && b.AgeBand != "18_24" && b.AgeBand != "25_plus" {
			return refuse(RefusalInvalid, field+".age_band", "must be under_18, 18_24 or 25_plus")
		}
		if strings.TrimSpace(b.Area) == "" {
			return refuse(RefusalInvalid, field+".area", "is required")
		}
	}
	switch {
	case c.SpendToDate < 0:
		return refuse(RefusalInvalid, "content.spend_to_date_pence", "cannot be negative")
	case c.SafeguardingIncidents < 0:
		return refuse(RefusalInvalid, "content.safeguarding_incidents", "cannot be negative")
	case strings.TrimSpace(c.Narrative) == "":
		return refuse(RefusalInvalid, "content.narrative", "tell us how the quarter went")
	}
	return nil
}

func (sv *service) submitReturn(ctx workflow.Context, r SubmitReturnRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateSubmitReturn(ctx, r); err != nil {
			return err
		}
		ret := sv.returnFor(r.Quarter)
		content, _ := jsonMarshal(r.Content)
		why := fmt.Sprintf("%d people helped, %d under 25; spend to date %s.", sumBeneficiaries(r.Content), r.Content.Under25(), r.Content.SpendToDate)
		in := activities.SubmitReturnInput{Step: sv.step(ctx, r.Actor, r.Quarter.Label()+" monitoring return submitted", why, sv.stage),
			FinancialYear: r.Quarter.FY, Quarter: r.Quarter.Q, Version: ret.Version + 1, Content: content}
		if err := workflow.ExecuteActivity(ctx, records.SubmitReturn, in).Get(ctx, nil); err != nil {
			return err
		}
		ret.Version++
		ret.Status = ReturnSubmitted
		sv.dirty = true
		return nil
	})
	return sv.result("Return submitted: a commissioning officer will review it."), err
}

func (sv *service) validateReviewReturn(ctx workflow.Context, r ReviewReturnRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning); err != nil {
		return err
	}
	ret := sv.returnFor(r.Quarter)
	switch {
	case ret == nil:
		return refuse(RefusalInvalid, "quarter", "%s is not a quarter of this award", r.Quarter.Label())
	case ret.Status != ReturnSubmitted:
		return refuse(RefusalStage, "quarter", "the %s return is not awaiting review (%s)", r.Quarter.Label(), strings.ReplaceAll(ret.Status, "_", " "))
	case r.Outcome != ReviewAccept && r.Outcome != ReviewRequestChanges:
		return refuse(RefusalInvalid, "outcome", "must be %q or %q", ReviewAccept, ReviewRequestChanges)
	case r.RAG != RAGRed && r.RAG != RAGAmber && r.RAG != RAGGreen:
		return refuse(RefusalInvalid, "rag", "must be red, amber or green")
	case r.Outcome == ReviewRequestChanges && strings.TrimSpace(r.Comment) == "":
		return refuse(RefusalInvalid, "comment", "say what needs to change")
	}
	return nil
}

// reviewReturn accepts a return (which may release a held tranche) or sends it back.
func (sv *service) reviewReturn(ctx workflow.Context, r ReviewReturnRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateReviewReturn(ctx, r); err != nil {
			return err
		}
		ret := sv.returnFor(r.Quarter)
		what := fmt.Sprintf("%s monitoring return accepted (%s)", r.Quarter.Label(), r.RAG)
		if r.Outcome == ReviewRequestChanges {
			what = fmt.Sprintf("%s monitoring return: changes requested (%s)", r.Quarter.Label(), r.RAG)
		}
		in := activities.ReviewReturnInput{Step: sv.step(ctx, r.Actor, what, r.Comment, sv.stage), FinancialYear: r.Quarter.FY, Quarter: r.Quarter.Q,
			Version: ret.Version, Outcome: r.Outcome, RAG: r.RAG, Comment: r.Comment}
		if err := workflow.ExecuteActivity(ctx, records.ReviewReturn, in).Get(ctx, nil); err != nil {
			return err
		}
		ret.RAG = r.RAG
		if r.Outcome == ReviewAccept {
			ret.Status = ReturnAccepted
		} else {
			ret.Status = ReturnChangesRequested
			ret.RemindedBefore, ret.RemindedOnDay = true, true
		}
		sv.dirty = true
		return nil
	})
	return sv.result("Review recorded."), err
}

func (sv *service) validateVary(ctx workflow.Context, r VaryRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner); err != nil {
		return err
	}
	if sv.stage != StageActive && sv.stage != StageAccepted {
		return sv.wrongStage("vary the award")
	}
	if strings.TrimSpace(r.Summary) == "" {
		return refuse(RefusalInvalid, "summary", "say what the variation changes and why")
	}
	if err := ValidateYears(sv.rules, r.Years, "years"); err != nil {
		return invalid(err)
	}
	if r.Years[0].FinancialYear != sv.st.Award.FirstFY {
		return refuse(RefusalInvalid, "years[0].financial_year", "must stay %s, the award's first year", scheme.FinancialYearLabel(sv.st.Award.FirstFY))
	}
	if _, err := Replan(sv.st.Tranches, r.Years, sv.st.Award.FirstFY); err != nil {
		return invalid(err)
	}
	for i, ret := range sv.st.Returns {
		if ret.Status != ReturnAwaiting && !fundedYear(r.Years, ret.Quarter.FY) {
			return refuse(RefusalInvalid, "years", "the %s return was already submitted (returns[%d]), so %s cannot be removed", ret.Quarter.Label(), i, scheme.FinancialYearLabel(ret.Quarter.FY))
		}
	}
	if err := MayApprove(sv.rules, r.Actor.Role, WholeLife(r.Years)); err != nil {
		return refuse(RefusalForbidden, "", "%s", err.Error())
	}
	if len(r.Conditions) == 0 {
		return refuse(RefusalInvalid, "conditions", "give the award's conditions as they stand after the variation (at least one)")
	}
	return nonEmpty(r.Conditions, "conditions")
}

// vary changes the award under the same delegation and budget rules as an approval, re-issues the
// agreement as a new version and reschedules the tranches not yet released.
func (sv *service) vary(ctx workflow.Context, r VaryRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateVary(ctx, r); err != nil {
			return err
		}
		a := sv.st.Award
		tranches, _ := Replan(sv.st.Tranches, r.Years, a.FirstFY)
		band, _ := BandFor(sv.rules, WholeLife(r.Years))
		in := activities.VaryInput{
			Step:     sv.step(ctx, r.Actor, fmt.Sprintf("Award varied (version %d): %s over %d years", a.Version+1, WholeLife(r.Years), len(r.Years)), r.Summary, sv.stage),
			SchemeID: sv.st.In.SchemeID, AwardID: a.ID, Version: a.Version + 1, Summary: r.Summary, Years: r.Years, Conditions: r.Conditions,
			DelegationBand: band.Title, RulesVersion: sv.rules.Version, Tranches: storeTranches(tranches),
		}
		if err := workflow.ExecuteActivity(ctx, awards.Vary, in).Get(ctx, nil); err != nil {
			if msg, ok := budgetRefusal(err); ok {
				return refuse(RefusalBudget, "years", "%s", msg)
			}
			return err
		}
		a.Version, a.Years, a.Conditions = a.Version+1, r.Years, r.Conditions
		sv.st.Tranches = tranches
		sv.st.Returns = sv.plannedReturns(r.Years, sv.st.Returns)
		sv.dirty = true
		return sv.issueDecisionDocuments(ctx, r.Actor, band, fmt.Sprintf("Grant agreement re-issued as version %d", a.Version), r.Summary)
	})
	return sv.result("Variation decided; the agreement has been re-issued."), err
}

func (sv *service) validateTerminate(ctx workflow.Context, r TerminateRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner); err != nil {
		return err
	}
	if sv.stage != StageActive && sv.stage != StageAccepted {
		return sv.wrongStage("end the award early")
	}
	if strings.TrimSpace(r.Reason) == "" {
		return refuse(RefusalInvalid, "reason", "say why the award is ending early")
	}
	return nil
}

// terminate stops future tranches, returns what is not yet released to the budgets and asks for
// the final report.
func (sv *service) terminate(ctx workflow.Context, r TerminateRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateTerminate(ctx, r); err != nil {
			return err
		}
		kept := sv.settledByYear()
		in := activities.CloseAwardInput{Step: sv.step(ctx, r.Actor, "Award ended early: future tranches stopped", r.Reason, StageFinalReport),
			SchemeID: sv.st.In.SchemeID, Keep: kept, Terminated: true, Reason: r.Reason}
		if err := workflow.ExecuteActivity(ctx, awards.CloseAward, in).Get(ctx, nil); err != nil {
			return err
		}
		sv.st.Award.Terminated = true
		for i := range sv.st.Tranches {
			if !sv.st.Tranches[i].Settled() {
				sv.st.Tranches[i].Status = TrancheCancelled
			}
		}
		for i := range sv.st.Returns { // no returns are due for quarters that will not run
			if sv.st.Returns[i].Status == ReturnAwaiting && !sv.now(ctx).After(sv.st.Returns[i].Quarter.Start()) {
				sv.st.Returns[i].Status = ReturnAccepted
			}
		}
		sv.setStage(ctx, StageFinalReport)
		sv.dirty = true
		return nil
	})
	return sv.result("Award ended early: the provider is asked for a final report."), err
}

func (sv *service) validateSubmitFinalReport(ctx workflow.Context, r SubmitReportRequest) error {
	if err := sv.mayAct(r.Actor); err != nil {
		return err
	}
	if sv.stage != StageFinalReport {
		return sv.wrongStage("submit the final report")
	}
	return validateReport(r, sv.st.Award.Paid)
}

func (sv *service) submitFinalReport(ctx workflow.Context, r SubmitReportRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateSubmitFinalReport(ctx, r); err != nil {
			return err
		}
		version := sv.st.FinalVersion + 1
		in := activities.SubmitReportInput{Step: sv.step(ctx, r.Actor, "Final report submitted", "Spent "+r.Spent.String()+" of "+sv.st.Award.Paid.String()+" paid.", StageFinalSubmitted),
			Version: version, Summary: r.Summary, Outcomes: r.Outcomes, Spent: r.Spent}
		if err := workflow.ExecuteActivity(ctx, records.SubmitReport, in).Get(ctx, nil); err != nil {
			return err
		}
		sv.st.FinalVersion, sv.st.FinalSpent = version, r.Spent
		sv.setStage(ctx, StageFinalSubmitted)
		return nil
	})
	return sv.result("Final report submitted."), err
}

func (sv *service) validateReviewFinalReport(ctx workflow.Context, r ReviewReportRequest) error {
	if err := sv.mayJudge(r.Actor, scheme.RoleOfficer, scheme.RoleHeadOfCommissioning); err != nil {
		return err
	}
	if sv.stage != StageFinalSubmitted {
		return sv.wrongStage("review the final report")
	}
	for _, t := range sv.st.Tranches {
		if t.Status == TrancheReleased && r.Outcome == ReviewAccept {
			return refuse(RefusalStage, "", "tranche %d is released but not yet paid; finance must record it before the grant closes", t.No)
		}
	}
	return validateReview(r)
}

// reviewFinalReport closes the grant on acceptance: paid is reconciled against awarded, and the
// underspend (paid but not spent) is recorded and returned to the budget with what was never paid.
func (sv *service) reviewFinalReport(ctx workflow.Context, r ReviewReportRequest) (UpdateResult, error) {
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	err := sv.locked(ctx, func() error {
		if err := sv.validateReviewFinalReport(ctx, r); err != nil {
			return err
		}
		if r.Outcome == ReviewRequestChanges {
			in := activities.ReviewReportInput{Step: sv.step(ctx, r.Actor, "Final report: changes requested", r.Comment, StageFinalReport),
				Version: sv.st.FinalVersion, Outcome: r.Outcome, Comment: r.Comment}
			if err := workflow.ExecuteActivity(ctx, records.ReviewReport, in).Get(ctx, nil); err != nil {
				return err
			}
			sv.setStage(ctx, StageFinalReport)
			return nil
		}
		in := activities.ReviewReportInput{Step: sv.step(ctx, r.Actor, "Final report accepted", r.Comment, StageFinalSubmitted),
			Version: sv.st.FinalVersion, Outcome: r.Outcome, Comment: r.Comment}
		if err := workflow.ExecuteActivity(ctx, records.ReviewReport, in).Get(ctx, nil); err != nil {
			return err
		}
		paid := sv.settledByYear()
		underspend := sv.st.Award.Paid - sv.st.FinalSpent
		keep := withoutUnderspend(paid, underspend)
		why := fmt.Sprintf("Awarded %s, paid %s, spent %s; underspend %s returned to the budget.",
			WholeLife(sv.st.Award.Years), sv.st.Award.Paid, sv.st.FinalSpent, underspend)
		spent := sv.st.FinalSpent
		closing := activities.CloseAwardInput{Step: sv.step(ctx, r.Actor, "Grant reconciled and closed", why, StageClosed),
			SchemeID: sv.st.In.SchemeID, Keep: keep, Spent: &spent}
		if err := workflow.ExecuteActivity(ctx, awards.CloseAward, closing).Get(ctx, nil); err != nil {
			return err
		}
		sv.setStage(ctx, StageClosed)
		return nil
	})
	return sv.result("Final report accepted: the grant is closed."), err
}

// ---- Helpers ----

func (sv *service) seat(userID int64) *PanelSeat {
	for i := range sv.st.Panel {
		if sv.st.Panel[i].AssessorID == userID {
			return &sv.st.Panel[i]
		}
	}
	return nil
}

func (sv *service) isBarred(userID int64) bool {
	for _, id := range sv.barred {
		if id == userID {
			return true
		}
	}
	return false
}

func (sv *service) activePanel() int {
	n := 0
	for _, p := range sv.st.Panel {
		if !p.Removed {
			n++
		}
	}
	return n
}

// panelComplete is true when enough panel members remain and every one of them has scored.
func (sv *service) panelComplete() bool {
	if sv.activePanel() < sv.rules.PanelSize() {
		return false
	}
	for _, p := range sv.st.Panel {
		if !p.Removed && !p.Submitted {
			return false
		}
	}
	return true
}

func (sv *service) tranche(no int) *TrancheState {
	for i := range sv.st.Tranches {
		if sv.st.Tranches[i].No == no {
			return &sv.st.Tranches[i]
		}
	}
	return nil
}

func (sv *service) returnFor(q Quarter) *ReturnState {
	for i := range sv.st.Returns {
		if sv.st.Returns[i].Quarter == q {
			return &sv.st.Returns[i]
		}
	}
	return nil
}

// plannedReturns lists a return for every quarter of the funded years, keeping existing progress.
func (sv *service) plannedReturns(years []grant.YearAmount, existing []ReturnState) []ReturnState {
	return PlanReturns(sv.rules, years, existing)
}

// PlanReturns lists a monitoring return for every quarter of the funded years, keeping the progress
// of those already in existing.
func PlanReturns(rules scheme.Rules, years []grant.YearAmount, existing []ReturnState) []ReturnState {
	var out []ReturnState
	for _, y := range years {
		for q := 1; q <= 4; q++ {
			quarter := Quarter{FY: y.FinancialYear, Q: q}
			r := ReturnState{Quarter: quarter, Due: quarter.ReturnDue(rules.ReturnDue()), Status: ReturnAwaiting}
			for _, e := range existing {
				if e.Quarter == quarter {
					r = e
				}
			}
			out = append(out, r)
		}
	}
	return out
}

// settledByYear adds up the money that has left (released or paid) in each financial year.
func (sv *service) settledByYear() []grant.YearAmount {
	var out []grant.YearAmount
	for _, y := range sv.st.Award.Years {
		ya := grant.YearAmount{FinancialYear: y.FinancialYear}
		for _, t := range sv.st.Tranches {
			if t.Quarter.FY == y.FinancialYear && t.Settled() {
				ya.Amount += t.Amount
			}
		}
		out = append(out, ya)
	}
	return out
}

// withoutUnderspend takes an underspend off the latest years first.
func withoutUnderspend(years []grant.YearAmount, underspend money.Pence) []grant.YearAmount {
	out := append([]grant.YearAmount(nil), years...)
	for i := len(out) - 1; i >= 0 && underspend > 0; i-- {
		take := min(out[i].Amount, underspend)
		out[i].Amount -= take
		underspend -= take
	}
	return out
}

func fundedYear(years []grant.YearAmount, fy int) bool {
	for _, y := range years {
		if y.FinancialYear == fy {
			return true
		}
	}
	return false
}

// PlanTrancheStates is a new award's schedule, every tranche scheduled.
func PlanTrancheStates(years []grant.YearAmount) []TrancheState {
	return plannedStates(PlanTranches(years))
}

// StoreTranches is a schedule as the store keeps it.
func StoreTranches(ts []TrancheState) []grant.Tranche { return storeTranches(ts) }

func plannedStates(plan []PlannedTranche) []TrancheState {
	out := make([]TrancheState, len(plan))
	for i, p := range plan {
		out[i] = TrancheState{PlannedTranche: p, Status: TrancheScheduled}
	}
	return out
}

// storeTranches is the schedule as the store keeps it.
func storeTranches(ts []TrancheState) []grant.Tranche {
	out := make([]grant.Tranche, len(ts))
	for i, t := range ts {
		// due_on is a date: the London date the tranche falls due, not the UTC date of that midnight.
		out[i] = grant.Tranche{No: t.No, FinancialYear: t.Quarter.FY, Quarter: t.Quarter.Q, DueOn: civilDate(t.Due.In(scheme.London)), Amount: t.Amount, Status: t.Status}
	}
	return out
}

func sumBeneficiaries(c ReturnContent) int {
	n := 0
	for _, b := range c.Beneficiaries {
		n += b.Count
	}
	return n
}

func nonEmpty(items []string, field string) error {
	for i, s := range items {
		if strings.TrimSpace(s) == "" {
			return refuse(RefusalInvalid, fmt.Sprintf("%s[%d]", field, i), "is empty")
		}
	}
	return nil
}

// budgetRefusal recognises an activity's budget refusal and returns its message.
func budgetRefusal(err error) (string, bool) {
	var appErr *temporal.ApplicationError
	if errorsAs(err, &appErr) && appErr.Type() == activities.ErrTypeBudgetExceeded {
		return appErr.Message(), true
	}
	return "", false
}

func startOfDay(t time.Time) time.Time {
	l := t.In(scheme.London)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, scheme.London).UTC()
}
