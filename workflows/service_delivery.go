// Delivery: quarterly tranches released when their conditions are met (or held, saying why) and
// paid by finance, and the monitoring returns with their reminders, escalations and reviews.

package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/scheme"
)

// trancheMoments are when scheduled tranches fall due (a held one waits for a person's step instead).
func (sv *service) trancheMoments() []time.Time {
	var out []time.Time
	for _, t := range sv.st.Tranches {
		if t.Status == TrancheScheduled {
			out = append(out, t.Due)
		}
	}
	return out
}

// trancheAgenda releases each due tranche whose conditions are met and holds the others.
func (sv *service) trancheAgenda(ctx workflow.Context, now time.Time) error {
	for i := range sv.st.Tranches {
		t := &sv.st.Tranches[i]
		if (t.Status != TrancheScheduled && t.Status != TrancheHeld) || t.Due.After(now) || sv.st.Award.Terminated {
			continue
		}
		code, reason := sv.holdReason(*t)
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
		if err := sv.notify(ctx, fmt.Sprintf("tranche-%d-held-%s", t.No, code), "officer", "tranche_held",
			fmt.Sprintf("%s tranche %d (%s, %s) is held: %s", sv.st.Award.Reference, t.No, t.Quarter.Label(), t.Amount, reason)); err != nil {
			return err
		}
	}
	return nil
}

// holdReason says why a due tranche cannot be released yet, or "" when it can, with a short code
// that keys the officer's notice: one notice per tranche and reason, however the wording changes.
func (sv *service) holdReason(t TrancheState) (code, reason string) {
	if !sv.st.Award.ConditionsMet {
		return "conditions-precedent", "the conditions precedent have not been confirmed as met"
	}
	prev := t.Quarter.Previous()
	for _, r := range sv.st.Returns {
		if r.Quarter == prev && r.Status != ReturnAccepted {
			return fmt.Sprintf("return-%d-q%d", prev.FY, prev.Q), fmt.Sprintf("the %s monitoring return has not been accepted", prev.Label())
		}
	}
	if sv.stage == StageVariationOffered {
		v := sv.st.Award.Version
		return fmt.Sprintf("variation-v%d", v), fmt.Sprintf("the varied agreement (version %d) has not been accepted by the provider", v)
	}
	return "", ""
}

func (sv *service) releaseTranche(ctx workflow.Context, t *TrancheState) error {
	basis := "conditions precedent met"
	if TrancheNo(sv.st.Award.Start().Quarter(), t.Quarter) > 1 {
		basis += " and the " + t.Quarter.Previous().Label() + " monitoring return accepted"
	}
	in := activities.ReleaseTrancheInput{
		Step:    sv.step(ctx, grant.System, fmt.Sprintf("Tranche %d (%s) released: %s payment notice sent to finance", t.No, t.Quarter.Label(), t.Amount), basis, sv.stage),
		AwardID: sv.st.Award.ID, Tranche: t.No, Quarter: t.Quarter.Label(), Due: t.Due, Amount: t.Amount, Basis: basis,
	}
	sv.releasing = t.No
	defer func() { sv.releasing = 0 }()
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssuePaymentNotice, in).Get(ctx, nil); err != nil {
		return err
	}
	t.Status, t.HeldReason = TrancheReleased, ""
	return nil
}

// returnMoments are each open return's reminder before its due date, the start of its due day, and
// the moment it becomes overdue.
func (sv *service) returnMoments() []time.Time {
	var out []time.Time
	for _, r := range sv.st.Returns {
		if r.open() {
			out = append(out, sv.returnReminder(r), startOfDay(r.Due), r.Due)
		}
	}
	return out
}

// open is true while the provider still has to send (or re-send) the return.
func (r ReturnState) open() bool {
	return r.Status == ReturnAwaiting || r.Status == ReturnChangesRequested
}

func (sv *service) returnReminder(r ReturnState) time.Time {
	return r.Due.AddDate(0, 0, -sv.rules.ReturnReminder())
}

