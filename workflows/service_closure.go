// Closure: the final report, its review, and the reconciliation of what was paid against what was
// spent. Under version marker closure-reconciliation (taken when the final report is submitted) a
// grant does not close while a funded quarter's return is missing unless the head of commissioning
// waives it, and an underspend is recovered: the application waits at recovery, where finance
// records repayments (in parts if need be) until the whole is repaid, or a decider writes the rest
// off within their delegated band; only then is the budget credited and the grant closed.

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

// Recovery is an underspend owed back, as the workflow tracks it.
type Recovery struct {
	Reference  string      `json:"reference"`
	Owed       money.Pence `json:"owed_pence"`
	Repaid     money.Pence `json:"repaid_pence"`
	WrittenOff money.Pence `json:"written_off_pence,omitempty"`
	DueBy      time.Time   `json:"due_by"`
	Repayments int         `json:"repayments"`
	Overdue    bool        `json:"overdue,omitempty"` // the officer has been told the due date passed
}

// Outstanding is what is still owed.
func (r Recovery) Outstanding() money.Pence { return r.Owed - r.Repaid - r.WrittenOff }

// WaiveReturnsRequest is the head of commissioning's waiver of returns missing at closure.
type WaiveReturnsRequest struct {
	Actor    Actor
	Quarters []Quarter
	Reason   string
}

// RecordRepaymentRequest is finance recording money the provider repaid.
type RecordRepaymentRequest struct {
	Actor      Actor
	Amount     money.Pence
	ReceivedOn time.Time
	Reference  string
}

// WriteOffRequest writes off what is still owed, with the reason.
type WriteOffRequest struct {
	Actor  Actor
	Reason string
}

func (sv *service) validateSubmitFinalReport(ctx workflow.Context, r SubmitReportRequest) error {
	if err := sv.permit(ActionSubmitReport, sv.party(r.Actor), 0); err != nil {
		return err
	}
	if len(r.Beneficiaries) > 0 {
		return refuse(RefusalInvalid, "beneficiaries", "a service's final report does not count people: its quarterly returns did")
	}
	return validateReport(r, sv.st.Award.Paid)
}

func (sv *service) submitFinalReport(ctx workflow.Context, r SubmitReportRequest) error {
	// The closure this report leads to is decided here: runs from before the marker close on
	// acceptance, returning any underspend to the budget at once.
	sv.st.Reconciling = workflow.GetVersion(ctx, "closure-reconciliation", workflow.DefaultVersion, 1) == 1
	version := sv.st.FinalVersion + 1
	in := activities.SubmitReportInput{Step: sv.step(ctx, r.Actor, "Final report submitted", "Spent "+r.Spent.String()+" of "+sv.st.Award.Paid.String()+" paid.", StageFinalSubmitted),
		Version: version, Summary: r.Summary, Outcomes: r.Outcomes, Spent: r.Spent}
	if err := workflow.ExecuteActivity(ctx, records.SubmitReport, in).Get(ctx, nil); err != nil {
		return err
	}
	sv.st.FinalVersion, sv.st.FinalSpent = version, r.Spent
	sv.setStage(ctx, StageFinalSubmitted)
	return nil
}

func (sv *service) validateReviewFinalReport(ctx workflow.Context, r ReviewReportRequest) error {
	if err := sv.permit(ActionReviewReport, sv.party(r.Actor), 0); err != nil {
		return err
	}
	for _, t := range sv.st.Tranches {
		if t.Status == TrancheReleased && r.Outcome == ReviewAccept {
			return refuse(RefusalStage, "", "tranche %d is released but not yet paid; finance must record it before the grant closes", t.No)
		}
	}
	if missing := sv.missingReturns(); r.Outcome == ReviewAccept && sv.st.Reconciling && len(missing) > 0 {
		return refuse(RefusalStage, "", "the grant cannot close while monitoring returns are missing: %s. Request changes so the provider can send them, "+
			"or the head of commissioning may waive them with a reason", describeReturns(missing))
	}
	return validateReview(r)
}

