package activities_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/internal/pdftext"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// These tests run each activity as Temporal does when a worker dies after the activity's writes
// committed but before its result reached the server: the same activity execution (workflow id,
// run id, activity id) runs again as attempt 2. The test environment numbers every ExecuteActivity
// call afresh, so two calls in one environment are two different activities, not a retry; an
// interceptor therefore gives each attempt the activity info the server would.

// execution is how Temporal identifies one activity execution; its retries share it.
type execution struct {
	WorkflowID, RunID, ActivityID string
}

// eventKey is the audit event key an activity of this execution must write.
func (e execution) eventKey() string {
	return e.WorkflowID + "/" + e.RunID + "/" + e.ActivityID
}

// attemptInfo makes activity.GetInfo report a chosen execution and attempt number.
type attemptInfo struct {
	interceptor.WorkerInterceptorBase
	exec    execution
	attempt int32
}

func (w *attemptInfo) InterceptActivity(ctx context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	i := &attemptInbound{info: w}
	i.Next = next
	return i
}

type attemptInbound struct {
	interceptor.ActivityInboundInterceptorBase
	info *attemptInfo
}

func (i *attemptInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	o := &attemptOutbound{info: i.info}
	o.Next = outbound
	return i.Next.Init(o)
}

type attemptOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	info *attemptInfo
}

func (o *attemptOutbound) GetInfo(ctx context.Context) activity.Info {
	info := o.Next.GetInfo(ctx)
	info.WorkflowExecution = workflow.Execution{ID: o.info.exec.WorkflowID, RunID: o.info.exec.RunID}
	info.ActivityID = o.info.exec.ActivityID
	info.Attempt = o.info.attempt
	return info
}

// attempt runs one attempt of an activity execution in a fresh test environment.
func attempt(t *testing.T, exec execution, n int32, impl, fn any, in any) (converter.EncodedValue, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{&attemptInfo{exec: exec, attempt: n}}})
	env.RegisterActivity(impl)
	return env.ExecuteActivity(fn, in)
}

// retried runs an activity execution's first attempt and its retry; both must succeed.
func retried(t *testing.T, exec execution, impl, fn any, in any) [2]converter.EncodedValue {
	t.Helper()
	var out [2]converter.EncodedValue
	for i := range out {
		v, err := attempt(t, exec, int32(i+1), impl, fn, in)
		if err != nil {
			t.Fatalf("attempt %d of %s: %v", i+1, exec.eventKey(), err)
		}
		out[i] = v
	}
	return out
}

// once runs an activity execution's single attempt; it must succeed.
func once(t *testing.T, exec execution, impl, fn any, in any) converter.EncodedValue {
	t.Helper()
	v, err := attempt(t, exec, 1, impl, fn, in)
	if err != nil {
		t.Fatalf("%s: %v", exec.eventKey(), err)
	}
	return v
}

func result[R any](t *testing.T, v converter.EncodedValue) R {
	t.Helper()
	var r R
	if err := v.Get(&r); err != nil {
		t.Fatal(err)
	}
	return r
}

func results[R any](t *testing.T, vs [2]converter.EncodedValue) (R, R) {
	t.Helper()
	return result[R](t, vs[0]), result[R](t, vs[1])
}

// fixture is the demo data plus one applicant organisation with a draft asking for £4,250.00.
type fixture struct {
	ctx        context.Context
	st         *store.Store
	now        time.Time
	fy         int
	scheme     store.Scheme
	roundID    int64
	officer    grant.Actor
	org        store.Organisation
	applicant  store.User
	appID      int64
	workflowID string
	records    *activities.Records
	awards     *activities.Awards
	documents  *activities.Documents
}

const (
	orgName     = "Harbour Lane Boxing Club"
	amount      = money.Pence(425000)
	amountShown = "£4,250.00"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := newSchemeFixture(t, "grassroots")
	f.appID = f.newApplication(t, amount)
	f.workflowID = fmt.Sprintf("grant-application-%d", f.appID)
	return f
}

