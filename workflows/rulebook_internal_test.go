package workflows

// The rule book's table test: for every step of both kinds of application, every role, every stage
// and a set of relations between the person and the application (and, for the banded steps, awards
// in each delegation band), the workflow's own validator is given an otherwise valid request and must
// accept it exactly when the rule book's Actions offer the step, so what the API hints and what the
// workflow accepts cannot drift apart. The validators read workflow.Now, so the walk runs inside one
// workflow in the test environment; nothing is recorded and no database is needed.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

// ruleNow is when every walk runs: 10am on 21 September 2026 in London, in the second quarter of
// financial year 2026-27, a few days after its monitoring return can first be sent.
var ruleNow = time.Date(2026, time.September, 21, 10, 0, 0, 0, scheme.London)

const (
	ruleOrg       int64 = 7   // the applicant organisation
	ruleOtherOrg  int64 = 8   // an organisation everyone in these tests belongs to
	rulePerson    int64 = 100 // the person asking
	ruleSecond    int64 = 901 // the assessor of a later round; a panel seat
	ruleThird     int64 = 902 // the panel's other seat
	ruleModerator int64 = 800 // the officer who moderated, when the person asking did not
)

// ruleRules are demo-like rules: the demo's delegation bands (officer up to £5,000, head of
// commissioning up to £100,000, the Commissioner above), with a service minimum low enough that an
// award can sit in the officer band.
func ruleRules(kind scheme.Kind) scheme.Rules {
	r := scheme.Rules{Version: 1, Kind: kind, Code: "GCF", MinAmount: money.Pounds(500), MaxAmount: money.Pounds(5000), MaxDurationMonths: 12,
		OrganisationTypes: []string{scheme.OrgRegisteredCharity, scheme.OrgCommunityGroup}, Areas: []string{"Charnwood", "Melton"},
		Priorities: []string{"Victim Services", "Anti-social behaviour"},
		Criteria: []scheme.Criterion{
			{Key: "fit", Name: "Fit with Police and Crime Plan priorities", Weight: 60},
			{Key: "deliverability", Name: "Deliverability and governance", Weight: 40, Minimum: 2},
		},
		Delegation: []scheme.Band{
			{Role: scheme.RoleOfficer, Title: "Commissioning officer", UpTo: money.Pounds(5000)},
			{Role: scheme.RoleHeadOfCommissioning, Title: "Head of commissioning", UpTo: money.Pounds(100000)},
			{Role: scheme.RoleCommissioner, Title: "Police and Crime Commissioner"},
		},
		AcceptanceDays: 28, AcceptanceReminderDays: 7, ReportDueMonths: 3, ReportReminderDays: 14, ReportResubmitDays: 28,
	}
	if kind == scheme.Service {
		r.Code, r.MinAmount, r.MaxAmount, r.MaxDurationMonths = "CSF", money.Pounds(1000), money.Pounds(500000), 60
	}
	return r
}

// ruleRelation is how the person asking stands to the application.
type ruleRelation struct {
	name       string
	member     bool // of the applicant organisation
	conflicted bool // declared a conflict of interest
	assessed   bool // grassroots: scored it in an earlier round; service: scored it on the panel
	seated     bool // service: holds a panel seat
	removed    bool // service: had a panel seat, since given up
	moderated  bool // service: recommended it at moderation
}

var grassrootsRelations = []ruleRelation{
	{name: "none"},
	{name: "member", member: true},
	{name: "conflicted", conflicted: true},
	{name: "member+conflicted", member: true, conflicted: true},
	{name: "assessed", assessed: true},
	{name: "assessed+conflicted", assessed: true, conflicted: true},
}

var serviceRelations = []ruleRelation{
	{name: "none"},
	{name: "member", member: true},
	{name: "conflicted", conflicted: true},
	{name: "member+conflicted", member: true, conflicted: true},
	{name: "on panel", seated: true},
	{name: "on panel, scored", seated: true, assessed: true},
	{name: "off panel", removed: true},
	{name: "off panel, conflicted", removed: true, conflicted: true},
	{name: "moderated", moderated: true},
	{name: "moderated+conflicted", moderated: true, conflicted: true},
}

// ruleActor is the person asking, in a role, with the relation's membership.
func ruleActor(role scheme.Role, rel ruleRelation) Actor {
	orgs := []int64{ruleOtherOrg}
	if rel.member {
		orgs = append(orgs, ruleOrg)
	}
	return Actor{UserID: rulePerson, Name: "Pat Person", Role: role, Organisations: orgs}
}

var grassrootsStages = []Stage{StageDraft, StageSubmitted, StageScreening, StageIneligible, StageAssessment, StageDecision,
	StageInformationRequested, StageDeclined, StageApproved, StageOffered, StageLapsed, StageAccepted, StagePaid,
	StageReportSubmitted, StageClosed}

var serviceStages = []Stage{StageDraft, StageSubmitted, StageScreening, StageIneligible, StageAssessment, StageModeration,
	StageDecision, StageDeclined, StageApproved, StageOffered, StageLapsed, StageAccepted, StageActive, StageVariationOffered,
	StageFinalReport, StageFinalSubmitted, StageRecovery, StageTerminatedEarly, StageClosed}