// returnAgenda sends return reminders (before and on the due date) and escalates overdue returns.
func (sv *service) returnAgenda(ctx workflow.Context, now time.Time) error {
	for i := range sv.st.Returns {
		r := &sv.st.Returns[i]
		if !r.open() {
			continue
		}
		due := r.Due.In(scheme.London).Format("2 January 2006")
		key := fmt.Sprintf("return-%d-q%d-v%d", r.Quarter.FY, r.Quarter.Q, r.Version)
		before := sv.returnReminder(*r)
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

func (sv *service) validateRecordTranche(ctx workflow.Context, r RecordTranchePaymentRequest) error {
	if err := sv.permit(ActionRecordPayment, sv.party(r.Actor), 0); err != nil {
		return err
	}
	t, err := sv.payableTranche(r.Tranche)
	if err != nil {
		return err
	}
	if err := sv.needsSignOff(t.SignOff); err != nil {
		return err
	}
	return validatePayment(sv.latestMoneyDay(sv.now(ctx)), r.Amount, t.Amount, fmt.Sprintf("the tranche's %s", t.Amount), r.Reference, r.PaidOn)
}

func (sv *service) recordTranche(ctx workflow.Context, r RecordTranchePaymentRequest) error {
	t := sv.tranche(r.Tranche)
	in := activities.RecordPaymentInput{Step: sv.step(ctx, r.Actor, fmt.Sprintf("Tranche %d (%s) paid: %s", t.No, t.Quarter.Label(), r.Amount), paymentReason(r.Reference, t.SignOff), sv.stage),
		AwardID: sv.st.Award.ID, Tranche: t.No, Amount: r.Amount, PaidOn: r.PaidOn, Reference: r.Reference}
	if t.SignOff.Approved() {
		in.ProposedBy, in.ApprovedBy = t.SignOff.ProposedBy.UserID, t.SignOff.ApprovedBy.UserID
	}
	if err := workflow.ExecuteActivity(ctx, awards.RecordTranchePayment, in).Get(ctx, nil); err != nil {
		return err
	}
	t.Status = TranchePaid
	sv.st.Award.Paid += r.Amount
	sv.dirty = true
	return nil
}

// payableTranche finds the tranche finance means to propose or approve: released (or being released)
// and not yet paid.
func (sv *service) payableTranche(no int) (*TrancheState, error) {
	t := sv.tranche(no)
	switch {
	case t == nil:
		return nil, refuse(RefusalInvalid, "tranche", "there is no tranche %d", no)
	case t.Status == TranchePaid:
		return nil, refuse(RefusalStage, "tranche", "tranche %d is already paid", no)
	case t.Status != TrancheReleased && sv.releasing != t.No:
		return nil, refuse(RefusalStage, "tranche", "tranche %d has not been released for payment (%s)", no, t.Status)
	}
	return t, nil
}

func (sv *service) validateProposeTranche(ctx workflow.Context, r PaymentSignOffRequest) error {
	if err := sv.twoPersonPaymentsOnly(); err != nil {
		return err
	}
	if err := sv.permit(ActionProposePayment, sv.party(r.Actor), 0); err != nil {
		return err
	}
	t, err := sv.payableTranche(r.Tranche)
	if err != nil {
		return err
	}
	if t.SignOff != nil {
		return refuse(RefusalStage, "tranche", "%s has already proposed tranche %d's payment", t.SignOff.ProposedBy.Name, t.No)
	}
	return nil
}

func (sv *service) proposeTranche(ctx workflow.Context, r PaymentSignOffRequest) error {
	t := sv.tranche(r.Tranche)
	in := activities.SignOffPaymentInput{Step: sv.step(ctx, r.Actor, fmt.Sprintf("Tranche %d (%s) payment proposed: %s", t.No, t.Quarter.Label(), t.Amount),
		"Awaits approval by another member of finance", sv.stage), AwardID: sv.st.Award.ID, Tranche: t.No}
	if err := workflow.ExecuteActivity(ctx, awards.SignOffPayment, in).Get(ctx, nil); err != nil {
		return err
	}
	t.SignOff = &PaymentSignOff{ProposedBy: r.Actor}
	sv.dirty = true
	return nil
}

func (sv *service) validateApproveTranche(ctx workflow.Context, r PaymentSignOffRequest) error {
	if err := sv.twoPersonPaymentsOnly(); err != nil {
		return err
	}
	p := sv.party(r.Actor)
	if t := sv.tranche(r.Tranche); t != nil {
		p.Proposed = t.SignOff.proposedBy(r.Actor.UserID)
	}
	if err := sv.permit(ActionApprovePayment, p, 0); err != nil {
		return err
	}
	t, err := sv.payableTranche(r.Tranche)
	if err != nil {
		return err
	}
	switch {
	case t.SignOff == nil:
		return refuse(RefusalStage, "tranche", "tranche %d's payment has not been proposed: one member of finance proposes it, another approves it", t.No)
	case t.SignOff.Approved():
		return refuse(RefusalStage, "tranche", "%s has already approved tranche %d's payment", t.SignOff.ApprovedBy.Name, t.No)
	}
	return nil
}

func (sv *service) approveTranche(ctx workflow.Context, r PaymentSignOffRequest) error {
	t := sv.tranche(r.Tranche)
	in := activities.SignOffPaymentInput{Step: sv.step(ctx, r.Actor, fmt.Sprintf("Tranche %d (%s) payment approved: %s", t.No, t.Quarter.Label(), t.Amount),
		"Proposed by "+t.SignOff.ProposedBy.Name, sv.stage), AwardID: sv.st.Award.ID, Tranche: t.No, Approving: true}
	if err := workflow.ExecuteActivity(ctx, awards.SignOffPayment, in).Get(ctx, nil); err != nil {
		return err
	}
	approver := r.Actor
	t.SignOff.ApprovedBy = &approver
	sv.dirty = true
	return nil
}

func (sv *service) validateSubmitReturn(ctx workflow.Context, r SubmitReturnRequest) error {
	if err := sv.permit(ActionSubmitReturn, sv.party(r.Actor), 0); err != nil {
		return err
	}
	ret := sv.returnFor(r.Quarter)
	switch {
	case ret == nil:
		return refuse(RefusalInvalid, "quarter", "%s is not a quarter of this award", r.Quarter.Label())
	case ret.Status == ReturnNotRequired:
		return refuse(RefusalStage, "quarter", "the %s return is not required: the award ended before the quarter began", r.Quarter.Label())
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
	if err := checkBeneficiaries(sv.rules, c.Beneficiaries, "content.beneficiaries", !sv.rechecking); err != nil {
		return err
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

func (sv *service) submitReturn(ctx workflow.Context, r SubmitReturnRequest) error {
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
}

func (sv *service) validateReviewReturn(ctx workflow.Context, r ReviewReturnRequest) error {
	if err := sv.permit(ActionReviewReturn, sv.party(r.Actor), 0); err != nil {
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
func (sv *service) reviewReturn(ctx workflow.Context, r ReviewReturnRequest) error {
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

// PlanReturns lists a monitoring return for every funded quarter of the funded years (from the
// quarter the agreement starts in), keeping the progress of those already in existing.
func PlanReturns(rules scheme.Rules, years []grant.YearAmount, start AwardStart, existing []ReturnState) []ReturnState {
	var out []ReturnState
	for _, y := range years {
		for _, quarter := range start.quarters(y.FinancialYear) {
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

// QuarterAfterEnd is true for a quarter that had not begun when the award ended early: its return
// is not required.
func QuarterAfterEnd(q Quarter, ended time.Time) bool { return !ended.After(q.Start()) }

// ReturnTimetable is an award's monitoring returns as the read model can tell them: each quarter of
// the funded years with its due date and status. sent holds the review outcome of each quarter's
// latest return sent ("" while it awaits review), or ReturnWaived for a return waived at closure; ended is when the award ended early (zero if it
// did not), after which returns for quarters not yet begun are not required. The workflow keeps the
// same statuses (ServiceState.Returns); pages and work queues read this.
func ReturnTimetable(rules scheme.Rules, years []grant.YearAmount, start AwardStart, sent map[Quarter]string, ended time.Time) []ReturnState {
	out := PlanReturns(rules, years, start, nil)
	for i := range out {
		r := &out[i]
		outcome, ok := sent[r.Quarter]
		switch {
		case ok && outcome == "":
			r.Status = ReturnSubmitted
		case ok && outcome == ReviewAccept:
			r.Status = ReturnAccepted
		case ok && outcome == ReturnWaived:
			r.Status = ReturnWaived
		case ok:
			r.Status = ReturnChangesRequested
		case !ended.IsZero() && QuarterAfterEnd(r.Quarter, ended):
			r.Status = ReturnNotRequired
		}
	}
	return out
}

// PlanTrancheStates is a new award's schedule, every tranche scheduled.
func PlanTrancheStates(years []grant.YearAmount, start AwardStart) []TrancheState {
	return plannedStates(PlanTranches(years, start))
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