// missingReturns are the returns of funded quarters neither accepted nor waived.
func (sv *service) missingReturns() []ReturnState {
	var out []ReturnState
	for _, r := range sv.st.Returns {
		if ReturnMissing(r.Status) {
			out = append(out, r)
		}
	}
	return out
}

// ReturnMissing says whether a funded quarter's return, in this status, holds up closure: it is
// neither accepted, nor not required, nor waived.
func ReturnMissing(status string) bool {
	return status != ReturnAccepted && status != ReturnNotRequired && status != ReturnWaived
}

// describeReturns lists returns with their status: "Q1 2026-27 (awaiting), Q2 2026-27 (submitted)".
func describeReturns(rs []ReturnState) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s (%s)", r.Quarter.Label(), strings.ReplaceAll(r.Status, "_", " "))
	}
	return strings.Join(parts, ", ")
}

// reviewFinalReport sends the report back, or accepts it: paid is reconciled against spent, and
// the grant closes, or (under closure-reconciliation, with an underspend) recovery begins.
func (sv *service) reviewFinalReport(ctx workflow.Context, r ReviewReportRequest) error {
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
	underspend := sv.st.Award.Paid - sv.st.FinalSpent
	if sv.st.Reconciling && underspend > 0 {
		return sv.startRecovery(ctx, r.Actor, underspend)
	}
	return sv.closeGrant(ctx, r.Actor, underspend, fmt.Sprintf("%s; underspend %s returned to the budget.", sv.reconciliation(), underspend))
}

// reconciliation is the closing line's account of the money: "Awarded …, paid …, spent …".
func (sv *service) reconciliation() string {
	return fmt.Sprintf("Awarded %s, paid %s, spent %s", WholeLife(sv.st.Award.Years), sv.st.Award.Paid, sv.st.FinalSpent)
}

// closeGrant closes the grant: of what left each year, returned (an underspend repaid, or returned
// at once by runs before closure-reconciliation) goes back to the budget, latest years first.
func (sv *service) closeGrant(ctx workflow.Context, actor Actor, returned money.Pence, why string) error {
	spent := sv.st.FinalSpent
	closing := activities.CloseAwardInput{Step: sv.step(ctx, actor, "Grant reconciled and closed", why, StageClosed),
		SchemeID: sv.st.In.SchemeID, Keep: withoutUnderspend(sv.settledByYear(), returned), Spent: &spent}
	if err := workflow.ExecuteActivity(ctx, awards.CloseAward, closing).Get(ctx, nil); err != nil {
		return err
	}
	sv.setStage(ctx, StageClosed)
	return nil
}

// startRecovery asks for the underspend back: finance receives a recovery notice and the provider a
// letter saying how and by when to repay, and the application waits at recovery.
func (sv *service) startRecovery(ctx workflow.Context, actor Actor, owed money.Pence) error {
	a := sv.st.Award
	due := endOfDay(sv.now(ctx).In(scheme.London).AddDate(0, 0, sv.rules.Repayment()))
	dueOn := due.In(scheme.London).Format("2 January 2006")
	rec := &Recovery{Reference: a.Reference + "-REC", Owed: owed, DueBy: due}
	recovering := func() { sv.st.Recovery = rec } // a repayment or write-off is checked against it
	in := activities.RecoveryInput{
		Step: sv.stepShowing(ctx, actor, fmt.Sprintf("Underspend of %s to be repaid by %s: recovery notice sent to finance", owed, dueOn),
			fmt.Sprintf("%s. The provider is asked to repay it quoting %s.", sv.reconciliation(), rec.Reference), StageRecovery, sv.showing(recovering)),
		AwardID: a.ID, Reference: rec.Reference, Awarded: WholeLife(a.Years), Paid: a.Paid, Spent: sv.st.FinalSpent, Due: due,
	}
	if err := workflow.ExecuteActivity(withDocuments(ctx), documents.IssueRecoveryNotice, in).Get(ctx, nil); err != nil {
		return err
	}
	recovering()
	sv.setStage(ctx, StageRecovery)
	sv.dirty = true
	return sv.notify(ctx, "repayment-due", "applicant", "repayment_due", fmt.Sprintf(
		"Your final report for %s is accepted. %s of the grant was paid but not spent: please repay it by %s, quoting %s. The repayment letter says how.",
		a.Reference, owed, dueOn, rec.Reference))
}