var ruleActions = []Action{ActionUpdate, ActionSubmit, ActionAssignPanel, ActionDeclareConflict, ActionAssess, ActionModerate,
	ActionDecide, ActionAnswerInformation, ActionAcceptOffer, ActionConfirmConditions, ActionProposePayment, ActionApprovePayment, ActionRecordPayment, ActionSubmitReturn,
	ActionReviewReturn, ActionVary, ActionAcceptVariation, ActionTerminate, ActionSubmitReport, ActionReviewReport, ActionWaiveReturns,
	ActionRecordRepayment, ActionWriteOff}

// bandedActions answer for an award's whole-life total, so the walk tries them in every band. Listed
// here rather than read from the rule book, so a step the rule book forgot to band is still caught.
var bandedActions = []Action{ActionDecide, ActionVary, ActionTerminate, ActionWriteOff}

// ruleStakes is the service application's money: the recommendation and then the award.
type ruleStakes struct {
	name  string
	years []grant.YearAmount
	fund  bool // the panel recommended funding
}

func ruleYears(first int, pounds ...int64) []grant.YearAmount {
	out := make([]grant.YearAmount, len(pounds))
	for i, p := range pounds {
		out[i] = grant.YearAmount{FinancialYear: first + i, Amount: money.Pounds(p)}
	}
	return out
}

var (
	officerBand      = ruleStakes{name: "£4,000 (officer band)", years: ruleYears(2026, 2000, 2000), fund: true}
	headBand         = ruleStakes{name: "£60,000 (head of commissioning band)", years: ruleYears(2026, 30000, 30000), fund: true}
	commissionerBand = ruleStakes{name: "£360,000 (Commissioner only)", years: ruleYears(2026, 120000, 120000, 120000), fund: true}
	notRecommended   = ruleStakes{name: "not recommended", years: ruleYears(2026, 30000, 30000)}
	serviceStakes    = []ruleStakes{officerBand, headBand, commissionerBand, notRecommended}
)

func stageIn(stage Stage, stages ...Stage) bool { return slices.Contains(stages, stage) }

// ruleGrassroots is a grassroots application at a stage, with the person's relation to it recorded
// as the workflow records it. From the decision on, someone else (ruleSecond) has made the latest
// assessment; an "assessed" person scored an earlier round.
func ruleGrassroots(ctx workflow.Context, stage Stage, rel ruleRelation) *grassroots {
	rules := ruleRules(scheme.Grassroots)
	now := workflow.Now(ctx)
	g := &grassroots{in: GrassrootsInput{ApplicationID: 42, OrganisationID: ruleOrg, Rules: rules, Title: "Safer Shepshed Park",
		Purpose: "Evening youth sessions", Amount: money.Pounds(4000)}}
	g.application = newApplication(ctx, scheme.Grassroots, 42, ruleOrg, rules, stage)
	g.twoPerson = true
	if rel.conflicted {
		g.barred = []int64{rulePerson}
	}
	if rel.assessed {
		g.status.Assessors, g.status.AssessorID = []int64{rulePerson}, rulePerson
	}
	assessed := []Stage{StageDecision, StageInformationRequested, StageDeclined, StageApproved, StageOffered, StageLapsed,
		StageAccepted, StagePaid, StageReportSubmitted, StageClosed}
	if stageIn(stage, assessed...) {
		g.status.Assessors, g.status.AssessorID = append(g.status.Assessors, ruleSecond), ruleSecond
	}
	if g.status.AssessmentRound = len(g.status.Assessors); g.status.AssessmentRound > 0 {
		g.status.Assessment, g.status.Recommendation = &ScoreSummary{Weighted: 80, Fundable: true}, RecommendFund
	}
	switch {
	case stage == StageInformationRequested:
		g.decision, g.infoSeq = &DecideRequest{Outcome: OutcomeRequestInformation, Question: "Who runs the sessions?"}, 1
	case stage == StageDeclined:
		g.decision = &DecideRequest{Outcome: OutcomeDecline, Declined: []string{"Outside the priorities."}}
	}
	if stageIn(stage, StageApproved, StageOffered, StageLapsed, StageAccepted, StagePaid, StageReportSubmitted, StageClosed) {
		acceptBy, due := now.AddDate(0, 0, 20), now.AddDate(0, 6, 0)
		g.decision = &DecideRequest{Outcome: OutcomeApprove, Amount: g.in.Amount}
		g.status.AwardID, g.status.AwardReference, g.status.AwardAmount = 55, "GCF-2026-42", g.in.Amount
		g.status.AcceptBy, g.status.ReportDue = &acceptBy, &due
	}
	if stageIn(stage, StagePaid, StageReportSubmitted, StageClosed) {
		g.paid = g.status.AwardAmount
	}
	if stage == StageReportSubmitted {
		g.report, g.status.ReportVersion = &SubmitReportRequest{Summary: "Done", Outcomes: "Fewer incidents"}, 1
	}
	return g
}

