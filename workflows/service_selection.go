// Selection, the service workflow's first phase: eligibility screening, the assessment panel and its
// deadlines, moderation, and the decision under delegated authority with the award it makes.

package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/money"
	"grantflow/scheme"
)

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
		SubmittedAt: sv.now(ctx), BeforeDraftsLocked: in.BeforeDraftsLocked,
	})
	sv.st.Eligibility = &result
	if !result.Eligible {
		return sv.moveTo(ctx, StageIneligible, grant.System, "Not eligible: application closed", strings.Join(result.Reasons(), " "))
	}
	return sv.moveTo(ctx, StageAssessment, grant.System, "Eligible: awaiting the assessment panel", "All eligibility checks passed.")
}

// panelMoments are when the panel's scores are reminded and escalated.
func (sv *service) panelMoments() []time.Time {
	var out []time.Time
	for _, p := range sv.st.Panel {
		if !p.Removed && !p.Submitted {
			out = append(out, sv.panelReminder(p), p.Deadline)
		}
	}
	return out
}

// panelReminder is when a panel member is reminded that their scores are due.
func (sv *service) panelReminder(p PanelSeat) time.Time {
	return p.Deadline.AddDate(0, 0, -sv.rules.PanelReminder())
}

func (sv *service) panelAgenda(ctx workflow.Context, now time.Time) error {
	for i := range sv.st.Panel {
		p := &sv.st.Panel[i]
		if p.Removed || p.Submitted {
			continue
		}
		deadline := p.Deadline.In(scheme.London).Format("2 January 2006")
		if !p.Reminded && !now.Before(sv.panelReminder(*p)) && now.Before(p.Deadline) {
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

// party is what the rule book needs to know of the actor, from the workflow's own record.
func (sv *service) party(actor Actor) Party {
	seat := sv.seat(actor.UserID)
	p := Party{Role: actor.Role, Member: actor.MemberOf(sv.orgID), Conflicted: sv.isBarred(actor.UserID), Panel: seat != nil,
		Seated: seat != nil && !seat.Removed, Scored: seat != nil && seat.Submitted,
		Moderated: sv.st.Recommendation != nil && sv.st.Recommendation.By.UserID == actor.UserID}
	p.Assessed = p.Scored // a service application is scored by its panel only
	return p
}

// stakes is the whole-life total a banded step answers for at this stage: the recommended award
// while it awaits a decision (nothing when the panel did not recommend funding), then the award as
// it stands, and during recovery what is still owed (a write-off answers for that alone).
func (sv *service) stakes() money.Pence {
	switch {
	case sv.stage == StageRecovery && sv.st.Recovery != nil:
		return sv.st.Recovery.Outstanding()
	case sv.stage == StageDecision && sv.st.Recommendation != nil && sv.st.Recommendation.Fund:
		return WholeLife(sv.st.Recommendation.Years)
	case sv.stage != StageDecision && sv.st.Award != nil:
		return WholeLife(sv.st.Award.Years)
	}
	return 0
}

func (sv *service) validateAssignPanel(ctx workflow.Context, r AssignPanelRequest) error {
	if err := sv.permit(ActionAssignPanel, sv.party(r.Actor), 0); err != nil {
		return err
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

func (sv *service) assignPanel(ctx workflow.Context, r AssignPanelRequest) error {
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
}

func (sv *service) validateDeclareConflict(ctx workflow.Context, r DeclareConflictRequest) error {
	if err := sv.permit(ActionDeclareConflict, sv.party(r.Actor), 0); err != nil {
		return err
	}
	return validateDeclaration(r)
}

// declareConflict records a declaration; a conflict removes the person from the panel and from
// seeing the scores, and tells the officer if the panel is now short.
func (sv *service) declareConflict(ctx workflow.Context, r DeclareConflictRequest) error {
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
		return sv.notify(ctx, "moderation-due", "officer", "ready_for_you", fmt.Sprintf("The panel has scored %s: it is ready for moderation.", sv.st.In.Title))
	case sv.seat(r.Actor.UserID) != nil && sv.activePanel() < sv.rules.PanelSize():
		return sv.notify(ctx, fmt.Sprintf("panel-short-%d", r.Actor.UserID), "officer", "escalation",
			fmt.Sprintf("%s left the panel for %s after declaring a conflict; assign another assessor.", r.Actor.Name, sv.st.In.Title))
	}
	return nil
}

func (sv *service) validateAssess(ctx workflow.Context, r AssessRequest) error {
	if err := sv.permit(ActionAssess, sv.party(r.Actor), 0); err != nil {
		return err
	}
	if err := declaredNoConflict(r.NoConflict, "scoring"); err != nil {
		return err
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
func (sv *service) assess(ctx workflow.Context, r AssessRequest) error {
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
		return sv.notify(ctx, "moderation-due", "officer", "ready_for_you", fmt.Sprintf("The panel has scored %s: it is ready for moderation.", sv.st.In.Title))
	}
	return nil
}

func (sv *service) validateModerate(ctx workflow.Context, r ModerateRequest) error {
	if err := sv.permit(ActionModerate, sv.party(r.Actor), 0); err != nil {
		return err
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
	if sv.rechecking && workflow.GetVersion(ctx, "award-start-date", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return sv.validateYearsBeforeStartDates(ctx, r) // a run moderated before start dates, replayed
	}
	if err := sv.validateStartDate(ctx, r.StartDate); err != nil {
		return err
	}
	if len(r.Years) > 0 && r.Years[0].FinancialYear != scheme.FinancialYear(r.StartDate) {
		return refuse(RefusalInvalid, "years[0].financial_year", "must be %s, the financial year of the start date (%s)",
			scheme.FinancialYearLabel(scheme.FinancialYear(r.StartDate)), longDate(r.StartDate))
	}
	start := AwardStart{FirstFY: scheme.FinancialYear(r.StartDate), Date: r.StartDate}
	if err := ValidateAwardYears(sv.rules, r.Years, start, "years"); err != nil {
		return invalid(err)
	}
	// No year may be more than was asked for it; the first no more than its share of the year for
	// the quarters left from the start date.
	proposed := map[int]money.Pence{}
	for _, y := range ProposedYears(sv.st.In.Service.Years, r.StartDate) {
		proposed[y.FinancialYear] = y.Amount
	}
	for i, y := range r.Years {
		if y.Amount <= proposed[y.FinancialYear] {
			continue
		}
		field := fmt.Sprintf("years[%d].amount_pence", i)
		if q := start.Quarter(); y.FinancialYear == q.FY && q.Q > 1 {
			return refuse(RefusalInvalid, field, "%s is more than the %s requested for %s pro-rated to the %d of its 4 quarters from the start date",
				y.Amount, proposed[y.FinancialYear], scheme.FinancialYearLabel(y.FinancialYear), QuartersLeft(q))
		}
		return refuse(RefusalInvalid, field, "%s is more than the %s requested for %s", y.Amount, proposed[y.FinancialYear], scheme.FinancialYearLabel(y.FinancialYear))
	}
	return sv.validateTerms(r)
}

// validateTerms checks the conditions a recommendation to fund sets.
func (sv *service) validateTerms(r ModerateRequest) error {
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

// validateYearsBeforeStartDates is how a recommendation's years were checked before agreements had
// start dates: whole years, none more than asked for it, none in a year that has ended.
func (sv *service) validateYearsBeforeStartDates(ctx workflow.Context, r ModerateRequest) error {
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
	return sv.validateTerms(r)
}

// validateStartDate refuses a missing start date, or one before today: the agreement cannot start
// before it is decided.
func (sv *service) validateStartDate(ctx workflow.Context, start time.Time) error {
	today := startOfDay(sv.now(ctx))
	switch {
	case start.IsZero():
		return refuse(RefusalInvalid, "start_date", "give the date the grant agreement starts")
	case start.Before(today):
		return refuse(RefusalInvalid, "start_date", "%s has passed: the agreement cannot start before it is decided, so give a date from %s",
			longDate(start), longDate(today))
	}
	return nil
}

// longDate writes a date as letters do: 6 December 2026.
func longDate(t time.Time) string { return t.In(scheme.London).Format("2 January 2006") }

// moderate records the panel's recommendation and produces the decision pack. Moderating again at
// decision (when the start date passed before the decision) replaces the recommendation and its pack.
func (sv *service) moderate(ctx workflow.Context, r ModerateRequest) error {
	rec := ServiceRecommendation{By: r.Actor, Fund: r.Recommendation == RecommendFund, Years: r.Years, Conditions: r.Conditions,
		ConditionsPrecedent: r.ConditionsPrecedent, Reasons: r.Reasons, StartDate: r.StartDate}
	if sv.st.Recommendation != nil {
		rec.Version = max(sv.st.Recommendation.Version, 1) + 1
	}
	what := "Panel moderated: recommended for funding, " + WholeLife(r.Years).String()
	if rec.Version > 1 {
		what = "Panel moderated again: recommended for funding, " + WholeLife(r.Years).String()
	}
	if !rec.Fund {
		what, rec.Years, rec.StartDate = "Panel moderated: not recommended for funding", nil, time.Time{}
	}
	recommended := func() { sv.st.Recommendation = &rec } // the decision is checked against it (validateDecide, stakes)
	in := activities.RecommendInput{Step: sv.stepShowing(ctx, r.Actor, what, r.Reasons, StageDecision, sv.showing(recommended)), Fund: rec.Fund, Years: rec.Years,
		Conditions: rec.Conditions, ConditionsPrecedent: rec.ConditionsPrecedent, Reasons: rec.Reasons, StartDate: rec.StartDate, Version: rec.Version}
	in.Step.DeciderRole = deciderRole(sv.rules, WholeLife(rec.Years))
	in.Step.NotToDecide = append(slices.Clone(sv.barred), r.Actor.UserID) // decisionBars: the conflicted, the panel, the moderator
	for _, seat := range sv.st.Panel {
		in.Step.NotToDecide = append(in.Step.NotToDecide, seat.AssessorID)
	}
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueDecisionPack, in).Get(ctx, nil); err != nil {
		return err
	}
	recommended()
	sv.setStage(ctx, StageDecision)
	return nil
}

func (sv *service) validateDecide(ctx workflow.Context, r ServiceDecideRequest) error {
	if err := sv.permit(ActionDecide, sv.party(r.Actor), sv.stakes()); err != nil {
		return err
	}
	if err := declaredNoConflict(r.NoConflict || sv.oldRules, "deciding"); err != nil {
		return err
	}
	rec := sv.st.Recommendation
	switch r.Outcome {
	case OutcomeApprove:
		if !rec.Fund { // the delegation band was checked by the rule book (stakes)
			return refuse(RefusalInvalid, "outcome", "the panel did not recommend funding; decline it, or ask for it to be moderated again")
		}
		if today := startOfDay(sv.now(ctx)); !rec.StartDate.IsZero() && rec.StartDate.Before(today) {
			return refuse(RefusalStage, "", "the grant agreement was moderated to start on %s, which has passed: it must be moderated again with a start date from %s before it is approved",
				longDate(rec.StartDate), longDate(today))
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

func (sv *service) decide(ctx workflow.Context, r ServiceDecideRequest) error {
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
		if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueDeclineLetter, in).Get(ctx, nil); err != nil {
			return err
		}
		sv.st.DeclineReasons = r.Declined
		sv.setStage(ctx, StageDeclined)
		return nil
	}
	return sv.approve(ctx, r)
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
			// The award was recorded as approved; the read model must not go on saying so while the
			// workflow waits for a decision again (runs from before this kept saying it).
			if workflow.GetVersion(ctx, "failed-approval-back-to-decision", workflow.DefaultVersion, 1) == 1 {
				back := sv.step(ctx, r.Actor, "Approval could not be completed: back to decision",
					"The award's documents could not be issued. The decider may approve it again or decline it.", StageDecision)
				if rerr := workflow.ExecuteActivity(ctx, records.RecordStep, back).Get(ctx, nil); rerr != nil {
					err = fmt.Errorf("%w; and recording the return to decision failed: %v", err, rerr)
				}
			}
			sv.setStage(ctx, StageDecision)
		}
	}()
	band, _ := BandFor(sv.rules, WholeLife(rec.Years))
	first := rec.Years[0].FinancialYear
	award := &ServiceAward{Reference: activities.AwardReference(sv.rules.Code, first, sv.id), Version: 1, Years: rec.Years,
		Conditions: rec.Conditions, FirstFY: first, AcceptBy: endOfDay(now.AddDate(0, 0, sv.rules.AcceptanceDays))}
	// The timetable starts when the agreement does (version marker award-start-date); runs from
	// before it planned every award from 1 April of its first year.
	if workflow.GetVersion(ctx, "award-start-date", workflow.DefaultVersion, 1) == 1 {
		award.StartDate = rec.StartDate
	}
	plan := plannedStates(PlanTranches(rec.Years, award.Start()))
	var created activities.AwardResult
	in := activities.CreateServiceAwardInput{
		Award: activities.CreateAwardInput{
			Step:      sv.step(ctx, r.Actor, fmt.Sprintf("Approved: %s over %d years", WholeLife(rec.Years), len(rec.Years)), rec.Reasons, StageApproved),
			Reference: award.Reference, Amount: WholeLife(rec.Years), Purpose: sv.st.In.Purpose, Conditions: rec.Conditions, Reasons: rec.Reasons,
			DelegationBand: band.Title, RulesVersion: sv.rules.Version, AcceptBy: award.AcceptBy,
		},
		Years: rec.Years, ConditionsPrecedent: rec.ConditionsPrecedent, Tranches: storeTranches(plan), StartDate: award.StartDate,
	}
	if err := workflow.ExecuteActivity(ctx, awards.CreateServiceAward, in).Get(ctx, &created); err != nil {
		return err
	}
	award.ID = created.AwardID
	sv.st.Award = award
	sv.st.Tranches = plan
	sv.st.Returns = PlanReturns(sv.rules, rec.Years, award.Start(), nil)
	sv.setStage(ctx, StageApproved)
	if err := sv.issueDecisionDocuments(ctx, r.Actor, band, "Grant agreement issued", ""); err != nil {
		return err
	}
	notice := activities.IssueDocumentInput{Step: sv.step(ctx, grant.System, "Finance award notice sent", award.Reference, StageOffered)}
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueFinanceAwardNotice, notice).Get(ctx, nil); err != nil {
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

// issueDecisionDocuments writes the decision record (above the officer band) and the agreement for
// the award as the workflow holds it.
func (sv *service) issueDecisionDocuments(ctx workflow.Context, decider Actor, band scheme.Band, what, variation string) error {
	a := sv.st.Award
	record, err := sv.issueVersionDocuments(ctx, decider, band, what,
		agreementVersion{Version: a.Version, Tranches: sv.st.Tranches, Returns: sv.st.Returns, Variation: variation})
	if record != "" {
		a.DecisionRecord = record
	}
	return err
}

// agreementVersion is what one version of the grant agreement sets out. Years and Conditions are
// set for a variation's version, issued before it stands; otherwise the award's, as stored, apply.
type agreementVersion struct {
	Version    int
	Years      []grant.YearAmount
	Conditions []string
	Tranches   []TrancheState
	Returns    []ReturnState
	Variation  string // what a varied version changes
	AcceptBy   time.Time
}

// decisionRecordsByRole is the version marker under which a decision is above the officer band when
// its band's role is above the commissioning officer's (AboveOfficerBand).
const decisionRecordsByRole = "decision-records-by-role"

// issueVersionDocuments writes the decision record (above the officer band; its number is
// returned) and the agreement for one version of the award.
func (sv *service) issueVersionDocuments(ctx workflow.Context, decider Actor, band scheme.Band, what string, v agreementVersion) (string, error) {
	a := sv.st.Award
	var terms *activities.AwardTerms
	if v.Years != nil {
		terms = &activities.AwardTerms{Years: v.Years, Conditions: v.Conditions}
	}
	var number string
	// Runs from before the version marker took the scheme's first band as the officers'; later
	// runs ask the band's role (AboveOfficerBand), as the grassroots workflow does.
	above := len(sv.rules.Delegation) > 0 && band.Role != sv.rules.Delegation[0].Role
	if workflow.GetVersion(ctx, decisionRecordsByRole, workflow.DefaultVersion, 1) == 1 {
		above = AboveOfficerBand(band)
	}
	if above {
		in := activities.DecisionRecordInput{Step: sv.step(ctx, decider, "Decision record published", band.Title, sv.stage),
			Prefix: sv.rules.RecordPrefix(), AwardVersion: v.Version, DelegationBand: band.Title, RulesVersion: sv.rules.Version, Terms: terms,
			Variation: v.Variation}
		if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueDecisionRecord, in).Get(ctx, &number); err != nil {
			return "", err
		}
	}
	agreement := activities.AgreementInput{Step: sv.step(ctx, decider, what, fmt.Sprintf("%s version %d", a.Reference, v.Version), sv.stage),
		Version: v.Version, Variation: v.Variation, Terms: terms, AcceptBy: v.AcceptBy}
	for _, t := range v.Tranches {
		if t.Status != TrancheCancelled {
			agreement.Tranches = append(agreement.Tranches, activities.ScheduledPayment{No: t.No, Quarter: t.Quarter.Label(), Due: t.Due, Amount: t.Amount})
		}
	}
	for _, r := range v.Returns {
		agreement.Returns = append(agreement.Returns, activities.ScheduledReturn{Quarter: r.Quarter.Label(), Due: r.Due})
	}
	return number, workflow.ExecuteActivity(withDocuments(ctx), documents.IssueGrantAgreement, agreement).Get(ctx, nil)
}

func (sv *service) seat(userID int64) *PanelSeat {
	for i := range sv.st.Panel {
		if sv.st.Panel[i].AssessorID == userID {
			return &sv.st.Panel[i]
		}
	}
	return nil
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