// newSchemeFixture is the demo data and the applicant organisation, with the demo scheme of the
// slug chosen and no application yet.
func newSchemeFixture(t *testing.T, slug string) *fixture {
	t.Helper()
	ctx := context.Background()
	st := storetest.New(t)
	st.Outbox = notify.MustOutbox("http://localhost:8080", "finance-team@opcc.example")
	now := time.Date(2026, time.June, 15, 10, 30, 0, 0, scheme.London)
	if err := demo.Seed(ctx, st, now); err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: ctx, st: st, now: now, fy: scheme.FinancialYear(now),
		records:   &activities.Records{Store: st},
		awards:    &activities.Awards{Store: st},
		documents: &activities.Documents{Store: st, Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner for Leicestershire (demo)", Address: []string{"1 Example Street", "Leicester", "LE1 1AA"}}},
	}
	schemes, err := st.Schemes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range schemes {
		if sc.Slug == slug {
			f.scheme = sc
		}
	}
	if f.scheme.ID == 0 {
		t.Fatalf("demo.Seed made no %s scheme", slug)
	}
	rounds, err := st.Rounds(ctx, f.scheme.ID)
	if err != nil || len(rounds) == 0 {
		t.Fatalf("%s rounds: %v %v", slug, rounds, err)
	}
	f.roundID = rounds[0].ID
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	f.officer = grant.Actor{UserID: officer.ID, Name: officer.Name, Role: officer.Role}
	f.org, f.applicant, err = st.CreateOrganisationWithUser(ctx, store.Organisation{Name: orgName, Type: scheme.OrgCommunityGroup,
		Address: "12 Harbour Lane, Loughborough", Postcode: "LE11 1AA"},
		store.NewUser{Email: "sam@harbour-lane.example.org", Name: "Sam Example", Role: scheme.RoleApplicant, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) newApplication(t *testing.T, requested money.Pence) int64 {
	t.Helper()
	start := time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2027, time.June, 30, 0, 0, 0, 0, time.UTC)
	id, err := f.st.CreateDraft(f.ctx, f.org.ID, f.applicant.ID, store.Draft{SchemeID: f.scheme.ID, RoundID: f.roundID,
		Title: "Friday night boxing sessions", Purpose: "Weekly coached sessions for young people at risk of exploitation.",
		AmountRequested: requested, ProjectStart: &start, ProjectEnd: &end, Areas: []string{"Charnwood"}, Priorities: []string{"Serious violence"}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// exec names an activity execution of the application's workflow run.
func (f *fixture) exec(id string) execution {
	return execution{WorkflowID: f.workflowID, RunID: "run-1", ActivityID: id}
}

func (f *fixture) step(what, status string) activities.Step {
	return activities.Step{ApplicationID: f.appID, Actor: f.officer, What: what, Status: status, At: f.now}
}

// actor is a demo user as the workflow passes them to an activity.
func (f *fixture) actor(t *testing.T, email string) grant.Actor {
	t.Helper()
	u, err := f.st.UserByEmail(f.ctx, email)
	if err != nil {
		t.Fatalf("user %s: %v", email, err)
	}
	return grant.Actor{UserID: u.ID, Name: u.Name, Role: u.Role, Organisations: u.Organisations}
}

// applicantActor is the applicant, acting for the organisation.
func (f *fixture) applicantActor() grant.Actor {
	return grant.Actor{UserID: f.applicant.ID, Name: f.applicant.Name, Role: f.applicant.Role, Organisations: []int64{f.org.ID}}
}

// stepBy is a step someone other than the officer takes, with its reason.
func (f *fixture) stepBy(a grant.Actor, what, why, status string) activities.Step {
	return activities.Step{ApplicationID: f.appID, Actor: a, What: what, Why: why, Status: status, At: f.now}
}

func (f *fixture) createAwardInput() activities.CreateAwardInput {
	return activities.CreateAwardInput{
		Step:      f.step("Approved", "approved"),
		Reference: activities.AwardReference(f.scheme.Rules.Code, f.fy, f.appID),
		Amount:    amount, Purpose: "Weekly coached boxing sessions for young people at risk of exploitation.",
		Conditions:     []string{"Spend the grant only on the project described."},
		Reasons:        "Strong fit with the serious violence priority.",
		DelegationBand: "Commissioning officer", RulesVersion: f.scheme.Rules.Version,
		AcceptBy: f.now.AddDate(0, 0, 28),
	}
}

// award makes the application's award as the workflow's approval would.
func (f *fixture) award(t *testing.T) activities.AwardResult {
	t.Helper()
	return result[activities.AwardResult](t, once(t, f.exec("approve"), f.awards, f.awards.CreateAward, f.createAwardInput()))
}

func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := f.st.DB.GetContext(f.ctx, &n, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// events is the application's audit trail, less the line saying who became its case officer by
// acting first (the store's tests cover that), so each test counts only its own facts.
func (f *fixture) events(t *testing.T) []store.Event {
	t.Helper()
	events, err := f.st.Timeline(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(events, func(e store.Event) bool { return strings.HasPrefix(e.What, store.WhatFirstOfficer) })
}

// wantEvents checks the application's audit trail holds n lines in all and exactly one for the execution.
func (f *fixture) wantEvents(t *testing.T, n int, exec execution) {
	t.Helper()
	events := f.events(t)
	if len(events) != n {
		t.Fatalf("audit trail has %d events, want %d: %+v", len(events), n, events)
	}
	if k := f.count(t, `SELECT count(*) FROM application_events WHERE event_key = $1`, exec.eventKey()); k != 1 {
		t.Fatalf("%d events with key %q, want 1", k, exec.eventKey())
	}
}

func (f *fixture) status(t *testing.T) string {
	t.Helper()
	app, err := f.st.Application(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	return app.Status
}

func (f *fixture) committed(t *testing.T) money.Pence {
	t.Helper()
	b, err := f.st.Budget(f.ctx, f.scheme.ID, f.fy)
	if err != nil {
		t.Fatal(err)
	}
	return b.CommittedPence
}

func (f *fixture) documentCount(t *testing.T, kind string) int {
	t.Helper()
	return f.count(t, `SELECT count(*) FROM documents WHERE application_id = $1 AND kind = $2`, f.appID, kind)
}

func TestRecordStepRetryWritesOneEventAndMovesStatusOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	screening := f.exec("5")
	retried(t, screening, f.records, f.records.RecordStep, f.step("Eligibility screening started", "screening"))

	events := f.events(t)
	if len(events) != 1 {
		t.Fatalf("audit trail after a retried step has %d events, want 1: %+v", len(events), events)
	}
	if e := events[0]; e.Key != screening.eventKey() || e.Status != "screening" || e.ActorName != f.officer.Name {
		t.Errorf("event = %+v, want key %q, status screening, actor %s", e, screening.eventKey(), f.officer.Name)
	}
	if got := f.status(t); got != "screening" {
		t.Errorf("status = %q, want screening", got)
	}

	// The next step is a different activity execution: it writes its own line and moves the status on.
	assessment := f.exec("6")
	once(t, assessment, f.records, f.records.RecordStep, f.step("Eligible: ready for assessment", "assessment"))
	if n := len(f.events(t)); n != 2 {
		t.Fatalf("a second step wrote %d events in all, want 2", n)
	}
	// A late retry of the first step must not write again nor move the status back.
	if _, err := attempt(t, screening, 3, f.records, f.records.RecordStep, f.step("Eligibility screening started", "screening")); err != nil {
		t.Fatal(err)
	}
	if n := len(f.events(t)); n != 2 {
		t.Errorf("late retry: %d events, want 2", n)
	}
	if got := f.status(t); got != "assessment" {
		t.Errorf("late retry of the screening step moved the status back to %q", got)
	}
}

func TestCommitBudgetRetryCommitsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := activities.CommitBudgetInput{ApplicationID: f.appID, SchemeID: f.scheme.ID, Years: []grant.YearAmount{{FinancialYear: f.fy, Amount: amount}}, At: f.now}
	retried(t, f.exec("commit"), f.awards, f.awards.CommitBudget, in)

	if got := f.committed(t); got != amount {
		t.Errorf("budget committed = %s after a retried commit, want %s", got, amount)
	}
	if n := f.count(t, `SELECT count(*) FROM budget_commitments WHERE application_id = $1`, f.appID); n != 1 {
		t.Errorf("%d budget commitments, want 1", n)
	}
}

func TestCommitBudgetBeyondTheBudgetIsANonRetryableBudgetExceeded(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	b, err := f.st.Budget(f.ctx, f.scheme.ID, f.fy)
	if err != nil {
		t.Fatal(err)
	}
	for name, years := range map[string][]grant.YearAmount{
		"one penny too much": {{FinancialYear: f.fy, Amount: b.BudgetPence + 1}},
		// All years or none: this year fits, next year has no budget, so nothing is committed.
		"a year with no budget": {{FinancialYear: f.fy, Amount: amount}, {FinancialYear: f.fy + 1, Amount: amount}},
	} {
		t.Run(name, func(t *testing.T) {
			in := activities.CommitBudgetInput{ApplicationID: f.appID, SchemeID: f.scheme.ID, Years: years, At: f.now}
			_, err := attempt(t, f.exec("commit-"+name), 1, f.awards, f.awards.CommitBudget, in)
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) {
				t.Fatalf("error = %v (%T), want a temporal ApplicationError", err, err)
			}
			if appErr.Type() != activities.ErrTypeBudgetExceeded || !appErr.NonRetryable() {
				t.Errorf("error type %q, non-retryable %v; want %q, non-retryable", appErr.Type(), appErr.NonRetryable(), activities.ErrTypeBudgetExceeded)
			}
			if got := f.committed(t); got != 0 {
				t.Errorf("a refused commitment left %s committed", got)
			}
			if n := f.count(t, `SELECT count(*) FROM budget_commitments WHERE application_id = $1`, f.appID); n != 0 {
				t.Errorf("a refused commitment left %d commitment rows", n)
			}
		})
	}
}

func TestCreateAwardRetryMakesOneAward(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	in := f.createAwardInput()
	first, second := results[activities.AwardResult](t, retried(t, f.exec("approve"), f.awards, f.awards.CreateAward, in))

	if first.AwardID == 0 || first.Reference != in.Reference {
		t.Fatalf("first attempt = %+v, want an id and reference %s", first, in.Reference)
	}
	if second != first {
		t.Errorf("retry returned %+v, first attempt %+v", second, first)
	}
	if n := f.count(t, `SELECT count(*) FROM awards WHERE application_id = $1`, f.appID); n != 1 {
		t.Errorf("%d awards, want 1", n)
	}
	f.wantEvents(t, 1, f.exec("approve"))
	if got := f.status(t); got != "approved" {
		t.Errorf("status = %q, want approved", got)
	}
}

func TestIssueAwardLetterRetryIssuesOneLetter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	award := f.award(t)
	issue := f.exec("award-letter")
	in := activities.IssueDocumentInput{Step: f.step("Award letter issued", "approved"), ReportDue: time.Date(2027, time.September, 30, 0, 0, 0, 0, scheme.London)}
	first, second := results[activities.DocumentResult](t, retried(t, issue, f.documents, f.documents.IssueAwardLetter, in))

	if first.DocumentID == 0 || first.SHA256 == "" {
		t.Fatalf("first attempt = %+v, want a document id and hash", first)
	}
	if second != first {
		t.Errorf("retry returned %+v, first attempt %+v", second, first)
	}
	if n := f.documentCount(t, activities.KindAwardLetter); n != 1 {
		t.Errorf("%d award letters, want 1", n)
	}
	f.wantEvents(t, 2, issue) // the approval and the letter

	doc, err := f.st.Document(f.ctx, first.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	if sum := sha256.Sum256(doc.Content); hex.EncodeToString(sum[:]) != first.SHA256 {
		t.Errorf("stored letter hashes to %x, result says %s", sum, first.SHA256)
	}
	text, err := pdftext.Text(doc.Content)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{amountShown, orgName, award.Reference} {
		if !strings.Contains(text, want) {
			t.Errorf("award letter does not say %q:\n%s", want, text)
		}
	}

	// The store hands a retry the first copy whatever the retry wrote, so to show the retry writes the
	// same bytes, take the stored letter away (as if the first attempt's save never landed) and retry.
	if _, err := f.st.DB.ExecContext(f.ctx, `DELETE FROM documents WHERE id = $1`, first.DocumentID); err != nil {
		t.Fatal(err)
	}
	v, err := attempt(t, issue, 3, f.documents, f.documents.IssueAwardLetter, in)
	if err != nil {
		t.Fatal(err)
	}
	if again := result[activities.DocumentResult](t, v); again.SHA256 != first.SHA256 {
		t.Errorf("a later attempt wrote different bytes: sha256 %s, first %s", again.SHA256, first.SHA256)
	}
}

func TestIssueFinanceAwardNoticeRetryIssuesOneNotice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	award := f.award(t)
	notice := f.exec("finance-notice")
	in := activities.IssueDocumentInput{Step: f.step("Finance award notice sent", "offered")}
	first, second := results[activities.DocumentResult](t, retried(t, notice, f.documents, f.documents.IssueFinanceAwardNotice, in))

	if first.DocumentID == 0 || second != first {
		t.Errorf("attempts returned %+v then %+v, want the same document twice", first, second)
	}
	if n := f.count(t, `SELECT count(*) FROM finance_notices WHERE award_id = $1`, award.AwardID); n != 1 {
		t.Errorf("%d finance notices, want 1", n)
	}
	if n := f.documentCount(t, activities.KindFinanceAwardNotice); n != 1 {
		t.Errorf("%d finance notice documents, want 1", n)
	}
	notices, err := f.st.FinanceNotices(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(notices) != 1 || notices[0].DocumentID != first.DocumentID || notices[0].Amount != amount || notices[0].Payee != orgName {
		t.Errorf("finance notices = %+v, want one for %s to %s with document %d", notices, amount, orgName, first.DocumentID)
	}
	f.wantEvents(t, 2, notice)
	if got := f.status(t); got != "offered" {
		t.Errorf("status = %q, want offered", got)
	}
}

func TestIssueDeclineLetterRetryIssuesOneLetter(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	decline := f.exec("decline-letter")
	in := activities.DeclineInput{Step: f.step("Decline letter issued", "declined"),
		Reasons: []string{"The project does not show how it will reach young people most at risk."}}
	first, second := results[activities.DocumentResult](t, retried(t, decline, f.documents, f.documents.IssueDeclineLetter, in))

	if first.DocumentID == 0 || second != first {
		t.Errorf("attempts returned %+v then %+v, want the same document twice", first, second)
	}
	if n := f.documentCount(t, activities.KindDeclineLetter); n != 1 {
		t.Errorf("%d decline letters, want 1", n)
	}
	f.wantEvents(t, 1, decline)
	doc, err := f.st.Document(f.ctx, first.DocumentID)
	if err != nil {
		t.Fatal(err)
	}
	text, err := pdftext.Text(doc.Content)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{orgName, in.Reasons[0]} {
		if !strings.Contains(text, want) {
			t.Errorf("decline letter does not say %q:\n%s", want, text)
		}
	}
}

func TestRecordPaymentRetryRecordsOnePayment(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	award := f.award(t)
	pay := f.exec("payment-1")
	in := activities.RecordPaymentInput{Step: f.step("Payment recorded: "+amount.String(), "paid"), AwardID: award.AwardID, Tranche: 1,
		Amount: amount, PaidOn: time.Date(2026, time.July, 1, 0, 0, 0, 0, time.UTC), Reference: "BACS-000123"}
	first, second := results[int64](t, retried(t, pay, f.awards, f.awards.RecordPayment, in))

	if first == 0 || second != first {
		t.Errorf("attempts returned payment %d then %d, want the same payment twice", first, second)
	}
	payments, err := f.st.Payments(f.ctx, award.AwardID)
	if err != nil {
		t.Fatal(err)
	}
	if len(payments) != 1 || payments[0].ID != first || payments[0].Amount != amount {
		t.Errorf("payments = %+v, want one of %s with id %d", payments, amount, first)
	}
	f.wantEvents(t, 2, pay)
}

func TestNotifyOncePerKey(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	reminder := activities.NotifyInput{ApplicationID: f.appID, Key: f.workflowID + "/acceptance-reminder", Audience: "applicant",
		Kind: "acceptance_reminder", Message: "Your offer lapses in 7 days.", At: f.now}
	retried(t, f.exec("remind"), f.records, f.records.Notify, reminder)
	// The key, not the activity execution, makes it once: a later run of the workflow (after
	// continue-as-new) reaching the same reminder still leaves one.
	once(t, execution{WorkflowID: f.workflowID, RunID: "run-2", ActivityID: "remind"}, f.records, f.records.Notify, reminder)

	escalation := reminder
	escalation.Key, escalation.Audience, escalation.Kind = f.workflowID+"/acceptance-escalation", "officer", "acceptance_escalation"
	retried(t, f.exec("escalate"), f.records, f.records.Notify, escalation)

	list, err := f.st.Notifications(f.ctx, f.appID)
	if err != nil {
		t.Fatal(err)
	}
	perKey := map[string]int{}
	for _, n := range list {
		perKey[n.Key]++
	}
	if len(list) != 2 || perKey[reminder.Key] != 1 || perKey[escalation.Key] != 1 {
		t.Errorf("notifications per key = %v, want one each for %q and %q", perKey, reminder.Key, escalation.Key)
	}
}

func TestReleaseBudgetRetryReleasesOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	commit := activities.CommitBudgetInput{ApplicationID: f.appID, SchemeID: f.scheme.ID, Years: []grant.YearAmount{{FinancialYear: f.fy, Amount: amount}}, At: f.now}
	once(t, f.exec("commit"), f.awards, f.awards.CommitBudget, commit)
	// Another approval's commitment stays in the budget; a second release of this one would eat into it.
	other := commit
	other.ApplicationID = f.newApplication(t, money.Pounds(5000))
	other.Years = []grant.YearAmount{{FinancialYear: f.fy, Amount: money.Pounds(5000)}}
	once(t, execution{WorkflowID: fmt.Sprintf("grant-application-%d", other.ApplicationID), RunID: "run-1", ActivityID: "commit"}, f.awards, f.awards.CommitBudget, other)
	if got := f.committed(t); got != amount+money.Pounds(5000) {
		t.Fatalf("committed = %s before release, want %s", got, amount+money.Pounds(5000))
	}

	release := f.exec("release")
	retried(t, release, f.awards, f.awards.ReleaseBudget, f.step("Budget released", "lapsed"))

	if got := f.committed(t); got != money.Pounds(5000) {
		t.Errorf("committed = %s after a retried release, want the other approval's %s", got, money.Pounds(5000))
	}
	if n := f.count(t, `SELECT count(*) FROM budget_commitments WHERE application_id = $1 AND released_at IS NOT NULL`, f.appID); n != 1 {
		t.Errorf("%d released commitments, want 1", n)
	}
	f.wantEvents(t, 1, release)
	if got := f.status(t); got != "lapsed" {
		t.Errorf("status = %q, want lapsed", got)
	}
}