var ruleIndicators = []grant.Outcome{{Outcome: "Young people kept safe", Indicators: []grant.Indicator{{Key: "sessions", Name: "Sessions run", Unit: "sessions", QuarterlyTarget: 12}}}}

// ruleService is a service application at a stage with the person's relation to it and its money.
// From the acceptance on, tranche 1 is paid and tranche 2 released (so a payment can be recorded at
// every stage the rule book allows one), the first quarter's return awaits review and the second's
// can be sent.
func ruleService(ctx workflow.Context, stage Stage, rel ruleRelation, stakes ruleStakes) *service {
	rules := ruleRules(scheme.Service)
	now := workflow.Now(ctx)
	in0 := ServiceInput{ApplicationID: 43, OrganisationID: ruleOrg, Rules: rules, Title: "Charnwood Youth Outreach", Purpose: "Detached youth work",
		Service: grant.ServiceDetails{Service: "Outreach", Years: stakes.years, Outcomes: ruleIndicators}}
	sv := &service{st: ServiceState{In: in0, Stage: stage, Run: 1}}
	if rel.conflicted {
		sv.st.Barred = []int64{rulePerson}
	}
	sv.application = newApplication(ctx, scheme.Service, 43, ruleOrg, rules, stage)
	sv.twoPerson = true
	sv.barred = sv.st.Barred
	fundable := &ScoreSummary{Weighted: 80, Fundable: true}
	if rel.seated || rel.removed || rel.assessed {
		seat := PanelSeat{AssessorID: rulePerson, Name: "Pat Person", Deadline: now.AddDate(0, 0, 7), Removed: rel.removed, Submitted: rel.assessed}
		if rel.assessed {
			seat.Summary = fundable
		}
		sv.st.Panel = append(sv.st.Panel, seat)
	}
	if !stageIn(stage, StageDraft, StageSubmitted, StageScreening, StageIneligible) {
		scored := stage != StageAssessment
		for _, id := range []int64{ruleSecond, ruleThird} {
			seat := PanelSeat{AssessorID: id, Name: fmt.Sprintf("Assessor %d", id), Deadline: now.AddDate(0, 0, 7), Submitted: scored}
			if scored {
				seat.Summary = fundable
			}
			sv.st.Panel = append(sv.st.Panel, seat)
		}
	}
	awarded := []Stage{StageApproved, StageOffered, StageLapsed, StageAccepted, StageActive, StageVariationOffered, StageFinalReport,
		StageFinalSubmitted, StageRecovery, StageTerminatedEarly, StageClosed}
	if stageIn(stage, append([]Stage{StageDecision, StageDeclined}, awarded...)...) {
		by := Actor{UserID: ruleModerator, Name: "Orla Officer", Role: scheme.RoleOfficer, Organisations: []int64{ruleOtherOrg}}
		if rel.moderated {
			by = ruleActor(scheme.RoleOfficer, rel)
		}
		rec := &ServiceRecommendation{By: by, Fund: stakes.fund, Conditions: []string{"Quarterly returns"},
			ConditionsPrecedent: []string{"Safeguarding policy"}, Reasons: "Strong need"}
		if stakes.fund {
			rec.Years = stakes.years
		}
		sv.st.Recommendation = rec
	}
	if stakes.fund && stageIn(stage, awarded...) {
		sv.st.Committed = true
		sv.st.Award = &ServiceAward{ID: 55, Reference: "CSF-2026-43", Version: 1, Years: stakes.years, Conditions: []string{"Quarterly returns"},
			FirstFY: 2026, AcceptBy: now.AddDate(0, 0, 20)}
		sv.st.Tranches = plannedStates(PlanTranches(stakes.years, sv.st.Award.Start()))
		sv.st.Returns = PlanReturns(sv.rules, stakes.years, sv.st.Award.Start(), nil)
		if stage == StageVariationOffered { // varied to the same amounts, awaiting the provider's acceptance
			sv.st.Award.Version, sv.st.Award.VariationAcceptBy = 2, now.AddDate(0, 0, 20)
		}
		if stageIn(stage, StageAccepted, StageActive, StageVariationOffered, StageFinalReport, StageFinalSubmitted, StageRecovery, StageTerminatedEarly, StageClosed) {
			sv.st.Award.ConditionsMet = stage != StageAccepted
			sv.st.Tranches[0].Status, sv.st.Tranches[1].Status = TranchePaid, TrancheReleased
			sv.st.Award.Paid = sv.st.Tranches[0].Amount
			sv.st.Returns[0].Status, sv.st.Returns[0].Version = ReturnSubmitted, 1
		}
		if stageIn(stage, StageFinalSubmitted, StageRecovery, StageClosed) {
			sv.st.FinalVersion, sv.st.FinalSpent = 1, sv.st.Award.Paid
		}
		if stage == StageRecovery { // what is owed follows the stakes, so a write-off is walked in every band
			sv.st.Reconciling = true
			sv.st.Recovery = &Recovery{Reference: "CSF-2026-43-REC", Owed: WholeLife(stakes.years), DueBy: now.AddDate(0, 0, 30)}
		}
	}
	return sv
}

