// The grassroots workflow's human steps: each validator refuses a wrong person, stage or value before
// anything is recorded; each handler records the step and moves the application on.

package workflows

import (
	"errors"
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

// party is what the rule book needs to know of the actor, from the workflow's own record: whether
// they belong to the applicant, declared a conflict, or assessed it in any round.
func (g *grassroots) party(actor Actor) Party {
	return Party{Role: actor.Role, Member: actor.MemberOf(g.orgID), Conflicted: g.isBarred(actor.UserID),
		Assessed: slices.Contains(g.status.Assessors, actor.UserID)}
}

func (g *grassroots) validateDeclareConflict(ctx workflow.Context, r DeclareConflictRequest) error {
	if err := g.permit(ActionDeclareConflict, g.party(r.Actor), 0); err != nil {
		return err
	}
	return validateDeclaration(r)
}

func (g *grassroots) declareConflict(ctx workflow.Context, r DeclareConflictRequest) error {
	what, why := "Declared no conflict of interest", ""
	if r.HasConflict {
		what, why = "Declared a conflict of interest: barred from scoring and deciding", r.Details
	}
	in := activities.DeclareConflictInput{Step: g.step(ctx, r.Actor, what, why, g.stage), HasConflict: r.HasConflict, Details: r.Details}
	if err := workflow.ExecuteActivity(ctx, records.DeclareConflict, in).Get(ctx, nil); err != nil {
		return err
	}
	if r.HasConflict {
		g.barred = append(g.barred, r.Actor.UserID)
	}
	return nil
}

func (g *grassroots) validateAssess(ctx workflow.Context, r AssessRequest) error {
	if err := g.permit(ActionAssess, g.party(r.Actor), 0); err != nil {
		return err
	}
	if err := declaredNoConflict(r.NoConflict, "scoring"); err != nil {
		return err
	}
	if err := ValidateScores(g.in.Rules, r.Scores); err != nil {
		return invalid(err)
	}
	if r.Recommendation != RecommendFund && r.Recommendation != RecommendDoNotFund {
		return refuse(RefusalInvalid, "recommendation", "must be %q or %q", RecommendFund, RecommendDoNotFund)
	}
	return nil
}

func (g *grassroots) assess(ctx workflow.Context, r AssessRequest) error {
	summary := SummariseScores(g.in.Rules, r.Scores)
	scores, _ := jsonMarshal(r.Scores)
	why := assessmentReason(summary, r.Recommendation)
	round := g.status.AssessmentRound + 1
	in := activities.SaveAssessmentInput{Step: g.step(ctx, r.Actor, "Assessment submitted", why, StageDecision), Round: round,
		Scores: scores, Weighted: summary.Weighted, Fundable: summary.Fundable, Recommendation: r.Recommendation, Comment: r.Comment}
	in.Step.DeciderRole = deciderRole(g.in.Rules, g.in.Amount)
	in.Step.NotToDecide = append(append(slices.Clone(g.barred), g.status.Assessors...), r.Actor.UserID) // decisionBars
	if err := workflow.ExecuteActivity(ctx, records.SaveAssessment, in).Get(ctx, nil); err != nil {
		return err
	}
	g.status.AssessmentRound, g.status.AssessorID, g.status.Assessment, g.status.Recommendation = round, r.Actor.UserID, &summary, r.Recommendation
	if !slices.Contains(g.status.Assessors, r.Actor.UserID) {
		g.status.Assessors = append(g.status.Assessors, r.Actor.UserID)
	}
	g.setStage(ctx, StageDecision)
	return nil
}

func (g *grassroots) validateDecide(ctx workflow.Context, r DecideRequest) error {
	if err := g.permit(ActionDecide, g.party(r.Actor), 0); err != nil {
		return err
	}
	if g.decision != nil { // approved: the offer is being issued
		return refuse(RefusalStage, "", "a decision has already been recorded on this application")
	}
	if err := declaredNoConflict(r.NoConflict || g.oldRules, "deciding"); err != nil {
		return err
	}
	switch r.Outcome {
	case OutcomeApprove:
		switch {
		case r.Amount <= 0:
			return refuse(RefusalInvalid, "amount_pence", "must be more than £0.00")
		case r.Amount > g.in.Amount:
			return refuse(RefusalInvalid, "amount_pence", "%s is more than the %s requested", r.Amount, g.in.Amount)
		case strings.TrimSpace(r.Purpose) == "":
			return refuse(RefusalInvalid, "purpose", "say what the grant is for; it is published")
		case strings.TrimSpace(r.Reasons) == "":
			return refuse(RefusalInvalid, "reasons", "say why the grant will secure crime and disorder reduction; it is published")
		case g.status.Assessment != nil && !g.status.Assessment.Fundable:
			return refuse(RefusalInvalid, "outcome", "the assessment marks this application not fundable (%s)", strings.Join(g.status.Assessment.BelowMinimum, "; "))
		case len(r.Conditions) == 0: // the award letter sets them out; without any it could not be written
			return refuse(RefusalInvalid, "conditions", "give at least one condition of grant; the award letter lists them")
		}
		for i, c := range r.Conditions {
			if strings.TrimSpace(c) == "" {
				return refuse(RefusalInvalid, fmt.Sprintf("conditions[%d]", i), "is empty")
			}
		}
		if err := MayApprove(g.in.Rules, r.Actor.Role, r.Amount); err != nil {
			return refuse(RefusalForbidden, "amount_pence", "%s", err.Error())
		}
	case OutcomeDecline:
		if len(r.Declined) == 0 {
			return refuse(RefusalInvalid, "decline_reasons", "give at least one reason the applicant can read")
		}
		for i, reason := range r.Declined {
			if strings.TrimSpace(reason) == "" {
				return refuse(RefusalInvalid, fmt.Sprintf("decline_reasons[%d]", i), "is empty")
			}
		}
	case OutcomeRequestInformation:
		if strings.TrimSpace(r.Question) == "" {
			return refuse(RefusalInvalid, "question", "is required")
		}
		if !r.Deadline.After(workflow.Now(ctx).Add(time.Hour)) {
			return refuse(RefusalInvalid, "deadline", "must be at least an hour from now")
		}
	default:
		return refuse(RefusalInvalid, "outcome", "must be %q, %q or %q", OutcomeApprove, OutcomeDecline, OutcomeRequestInformation)
	}
	return nil
}

func (g *grassroots) decide(ctx workflow.Context, r DecideRequest) error {
	switch r.Outcome {
	case OutcomeApprove:
		if err := g.approve(ctx, r); err != nil {
			return err
		}
	case OutcomeDecline:
		in := activities.DeclineInput{Step: g.step(ctx, r.Actor, "Declined", strings.Join(r.Declined, " "), StageDeclined), Reasons: r.Declined}
		if err := workflow.ExecuteActivity(ctx, records.Decline, in).Get(ctx, nil); err != nil {
			return err
		}
		g.status.DeclineReasons = r.Declined
		g.setStage(ctx, StageDeclined)
	case OutcomeRequestInformation:
		g.infoSeq++
		g.answered = false
		in := activities.AskForInformationInput{Step: g.step(ctx, r.Actor, "More information requested", r.Question, StageInformationRequested),
			Seq: g.infoSeq, Question: r.Question, Deadline: r.Deadline}
		if err := workflow.ExecuteActivity(ctx, records.AskForInformation, in).Get(ctx, nil); err != nil {
			return err
		}
		deadline := r.Deadline
		g.status.Question, g.status.QuestionDeadline = r.Question, &deadline
		g.setStage(ctx, StageInformationRequested)
	}
	g.status.DecidedBy = r.Actor.UserID
	g.decision = &r
	return nil
}

// approve commits the budget first: if it cannot cover the award nothing else is recorded.
func (g *grassroots) approve(ctx workflow.Context, r DecideRequest) error {
	now := workflow.Now(ctx)
	fy := scheme.FinancialYear(now)
	commit := activities.CommitBudgetInput{ApplicationID: g.in.ApplicationID, SchemeID: g.in.SchemeID,
		Years: []grant.YearAmount{{FinancialYear: fy, Amount: r.Amount}}, At: now}
	if err := workflow.ExecuteActivity(ctx, awards.CommitBudget, commit).Get(ctx, nil); err != nil {
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.Type() == activities.ErrTypeBudgetExceeded {
			return refuse(RefusalBudget, "amount_pence", "%s", appErr.Message())
		}
		return err
	}
	band, _ := BandFor(g.in.Rules, r.Amount)
	acceptBy := endOfDay(now.AddDate(0, 0, g.in.Rules.AcceptanceDays))
	ref := activities.AwardReference(g.in.Rules.Code, fy, g.in.ApplicationID)
	var award activities.AwardResult
	in := activities.CreateAwardInput{
		Step:      g.step(ctx, r.Actor, fmt.Sprintf("Approved: %s awarded", r.Amount), r.Reasons, StageApproved),
		Reference: ref, Amount: r.Amount, Purpose: r.Purpose, Conditions: r.Conditions, Reasons: r.Reasons,
		DelegationBand: band.Title, RulesVersion: g.in.Rules.Version, AcceptBy: acceptBy,
	}
	if err := workflow.ExecuteActivity(ctx, awards.CreateAward, in).Get(ctx, &award); err != nil {
		return err
	}
	due := g.reportDue()
	g.status.AwardID, g.status.AwardReference, g.status.AwardAmount = award.AwardID, award.Reference, r.Amount
	g.status.AcceptBy, g.status.ReportDue = &acceptBy, &due
	g.setStage(ctx, StageApproved)
	return nil
}

func (g *grassroots) validateAnswerInformation(ctx workflow.Context, r AnswerInformationRequest) error {
	if err := g.permit(ActionAnswerInformation, g.party(r.Actor), 0); err != nil {
		return err
	}
	if strings.TrimSpace(r.Answer) == "" {
		return refuse(RefusalInvalid, "answer", "is required")
	}
	return nil
}

func (g *grassroots) answerInformation(ctx workflow.Context, r AnswerInformationRequest) error {
	answer := r.Answer
	in := activities.CloseInformationRequestInput{Step: g.step(ctx, r.Actor, "Information provided: back to assessment", r.Answer, StageAssessment), Seq: g.infoSeq, Answer: &answer}
	if err := workflow.ExecuteActivity(ctx, records.CloseInformationRequest, in).Get(ctx, nil); err != nil {
		return err
	}
	g.answered = true
	g.setStage(ctx, StageAssessment)
	return nil
}

func (g *grassroots) validateAcceptOffer(ctx workflow.Context, r AcceptOfferRequest) error {
	if err := g.permit(ActionAcceptOffer, g.party(r.Actor), 0); err != nil {
		return err
	}
	if !workflow.Now(ctx).Before(*g.status.AcceptBy) {
		return refuse(RefusalStage, "", "the offer lapsed on %s", g.status.AcceptBy.In(scheme.London).Format("2 January 2006"))
	}
	return nil
}

func (g *grassroots) acceptOffer(ctx workflow.Context, r AcceptOfferRequest) error {
	in := activities.SetAwardStatusInput{Step: g.step(ctx, r.Actor, "Offer accepted", "", StageAccepted), AwardStatus: "accepted", Accepting: true}
	if err := workflow.ExecuteActivity(ctx, awards.SetAwardStatus, in).Get(ctx, nil); err != nil {
		return err
	}
	g.accepted = true
	g.setStage(ctx, StageAccepted)
	// The activity writes the message, naming the organisation to pay (the workflow has only its id).
	due := g.notice(ctx, "payment-due", "finance", "payment_due", "")
	due.PaymentDue = &activities.PaymentDue{AwardReference: g.status.AwardReference, Amount: g.status.AwardAmount}
	return g.sendNotice(ctx, due)
}

func (g *grassroots) validateProposePayment(ctx workflow.Context, r PaymentSignOffRequest) error {
	if err := g.twoPersonPaymentsOnly(); err != nil {
		return err
	}
	if err := g.permit(ActionProposePayment, g.party(r.Actor), 0); err != nil {
		return err
	}
	if s := g.status.PaymentSignOff; s != nil {
		return refuse(RefusalStage, "", "%s has already proposed this payment", s.ProposedBy.Name)
	}
	return nil
}

func (g *grassroots) proposePayment(ctx workflow.Context, r PaymentSignOffRequest) error {
	in := activities.SignOffPaymentInput{Step: g.step(ctx, r.Actor, "Payment proposed: "+g.status.AwardAmount.String(),
		"Awaits approval by another member of finance", g.stage), AwardID: g.status.AwardID, Tranche: 1}
	if err := workflow.ExecuteActivity(ctx, awards.SignOffPayment, in).Get(ctx, nil); err != nil {
		return err
	}
	g.status.PaymentSignOff = &PaymentSignOff{ProposedBy: r.Actor}
	return nil
}

func (g *grassroots) validateApprovePayment(ctx workflow.Context, r PaymentSignOffRequest) error {
	if err := g.twoPersonPaymentsOnly(); err != nil {
		return err
	}
	p := g.party(r.Actor)
	p.Proposed = g.status.PaymentSignOff.proposedBy(r.Actor.UserID)
	if err := g.permit(ActionApprovePayment, p, 0); err != nil {
		return err
	}
	switch s := g.status.PaymentSignOff; {
	case s == nil:
		return refuse(RefusalStage, "", "no payment has been proposed: one member of finance proposes it, another approves it")
	case s.Approved():
		return refuse(RefusalStage, "", "%s has already approved this payment", s.ApprovedBy.Name)
	}
	return nil
}

func (g *grassroots) approvePayment(ctx workflow.Context, r PaymentSignOffRequest) error {
	s := g.status.PaymentSignOff
	in := activities.SignOffPaymentInput{Step: g.step(ctx, r.Actor, "Payment approved: "+g.status.AwardAmount.String(),
		"Proposed by "+s.ProposedBy.Name, g.stage), AwardID: g.status.AwardID, Tranche: 1, Approving: true}
	if err := workflow.ExecuteActivity(ctx, awards.SignOffPayment, in).Get(ctx, nil); err != nil {
		return err
	}
	approver := r.Actor
	s.ApprovedBy = &approver
	return nil
}

func (g *grassroots) validateRecordPayment(ctx workflow.Context, r RecordPaymentRequest) error {
	if err := g.permit(ActionRecordPayment, g.party(r.Actor), 0); err != nil {
		return err
	}
	if err := g.needsSignOff(g.status.PaymentSignOff); err != nil {
		return err
	}
	owed := g.status.AwardAmount
	return validatePayment(g.latestMoneyDay(workflow.Now(ctx)), r.Amount, owed, fmt.Sprintf("the award's %s, paid in one payment", owed), r.Reference, r.PaidOn)
}

func (g *grassroots) recordPayment(ctx workflow.Context, r RecordPaymentRequest) error {
	// The end-of-grant report is checked against what was paid (validateSubmitReport).
	paid := func() (restore func()) {
		before := g.paid
		g.paid = r.Amount
		return func() { g.paid = before }
	}
	in := activities.RecordPaymentInput{Step: g.stepShowing(ctx, r.Actor, "Payment recorded: "+r.Amount.String(), paymentReason(r.Reference, g.status.PaymentSignOff), StagePaid, paid),
		AwardID: g.status.AwardID, Tranche: 1, Amount: r.Amount, PaidOn: r.PaidOn, Reference: r.Reference}
	if s := g.status.PaymentSignOff; s.Approved() {
		in.ProposedBy, in.ApprovedBy = s.ProposedBy.UserID, s.ApprovedBy.UserID
	}
	if err := workflow.ExecuteActivity(ctx, awards.RecordPayment, in).Get(ctx, nil); err != nil {
		return err
	}
	g.paid = r.Amount
	g.setStage(ctx, StagePaid)
	return nil
}

// paymentReason is the audit line's reason for a payment: the bank's reference and, for a
// two-person payment, who proposed and who approved it.
func paymentReason(reference string, s *PaymentSignOff) string {
	why := "Reference " + reference
	if s.Approved() {
		why += fmt.Sprintf("; proposed by %s, approved by %s", s.ProposedBy.Name, s.ApprovedBy.Name)
	}
	return why
}

func (g *grassroots) validateSubmitReport(ctx workflow.Context, r SubmitReportRequest) error {
	if err := g.permit(ActionSubmitReport, g.party(r.Actor), 0); err != nil {
		return err
	}
	if err := validateReport(r, g.paid); err != nil {
		return err
	}
	return checkBeneficiaries(g.rules, r.Beneficiaries, "beneficiaries", !g.rechecking)
}

func (g *grassroots) submitReport(ctx workflow.Context, r SubmitReportRequest) error {
	version := g.status.ReportVersion + 1
	in := activities.SubmitReportInput{Step: g.step(ctx, r.Actor, "End-of-grant report submitted", "", StageReportSubmitted),
		Version: version, Summary: r.Summary, Outcomes: r.Outcomes, Spent: r.Spent, Beneficiaries: r.Beneficiaries}
	if err := workflow.ExecuteActivity(ctx, records.SubmitReport, in).Get(ctx, nil); err != nil {
		return err
	}
	g.report, g.status.ReportVersion, g.status.ReportOverdue = &r, version, false
	g.setStage(ctx, StageReportSubmitted)
	return nil
}

func (g *grassroots) validateReviewReport(ctx workflow.Context, r ReviewReportRequest) error {
	if err := g.permit(ActionReviewReport, g.party(r.Actor), 0); err != nil {
		return err
	}
	return validateReview(r)
}

func (g *grassroots) reviewReport(ctx workflow.Context, r ReviewReportRequest) error {
	next, what := StagePaid, "End-of-grant report: changes requested"
	if r.Outcome == ReviewAccept {
		next, what = StageClosed, "End-of-grant report accepted: grant closed"
	}
	in := activities.ReviewReportInput{Step: g.step(ctx, r.Actor, what, r.Comment, next), Version: g.status.ReportVersion, Outcome: r.Outcome, Comment: r.Comment}
	if err := workflow.ExecuteActivity(ctx, records.ReviewReport, in).Get(ctx, nil); err != nil {
		return err
	}
	if next == StageClosed {
		closing := activities.SetAwardStatusInput{Step: g.step(ctx, r.Actor, "Award closed", "", StageClosed), AwardStatus: "closed"}
		if err := workflow.ExecuteActivity(ctx, awards.SetAwardStatus, closing).Get(ctx, nil); err != nil {
			return err
		}
	}
	g.report = nil
	g.setStage(ctx, next)
	return nil
}