// recoveryMoments is the repayment's due date.
func (sv *service) recoveryMoments() []time.Time {
	if rec := sv.st.Recovery; rec != nil && !rec.Overdue {
		return []time.Time{rec.DueBy}
	}
	return nil
}

// recoveryAgenda tells the officer once the repayment's due date has passed with money still owed;
// the recovery goes on until it is repaid or written off.
func (sv *service) recoveryAgenda(ctx workflow.Context, now time.Time) error {
	rec := sv.st.Recovery
	if rec == nil || rec.Overdue || now.Before(rec.DueBy) {
		return nil
	}
	rec.Overdue = true
	dueOn := rec.DueBy.In(scheme.London).Format("2 January 2006")
	step := sv.step(ctx, grant.System, "Repayment overdue", fmt.Sprintf("%s of %s was due by %s.", rec.Outstanding(), rec.Owed, dueOn), sv.stage)
	if err := workflow.ExecuteActivity(ctx, records.RecordStep, step).Get(ctx, nil); err != nil {
		return err
	}
	return sv.notify(ctx, "repayment-overdue", "officer", "escalation", fmt.Sprintf(
		"%s: %s of the underspend (%s) was due by %s and has not been repaid. Chase the provider, or write it off within your delegated authority.",
		sv.st.Award.Reference, rec.Outstanding(), rec.Reference, dueOn))
}

func (sv *service) validateWaiveReturns(ctx workflow.Context, r WaiveReturnsRequest) error {
	if err := sv.permit(ActionWaiveReturns, sv.party(r.Actor), 0); err != nil {
		return err
	}
	if len(r.Quarters) == 0 {
		return refuse(RefusalInvalid, "quarters", "name the quarters whose returns are waived")
	}
	for i, q := range r.Quarters {
		field := fmt.Sprintf("quarters[%d]", i)
		ret := sv.returnFor(q)
		switch {
		case ret == nil:
			return refuse(RefusalInvalid, field, "%s is not a quarter of this award", q.Label())
		case slices.Contains(r.Quarters[:i], q):
			return refuse(RefusalInvalid, field, "%s is named twice", q.Label())
		case ret.Status == ReturnWaived: // a repeat of a waiver whose answer was lost reads as done
			return refuse(RefusalInvalid, field, "the %s return has already been waived", q.Label())
		case ret.Status == ReturnSubmitted:
			return refuse(RefusalInvalid, field, "the %s return has been sent and awaits review: review it instead", q.Label())
		case !ReturnMissing(ret.Status):
			return refuse(RefusalInvalid, field, "the %s return is not missing (%s)", q.Label(), strings.ReplaceAll(ret.Status, "_", " "))
		}
	}
	if strings.TrimSpace(r.Reason) == "" {
		return refuse(RefusalInvalid, "reason", "say why the grant may close without these returns")
	}
	return nil
}

// waiveReturns records the waiver on the timeline; the waived returns no longer hold up closure.
func (sv *service) waiveReturns(ctx workflow.Context, r WaiveReturnsRequest) error {
	labels := make([]string, len(r.Quarters))
	quarters := make([][2]int, len(r.Quarters))
	for i, q := range r.Quarters {
		labels[i], quarters[i] = q.Label(), [2]int{q.FY, q.Q}
	}
	in := activities.WaiveReturnsInput{Step: sv.step(ctx, r.Actor, "Monitoring returns waived: "+strings.Join(labels, ", "), r.Reason, sv.stage),
		Quarters: quarters, Reason: r.Reason}
	if err := workflow.ExecuteActivity(ctx, records.WaiveReturns, in).Get(ctx, nil); err != nil {
		return err
	}
	for _, q := range r.Quarters {
		sv.returnFor(q).Status = ReturnWaived
	}
	sv.dirty = true
	return nil
}