// Otherwise valid requests: right amounts, reasons and dates, and the no-conflict declaration.

func ruleScores() []Score {
	return []Score{{Criterion: "fit", Score: 4, Comment: "Fits the plan"}, {Criterion: "deliverability", Score: 4, Comment: "Well run"}}
}

func ruleConflict(a Actor) DeclareConflictRequest {
	return DeclareConflictRequest{Actor: a, HasConflict: true, Details: "My sister is a trustee."}
}

func ruleAssess(a Actor) AssessRequest {
	return AssessRequest{Actor: a, NoConflict: true, Scores: ruleScores(), Recommendation: RecommendFund, Comment: "Good"}
}

// grassrootsValidators are the grassroots workflow's validators, with an otherwise valid request each.
var grassrootsValidators = map[Action]func(workflow.Context, *grassroots, Actor) error{
	ActionDeclareConflict: func(ctx workflow.Context, g *grassroots, a Actor) error {
		return g.validateDeclareConflict(ctx, ruleConflict(a))
	},
	ActionAssess: func(ctx workflow.Context, g *grassroots, a Actor) error { return g.validateAssess(ctx, ruleAssess(a)) },
	ActionDecide: func(ctx workflow.Context, g *grassroots, a Actor) error {
		return g.validateDecide(ctx, DecideRequest{Actor: a, NoConflict: true, Outcome: OutcomeApprove, Amount: g.in.Amount,
			Purpose: "Evening youth sessions", Conditions: []string{"Spend by March"}, Reasons: "Fewer incidents in the park"})
	},
	ActionAnswerInformation: func(ctx workflow.Context, g *grassroots, a Actor) error {
		return g.validateAnswerInformation(ctx, AnswerInformationRequest{Actor: a, Answer: "Two qualified youth workers."})
	},
	ActionAcceptOffer: func(ctx workflow.Context, g *grassroots, a Actor) error {
		return g.validateAcceptOffer(ctx, AcceptOfferRequest{Actor: a})
	},
	ActionProposePayment: func(ctx workflow.Context, g *grassroots, a Actor) error {
		return g.validateProposePayment(ctx, PaymentSignOffRequest{Actor: a})
	},
	ActionApprovePayment: func(ctx workflow.Context, g *grassroots, a Actor) error {
		g.status.PaymentSignOff = ruleProposed()
		return g.validateApprovePayment(ctx, PaymentSignOffRequest{Actor: a})
	},
	ActionRecordPayment: func(ctx workflow.Context, g *grassroots, a Actor) error {
		g.status.PaymentSignOff = ruleApproved()
		return g.validateRecordPayment(ctx, RecordPaymentRequest{Actor: a, Amount: g.status.AwardAmount, PaidOn: workflow.Now(ctx), Reference: "BACS-1"})
	},
	ActionSubmitReport: func(ctx workflow.Context, g *grassroots, a Actor) error {
		return g.validateSubmitReport(ctx, SubmitReportRequest{Actor: a, Summary: "We ran the sessions", Outcomes: "Fewer incidents", Spent: g.paid})
	},
	ActionReviewReport: func(ctx workflow.Context, g *grassroots, a Actor) error {
		return g.validateReviewReport(ctx, ReviewReportRequest{Actor: a, Outcome: ReviewAccept})
	},
}

// ruleProposed is a payment someone else in finance proposed; ruleApproved one a third approved too.
func ruleProposed() *PaymentSignOff {
	return &PaymentSignOff{ProposedBy: Actor{UserID: ruleSecond, Name: "Fran Finance", Role: scheme.RoleFinance}}
}

func ruleApproved() *PaymentSignOff {
	s := ruleProposed()
	s.ApprovedBy = &Actor{UserID: ruleThird, Name: "Fola Finance", Role: scheme.RoleFinance}
	return s
}

