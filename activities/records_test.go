package activities_test

import (
	"encoding/json"
	"testing"
	"time"

	"grantflow/activities"
	"grantflow/grant"
)

// Retry tests for the audit-trail records of a grassroots application's life: declarations,
// assessments, questions, a decline, the end-of-grant report and the award's status. As in
// activities_test.go, each runs one activity execution twice and checks what a user would see.

func TestDeclareConflictRetryRecordsOneDeclaration(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	assessor := f.actor(t, "assessor@opcc.example.org")
	declare := f.exec("conflict")
	retried(t, declare, f.records, f.records.DeclareConflict, activities.DeclareConflictInput{
		Step: f.stepBy(assessor, "Conflict of interest declared", "A trustee of the club.", "assessment"), HasConflict: true, Details: "A trustee of the club."})

	conflicts, err := f.st.Conflicts(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(conflicts) != 1 || conflicts[0].UserID != assessor.UserID || !conflicts[0].HasConflict || conflicts[0].Details != "A trustee of the club." {
		t.Errorf("declarations = %+v, want the assessor's one", conflicts)
	}
	f.wantEvents(t, 1, declare)
}

func TestSaveAssessmentRetryRecordsOneAssessment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	assessor := f.actor(t, "assessor@opcc.example.org")
	var scores []map[string]any
	for _, c := range f.scheme.Rules.Criteria {
		scores = append(scores, map[string]any{"criterion": c.Key, "score": 3})
	}
	raw, err := json.Marshal(scores)
	if err != nil {
		t.Fatal(err)
	}
	assess := f.exec("assess")
	retried(t, assess, f.records, f.records.SaveAssessment, activities.SaveAssessmentInput{Step: f.stepBy(assessor, "Assessment submitted", "", "decision"),
		Round: 1, Scores: raw, Weighted: 60, Fundable: true, Recommendation: "fund", Comment: "Good reach into the estate."})

	list, err := f.st.Assessments(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].AssessorID != assessor.UserID || list[0].Weighted != 60 {
		t.Errorf("assessments = %+v, want the assessor's one, weighted 60", list)
	}
	app, err := f.st.Application(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if app.WeightedScore == nil || *app.WeightedScore != 60 {
		t.Errorf("application shows weighted score %v, want 60", app.WeightedScore)
	}
	f.wantEvents(t, 1, assess)
	if got := f.status(t); got != "decision" {
		t.Errorf("status = %q, want decision", got)
	}
}

func TestAskForInformationRetryAsksOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ask := f.exec("ask-1")
	deadline := f.now.AddDate(0, 0, 14)
	retried(t, ask, f.records, f.records.AskForInformation, activities.AskForInformationInput{Step: f.step("Information requested", "information_requested"),
		Seq: 1, Question: "Who coaches the sessions, and are they DBS checked?", Deadline: deadline})

	list, err := f.st.InformationRequests(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Seq != 1 || !list[0].Deadline.Equal(deadline) || list[0].AskedBy != f.officer.UserID {
		t.Errorf("questions = %+v, want one, due %v, from the officer", list, deadline)
	}
	f.wantEvents(t, 1, ask)
	if got := f.status(t); got != "information_requested" {
		t.Errorf("status = %q, want information_requested", got)
	}
}

func TestCloseInformationRequestRetryRecordsOneAnswerOrLapse(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ask := func(seq int, id string) {
		once(t, f.exec(id), f.records, f.records.AskForInformation, activities.AskForInformationInput{Step: f.step("Information requested", "information_requested"),
			Seq: seq, Question: "Who coaches the sessions?", Deadline: f.now.AddDate(0, 0, 14)})
	}
	ask(1, "ask-1")
	answer := "Two ABA-qualified coaches, both DBS checked."
	answered := f.exec("answer-1")
	retried(t, answered, f.records, f.records.CloseInformationRequest, activities.CloseInformationRequestInput{
		Step: f.stepBy(f.applicantActor(), "Information provided", "", "assessment"), Seq: 1, Answer: &answer})
	f.wantEvents(t, 2, answered)

	ask(2, "ask-2")
	lapsed := f.exec("lapse-2")
	retried(t, lapsed, f.records, f.records.CloseInformationRequest, activities.CloseInformationRequestInput{
		Step: f.stepBy(grant.System, "No answer by the deadline", "", "assessment"), Seq: 2})
	f.wantEvents(t, 4, lapsed)

	list, err := f.st.InformationRequests(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 {
		t.Fatalf("questions = %+v, want 2", list)
	}
	if q := list[0]; q.Answer == nil || *q.Answer != answer || q.AnsweredAt == nil || !q.AnsweredAt.Equal(f.now) || q.Lapsed {
		t.Errorf("first question = %+v, want answered at %v", q, f.now)
	}
	if q := list[1]; q.Answer != nil || !q.Lapsed {
		t.Errorf("second question = %+v, want lapsed without an answer", q)
	}
}

func TestDeclineRetryRecordsOneDecline(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	decline := f.exec("decline")
	reasons := []string{"The project does not show how it will reach young people most at risk."}
	retried(t, decline, f.records, f.records.Decline, activities.DeclineInput{Step: f.step("Declined", "declined"), Reasons: reasons})

	if n := f.count(t, `SELECT count(*) FROM declines WHERE application_id = $1`, f.appID); n != 1 {
		t.Errorf("%d declines, want 1", n)
	}
	var saved []byte
	if err := f.st.DB.GetContext(f.ctx, &saved, `SELECT reasons FROM declines WHERE application_id = $1`, f.appID); err != nil {
		t.Fatal(err)
	}
	var got []string
	if err := json.Unmarshal(saved, &got); err != nil || len(got) != 1 || got[0] != reasons[0] {
		t.Errorf("decline reasons = %s (%v), want %q", saved, err, reasons)
	}
	f.wantEvents(t, 1, decline)
	if got := f.status(t); got != "declined" {
		t.Errorf("status = %q, want declined", got)
	}
}

func (f *fixture) reportInput() activities.SubmitReportInput {
	return activities.SubmitReportInput{Step: f.stepBy(f.applicantActor(), "End-of-grant report submitted", "", "report_submitted"), Version: 1,
		Summary: "Forty-two sessions ran.", Outcomes: "Thirty young people came every week.", Spent: amount}
}

func TestSubmitReportRetryRecordsOneReport(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.award(t)
	once(t, f.exec("overdue"), f.records, f.records.FlagReportOverdue, activities.FlagReportOverdueInput{
		Step: f.stepBy(grant.System, "End-of-grant report overdue", "", "paid"), Overdue: true})
	submit := f.exec("report-1")
	retried(t, submit, f.records, f.records.SubmitReport, f.reportInput())

	reports, err := f.st.GrantReports(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 || reports[0].Version != 1 || reports[0].Spent != amount || reports[0].ReviewOutcome != nil {
		t.Errorf("reports = %+v, want one unreviewed version 1 spending %s", reports, amount)
	}
	app, err := f.st.Application(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if app.ReportOverdue {
		t.Error("the report is in but the application still shows it overdue")
	}
	f.wantEvents(t, 3, submit)
	if app.Status != "report_submitted" {
		t.Errorf("status = %q, want report_submitted", app.Status)
	}
}

func TestReviewReportRetryRecordsOneReview(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.award(t)
	once(t, f.exec("report-1"), f.records, f.records.SubmitReport, f.reportInput())
	review := f.exec("review-1")
	retried(t, review, f.records, f.records.ReviewReport, activities.ReviewReportInput{Step: f.step("End-of-grant report accepted", "closed"),
		Version: 1, Outcome: "accept", Comment: "A well-run project."})

	reports, err := f.st.GrantReports(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 1 {
		t.Fatalf("reports = %+v, want one", reports)
	}
	r := reports[0]
	if r.ReviewOutcome == nil || *r.ReviewOutcome != "accept" || r.ReviewedBy == nil || *r.ReviewedBy != f.officer.UserID || r.ReviewedAt == nil || !r.ReviewedAt.Equal(f.now) {
		t.Errorf("report reviewed %v by %v at %v, want accept by %d at %v", r.ReviewOutcome, r.ReviewedBy, r.ReviewedAt, f.officer.UserID, f.now)
	}
	f.wantEvents(t, 3, review)
	if got := f.status(t); got != "closed" {
		t.Errorf("status = %q, want closed", got)
	}
}

func TestFlagReportOverdueRetryFlagsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.award(t)
	overdue := f.exec("overdue")
	retried(t, overdue, f.records, f.records.FlagReportOverdue, activities.FlagReportOverdueInput{
		Step: f.stepBy(grant.System, "End-of-grant report overdue", "It was due by 30 September 2027.", "paid"), Overdue: true})

	app, err := f.st.Application(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	if !app.ReportOverdue {
		t.Error("the application does not show its report overdue")
	}
	f.wantEvents(t, 2, overdue)
}

func TestSetAwardStatusRetryAcceptsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.award(t)
	accept := f.exec("accept")
	acceptedAt := f.now.Add(2 * time.Hour)
	step := f.stepBy(f.applicantActor(), "Offer accepted", "", "accepted")
	step.At = acceptedAt
	retried(t, accept, f.awards, f.awards.SetAwardStatus, activities.SetAwardStatusInput{Step: step, AwardStatus: "accepted", Accepting: true})

	a := f.awardRow(t)
	if a.Status != "accepted" || a.AcceptedBy == nil || *a.AcceptedBy != f.applicant.ID || a.AcceptedAt == nil || !a.AcceptedAt.Equal(acceptedAt) {
		t.Errorf("award is %s, accepted by %v at %v; want accepted by %d at %v", a.Status, a.AcceptedBy, a.AcceptedAt, f.applicant.ID, acceptedAt)
	}
	f.wantEvents(t, 2, accept)
	if got := f.status(t); got != "accepted" {
		t.Errorf("status = %q, want accepted", got)
	}
}

func TestPaymentDueNoticeNamesTheOrganisationOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	notify := f.exec("payment-due")
	retried(t, notify, f.records, f.records.Notify, activities.NotifyInput{ApplicationID: f.appID, Key: f.workflowID + "/payment-due",
		Audience: "finance", Kind: "payment_due", At: f.now, PaymentDue: &activities.PaymentDue{AwardReference: "GCF-2026-0001", Amount: 250000}})

	list, err := f.st.Notifications(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	want := "GCF-2026-0001 accepted: pay £2,500.00 to " + f.org.Name + "."
	if len(list) != 1 || list[0].Message != want || list[0].Audience != "finance" {
		t.Errorf("notifications = %+v, want one to finance saying %q", list, want)
	}
}