func (sv *service) validateRecordRepayment(ctx workflow.Context, r RecordRepaymentRequest) error {
	if err := sv.permit(ActionRecordRepayment, sv.party(r.Actor), 0); err != nil {
		return err
	}
	switch owed := sv.st.Recovery.Outstanding(); {
	case r.Amount <= 0:
		return refuse(RefusalInvalid, "amount_pence", "must be more than £0.00")
	case r.Amount > owed:
		return refuse(RefusalInvalid, "amount_pence", "%s is more than the %s still owed", r.Amount, owed)
	}
	return validateMoneyMoved(sv.latestMoneyDay(sv.now(ctx)), r.Reference, "received_on", r.ReceivedOn)
}

// recordRepayment records money repaid; once the whole is repaid the budget is credited and the
// grant closes.
func (sv *service) recordRepayment(ctx workflow.Context, r RecordRepaymentRequest) error {
	rec := sv.st.Recovery
	left := rec.Outstanding() - r.Amount
	what := fmt.Sprintf("Repayment of %s received: %s still owed", r.Amount, left)
	if left == 0 {
		what = fmt.Sprintf("Underspend repaid in full: %s received", r.Amount)
	}
	in := activities.RecordRepaymentInput{Step: sv.step(ctx, r.Actor, what, fmt.Sprintf("Reference %s, received %s.", r.Reference,
		r.ReceivedOn.In(scheme.London).Format("2 January 2006")), sv.stage), AwardID: sv.st.Award.ID, Seq: rec.Repayments + 1, Amount: r.Amount,
		ReceivedOn: r.ReceivedOn, Reference: r.Reference}
	if err := workflow.ExecuteActivity(ctx, awards.RecordRepayment, in).Get(ctx, nil); err != nil {
		return err
	}
	rec.Repayments++
	rec.Repaid += r.Amount
	sv.dirty = true
	if left > 0 {
		return nil
	}
	return sv.closeGrant(ctx, r.Actor, rec.Repaid, fmt.Sprintf("%s; underspend %s repaid and returned to the budget.", sv.reconciliation(), rec.Owed))
}

func (sv *service) validateWriteOff(ctx workflow.Context, r WriteOffRequest) error {
	if err := sv.permit(ActionWriteOff, sv.party(r.Actor), sv.stakes()); err != nil {
		return err
	}
	if strings.TrimSpace(r.Reason) == "" {
		return refuse(RefusalInvalid, "reason", "say why the amount owed is written off")
	}
	return nil
}

// writeOff writes off what is still owed and closes the grant; only what was repaid goes back to
// the budget.
func (sv *service) writeOff(ctx workflow.Context, r WriteOffRequest) error {
	rec := sv.st.Recovery
	amount := rec.Outstanding()
	in := activities.WriteOffInput{Step: sv.step(ctx, r.Actor, fmt.Sprintf("%s owed written off", amount), r.Reason, sv.stage),
		AwardID: sv.st.Award.ID, Amount: amount, Reason: r.Reason}
	if err := workflow.ExecuteActivity(ctx, awards.WriteOff, in).Get(ctx, nil); err != nil {
		return err
	}
	rec.WrittenOff += amount
	sv.dirty = true
	return sv.closeGrant(ctx, r.Actor, rec.Repaid, fmt.Sprintf("%s; underspend %s: %s repaid and returned to the budget, %s written off by %s.",
		sv.reconciliation(), rec.Owed, rec.Repaid, amount, r.Actor.Name))
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