// serviceValidators are the service workflow's validators, with an otherwise valid request each.
var serviceValidators = map[Action]func(workflow.Context, *service, Actor) error{
	ActionAssignPanel: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateAssignPanel(ctx, AssignPanelRequest{Actor: a, Deadline: workflow.Now(ctx).AddDate(0, 0, 14), Assessors: []PanelNominee{
			{UserID: 951, Name: "Nia Nominee", Role: scheme.RoleAssessor, Organisations: []int64{ruleOtherOrg}},
			{UserID: 952, Name: "Noor Nominee", Role: scheme.RoleAssessor},
		}})
	},
	ActionDeclareConflict: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateDeclareConflict(ctx, ruleConflict(a))
	},
	ActionAssess: func(ctx workflow.Context, sv *service, a Actor) error { return sv.validateAssess(ctx, ruleAssess(a)) },
	ActionModerate: func(ctx workflow.Context, sv *service, a Actor) error {
		start := startOfDay(sv.now(ctx)).In(scheme.London) // the agreement starts on the day, its first year pro-rated
		return sv.validateModerate(ctx, ModerateRequest{Actor: a, Recommendation: RecommendFund, Years: ProposedYears(sv.st.In.Service.Years, start),
			StartDate:  start,
			Conditions: []string{"Quarterly returns"}, ConditionsPrecedent: []string{"Safeguarding policy"}, Reasons: "Strong need"})
	},
	ActionDecide: func(ctx workflow.Context, sv *service, a Actor) error {
		r := ServiceDecideRequest{Actor: a, NoConflict: true, Outcome: OutcomeApprove}
		if rec := sv.st.Recommendation; rec != nil && !rec.Fund { // a recommendation to decline can only be declined
			r.Outcome, r.Declined = OutcomeDecline, []string{"The panel did not recommend it."}
		}
		return sv.validateDecide(ctx, r)
	},
	ActionAcceptOffer: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateAcceptOffer(ctx, AcceptOfferRequest{Actor: a})
	},
	ActionConfirmConditions: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateConfirmConditions(ctx, ConfirmConditionsRequest{Actor: a, Note: "Policy seen"})
	},
	ActionProposePayment: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateProposeTranche(ctx, PaymentSignOffRequest{Actor: a, Tranche: 2})
	},
	ActionApprovePayment: func(ctx workflow.Context, sv *service, a Actor) error {
		if t := sv.tranche(2); t != nil {
			t.SignOff = ruleProposed()
		}
		return sv.validateApproveTranche(ctx, PaymentSignOffRequest{Actor: a, Tranche: 2})
	},
	ActionRecordPayment: func(ctx workflow.Context, sv *service, a Actor) error {
		r := RecordTranchePaymentRequest{Actor: a, Tranche: 2, PaidOn: workflow.Now(ctx), Reference: "BACS-2"}
		if t := sv.tranche(2); t != nil {
			r.Amount, t.SignOff = t.Amount, ruleApproved()
		}
		return sv.validateRecordTranche(ctx, r)
	},
	ActionSubmitReturn: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateSubmitReturn(ctx, SubmitReturnRequest{Actor: a, Quarter: Quarter{FY: 2026, Q: 2}, Content: ReturnContent{
			Indicators: []IndicatorActual{{Key: "sessions", Actual: 12}}, SpendToDate: money.Pounds(900),
			Beneficiaries: []BeneficiaryCount{{Area: "Charnwood", AgeBand: "18_24", Count: 9}}, Narrative: "A good quarter"}})
	},
	ActionReviewReturn: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateReviewReturn(ctx, ReviewReturnRequest{Actor: a, Quarter: Quarter{FY: 2026, Q: 1}, Outcome: ReviewAccept, RAG: RAGGreen})
	},
	ActionVary: func(ctx workflow.Context, sv *service, a Actor) error {
		years := sv.st.In.Service.Years
		if sv.st.Award != nil {
			years = sv.st.Award.Years // the same total: the band of the award as it stands
		}
		return sv.validateVary(ctx, VaryRequest{Actor: a, Years: years, Conditions: []string{"Quarterly returns"}, Summary: "New venue"})
	},
	ActionAcceptVariation: func(ctx workflow.Context, sv *service, a Actor) error {
		r := AcceptVariationRequest{Actor: a, Version: 2}
		if sv.st.Award != nil {
			r.Version = sv.st.Award.Version
		}
		return sv.validateAcceptVariation(ctx, r)
	},
	ActionTerminate: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateTerminate(ctx, TerminateRequest{Actor: a, Reason: "The venue closed"})
	},
	ActionSubmitReport: func(ctx workflow.Context, sv *service, a Actor) error {
		r := SubmitReportRequest{Actor: a, Summary: "We ran the service", Outcomes: "Fewer incidents"}
		if sv.st.Award != nil {
			r.Spent = sv.st.Award.Paid
		}
		return sv.validateSubmitFinalReport(ctx, r)
	},
	ActionReviewReport: func(ctx workflow.Context, sv *service, a Actor) error {
		// Changes requested: accepting is refused while tranche 2 is released and unpaid, a check of
		// the money rather than of the person.
		return sv.validateReviewFinalReport(ctx, ReviewReportRequest{Actor: a, Outcome: ReviewRequestChanges, Comment: "Add the spend by year"})
	},
	ActionWaiveReturns: func(ctx workflow.Context, sv *service, a Actor) error {
		// The second quarter's return is still awaited (the first was sent and awaits review).
		return sv.validateWaiveReturns(ctx, WaiveReturnsRequest{Actor: a, Quarters: []Quarter{{FY: 2026, Q: 2}}, Reason: "The service stopped"})
	},
	ActionRecordRepayment: func(ctx workflow.Context, sv *service, a Actor) error {
		r := RecordRepaymentRequest{Actor: a, Amount: money.Pounds(1), ReceivedOn: workflow.Now(ctx), Reference: "RTN-1"}
		if sv.st.Recovery != nil {
			r.Amount = sv.st.Recovery.Outstanding()
		}
		return sv.validateRecordRepayment(ctx, r)
	},
	ActionWriteOff: func(ctx workflow.Context, sv *service, a Actor) error {
		return sv.validateWriteOff(ctx, WriteOffRequest{Actor: a, Reason: "The provider has closed"})
	},
}

