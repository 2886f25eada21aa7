// Closure: the final report, its review, and the reconciliation of what was paid against what was spent.

package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/money"
)

func (sv *service) validateSubmitFinalReport(ctx workflow.Context, r SubmitReportRequest) error {
	if err := sv.permit(ActionSubmitReport, sv.party(r.Actor), 0); err != nil {
		return err
	}
	return validateReport(r, sv.st.Award.Paid)
}

func (sv *service) submitFinalReport(ctx workflow.Context, r SubmitReportRequest) error {
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
	return validateReview(r)
}

// reviewFinalReport closes the grant on acceptance: paid is reconciled against awarded, and the
// underspend (paid but not spent) is recorded and returned to the budget with what was never paid.
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
