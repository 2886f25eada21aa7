// The award phase: the offer and its acceptance or lapse, the conditions precedent, and the changes
// made to an award once it runs (variation and early termination).

package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/scheme"
)

// offerMoments are the acceptance reminder and the lapse.
func (sv *service) offerMoments() []time.Time {
	return []time.Time{sv.acceptanceReminder(), sv.st.Award.AcceptBy}
}

func (sv *service) acceptanceReminder() time.Time {
	return sv.st.Award.AcceptBy.AddDate(0, 0, -sv.rules.AcceptanceReminderDays)
}

func (sv *service) offerAgenda(ctx workflow.Context, now time.Time) error {
	a := sv.st.Award
	remindAt := sv.acceptanceReminder()
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

func (sv *service) validateAcceptOffer(ctx workflow.Context, r AcceptOfferRequest) error {
	if err := sv.permit(ActionAcceptOffer, sv.party(r.Actor), 0); err != nil {
		return err
	}
	if !sv.now(ctx).Before(sv.st.Award.AcceptBy) {
		return refuse(RefusalStage, "", "the offer lapsed on %s", sv.st.Award.AcceptBy.In(scheme.London).Format("2 January 2006"))
	}
	return nil
}

func (sv *service) acceptOffer(ctx workflow.Context, r AcceptOfferRequest) error {
	in := activities.SetAwardStatusInput{Step: sv.step(ctx, r.Actor, "Offer accepted: conditions precedent to be confirmed", "", StageAccepted), AwardStatus: "accepted", Accepting: true}
	if err := workflow.ExecuteActivity(ctx, awards.SetAwardStatus, in).Get(ctx, nil); err != nil {
		return err
	}
	sv.setStage(ctx, StageAccepted)
	sv.dirty = true
	// Finance hears of the acceptance from the store (store/moments.go), in finance's own words.
	return sv.notify(ctx, "conditions-precedent", "officer", "offer_accepted",
		fmt.Sprintf("%s accepted %s: confirm its conditions precedent so the first tranche can be released.", sv.st.In.Title, sv.st.Award.Reference))
}

func (sv *service) validateConfirmConditions(ctx workflow.Context, r ConfirmConditionsRequest) error {
	if err := sv.permit(ActionConfirmConditions, sv.party(r.Actor), 0); err != nil {
		return err
	}
	return nil
}

func (sv *service) confirmConditions(ctx workflow.Context, r ConfirmConditionsRequest) error {
	in := sv.step(ctx, r.Actor, "Conditions precedent confirmed as met", r.Note, StageActive)
	if err := workflow.ExecuteActivity(ctx, awards.MarkConditionsMet, in).Get(ctx, nil); err != nil {
		return err
	}
	sv.st.Award.ConditionsMet = true
	sv.setStage(ctx, StageActive)
	sv.dirty = true
	return nil
}

func (sv *service) validateVary(ctx workflow.Context, r VaryRequest) error {
	if err := sv.permit(ActionVary, sv.party(r.Actor), sv.stakes()); err != nil {
		return err
	}
	if strings.TrimSpace(r.Summary) == "" {
		return refuse(RefusalInvalid, "summary", "say what the variation changes and why")
	}
	if err := ValidateAwardYears(sv.rules, r.Years, sv.st.Award.Start(), "years"); err != nil {
		return invalid(err)
	}
	if r.Years[0].FinancialYear != sv.st.Award.FirstFY {
		return refuse(RefusalInvalid, "years[0].financial_year", "must stay %s, the award's first year", scheme.FinancialYearLabel(sv.st.Award.FirstFY))
	}
	if _, err := Replan(sv.st.Tranches, r.Years, sv.st.Award.Start()); err != nil {
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
// agreement as a new version and reschedules the tranches not yet released. The agreement (and the
// decision record above the officer band) is issued before the variation stands; if either cannot
// be, nothing of the variation stands (version marker variation-documents-first).
func (sv *service) vary(ctx workflow.Context, r VaryRequest) error {
	if workflow.GetVersion(ctx, "variation-documents-first", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return sv.varyThenIssue(ctx, r)
	}
	a := sv.st.Award
	version := a.Version + 1
	previous, before := a.Years, sv.st.Tranches
	tranches, _ := Replan(sv.st.Tranches, r.Years, a.Start())
	returns := PlanReturns(sv.rules, r.Years, a.Start(), sv.st.Returns)
	band, _ := BandFor(sv.rules, WholeLife(r.Years))
	// The provider accepts the varied agreement afresh (version marker variation-reacceptance);
	// runs varied before that went on under the new terms at once.
	next, acceptBy := sv.stage, time.Time{}
	if workflow.GetVersion(ctx, "variation-reacceptance", workflow.DefaultVersion, 1) == 1 {
		next, acceptBy = StageVariationOffered, endOfDay(sv.now(ctx).In(scheme.London).AddDate(0, 0, sv.rules.AcceptanceDays))
	}
	// Hold the budget both sets of terms need, year by year, so neither undoing the variation nor
	// applying it can be refused for want of budget once the documents are out.
	if err := sv.commit(ctx, largerEachYear(a.Years, r.Years)); err != nil {
		return err
	}
	doc := agreementVersion{Version: version, Years: r.Years, Conditions: r.Conditions, Tranches: tranches, Returns: returns, Variation: r.Summary,
		AcceptBy: acceptBy}
	record, err := sv.issueVersionDocuments(ctx, r.Actor, band, fmt.Sprintf("Grant agreement re-issued as version %d", version), doc)
	// varied is the award as the variation leaves it: what the read model shows once the
	// activity has written it, and what the workflow holds once it hears so.
	varied := func() {
		a := sv.st.Award
		a.Version, a.Years, a.Conditions = version, r.Years, r.Conditions
		if record != "" {
			a.DecisionRecord = record
		}
		sv.st.Tranches, sv.st.Returns = tranches, returns
		if next == StageVariationOffered {
			a.VariationAcceptBy, a.VariationReminded, a.VariationEscalated = acceptBy, false, false
		}
	}
	if err == nil {
		in := activities.VaryInput{
			Step: sv.stepShowing(ctx, r.Actor, fmt.Sprintf("Award varied (version %d): %s over %d years", version, WholeLife(r.Years), len(r.Years)), r.Summary, next,
				sv.showing(varied)),
			SchemeID: sv.st.In.SchemeID, AwardID: a.ID, Version: version, Summary: r.Summary, Years: r.Years, Conditions: r.Conditions,
			DelegationBand: band.Title, RulesVersion: sv.rules.Version, Tranches: storeTranches(tranches), AcceptBy: acceptBy,
		}
		err = workflow.ExecuteActivity(ctx, awards.Vary, in).Get(ctx, nil)
	}
	if err != nil {
		return sv.undoVariation(ctx, r.Actor, version, err)
	}
	varied()
	if next == StageVariationOffered {
		sv.setStage(ctx, next)
	}
	sv.dirty = true
	if workflow.GetVersion(ctx, revisedFinanceNotices, workflow.DefaultVersion, 1) == 1 {
		return sv.sendRevisedNotice(ctx, r.Actor, version, r.Summary, previous, newlyCancelled(before, tranches))
	}
	return nil
}

// revisedFinanceNotices is the version marker under which a variation or an early ending sends
// finance a revised award notice, and an ending leaves the award's years at what was released or
// paid (so closure reconciles against the award as it stood when it ended).
const revisedFinanceNotices = "revised-finance-notices"

// sendRevisedNotice tells finance how the award changed, as the award notice told them it was made:
// each year's amount before and after, the schedule now and the tranches cancelled (version 0: the
// award was ended early). The change already stands; the notice is keyed, so it is sent once.
func (sv *service) sendRevisedNotice(ctx workflow.Context, decider Actor, version int, reason string, previous []grant.YearAmount, cancelled []TrancheState) error {
	a := sv.st.Award
	what := fmt.Sprintf("Revised finance award notice sent (version %d)", version)
	if version == 0 {
		what = "Finance notice sent: award ended early"
	}
	in := activities.RevisedNoticeInput{Step: sv.step(ctx, decider, what, activities.RevisedNoticeReference(a.Reference, version), sv.stage),
		Version: version, Reason: reason, Previous: previous}
	for _, t := range cancelled {
		in.Cancelled = append(in.Cancelled, activities.ScheduledPayment{No: t.No, Quarter: t.Quarter.Label(), Due: t.Due, Amount: t.Amount})
	}
	return workflow.ExecuteActivity(withDocuments(ctx), documents.IssueRevisedFinanceNotice, in).Get(ctx, nil)
}

// newlyCancelled is the tranches of after that are cancelled and were not before, with the amount
// they had before (a tranche cancelled by a variation is left with nothing to pay).
func newlyCancelled(before, after []TrancheState) []TrancheState {
	var out []TrancheState
	for _, t := range after {
		if t.Status != TrancheCancelled {
			continue
		}
		i := slices.IndexFunc(before, func(b TrancheState) bool { return b.No == t.No })
		switch {
		case i < 0:
		case before[i].Status != TrancheCancelled && before[i].Amount > 0:
			out = append(out, before[i])
		}
	}
	return out
}

// variationMoments are the reminder to accept a varied agreement and its acceptance date.
func (sv *service) variationMoments() []time.Time {
	a := sv.st.Award
	return []time.Time{a.VariationAcceptBy.AddDate(0, 0, -sv.rules.AcceptanceReminderDays), a.VariationAcceptBy}
}

// variationAgenda reminds the provider to accept the varied agreement and, once its date has passed,
// tells the officer. The variation does not lapse: it stands, and the tranches it holds wait, until
// the provider accepts it or the award is varied again or ended.
func (sv *service) variationAgenda(ctx workflow.Context, now time.Time) error {
	a := sv.st.Award
	by := a.VariationAcceptBy.In(scheme.London).Format("2 January 2006")
	if !a.VariationReminded && !now.Before(a.VariationAcceptBy.AddDate(0, 0, -sv.rules.AcceptanceReminderDays)) {
		a.VariationReminded = true
		if now.Before(a.VariationAcceptBy) {
			if err := sv.notify(ctx, fmt.Sprintf("variation-v%d-reminder", a.Version), "applicant", "reminder", fmt.Sprintf(
				"Please accept version %d of the grant agreement for %s by %s: payments not yet made wait until you do.", a.Version, a.Reference, by)); err != nil {
				return err
			}
		}
	}
	if !a.VariationEscalated && !now.Before(a.VariationAcceptBy) {
		a.VariationEscalated = true
		return sv.notify(ctx, fmt.Sprintf("variation-v%d-not-accepted", a.Version), "officer", "escalation", fmt.Sprintf(
			"%s: version %d of the grant agreement was not accepted by %s. Payments not yet made stay held; vary the award again or end it if the provider will not accept.",
			a.Reference, a.Version, by))
	}
	return nil
}

func (sv *service) validateAcceptVariation(ctx workflow.Context, r AcceptVariationRequest) error {
	if err := sv.permit(ActionAcceptVariation, sv.party(r.Actor), 0); err != nil {
		return err
	}
	switch v := sv.st.Award.Version; {
	case r.Version <= 0:
		return refuse(RefusalInvalid, "version", "say which version of the grant agreement you accept")
	case r.Version != v:
		return refuse(RefusalStage, "version", "version %d of the grant agreement is the one to accept, not version %d", v, r.Version)
	}
	return nil
}

// acceptVariation records the provider's acceptance of the varied agreement; the award goes back to
// where it stood (active, or accepted while the conditions precedent are still to be confirmed) and
// tranches held for the acceptance are released as they fall due.
func (sv *service) acceptVariation(ctx workflow.Context, r AcceptVariationRequest) error {
	a := sv.st.Award
	next := StageActive
	if !a.ConditionsMet {
		next = StageAccepted
	}
	in := activities.AcceptVariationInput{Step: sv.step(ctx, r.Actor, fmt.Sprintf("Varied agreement accepted (version %d)", a.Version), "", next), Version: a.Version}
	if err := workflow.ExecuteActivity(ctx, awards.AcceptVariation, in).Get(ctx, nil); err != nil {
		return err
	}
	a.VariationAcceptBy, a.VariationReminded, a.VariationEscalated = time.Time{}, false, false
	sv.setStage(ctx, next)
	sv.dirty = true
	return nil
}

// undoVariation takes back what a variation that could not be completed had done: the documents
// issued for its version are withdrawn and the budget goes back to the award as it stands. The
// award, its tranches and its returns were never changed, so the person varying it is told, as a
// refusal, that nothing changed and why. A budget refusal was refused before anything was done.
func (sv *service) undoVariation(ctx workflow.Context, actor Actor, version int, cause error) error {
	if _, _, refused := RefusalOf(cause); refused || temporal.IsCanceledError(cause) {
		return cause
	}
	a := sv.st.Award
	why := activityMessage(cause)
	undo := activities.WithdrawVariationInput{Version: version, Step: sv.step(ctx, actor,
		fmt.Sprintf("Variation could not be completed: the award stands as version %d", a.Version),
		fmt.Sprintf("The documents for version %d could not be issued, so nothing was varied: %s", version, why), sv.stage)}
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.WithdrawVariationDocuments, undo).Get(ctx, nil); err != nil {
		return fmt.Errorf("%w; and withdrawing the documents of version %d failed: %v", cause, version, err)
	}
	if err := sv.commit(ctx, a.Years); err != nil {
		return fmt.Errorf("%w; and returning the budget held for it failed: %v", cause, err)
	}
	return refuse(RefusalStage, "", "the variation could not be completed, so the award stands as version %d and nothing was changed: %s", a.Version, why)
}

// activityMessage is what a failed activity said, without the wrapping that names its event ids.
func activityMessage(err error) string {
	var appErr *temporal.ApplicationError
	if errorsAs(err, &appErr) {
		return appErr.Message()
	}
	return err.Error()
}

// largerEachYear is, for every year either covers, the larger of the two amounts.
func largerEachYear(a, b []grant.YearAmount) []grant.YearAmount {
	out := append([]grant.YearAmount(nil), a...)
	for _, y := range b {
		found := false
		for i := range out {
			if out[i].FinancialYear == y.FinancialYear {
				out[i].Amount, found = max(out[i].Amount, y.Amount), true
			}
		}
		if !found {
			out = append(out, y)
		}
	}
	slices.SortFunc(out, func(x, y grant.YearAmount) int { return x.FinancialYear - y.FinancialYear })
	return out
}

// varyThenIssue is how runs from before version marker variation-documents-first vary an award:
// the variation stands first, then its documents are issued (and a failure leaves it without them).
func (sv *service) varyThenIssue(ctx workflow.Context, r VaryRequest) error {
	a := sv.st.Award
	tranches, _ := Replan(sv.st.Tranches, r.Years, a.Start())
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
	sv.st.Returns = PlanReturns(sv.rules, r.Years, a.Start(), sv.st.Returns)
	sv.dirty = true
	return sv.issueDecisionDocuments(ctx, r.Actor, band, fmt.Sprintf("Grant agreement re-issued as version %d", a.Version), r.Summary)
}

func (sv *service) validateTerminate(ctx workflow.Context, r TerminateRequest) error {
	if err := sv.permit(ActionTerminate, sv.party(r.Actor), sv.stakes()); err != nil {
		return err
	}
	if strings.TrimSpace(r.Reason) == "" {
		return refuse(RefusalInvalid, "reason", "say why the award is ending early")
	}
	return nil
}

// terminate stops future tranches, returns what is not yet released to the budgets and asks for
// the final report.
func (sv *service) terminate(ctx workflow.Context, r TerminateRequest) error {
	kept := sv.settledByYear()
	in := activities.CloseAwardInput{Step: sv.step(ctx, r.Actor, "Award ended early: future tranches stopped", r.Reason, StageFinalReport),
		SchemeID: sv.st.In.SchemeID, Keep: kept, Terminated: true, Reason: r.Reason}
	if err := workflow.ExecuteActivity(ctx, awards.CloseAward, in).Get(ctx, nil); err != nil {
		return err
	}
	sv.st.Award.Terminated = true
	previous, before := sv.st.Award.Years, slices.Clone(sv.st.Tranches)
	for i := range sv.st.Tranches {
		if !sv.st.Tranches[i].Settled() {
			sv.st.Tranches[i].Status = TrancheCancelled
		}
	}
	// The award now stands at what was released or paid (runs from before the marker kept the
	// years awarded, so closure said it had awarded what it never would).
	revised := workflow.GetVersion(ctx, revisedFinanceNotices, workflow.DefaultVersion, 1) == 1
	if revised {
		sv.st.Award.Years = kept
	}
	// No returns are due for quarters that will not run. Runs from before the marker recorded them
	// as accepted, which counted returns never sent as received.
	notRequired := ReturnAccepted
	if workflow.GetVersion(ctx, "returns-not-required", workflow.DefaultVersion, 1) == 1 {
		notRequired = ReturnNotRequired
	}
	for i := range sv.st.Returns {
		if sv.st.Returns[i].Status == ReturnAwaiting && QuarterAfterEnd(sv.st.Returns[i].Quarter, sv.now(ctx)) {
			sv.st.Returns[i].Status = notRequired
		}
	}
	sv.setStage(ctx, StageFinalReport)
	sv.dirty = true
	if revised {
		return sv.sendRevisedNotice(ctx, r.Actor, 0, r.Reason, previous, newlyCancelled(before, sv.st.Tranches))
	}
	return nil
}

func fundedYear(years []grant.YearAmount, fy int) bool {
	for _, y := range years {
		if y.FinancialYear == fy {
			return true
		}
	}
	return false
}