// ruleValidate calls a validator, turning a panic (a validator reading state its stage lacks) into an error.
func ruleValidate(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("validator panicked: %v", r)
		}
	}()
	return fn()
}

// probe asks the rule book's hint and the validator about one step, as the workflow sees the person.
// hasValidator is false for a step the kind's workflow has no validator for.
func (g *grassroots) probe(ctx workflow.Context, action Action, a Actor) (p ruleProbe, hasValidator bool) {
	p.offered = slices.Contains(Actions(Case{Kind: g.kind, Stage: g.stage, Rules: g.rules}, g.party(a)), action)
	validate, ok := grassrootsValidators[action]
	if ok {
		p.err = ruleValidate(func() error { return validate(ctx, g, a) })
	}
	return p, ok
}

func (sv *service) probe(ctx workflow.Context, action Action, a Actor) (p ruleProbe, hasValidator bool) {
	p.offered = slices.Contains(Actions(Case{Kind: sv.kind, Stage: sv.stage, Rules: sv.rules, Stakes: sv.stakes()}, sv.party(a)), action)
	validate, ok := serviceValidators[action]
	if ok {
		p.err = ruleValidate(func() error { return validate(ctx, sv, a) })
	}
	return p, ok
}

// ruleProbe is one person's hint and validator answer for one step.
type ruleProbe struct {
	offered bool  // Actions lists the step
	err     error // the validator's answer to an otherwise valid request
}

func refusalKind(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return appErr.Type()
	}
	return "not a refusal"
}

// ruleInWorkflow runs fn inside a workflow in the test environment, where workflow.Now is ruleNow.
func ruleInWorkflow(t *testing.T, fn func(ctx workflow.Context)) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(ruleNow)
	env.SetTestTimeout(30 * time.Second)
	env.ExecuteWorkflow(func(ctx workflow.Context) error {
		fn(ctx)
		return nil
	})
	if !env.IsWorkflowCompleted() {
		t.Fatal("the test workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the test workflow failed: %v", err)
	}
}

// yieldTo lets the dispatcher run, so a long walk is not taken for a deadlocked workflow (each
// stretch without yielding must stay under a second). Workflow time does not move.
func yieldTo(ctx workflow.Context) {
	ch := workflow.NewChannel(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) { ch.Send(ctx, struct{}{}) })
	ch.Receive(ctx, nil)
}

type ruleWalk struct {
	combinations int            // validator calls compared with the hint
	hintOnly     int            // steps with no validator for the kind: checked never to be offered
	accepted     map[string]int // by "kind action": a step never accepted was not really exercised
	problems     []string
}

func (w *ruleWalk) compare(label string, action Action, p ruleProbe, kind scheme.Kind) {
	offered, err := p.offered, p.err
	w.combinations++
	if err == nil {
		w.accepted[fmt.Sprintf("%s %s", kind, action)]++
	}
	switch {
	case offered && err != nil:
		note := ""
		if k := refusalKind(err); k != RefusalForbidden && k != RefusalStage {
			note = " (a refusal of a value, not of the person: is the test's request wrong?)"
		}
		w.problems = append(w.problems, fmt.Sprintf("%s: offered by Actions, but the validator refused: %v%s", label, err, note))
	case !offered && err == nil:
		w.problems = append(w.problems, fmt.Sprintf("%s: not offered by Actions, but the validator accepted it", label))
	case !offered:
		if k := refusalKind(err); k != RefusalForbidden && k != RefusalStage {
			w.problems = append(w.problems, fmt.Sprintf("%s: not offered, and refused for another reason than the rule book's (%s): %v", label, k, err))
		}
	}
}

func (w *ruleWalk) hintOnlyCheck(label string, stage Stage, action Action, offered bool) {
	w.hintOnly++
	if offered && !(stage == StageDraft && (action == ActionUpdate || action == ActionSubmit)) {
		w.problems = append(w.problems, fmt.Sprintf("%s: offered by Actions, but the workflow has no step to take it", label))
	}
}

// TestRuleBookTableHintsAgreeWithValidators walks every step × role × stage × relation (× band, for
// the banded steps of service applications) and asserts that the workflow's validator accepts an
// otherwise valid request exactly when Actions offers the step.
func TestRuleBookTableHintsAgreeWithValidators(t *testing.T) {
	w := &ruleWalk{accepted: map[string]int{}}
	ruleInWorkflow(t, func(ctx workflow.Context) {
		for _, stage := range grassrootsStages {
			for _, rel := range grassrootsRelations {
				for _, role := range scheme.Roles {
					for _, action := range ruleActions {
						g := ruleGrassroots(ctx, stage, rel)
						p, ok := g.probe(ctx, action, ruleActor(role, rel))
						label := fmt.Sprintf("grassroots %s at %s: %s, relation %s", action, stage, role, rel.name)
						if !ok {
							w.hintOnlyCheck(label, stage, action, p.offered)
							continue
						}
						w.compare(label, action, p, scheme.Grassroots)
					}
				}
			}
			yieldTo(ctx)
		}
		for _, stage := range serviceStages {
			for _, stakes := range serviceStakes {
				if !stakes.fund && stageIn(stage, StageApproved, StageOffered, StageLapsed, StageAccepted, StageActive, StageVariationOffered,
					StageFinalReport, StageFinalSubmitted, StageRecovery, StageTerminatedEarly, StageClosed) {
					continue // nothing recommended, nothing awarded
				}
				for _, rel := range serviceRelations {
					for _, role := range scheme.Roles {
						for _, action := range ruleActions {
							if stakes.name != headBand.name && !slices.Contains(bandedActions, action) {
								continue // the other steps do not depend on the money: one band is enough
							}
							sv := ruleService(ctx, stage, rel, stakes)
							p, ok := sv.probe(ctx, action, ruleActor(role, rel))
							label := fmt.Sprintf("service %s at %s: %s, relation %s, stakes %s", action, stage, role, rel.name, stakes.name)
							if !ok {
								w.hintOnlyCheck(label, stage, action, p.offered)
								continue
							}
							w.compare(label, action, p, scheme.Service)
						}
					}
				}
				yieldTo(ctx)
			}
		}
	})
	t.Logf("walked %d combinations against the validators, and %d hints for steps the kind's workflow has no validator for", w.combinations, w.hintOnly)
	for _, p := range w.problems {
		t.Error(p)
	}
	for action := range grassrootsValidators {
		if w.accepted[fmt.Sprintf("%s %s", scheme.Grassroots, action)] == 0 {
			t.Errorf("grassroots %s was never accepted: the walk does not exercise it", action)
		}
	}
	for action := range serviceValidators {
		if w.accepted[fmt.Sprintf("%s %s", scheme.Service, action)] == 0 {
			t.Errorf("service %s was never accepted: the walk does not exercise it", action)
		}
	}
}

// ruleCase is one person asking to take one step on an application set up as the workflow records it
// (ruleGrassroots, ruleService), and what the rule book must answer: barred, refused as refusal
// (Forbidden unless set) with a reason that says barredFor, or (barredFor "") offered and accepted.
type ruleCase struct {
	what      string
	kind      scheme.Kind
	stage     Stage
	rel       ruleRelation
	stakes    ruleStakes // service applications' money
	role      scheme.Role
	action    Action
	barredFor string
	refusal   string
}

// probe asks the hint and the validator about the case.
func (c ruleCase) probe(ctx workflow.Context) ruleProbe {
	a := ruleActor(c.role, c.rel)
	if c.kind == scheme.Grassroots {
		p, _ := ruleGrassroots(ctx, c.stage, c.rel).probe(ctx, c.action, a)
		return p
	}
	p, _ := ruleService(ctx, c.stage, c.rel, c.stakes).probe(ctx, c.action, a)
	return p
}

// check asserts the case: a bar is neither offered nor accepted and is refused for its reason; an allowed step is offered and accepted (the contrast that shows the bar is the reason).
func (c ruleCase) check(t *testing.T, p ruleProbe) {
	t.Helper()
	if c.barredFor == "" {
		if !p.offered || p.err != nil {
			t.Errorf("%s: offered %v, validator %v; want offered and accepted", c.what, p.offered, p.err)
		}
		return
	}
	want := c.refusal
	if want == "" {
		want = RefusalForbidden
	}
	if p.offered {
		t.Errorf("%s: offered by Actions", c.what)
	}
	switch {
	case p.err == nil:
		t.Errorf("%s: the validator accepted it", c.what)
	case refusalKind(p.err) != want:
		t.Errorf("%s: refused as %s, want %s: %v", c.what, refusalKind(p.err), want, p.err)
	case !strings.Contains(p.err.Error(), c.barredFor):
		t.Errorf("%s: refused with %q, want it to say %q", c.what, p.err, c.barredFor)
	}
}

// runRuleCases probes every case in one workflow, then checks each.
func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	probes := make([]ruleProbe, len(cases))
	ruleInWorkflow(t, func(ctx workflow.Context) {
		for i, c := range cases {
			probes[i] = c.probe(ctx)
		}
	})
	for i, c := range cases {
		c.check(t, probes[i])
	}
}

// TestRuleBookBars holds the cases that the workflows or the hints got wrong before the rule book,
// each beside the case that shows the bar, not something else, is the reason.
func TestRuleBookBars(t *testing.T) {
	none := ruleRelation{name: "none"}
	member := ruleRelation{name: "member", member: true}
	assessed := ruleRelation{name: "assessed", assessed: true}
	moderated := ruleRelation{name: "moderated", moderated: true}
	decide180k := ruleStakes{name: "£180,000", years: ruleYears(2026, 60000, 60000, 60000), fund: true}
	const svc, grass = scheme.Service, scheme.Grassroots
	const officer, head, commissioner = scheme.RoleOfficer, scheme.RoleHeadOfCommissioning, scheme.RoleCommissioner
	commissionerOnly := "needs approval by the Police and Crime Commissioner"

	ruleInWorkflow(t, func(ctx workflow.Context) {
		if g := ruleGrassroots(ctx, StageDecision, assessed); g.status.AssessorID == rulePerson {
			t.Error("the latest grassroots assessment is the person's own; the first-round case needs someone else's")
		}
	})
	runRuleCases(t, []ruleCase{
		// A head of commissioning is not offered decide on a £180,000 recommendation.
		{what: "head of commissioning deciding £180,000", kind: svc, stage: StageDecision, rel: none, stakes: decide180k, role: head, action: ActionDecide, barredFor: commissionerOnly},
		{what: "Commissioner deciding £180,000", kind: svc, stage: StageDecision, rel: none, stakes: decide180k, role: commissioner, action: ActionDecide},
		// An officer is not offered vary on a £360,000 award.
		{what: "officer varying £360,000", kind: svc, stage: StageActive, rel: none, stakes: commissionerBand, role: officer, action: ActionVary, barredFor: commissionerOnly},
		{what: "Commissioner varying £360,000", kind: svc, stage: StageActive, rel: none, stakes: commissionerBand, role: commissioner, action: ActionVary},
		// The officer who moderated is barred from vary and terminate (an award in the officer band, so the band is no reason).
		{what: "moderating officer varying", kind: svc, stage: StageActive, rel: moderated, stakes: officerBand, role: officer, action: ActionVary, barredFor: "you recommended this award"},
		{what: "moderating officer ending the award", kind: svc, stage: StageActive, rel: moderated, stakes: officerBand, role: officer, action: ActionTerminate, barredFor: "you recommended this award"},
		{what: "another officer varying", kind: svc, stage: StageActive, rel: none, stakes: officerBand, role: officer, action: ActionVary},
		{what: "another officer ending the award", kind: svc, stage: StageActive, rel: none, stakes: officerBand, role: officer, action: ActionTerminate},
		// A first-round assessor is barred from deciding after a second assessment by someone else.
		{what: "first-round assessor deciding", kind: grass, stage: StageDecision, rel: assessed, role: officer, action: ActionDecide, barredFor: "you assessed this application"},
		{what: "an officer who never assessed it deciding", kind: grass, stage: StageDecision, rel: none, role: officer, action: ActionDecide},
		// A finance user who is a member of the applicant cannot record its payment.
		{what: "member finance user paying a grassroots grant", kind: grass, stage: StageAccepted, rel: member, role: scheme.RoleFinance, action: ActionRecordPayment, barredFor: "member of the applicant organisation"},
		{what: "member finance user paying a service tranche", kind: svc, stage: StageActive, rel: member, stakes: headBand, role: scheme.RoleFinance, action: ActionRecordPayment, barredFor: "member of the applicant organisation"},
		{what: "finance paying a grassroots grant", kind: grass, stage: StageAccepted, rel: none, role: scheme.RoleFinance, action: ActionRecordPayment},
		{what: "finance paying a service tranche", kind: svc, stage: StageActive, rel: none, stakes: headBand, role: scheme.RoleFinance, action: ActionRecordPayment},
		// No service tranche is released before the conditions precedent are met, so nothing is paid at accepted.
		{what: "finance paying a service tranche at accepted", kind: svc, stage: StageAccepted, rel: none, stakes: headBand, role: scheme.RoleFinance,
			action: ActionRecordPayment, barredFor: "cannot record a payment while the application is accepted", refusal: RefusalStage},
		// An officer who is a member of the applicant cannot accept its offer.
		{what: "member officer accepting a grassroots offer", kind: grass, stage: StageOffered, rel: member, role: officer, action: ActionAcceptOffer, barredFor: "only a member of the applicant organisation"},
		{what: "member officer accepting a service offer", kind: svc, stage: StageOffered, rel: member, stakes: headBand, role: officer, action: ActionAcceptOffer, barredFor: "only a member of the applicant organisation"},
		{what: "the applicant accepting a grassroots offer", kind: grass, stage: StageOffered, rel: member, role: scheme.RoleApplicant, action: ActionAcceptOffer},
		{what: "the applicant accepting a service offer", kind: svc, stage: StageOffered, rel: member, stakes: headBand, role: scheme.RoleApplicant, action: ActionAcceptOffer},
		// Only the provider accepts a varied agreement, and only while one awaits acceptance.
		{what: "member officer accepting a varied agreement", kind: svc, stage: StageVariationOffered, rel: member, stakes: headBand, role: officer,
			action: ActionAcceptVariation, barredFor: "only a member of the applicant organisation"},
		{what: "the provider accepting a varied agreement", kind: svc, stage: StageVariationOffered, rel: member, stakes: headBand, role: scheme.RoleApplicant,
			action: ActionAcceptVariation},
		{what: "the provider accepting a varied agreement while none awaits", kind: svc, stage: StageActive, rel: member, stakes: headBand, role: scheme.RoleApplicant,
			action: ActionAcceptVariation, barredFor: "cannot accept a varied agreement while the application is active", refusal: RefusalStage},
	})
}
