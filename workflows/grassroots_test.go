package workflows_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/internal/pdftext"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
	"grantflow/workflows"
)

// These tests run GrassrootsWorkflow in the time-skipping test environment with the real activities
// writing to a real PostgreSQL database (one fresh database per test), and check what the people
// involved would see: the stage, the status page, the audit trail, letters, notices, payments,
// budgets and reminders.

// grStart is when every test application is submitted: 10am on 1 June 2026 in London (financial year 2026-27).
var grStart = time.Date(2026, time.June, 1, 10, 0, 0, 0, scheme.London)

// london is a wall-clock time in London.
func london(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, scheme.London)
}

// endOfLondonDay is the last second of a London day, where the workflow puts its deadlines.
func endOfLondonDay(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 0, scheme.London)
}

// grassrootsRules are the demo Grassroots Community Fund rules (the values of policyRules in
// eligibility_test.go, copied so these tests do not depend on that file).
func grassrootsRules() scheme.Rules {
	return scheme.Rules{
		Version:           1,
		Kind:              scheme.Grassroots,
		Code:              "GCF",
		MinAmount:         money.Pounds(500),
		MaxAmount:         money.Pounds(5000),
		MaxDurationMonths: 12,
		OrganisationTypes: []string{
			scheme.OrgRegisteredCharity, scheme.OrgCIO, scheme.OrgCharitableCompany, scheme.OrgCIC, scheme.OrgCommunityGroup,
		},
		Areas: []string{
			"Leicester", "Blaby", "Charnwood", "Harborough", "Hinckley and Bosworth", "Melton",
			"North West Leicestershire", "Oadby and Wigston", "Rutland",
		},
		Priorities: []string{
			"Viable Partnerships", "Visible Policing", "Victim Services", "Vulnerability Protection", "Value for Money",
			"Alcohol and drug-related crime", "Child sexual exploitation", "Domestic violence and abuse", "Hate crime",
			"Human trafficking and modern slavery", "Mental health", "Missing from home", "Sexual violence",
			"Serious violence (focus on under-25s)", "Anti-social behaviour", "Rural crime", "Night-time economy", "Cyber crime",
		},
		Criteria: []scheme.Criterion{
			{Key: "fit", Name: "Fit with Police and Crime Plan priorities", Weight: 30},
			{Key: "need", Name: "Need and evidence", Weight: 25},
			{Key: "deliverability", Name: "Deliverability and governance", Weight: 20, Minimum: 2},
			{Key: "value", Name: "Value for money", Weight: 15},
			{Key: "partnership", Name: "Partnership working", Weight: 10},
		},
		Delegation: []scheme.Band{
			{Role: scheme.RoleOfficer, Title: "commissioning officer", UpTo: money.Pounds(5000)},
			{Role: scheme.RoleHeadOfCommissioning, Title: "Head of Commissioning", UpTo: money.Pounds(100000)},
			{Role: scheme.RoleCommissioner, Title: "Commissioner"},
		},
		AcceptanceDays:         28,
		AcceptanceReminderDays: 7,
		ReportDueMonths:        3,
		ReportReminderDays:     14,
		CostCentre:             "OPCC-GCF-01",
		Signatory:              "Alex Example, Head of Commissioning",
	}
}

// grScores is a complete set of scores, one per criterion in the rules' order.
func grScores(fit, need, deliverability, value, partnership int) []workflows.Score {
	return []workflows.Score{
		{Criterion: "fit", Score: fit, Comment: "Addresses Victim Services in Charnwood."},
		{Criterion: "need", Score: need, Comment: "Local figures show the need."},
		{Criterion: "deliverability", Score: deliverability, Comment: "Committee and safeguarding policy in place."},
		{Criterion: "value", Score: value, Comment: "Costs are reasonable."},
		{Criterion: "partnership", Score: partnership, Comment: "Works with the neighbourhood policing team."},
	}
}

// grassrootsCase is what a test changes about the standard application.
type grassrootsCase struct {
	orgType string      // default community group
	amount  money.Pence // default £3,000
	budget  money.Pence // default £20,000 for 2026-27
	rules   func(*scheme.Rules)
	cast    bool // also create the people only the refusal tests need
}

type grassrootsFixture struct {
	t     *testing.T
	ctx   context.Context
	s     *store.Store
	env   *testsuite.TestWorkflowEnvironment
	in    workflows.GrassrootsInput
	fy    int
	orgID int64

	applicant, assessor, officer, officer2, finance workflows.Actor
	finance2                                        workflows.Actor // a second member of finance, to approve what Fran proposes
	financeTrustee                                  workflows.Actor // a member of finance who is a member of the applicant organisation
	outsider                                        workflows.Actor // the applicant of another organisation
	conflicted                                      workflows.Actor // an assessor who will declare a conflict of interest
	trustee                                         workflows.Actor // an assessor who is a member of the applicant organisation

	logs     *grassrootsLog
	saMu     sync.Mutex
	saStages []string // GrantflowStage values the workflow upserted, in order
	saScheme string
	updates  int
	sent     []*sentUpdate
}

// newGrassroots seeds a fresh database (scheme, round, budget, organisation, people, draft) and a
// test environment with the real activities registered.
func newGrassroots(t *testing.T, c grassrootsCase) *grassrootsFixture {
	t.Helper()
	if c.orgType == "" {
		c.orgType = scheme.OrgCommunityGroup
	}
	if c.amount == 0 {
		c.amount = money.Pounds(3000)
	}
	if c.budget == 0 {
		c.budget = money.Pounds(20000)
	}
	rules := grassrootsRules()
	if c.rules != nil {
		c.rules(&rules)
	}

	f := &grassrootsFixture{t: t, ctx: context.Background(), s: storetest.New(t), fy: scheme.FinancialYear(grStart), logs: &grassrootsLog{}}
	s, ctx := f.s, f.ctx
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	sc, err := s.UpsertScheme(ctx, store.Scheme{Slug: "gcf", Name: "Grassroots Community Fund", Rules: rules})
	must(err)
	opens, closes := london(2026, time.May, 2, 9, 0), london(2026, time.June, 30, 12, 0)
	round, err := s.AddRound(ctx, store.Round{SchemeID: sc.ID, Name: "2026 round 1", OpensAt: opens, ClosesAt: closes})
	must(err)
	must(s.SetBudget(ctx, sc.ID, f.fy, c.budget))

	org, applicant, err := s.CreateOrganisationWithUser(ctx,
		store.Organisation{Name: "Friends of Shepshed Park", Type: c.orgType, Address: "12 Park Road, Shepshed", Postcode: "LE12 9AB"},
		store.NewUser{Email: "sam@shepshedpark.example", Name: "Sam Patel", Role: scheme.RoleApplicant, Password: "correct horse battery"})
	must(err)
	f.orgID, f.applicant = org.ID, actorOf(applicant)
	staff := func(email, name string, role scheme.Role, orgs ...int64) workflows.Actor {
		t.Helper()
		u, err := s.CreateUser(ctx, store.NewUser{Email: email, Name: name, Role: role, Password: "correct horse battery", Organisations: orgs})
		must(err)
		return actorOf(u)
	}
	f.assessor = staff("asha@opcc.example", "Asha Assessor", scheme.RoleAssessor)
	f.officer = staff("olu@opcc.example", "Olu Officer", scheme.RoleOfficer)
	f.officer2 = staff("orla@opcc.example", "Orla Officer", scheme.RoleOfficer)
	f.finance = staff("fin@opcc.example", "Fran Finance", scheme.RoleFinance)
	f.finance2 = staff("fin2@opcc.example", "Fola Finance", scheme.RoleFinance)
	if c.cast {
		_, other, err := s.CreateOrganisationWithUser(ctx,
			store.Organisation{Name: "Loughborough Youth Boxing", Type: scheme.OrgCommunityGroup, Address: "1 High Street, Loughborough", Postcode: "LE11 1AA"},
			store.NewUser{Email: "kim@boxing.example", Name: "Kim Other", Role: scheme.RoleApplicant, Password: "correct horse battery"})
		must(err)
		f.outsider = actorOf(other)
		f.conflicted = staff("cal@opcc.example", "Cal Conflicted", scheme.RoleAssessor)
		f.trustee = staff("tia@opcc.example", "Tia Trustee", scheme.RoleAssessor, org.ID)
		f.financeTrustee = staff("tam@opcc.example", "Tam Trustee", scheme.RoleFinance, org.ID)
	}

	start, end := time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, time.March, 31, 0, 0, 0, 0, time.UTC)
	draft := store.Draft{SchemeID: sc.ID, RoundID: round.ID, Title: "Safer Shepshed Park", Purpose: "Evening youth sessions and support for victims of anti-social behaviour.",
		AmountRequested: c.amount, ProjectStart: &start, ProjectEnd: &end, Areas: []string{"Charnwood"}, Priorities: []string{"Victim Services", "Anti-social behaviour"}}
	appID, err := s.CreateDraft(ctx, org.ID, applicant.ID, draft)
	must(err)
	must(s.MarkSubmitted(ctx, appID, workflows.ApplicationWorkflowID(appID), grStart))

	f.in = workflows.GrassrootsInput{
		ApplicationID: appID, OrganisationID: org.ID, OrganisationType: org.Type, SchemeID: sc.ID, SchemeName: sc.Name, Rules: sc.Rules,
		RoundOpens: opens, RoundCloses: closes, Submitter: f.applicant, Title: draft.Title, Purpose: draft.Purpose, Amount: c.amount,
		ProjectStart: start, ProjectEnd: end, Areas: draft.Areas, Priorities: draft.Priorities,
	}

	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(f.logs)
	f.env = suite.NewTestWorkflowEnvironment()
	f.env.SetStartTime(grStart)
	f.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: workflows.ApplicationWorkflowID(appID), TaskQueue: workflows.TaskQueue})
	f.env.RegisterWorkflow(workflows.GrassrootsWorkflow)
	s.Outbox = notify.MustOutbox("http://localhost:8080", "finance-team@opcc.example")
	f.env.RegisterActivity(&activities.Records{Store: s})
	f.env.RegisterActivity(&activities.Awards{Store: s})
	f.env.RegisterActivity(&activities.Documents{Store: s, Letterhead: letters.Letterhead{
		Body:    "Office of the Police and Crime Commissioner for Leicestershire (demo)",
		Address: []string{"Police Headquarters", "St Johns", "Enderby", "LE19 2BX"},
		Email:   "grants@opcc.example", Phone: "0116 000 0000",
	}})
	// Record the search attributes the workflow keeps current (the upsert itself still runs and is validated).
	f.env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		f.saMu.Lock()
		defer f.saMu.Unlock()
		if v, ok := sa.GetKeyword(workflows.SearchStage); ok {
			f.saStages = append(f.saStages, v)
		}
		if v, ok := sa.GetKeyword(workflows.SearchScheme); ok {
			f.saScheme = v
		}
	}).Return()
	return f
}

func actorOf(u store.User) workflows.Actor {
	return workflows.Actor{UserID: u.ID, Name: u.Name, Role: u.Role, Organisations: u.Organisations}
}

// run executes the workflow to its end and returns how the application ended.
func (f *grassrootsFixture) run() workflows.GrassrootsResult {
	f.t.Helper()
	f.env.ExecuteWorkflow(workflows.GrassrootsWorkflow, f.in)
	if !f.env.IsWorkflowCompleted() {
		f.t.Fatal("the workflow did not complete")
	}
	if err := f.env.GetWorkflowError(); err != nil {
		var stuck []string
		for _, u := range f.sent {
			if u.accepted && !u.completed {
				stuck = append(stuck, u.label)
			}
		}
		f.t.Fatalf("the workflow failed: %v (updates accepted but never completed: %q)", err, stuck)
	}
	var res workflows.GrassrootsResult
	if err := f.env.GetWorkflowResult(&res); err != nil {
		f.t.Fatal(err)
	}
	for _, p := range f.logs.problems() {
		if strings.Contains(p, "search attributes") {
			f.t.Errorf("search attributes could not be upserted: %s", p)
		}
	}
	f.saMu.Lock()
	defer f.saMu.Unlock()
	if len(f.saStages) == 0 || f.saStages[len(f.saStages)-1] != string(res.Stage) {
		f.t.Errorf("GrantflowStage search attribute went %v; want it to end at %q", f.saStages, res.Stage)
	}
	if f.saScheme != "GCF" {
		f.t.Errorf("GrantflowScheme search attribute = %q, want GCF", f.saScheme)
	}
	return res
}

// at runs fn when the workflow clock reaches when (London time).
func (f *grassrootsFixture) at(when time.Time, fn func()) {
	f.env.RegisterDelayedCallback(fn, when.Sub(grStart))
}

// sentUpdate is what a caller of one update learned.
type sentUpdate struct {
	name, label               string // the update's name; how messages name this one
	fired, accepted, rejected bool
	completed                 bool
	result                    workflows.UpdateResult
	err                       error
}

// update sends an update at a workflow time; its outcome is filled in as the workflow answers.
func (f *grassrootsFixture) update(when time.Time, name string, req any) *sentUpdate {
	u := &sentUpdate{name: name, label: name + " at " + when.Format(time.DateTime)}
	f.at(when, func() { f.send(u, req) })
	return u
}

func (f *grassrootsFixture) send(u *sentUpdate, req any) {
	f.updates++
	f.sent = append(f.sent, u)
	u.fired = true
	f.env.UpdateWorkflow(u.name, fmt.Sprintf("%s-%d", u.name, f.updates), &testsuite.TestUpdateCallback{
		OnAccept: func() { u.accepted = true },
		OnReject: func(err error) { u.rejected, u.err = true, err },
		OnComplete: func(v any, err error) {
			u.completed, u.err = true, err
			if r, ok := v.(workflows.UpdateResult); ok {
				u.result = r
			}
		},
	}, req)
}

// wantDone checks that an update was accepted and completed, leaving the application at stage.
func (f *grassrootsFixture) wantDone(u *sentUpdate, stage workflows.Stage) {
	f.t.Helper()
	u.wantDone(f.t, stage)
}

// wantRefused checks that the validator rejected an update (so nothing ran) with the kind, field and reason.
func (f *grassrootsFixture) wantRefused(u *sentUpdate, kind, field, reason string) {
	f.t.Helper()
	u.wantRefused(f.t, kind, field, reason)
}

// wantDone checks that the update was accepted and completed, leaving the application at stage
// (any stage when empty). Both workflows' fixtures use it.
func (u *sentUpdate) wantDone(t *testing.T, stage workflows.Stage) {
	t.Helper()
	switch {
	case !u.fired:
		t.Errorf("%s was never sent", u.label)
	case u.rejected:
		t.Errorf("%s was rejected: %v", u.label, u.err)
	case !u.completed:
		t.Errorf("%s never completed", u.label)
	case u.err != nil:
		t.Errorf("%s failed: %v", u.label, u.err)
	case stage != "" && u.result.Stage != stage:
		t.Errorf("%s left the application %q; want %q", u.label, u.result.Stage, stage)
	}
}

// wantRefused checks that the validator rejected the update (so nothing ran) with the kind, field and reason.
func (u *sentUpdate) wantRefused(t *testing.T, kind, field, reason string) {
	t.Helper()
	if !u.fired || !u.rejected || u.accepted {
		t.Errorf("%s: fired %v, rejected %v, accepted %v (err %v); want it rejected by the validator",
			u.label, u.fired, u.rejected, u.accepted, u.err)
		return
	}
	wantRefusal(t, u, kind, field, reason)
}

func wantRefusal(t *testing.T, u *sentUpdate, kind, field, reason string) {
	t.Helper()
	gotKind, r, ok := workflows.RefusalOf(u.err)
	switch {
	case !ok:
		t.Errorf("%s: %v is not a refusal", u.label, u.err)
	case gotKind != kind || r.Field != field || !strings.Contains(r.Reason, reason):
		t.Errorf("%s refused as %s on %q: %q; want %s on %q containing %q", u.label, gotKind, r.Field, r.Reason, kind, field, reason)
	}
}

func (f *grassrootsFixture) status() workflows.GrassrootsStatus {
	f.t.Helper()
	v, err := f.env.QueryWorkflow(workflows.QueryStatus)
	if err != nil {
		f.t.Errorf("query status: %v", err)
		return workflows.GrassrootsStatus{}
	}
	var st workflows.GrassrootsStatus
	if err := v.Get(&st); err != nil {
		f.t.Errorf("decode status: %v", err)
	}
	return st
}

func (f *grassrootsFixture) application() store.Application {
	f.t.Helper()
	a, err := f.s.Application(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *grassrootsFixture) timeline() []store.Event {
	f.t.Helper()
	events, err := f.s.Timeline(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return events
}

func whats(events []store.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.What
	}
	return out
}

// wantTimeline checks the audit trail line by line.
func (f *grassrootsFixture) wantTimeline(want ...string) {
	f.t.Helper()
	if got := whats(f.timeline()); !slices.Equal(got, want) {
		f.t.Errorf("timeline:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func (f *grassrootsFixture) event(what string) store.Event {
	f.t.Helper()
	for _, e := range f.timeline() {
		if e.What == what {
			return e
		}
	}
	f.t.Errorf("no %q in the timeline %q", what, whats(f.timeline()))
	return store.Event{}
}

func (f *grassrootsFixture) committed() money.Pence {
	f.t.Helper()
	b, err := f.s.Budget(f.ctx, f.in.SchemeID, f.fy)
	if err != nil {
		f.t.Fatal(err)
	}
	return b.CommittedPence
}

func (f *grassrootsFixture) documents() []store.Document {
	f.t.Helper()
	docs, err := f.s.Documents(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return docs
}

// documentText reads a stored PDF back as the words a reader sees.
func (f *grassrootsFixture) documentText(id int64) string {
	f.t.Helper()
	d, err := f.s.Document(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	text, err := pdftext.Text(d.Content)
	if err != nil {
		f.t.Fatal(err)
	}
	return text
}

func (f *grassrootsFixture) notifications() []store.Notification {
	f.t.Helper()
	list, err := f.s.Notifications(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

// notificationsOfKind are the notifications of one kind, oldest first.
func (f *grassrootsFixture) notificationsOfKind(kind string) []store.Notification {
	f.t.Helper()
	var out []store.Notification
	for _, n := range f.notifications() {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// told lists each notification as "audience kind", oldest first.
func (f *grassrootsFixture) told() []string {
	f.t.Helper()
	var out []string
	for _, n := range f.notifications() {
		out = append(out, n.Audience+" "+n.Kind)
	}
	return out
}

func (f *grassrootsFixture) award() store.Award {
	f.t.Helper()
	a, err := f.s.AwardForApplication(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *grassrootsFixture) wantNoAward() {
	f.t.Helper()
	if a, err := f.s.AwardForApplication(f.ctx, f.in.ApplicationID); !errors.Is(err, store.ErrNotFound) {
		f.t.Errorf("award %+v (err %v); want none", a, err)
	}
}

func (f *grassrootsFixture) wantStage(stage workflows.Stage) workflows.GrassrootsStatus {
	f.t.Helper()
	st := f.status()
	if st.Stage != stage {
		f.t.Errorf("at %s the stage is %q; want %q", f.env.Now().In(scheme.London).Format(time.DateTime), st.Stage, stage)
	}
	return st
}

// ---- Requests ----

func assessReq(a workflows.Actor, scores []workflows.Score, recommendation string) workflows.AssessRequest {
	return workflows.AssessRequest{Actor: a, NoConflict: true, Scores: scores, Recommendation: recommendation, Comment: "A well-run group."}
}

func approveReq(a workflows.Actor, amount money.Pence) workflows.DecideRequest {
	return workflows.DecideRequest{Actor: a, NoConflict: true, Outcome: workflows.OutcomeApprove, Amount: amount,
		Purpose:    "Evening youth sessions in Shepshed Park",
		Conditions: []string{"Acknowledge the Commissioner's funding in publicity."},
		Reasons:    "Diverts young people from anti-social behaviour in the park."}
}

func declineReq(a workflows.Actor, reasons ...string) workflows.DecideRequest {
	return workflows.DecideRequest{Actor: a, NoConflict: true, Outcome: workflows.OutcomeDecline, Declined: reasons}
}

func askReq(a workflows.Actor, question string, deadline time.Time) workflows.DecideRequest {
	return workflows.DecideRequest{Actor: a, NoConflict: true, Outcome: workflows.OutcomeRequestInformation, Question: question, Deadline: deadline}
}

func acceptReq(a workflows.Actor) workflows.AcceptOfferRequest {
	return workflows.AcceptOfferRequest{Actor: a}
}

func payReq(a workflows.Actor, amount money.Pence, paidOn time.Time) workflows.RecordPaymentRequest {
	return workflows.RecordPaymentRequest{Actor: a, Amount: amount, PaidOn: paidOn, Reference: "BACS-000123"}
}

func reportReq(a workflows.Actor, spent money.Pence) workflows.SubmitReportRequest {
	return workflows.SubmitReportRequest{Actor: a, Summary: "Forty evening sessions ran.", Outcomes: "Reports of anti-social behaviour in the park fell.", Spent: spent}
}

func reviewReq(a workflows.Actor, outcome, comment string) workflows.ReviewReportRequest {
	return workflows.ReviewReportRequest{Actor: a, Outcome: outcome, Comment: comment}
}

// signOff has Fran propose the payment 20 minutes before when and Fola approve it 10 minutes later
// (two-person payments); the returned check wants both done.
func (f *grassrootsFixture) signOff(when time.Time) func() {
	proposed := f.update(when.Add(-20*time.Minute), workflows.UpdateProposePayment, workflows.PaymentSignOffRequest{Actor: f.finance})
	approved := f.update(when.Add(-10*time.Minute), workflows.UpdateApprovePayment, workflows.PaymentSignOffRequest{Actor: f.finance2})
	return func() {
		f.t.Helper()
		f.wantDone(proposed, workflows.StageAccepted)
		f.wantDone(approved, workflows.StageAccepted)
	}
}

// toPaid scores, approves, accepts and pays £2,500 on 1–5 June 2026, checking each step.
func (f *grassrootsFixture) toPaid() func() {
	assessed := f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	approved := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(2500)))
	accepted := f.update(london(2026, time.June, 3, 10, 0), workflows.UpdateAcceptOffer, acceptReq(f.applicant))
	signedOff := f.signOff(london(2026, time.June, 5, 10, 0))
	paid := f.update(london(2026, time.June, 5, 10, 0), workflows.UpdateRecordPayment, payReq(f.finance, money.Pounds(2500), london(2026, time.June, 5, 0, 0)))
	return func() {
		f.t.Helper()
		f.wantDone(assessed, workflows.StageDecision)
		f.wantDone(approved, workflows.StageApproved)
		f.wantDone(accepted, workflows.StageAccepted)
		signedOff()
		f.wantDone(paid, workflows.StagePaid)
	}
}

// ---- 1. Happy path ----

func TestGrassrootsApprovedAcceptedPaidReportedAndClosed(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	award := money.Pounds(2500)
	ref := fmt.Sprintf("GCF-2026-%05d", f.in.ApplicationID)
	acceptBy := endOfLondonDay(2026, time.June, 29)  // 28 days after the decision
	reportDue := endOfLondonDay(2027, time.June, 30) // 3 months after the project ends on 31 March 2027

	noConflict := f.update(london(2026, time.June, 1, 11, 0), workflows.UpdateDeclareConflict, workflows.DeclareConflictRequest{Actor: f.assessor})
	assessed := f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	f.at(london(2026, time.June, 1, 13, 0), func() {
		st := f.wantStage(workflows.StageDecision)
		if st.AssessmentRound != 1 || st.AssessorID != f.assessor.UserID || st.Recommendation != workflows.RecommendFund ||
			st.Assessment == nil || st.Assessment.Weighted != 80 || !st.Assessment.Fundable {
			t.Errorf("after the assessment the status is %+v (assessment %+v); want round 1 by the assessor, 80 and fundable", st, st.Assessment)
		}
		if a := f.application(); a.WeightedScore == nil || *a.WeightedScore != 80 {
			t.Errorf("the application list shows weighted score %v; want 80", a.WeightedScore)
		}
	})
	approved := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, approveReq(f.officer, award))
	f.at(london(2026, time.June, 1, 15, 0), func() {
		st := f.wantStage(workflows.StageOffered)
		if st.AwardAmount != award || st.AwardReference != ref || st.DecidedBy != f.officer.UserID || st.AwardID == 0 {
			t.Errorf("offered status %+v; want %s as %s decided by the officer", st, award, ref)
		}
		if st.AcceptBy == nil || !st.AcceptBy.Equal(acceptBy) || st.ReportDue == nil || !st.ReportDue.Equal(reportDue) {
			t.Errorf("accept by %v and report due %v; want %v and %v", st.AcceptBy, st.ReportDue, acceptBy, reportDue)
		}
		if got := f.committed(); got != award {
			t.Errorf("budget committed %s; want the award, %s", got, award)
		}
		a := f.award()
		if a.Reference != ref || a.Amount != award || a.Status != "offered" || a.ApprovedBy != f.officer.UserID || a.DelegationBand != "commissioning officer" || !a.AcceptBy.Equal(acceptBy) {
			t.Errorf("award %+v", a)
		}
		docs := f.documents()
		kinds := make([]string, len(docs))
		for i, d := range docs {
			kinds[i] = d.Kind
		}
		if !slices.Equal(kinds, []string{activities.KindAwardLetter, activities.KindFinanceAwardNotice}) {
			t.Errorf("documents %q; want the award letter and the finance notice", kinds)
			return
		}
		if docs[0].ID != st.AwardLetterID || docs[1].ID != st.FinanceNoticeID {
			t.Errorf("status names documents %d and %d; stored are %d and %d", st.AwardLetterID, st.FinanceNoticeID, docs[0].ID, docs[1].ID)
		}
		letter := f.documentText(st.AwardLetterID)
		for _, want := range []string{ref, "£2,500.00", "Friends of Shepshed Park", "Dear Sam Patel", "29 June 2026", "30 June 2027",
			"Acknowledge the Commissioner's funding in publicity.", "Olu Officer"} {
			if !strings.Contains(letter, want) {
				t.Errorf("the award letter does not say %q:\n%s", want, letter)
			}
		}
		notices, err := f.s.FinanceNotices(f.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(notices) != 1 || notices[0].Amount != award || notices[0].CostCentre != "OPCC-GCF-01" || notices[0].Reference != ref+"-FN1" ||
			notices[0].Payee != "Friends of Shepshed Park" || notices[0].DocumentID != st.FinanceNoticeID {
			t.Errorf("finance notices %+v", notices)
		}
		if text := f.documentText(st.FinanceNoticeID); !strings.Contains(text, "OPCC-GCF-01") || !strings.Contains(text, "£2,500.00") {
			t.Errorf("the finance notice does not give the cost centre and amount:\n%s", text)
		}
	})
	accepted := f.update(london(2026, time.June, 3, 10, 0), workflows.UpdateAcceptOffer, acceptReq(f.applicant))
	f.at(london(2026, time.June, 3, 11, 0), func() {
		f.wantStage(workflows.StageAccepted)
		n := f.notificationsOfKind("payment_due")
		if len(n) != 1 || n[0].Audience != "finance" || n[0].Kind != "payment_due" || !strings.Contains(n[0].Message, "pay £2,500.00 to Friends of Shepshed Park.") {
			t.Errorf("notifications after acceptance %+v; want one telling finance to pay £2,500.00 to the organisation", n)
		}
		if accepted := f.notificationsOfKind("offer_accepted"); len(accepted) != 1 || accepted[0].Audience != "officer" {
			t.Errorf("acceptance told %+v; want the case officer, once (finance hear from the payment notice)", accepted)
		}
	})
	f.signOff(london(2026, time.June, 5, 10, 0))
	paid := f.update(london(2026, time.June, 5, 10, 0), workflows.UpdateRecordPayment, payReq(f.finance, award, london(2026, time.June, 5, 0, 0)))
	report1 := f.update(london(2027, time.May, 3, 10, 0), workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(2400)))
	changes := f.update(london(2027, time.May, 4, 10, 0), workflows.UpdateReviewReport, reviewReq(f.officer2, workflows.ReviewRequestChanges, "Please say how many young people took part."))
	f.at(london(2027, time.May, 5, 10, 0), func() {
		if st := f.wantStage(workflows.StagePaid); st.ReportVersion != 1 {
			t.Errorf("report version %d after changes were requested; want 1", st.ReportVersion)
		}
	})
	report2 := f.update(london(2027, time.May, 6, 10, 0), workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(2500)))
	closed := f.update(london(2027, time.May, 7, 10, 0), workflows.UpdateReviewReport, reviewReq(f.officer2, workflows.ReviewAccept, ""))

	res := f.run()

	if res.Stage != workflows.StageClosed || res.AwardReference != ref || res.Paid != award {
		t.Errorf("result %+v; want closed, %s, paid %s", res, ref, award)
	}
	f.wantDone(noConflict, workflows.StageAssessment)
	f.wantDone(assessed, workflows.StageDecision)
	f.wantDone(approved, workflows.StageApproved)
	f.wantDone(accepted, workflows.StageAccepted)
	f.wantDone(paid, workflows.StagePaid)
	f.wantDone(report1, workflows.StageReportSubmitted)
	f.wantDone(changes, workflows.StagePaid)
	f.wantDone(report2, workflows.StageReportSubmitted)
	f.wantDone(closed, workflows.StageClosed)

	f.wantTimeline(
		"Eligibility screening started",
		"Eligible: ready for assessment",
		"Declared no conflict of interest",
		"Assessment submitted",
		"Approved: £2,500.00 awarded",
		"Case officer: Olu Officer, the first officer to act on it",
		"Award letter issued",
		"Finance award notice sent",
		"Offer accepted",
		"Payment proposed: £2,500.00",
		"Payment approved: £2,500.00",
		"Payment recorded: £2,500.00",
		"End-of-grant report submitted",
		"End-of-grant report: changes requested",
		"End-of-grant report submitted",
		"End-of-grant report accepted: grant closed",
		"Award closed",
	)
	if e := f.event("Approved: £2,500.00 awarded"); e.ActorUserID == nil || *e.ActorUserID != f.officer.UserID || e.ActorRole != string(scheme.RoleOfficer) ||
		!e.At.Equal(london(2026, time.June, 1, 14, 0)) {
		t.Errorf("approval event %+v; want the officer at 2pm on 1 June", e)
	}
	if a := f.application(); a.Status != string(workflows.StageClosed) || a.ReportOverdue {
		t.Errorf("application status %q, overdue %v; want closed and not overdue", a.Status, a.ReportOverdue)
	}
	a := f.award()
	if a.Status != "closed" || a.AcceptedBy == nil || *a.AcceptedBy != f.applicant.UserID || a.AcceptedAt == nil || !a.AcceptedAt.Equal(london(2026, time.June, 3, 10, 0)) {
		t.Errorf("award %+v; want closed, accepted by the applicant on 3 June", a)
	}
	payments, err := f.s.Payments(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(payments) != 1 || payments[0].Amount != award || payments[0].Reference != "BACS-000123" || payments[0].RecordedBy != f.finance.UserID {
		t.Errorf("payments %+v; want one of %s recorded by finance", payments, award)
	}
	reports, err := f.s.GrantReports(f.ctx, f.in.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if len(reports) != 2 || reports[0].ReviewOutcome == nil || *reports[0].ReviewOutcome != workflows.ReviewRequestChanges ||
		reports[0].ReviewComment == nil || *reports[0].ReviewComment != "Please say how many young people took part." ||
		reports[1].ReviewOutcome == nil || *reports[1].ReviewOutcome != workflows.ReviewAccept || reports[1].Spent != award {
		t.Errorf("reports %+v; want version 1 sent back with the comment and version 2 accepted", reports)
	}
	if got := f.committed(); got != award {
		t.Errorf("budget committed %s after closing a paid grant; want %s", got, award)
	}
	// Everything was on time, so no reminders: each moment told the person it concerns, once.
	want := []string{"assessor ready_to_assess", "user:3 ready_for_decision", "user:4 ready_for_decision", "applicant offer", "officer offer_accepted",
		"finance payment_due", "user:6 payment_to_approve", "applicant payment_recorded",
		"officer ready_for_you", "applicant report_changes", "officer ready_for_you", "applicant grant_closed"}
	if got := f.told(); !slices.Equal(got, want) {
		t.Errorf("notifications %q; want %q", got, want)
	}
}

// ---- 2. Ineligible ----

func TestGrassrootsIneligibleApplicationClosesWithReasons(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{orgType: scheme.OrgPoliticalParty, amount: money.Pounds(6000)})

	res := f.run()

	if res.Stage != workflows.StageIneligible || res.AwardReference != "" || res.Paid != 0 {
		t.Errorf("result %+v; want ineligible, no award", res)
	}
	st := f.status()
	if st.Stage != workflows.StageIneligible || st.Eligibility == nil || st.Eligibility.Eligible {
		t.Fatalf("status %+v; want ineligible with the eligibility result", st)
	}
	if len(st.IneligibleBecause) != 2 ||
		!strings.HasPrefix(st.IneligibleBecause[0], "Grants from this scheme are not made to political parties.") ||
		st.IneligibleBecause[1] != "The amount requested, £6,000.00, is above this scheme's maximum of £5,000.00." {
		t.Errorf("ineligible because %q; want the political party and the amount", st.IneligibleBecause)
	}
	f.wantTimeline("Eligibility screening started", "Not eligible: application closed")
	if e := f.event("Not eligible: application closed"); e.Why != strings.Join(st.IneligibleBecause, " ") || e.ActorRole != "system" {
		t.Errorf("the timeline says why %q (by %s); want the reasons %q", e.Why, e.ActorRole, st.IneligibleBecause)
	}
	if a := f.application(); a.Status != string(workflows.StageIneligible) {
		t.Errorf("application status %q; want ineligible", a.Status)
	}
	if docs := f.documents(); len(docs) != 0 {
		t.Errorf("documents %+v; want none", docs)
	}
	f.wantNoAward()
}

// ---- 3. Declined ----

func TestGrassrootsDeclinedWithReasonsGetsALetter(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	reasons := []string{"The project does not show how it will reduce crime or disorder.", "The costs of equipment are not explained."}

	assessed := f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(2, 2, 2, 2, 2), workflows.RecommendDoNotFund))
	declined := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, declineReq(f.officer, reasons...))

	res := f.run()

	if res.Stage != workflows.StageDeclined {
		t.Errorf("result %+v; want declined", res)
	}
	f.wantDone(assessed, workflows.StageDecision)
	f.wantDone(declined, workflows.StageDeclined)
	st := f.status()
	if st.Stage != workflows.StageDeclined || !slices.Equal(st.DeclineReasons, reasons) || st.DecidedBy != f.officer.UserID || st.DeclineLetterID == 0 {
		t.Errorf("status %+v; want declined by the officer with the reasons and a letter", st)
	}
	docs := f.documents()
	if len(docs) != 1 || docs[0].Kind != activities.KindDeclineLetter || docs[0].ID != st.DeclineLetterID {
		t.Fatalf("documents %+v; want the decline letter %d", docs, st.DeclineLetterID)
	}
	letter := f.documentText(docs[0].ID)
	for _, want := range append([]string{fmt.Sprintf("GCF-A%05d", f.in.ApplicationID), "Dear Sam Patel", "Olu Officer"}, reasons...) {
		if !strings.Contains(letter, want) {
			t.Errorf("the decline letter does not say %q:\n%s", want, letter)
		}
	}
	f.wantTimeline("Eligibility screening started", "Eligible: ready for assessment", "Assessment submitted", "Declined", "Case officer: Olu Officer, the first officer to act on it", "Decline letter issued")
	if e := f.event("Declined"); e.Why != strings.Join(reasons, " ") {
		t.Errorf("the timeline gives the reasons as %q", e.Why)
	}
	if a := f.application(); a.Status != string(workflows.StageDeclined) {
		t.Errorf("application status %q; want declined", a.Status)
	}
	if got := f.committed(); got != 0 {
		t.Errorf("budget committed %s; want nothing", got)
	}
	f.wantNoAward()
}

// ---- 4. Information requested and answered ----

func TestGrassrootsInformationAnsweredGoesBackToAssessmentThenApproved(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	question := "How many sessions will you run, and who will lead them?"
	deadline := london(2026, time.June, 15, 17, 0)
	answer := "Forty sessions, led by two qualified youth workers."

	first := f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(3, 3, 3, 3, 3), workflows.RecommendFund))
	asked := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, askReq(f.officer, question, deadline))
	f.at(london(2026, time.June, 1, 15, 0), func() {
		st := f.wantStage(workflows.StageInformationRequested)
		if st.Question != question || st.QuestionDeadline == nil || !st.QuestionDeadline.Equal(deadline) {
			t.Errorf("status shows question %q due %v; want %q due %v", st.Question, st.QuestionDeadline, question, deadline)
		}
		if a := f.application(); a.Status != string(workflows.StageInformationRequested) {
			t.Errorf("application status %q", a.Status)
		}
	})
	answered := f.update(london(2026, time.June, 3, 10, 0), workflows.UpdateAnswerInformation, workflows.AnswerInformationRequest{Actor: f.applicant, Answer: answer})
	f.at(london(2026, time.June, 3, 11, 0), func() {
		st := f.wantStage(workflows.StageAssessment)
		if st.Question != "" || st.QuestionDeadline != nil {
			t.Errorf("the answered question still shows: %q due %v", st.Question, st.QuestionDeadline)
		}
		reqs, err := f.s.InformationRequests(f.ctx, f.in.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 1 || reqs[0].Question != question || reqs[0].Answer == nil || *reqs[0].Answer != answer || reqs[0].Lapsed ||
			reqs[0].AnsweredAt == nil || !reqs[0].AnsweredAt.Equal(london(2026, time.June, 3, 10, 0)) || reqs[0].AskedBy != f.officer.UserID {
			t.Errorf("information requests %+v; want the one question answered on 3 June", reqs)
		}
	})
	second := f.update(london(2026, time.June, 4, 10, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	f.at(london(2026, time.June, 4, 11, 0), func() {
		st := f.wantStage(workflows.StageDecision)
		if st.AssessmentRound != 2 || st.Assessment == nil || st.Assessment.Weighted != 80 {
			t.Errorf("after reassessment round %d, assessment %+v; want round 2 scoring 80", st.AssessmentRound, st.Assessment)
		}
	})
	approved := f.update(london(2026, time.June, 4, 12, 0), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(3000)))
	f.at(london(2026, time.June, 4, 13, 0), func() {
		st := f.wantStage(workflows.StageOffered)
		if st.AwardAmount != money.Pounds(3000) || st.AwardLetterID == 0 {
			t.Errorf("offer status %+v", st)
		}
		if got := f.committed(); got != money.Pounds(3000) {
			t.Errorf("committed %s; want £3,000.00", got)
		}
	})

	res := f.run() // nobody accepts, so the offer lapses in the end

	f.wantDone(first, workflows.StageDecision)
	f.wantDone(asked, workflows.StageInformationRequested)
	f.wantDone(answered, workflows.StageAssessment)
	f.wantDone(second, workflows.StageDecision)
	f.wantDone(approved, workflows.StageApproved)
	if res.Stage != workflows.StageLapsed {
		t.Errorf("result %+v; want the unaccepted offer lapsed", res)
	}
	assessments, err := f.s.Assessments(f.ctx, f.in.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if len(assessments) != 2 || assessments[0].Round != 2 || assessments[0].Weighted != 80 || assessments[1].Weighted != 60 {
		t.Errorf("assessments %+v; want rounds 2 (80) and 1 (60)", assessments)
	}
	tl := whats(f.timeline())
	want := []string{"Eligibility screening started", "Eligible: ready for assessment", "Assessment submitted", "More information requested", "Case officer: Olu Officer, the first officer to act on it",
		"Information provided: back to assessment", "Assessment submitted", "Approved: £3,000.00 awarded", "Award letter issued", "Finance award notice sent"}
	if len(tl) < len(want) || !slices.Equal(tl[:len(want)], want) {
		t.Errorf("timeline %q; want it to start %q", tl, want)
	}
	if e := f.event("Information provided: back to assessment"); e.Why != answer || e.ActorUserID == nil || *e.ActorUserID != f.applicant.UserID {
		t.Errorf("answer event %+v", e)
	}
}

// ---- 5. Information request lapses ----

func TestGrassrootsUnansweredInformationRequestLapsesBackToAssessment(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	deadline := london(2026, time.June, 8, 17, 0)

	f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(3, 3, 3, 3, 3), workflows.RecommendFund))
	asked := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, askReq(f.officer, "Who owns the building?", deadline))
	f.at(london(2026, time.June, 8, 16, 0), func() { f.wantStage(workflows.StageInformationRequested) })
	f.at(london(2026, time.June, 8, 18, 0), func() {
		st := f.wantStage(workflows.StageAssessment)
		if st.Question != "" || st.QuestionDeadline != nil {
			t.Errorf("the lapsed question still shows: %q due %v", st.Question, st.QuestionDeadline)
		}
		reqs, err := f.s.InformationRequests(f.ctx, f.in.ApplicationID)
		if err != nil {
			t.Fatal(err)
		}
		if len(reqs) != 1 || !reqs[0].Lapsed || reqs[0].Answer != nil {
			t.Errorf("information requests %+v; want the question lapsed unanswered", reqs)
		}
		e := f.event("Information request lapsed: back to assessment")
		if e.Why != "No answer arrived by 8 June 2026 17:00." || !e.At.Equal(deadline) || e.ActorRole != "system" || e.Status != string(workflows.StageAssessment) {
			t.Errorf("lapse event %+v; want it at the deadline, saying no answer arrived by 8 June 2026 17:00", e)
		}
		if a := f.application(); a.Status != string(workflows.StageAssessment) {
			t.Errorf("application status %q; want assessment", a.Status)
		}
	})
	late := f.update(london(2026, time.June, 9, 10, 0), workflows.UpdateAnswerInformation, workflows.AnswerInformationRequest{Actor: f.applicant, Answer: "The parish council."})
	reassessed := f.update(london(2026, time.June, 10, 10, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(2, 2, 2, 2, 2), workflows.RecommendDoNotFund))
	declined := f.update(london(2026, time.June, 10, 12, 0), workflows.UpdateDecide, declineReq(f.officer2, "We could not confirm the group may use the building."))

	res := f.run()

	f.wantDone(asked, workflows.StageInformationRequested)
	f.wantRefused(late, workflows.RefusalStage, "", "cannot answer an information request while the application is assessment")
	f.wantDone(reassessed, workflows.StageDecision)
	f.wantDone(declined, workflows.StageDeclined)
	if res.Stage != workflows.StageDeclined {
		t.Errorf("result %+v; want declined after reassessment", res)
	}
	if st := f.status(); st.AssessmentRound != 2 {
		t.Errorf("assessment round %d; want 2", st.AssessmentRound)
	}
	f.wantTimeline("Eligibility screening started", "Eligible: ready for assessment", "Assessment submitted", "More information requested", "Case officer: Olu Officer, the first officer to act on it",
		"Information request lapsed: back to assessment", "Assessment submitted", "Declined", "Decline letter issued")
}

// ---- 6. Offer lapses ----

func TestGrassrootsUnacceptedOfferLapsesAndReleasesTheBudget(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	acceptBy := endOfLondonDay(2026, time.June, 29)
	remindAt := endOfLondonDay(2026, time.June, 22) // 7 days before

	f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	approved := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(2500)))
	f.at(london(2026, time.June, 22, 12, 0), func() {
		if n := f.notificationsOfKind("reminder"); len(n) != 0 {
			t.Errorf("reminders before the reminder is due: %+v", n)
		}
	})
	f.at(london(2026, time.June, 25, 10, 0), func() {
		f.wantStage(workflows.StageOffered)
		n := f.notificationsOfKind("reminder")
		if len(n) != 1 || n[0].Audience != "applicant" || n[0].Kind != "reminder" || !n[0].CreatedAt.Equal(remindAt) ||
			!strings.Contains(n[0].Message, "must be accepted by 29 June 2026") {
			t.Errorf("notifications %+v; want one reminder to the applicant at %v", n, remindAt)
		}
		if got := f.committed(); got != money.Pounds(2500) {
			t.Errorf("committed %s while the offer stands; want £2,500.00", got)
		}
	})
	f.at(london(2026, time.June, 29, 23, 0), func() { f.wantStage(workflows.StageOffered) })

	res := f.run()

	f.wantDone(approved, workflows.StageApproved)
	if res.Stage != workflows.StageLapsed || res.Paid != 0 {
		t.Errorf("result %+v; want lapsed, nothing paid", res)
	}
	if now := f.env.Now(); !now.Equal(acceptBy) {
		t.Errorf("the offer lapsed at %v; want the acceptance deadline %v", now, acceptBy)
	}
	if st := f.status(); st.Stage != workflows.StageLapsed {
		t.Errorf("status stage %q; want lapsed", st.Stage)
	}
	if a := f.award(); a.Status != "lapsed" || a.AcceptedAt != nil {
		t.Errorf("award %+v; want lapsed, never accepted", a)
	}
	if got := f.committed(); got != 0 {
		t.Errorf("committed %s after the offer lapsed; want it released to £0.00", got)
	}
	if a := f.application(); a.Status != string(workflows.StageLapsed) {
		t.Errorf("application status %q; want lapsed", a.Status)
	}
	tl := f.timeline()
	if got := whats(tl[len(tl)-2:]); !slices.Equal(got, []string{"Offer lapsed: not accepted in time", "Budget released"}) {
		t.Errorf("timeline ends %q", got)
	}
	if e := f.event("Budget released"); e.Why != "£2,500.00 returned to the scheme's budget." || !e.At.Equal(acceptBy) {
		t.Errorf("budget released event %+v", e)
	}
}

// ---- 7. Report overdue ----

func TestGrassrootsOverdueReportIsFlaggedEscalatedAndStillAccepted(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	due := endOfLondonDay(2027, time.June, 30)
	remindAt := endOfLondonDay(2027, time.June, 16) // 14 days before

	checkPaid := f.toPaid()
	f.at(london(2027, time.June, 16, 12, 0), func() {
		for _, n := range f.notifications() {
			if n.Kind == "reminder" {
				t.Errorf("report reminder sent early: %+v", n)
			}
		}
	})
	f.at(london(2027, time.June, 20, 10, 0), func() {
		st := f.wantStage(workflows.StagePaid)
		if st.ReportOverdue || f.application().ReportOverdue {
			t.Error("the report is flagged overdue before it is due")
		}
		var reminders []store.Notification
		for _, n := range f.notifications() {
			if n.Kind == "reminder" {
				reminders = append(reminders, n)
			}
		}
		if len(reminders) != 1 || reminders[0].Audience != "applicant" || !reminders[0].CreatedAt.Equal(remindAt) ||
			!strings.Contains(reminders[0].Message, "due by 30 June 2027") {
			t.Errorf("reminders %+v; want one to the applicant at %v", reminders, remindAt)
		}
	})
	f.at(london(2027, time.July, 2, 10, 0), func() {
		st := f.wantStage(workflows.StagePaid)
		if !st.ReportOverdue {
			t.Error("status does not show the report overdue")
		}
		if !f.application().ReportOverdue {
			t.Error("the application list does not flag the report overdue")
		}
		var escalations []store.Notification
		for _, n := range f.notifications() {
			if n.Kind == "escalation" {
				escalations = append(escalations, n)
			}
		}
		if len(escalations) != 1 || escalations[0].Audience != "officer" || !escalations[0].CreatedAt.Equal(due) ||
			!strings.Contains(escalations[0].Message, "overdue (due 30 June 2027)") {
			t.Errorf("escalations %+v; want one to officers at %v", escalations, due)
		}
		if e := f.event("End-of-grant report overdue"); e.Why != "It was due by 30 June 2027." || !e.At.Equal(due) {
			t.Errorf("overdue event %+v", e)
		}
	})
	late := f.update(london(2027, time.July, 2, 11, 0), workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(2500)))
	accepted := f.update(london(2027, time.July, 3, 10, 0), workflows.UpdateReviewReport, reviewReq(f.officer, workflows.ReviewAccept, ""))

	res := f.run()

	checkPaid()
	f.wantDone(late, workflows.StageReportSubmitted)
	f.wantDone(accepted, workflows.StageClosed)
	if res.Stage != workflows.StageClosed || res.Paid != money.Pounds(2500) {
		t.Errorf("result %+v; want closed with £2,500.00 paid", res)
	}
	if a := f.application(); a.Status != string(workflows.StageClosed) {
		t.Errorf("application status %q; want closed", a.Status)
	}
	if a := f.award(); a.Status != "closed" {
		t.Errorf("award status %q; want closed", a.Status)
	}
	tl := whats(f.timeline())
	want := []string{"Payment recorded: £2,500.00", "End-of-grant report overdue", "End-of-grant report submitted",
		"End-of-grant report accepted: grant closed", "Award closed"}
	if len(tl) < len(want) || !slices.Equal(tl[len(tl)-len(want):], want) {
		t.Errorf("timeline %q; want it to end %q", tl, want)
	}
}

func TestGrassrootsReportSentBackGetsAFreshDeadlineAndIsEscalatedWhenMissed(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	resubmitBy := endOfLondonDay(2027, time.July, 19) // 28 days after changes were asked for, later than 30 June

	checkPaid := f.toPaid()
	first := f.update(london(2027, time.June, 20, 10, 0), workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(2500)))
	changes := f.update(london(2027, time.June, 21, 10, 0), workflows.UpdateReviewReport, reviewReq(f.officer, workflows.ReviewRequestChanges, "Add attendance figures."))
	f.at(london(2027, time.July, 2, 10, 0), func() {
		if st := f.wantStage(workflows.StagePaid); st.ReportOverdue || st.ReportDue == nil || !st.ReportDue.Equal(resubmitBy) {
			t.Errorf("after changes were asked for: overdue %v, due %v; want not overdue, due %v", st.ReportOverdue, st.ReportDue, resubmitBy)
		}
	})
	f.at(london(2027, time.July, 20, 10, 0), func() {
		if st := f.wantStage(workflows.StagePaid); !st.ReportOverdue || !f.application().ReportOverdue {
			t.Error("a revised report not sent by its deadline is not flagged overdue")
		}
		var kinds []string
		for _, n := range f.notifications() {
			kinds = append(kinds, n.Kind+"@"+n.CreatedAt.In(scheme.London).Format("2 Jan"))
		}
		want := []string{"ready_to_assess@1 Jun", "ready_for_decision@1 Jun", "ready_for_decision@1 Jun", "offer@1 Jun", "offer_accepted@3 Jun", "payment_due@3 Jun",
			"payment_to_approve@5 Jun", "payment_recorded@5 Jun",
			"reminder@16 Jun", "ready_for_you@20 Jun", "report_changes@21 Jun", "reminder@5 Jul", "escalation@19 Jul"}
		if !slices.Equal(kinds, want) {
			t.Errorf("notifications %v; want %v", kinds, want)
		}
	})
	revised := f.update(london(2027, time.July, 25, 10, 0), workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(2500)))
	f.at(london(2027, time.July, 25, 12, 0), func() {
		if f.status().ReportOverdue || f.application().ReportOverdue {
			t.Error("a report in hand is still flagged overdue")
		}
	})
	accepted := f.update(london(2027, time.July, 26, 10, 0), workflows.UpdateReviewReport, reviewReq(f.officer, workflows.ReviewAccept, ""))

	res := f.run()

	checkPaid()
	f.wantDone(first, workflows.StageReportSubmitted)
	f.wantDone(changes, workflows.StagePaid)
	f.wantDone(revised, workflows.StageReportSubmitted)
	f.wantDone(accepted, workflows.StageClosed)
	if res.Stage != workflows.StageClosed {
		t.Errorf("result %+v; want closed", res)
	}
}

// ---- 8. Refused updates ----

func TestGrassrootsRefusesAssessmentsAndDecisionsThatBreakTheRules(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{cast: true})
	good := grScores(4, 4, 4, 4, 4)
	h := func(hour, min int) time.Time { return london(2026, time.June, 1, hour, min) }

	// At assessment.
	acceptEarly := f.update(h(11, 0), workflows.UpdateAcceptOffer, acceptReq(f.applicant))
	trusteeAssesses := f.update(h(11, 0), workflows.UpdateAssess, assessReq(f.trustee, good, workflows.RecommendFund))
	decideEarly := f.update(h(11, 0), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(3000)))
	applicantAssesses := f.update(h(11, 0), workflows.UpdateAssess, assessReq(f.applicant, good, workflows.RecommendFund))
	conflict := f.update(h(11, 30), workflows.UpdateDeclareConflict, workflows.DeclareConflictRequest{Actor: f.conflicted, HasConflict: true, Details: "My partner chairs the group."})
	conflictedScores := f.update(h(12, 0), workflows.UpdateAssess, assessReq(f.conflicted, good, workflows.RecommendFund))
	missing := f.update(h(12, 0), workflows.UpdateAssess, assessReq(f.assessor, good[:4], workflows.RecommendFund))
	outOfRange := f.update(h(12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(6, 4, 4, 4, 4), workflows.RecommendFund))
	undeclared := assessReq(f.assessor, good, workflows.RecommendFund)
	undeclared.NoConflict = false
	noDeclaration := f.update(h(12, 0), workflows.UpdateAssess, undeclared)
	f.at(h(12, 30), func() {
		st := f.wantStage(workflows.StageAssessment)
		if st.AssessmentRound != 0 || st.Assessment != nil || !slices.Equal(st.Barred, []int64{f.conflicted.UserID}) {
			t.Errorf("status after refused scores %+v; want no assessment and only the conflicted assessor barred", st)
		}
		if n := len(f.timeline()); n != 3 {
			t.Errorf("%d timeline events; want 3 (screening, eligible, conflict): refusals must record nothing", n)
		}
	})

	// The officer assesses it not fundable (deliverability below its minimum of 2).
	officerAssesses := f.update(h(13, 0), workflows.UpdateAssess, assessReq(f.officer, grScores(4, 4, 1, 4, 4), workflows.RecommendDoNotFund))

	// At decision.
	assessorDecides := f.update(h(14, 0), workflows.UpdateDecide, declineReq(f.assessor, "Not a priority."))
	ownAssessment := f.update(h(14, 0), workflows.UpdateDecide, declineReq(f.officer, "Not a priority."))
	notFundable := f.update(h(14, 0), workflows.UpdateDecide, approveReq(f.officer2, money.Pounds(3000)))
	aboveRequest := f.update(h(14, 0), workflows.UpdateDecide, approveReq(f.officer2, money.Pounds(3500)))
	pastDeadline := f.update(h(14, 0), workflows.UpdateDecide, askReq(f.officer2, "Who owns the building?", h(13, 0)))
	withinTheHour := f.update(h(14, 0), workflows.UpdateDecide, askReq(f.officer2, "Who owns the building?", h(14, 30)))
	acceptAtDecision := f.update(h(14, 0), workflows.UpdateAcceptOffer, acceptReq(f.applicant))
	f.at(h(14, 30), func() {
		st := f.wantStage(workflows.StageDecision)
		if st.DecidedBy != 0 || st.AwardID != 0 || st.Question != "" {
			t.Errorf("status after refused decisions %+v; want undecided", st)
		}
		if got := f.committed(); got != 0 {
			t.Errorf("committed %s after refused approvals", got)
		}
		f.wantNoAward()
		if n := len(f.timeline()); n != 5 {
			t.Errorf("%d timeline events; want 5 (the officer who assessed it became its case officer): refusals must record nothing", n)
		}
	})
	declined := f.update(h(15, 0), workflows.UpdateDecide, declineReq(f.officer2, "The project's governance is not strong enough yet."))

	res := f.run()

	f.wantRefused(acceptEarly, workflows.RefusalStage, "", "cannot accept the offer while the application is assessment")
	f.wantRefused(trusteeAssesses, workflows.RefusalForbidden, "", "member of the applicant organisation")
	f.wantRefused(decideEarly, workflows.RefusalStage, "", "cannot decide while the application is assessment")
	f.wantRefused(applicantAssesses, workflows.RefusalForbidden, "", "an applicant cannot take this step")
	f.wantDone(conflict, workflows.StageAssessment)
	f.wantRefused(conflictedScores, workflows.RefusalForbidden, "", "you declared a conflict of interest")
	f.wantRefused(missing, workflows.RefusalInvalid, "scores", "no score for Partnership working")
	f.wantRefused(outOfRange, workflows.RefusalInvalid, "scores[0].score", "must be between 0 and 5")
	f.wantRefused(noDeclaration, workflows.RefusalInvalid, "no_conflict", "declare that you have no conflict of interest")
	f.wantDone(officerAssesses, workflows.StageDecision)
	f.wantRefused(assessorDecides, workflows.RefusalForbidden, "", "an assessor cannot take this step")
	f.wantRefused(ownAssessment, workflows.RefusalForbidden, "", "you assessed this application, so someone else must decide it")
	f.wantRefused(notFundable, workflows.RefusalInvalid, "outcome", "Deliverability and governance scored 1, below the minimum of 2")
	f.wantRefused(aboveRequest, workflows.RefusalInvalid, "amount_pence", "£3,500.00 is more than the £3,000.00 requested")
	f.wantRefused(pastDeadline, workflows.RefusalInvalid, "deadline", "must be at least an hour from now")
	f.wantRefused(withinTheHour, workflows.RefusalInvalid, "deadline", "must be at least an hour from now")
	f.wantRefused(acceptAtDecision, workflows.RefusalStage, "", "cannot accept the offer while the application is decision")
	f.wantDone(declined, workflows.StageDeclined)

	if res.Stage != workflows.StageDeclined {
		t.Errorf("result %+v; want declined", res)
	}
	f.wantTimeline("Eligibility screening started", "Eligible: ready for assessment",
		"Declared a conflict of interest: barred from scoring and deciding", "Assessment submitted", "Case officer: Olu Officer, the first officer to act on it", "Declined", "Decline letter issued")
	assessments, err := f.s.Assessments(f.ctx, f.in.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if len(assessments) != 1 || assessments[0].AssessorID != f.officer.UserID || assessments[0].Fundable {
		t.Errorf("assessments %+v; want only the officer's, not fundable", assessments)
	}
	conflicts, err := f.s.Conflicts(f.ctx, f.in.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	if len(conflicts) != 1 || conflicts[0].UserID != f.conflicted.UserID || !conflicts[0].HasConflict || conflicts[0].Details != "My partner chairs the group." {
		t.Errorf("conflicts %+v; want the one declaration", conflicts)
	}
}

func TestGrassrootsRefusesOfferPaymentAndReportStepsByTheWrongPeople(t *testing.T) {
	t.Parallel()
	// A larger maximum, so that £8,000 is eligible but above a commissioning officer's £5,000 limit.
	// Wards listed in Leicester, and Blaby's as a whole, so the report's rows must name one there.
	f := newGrassroots(t, grassrootsCase{cast: true, amount: money.Pounds(8000), budget: money.Pounds(50000),
		rules: func(r *scheme.Rules) {
			r.MaxAmount = money.Pounds(10000)
			r.Wards = []string{"Leicester: Abbey", "Leicester: Castle", "Blaby: all wards"}
		}})
	d := func(day, hour int) time.Time { return london(2026, time.June, day, hour, 0) }

	f.update(d(1, 12), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	overLimit := f.update(d(1, 14), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(8000)))
	f.at(d(1, 15), func() {
		f.wantStage(workflows.StageDecision)
		if got := f.committed(); got != 0 {
			t.Errorf("committed %s after a refused approval", got)
		}
		f.wantNoAward()
	})
	approved := f.update(d(1, 16), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(5000)))

	// Offered.
	outsiderAccepts := f.update(d(1, 18), workflows.UpdateAcceptOffer, acceptReq(f.outsider))
	officerAccepts := f.update(d(1, 18), workflows.UpdateAcceptOffer, acceptReq(f.officer))
	payBeforeAcceptance := f.update(d(1, 18), workflows.UpdateRecordPayment, payReq(f.finance, money.Pounds(5000), d(1, 0)))
	accepted := f.update(d(2, 10), workflows.UpdateAcceptOffer, acceptReq(f.applicant))

	// Accepted.
	f.signOff(d(2, 11))
	acceptAgain := f.update(d(2, 11), workflows.UpdateAcceptOffer, acceptReq(f.applicant))
	officerPays := f.update(d(2, 11), workflows.UpdateRecordPayment, payReq(f.officer, money.Pounds(5000), d(2, 0)))
	wrongAmount := f.update(d(2, 11), workflows.UpdateRecordPayment, payReq(f.finance, money.Pounds(4999), d(2, 0)))
	futurePayment := f.update(d(2, 11), workflows.UpdateRecordPayment, payReq(f.finance, money.Pounds(5000), d(10, 0)))
	noReference := payReq(f.finance, money.Pounds(5000), d(2, 0))
	noReference.Reference = " "
	unreferenced := f.update(d(2, 11), workflows.UpdateRecordPayment, noReference)
	reportBeforePayment := f.update(d(2, 11), workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(5000)))
	f.at(d(2, 12), func() {
		f.wantStage(workflows.StageAccepted)
		if payments, _ := f.s.Payments(f.ctx, f.award().ID); len(payments) != 0 {
			t.Errorf("payments %+v after refused payments", payments)
		}
	})
	paid := f.update(d(3, 10), workflows.UpdateRecordPayment, payReq(f.finance, money.Pounds(5000), d(3, 0)))

	// Paid.
	outsiderReports := f.update(d(4, 10), workflows.UpdateSubmitReport, reportReq(f.outsider, money.Pounds(5000)))
	overspent := f.update(d(4, 10), workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(5001)))
	reviewTooEarly := f.update(d(4, 10), workflows.UpdateReviewReport, reviewReq(f.officer, workflows.ReviewAccept, ""))
	reached := func(rows ...workflows.BeneficiaryCount) workflows.SubmitReportRequest {
		r := reportReq(f.applicant, money.Pounds(5000))
		r.Beneficiaries = append([]workflows.BeneficiaryCount{{Area: "Leicester", Ward: "Leicester: Abbey", AgeBand: "under_18", Count: 40}}, rows...)
		return r
	}
	unknownWard := f.update(d(4, 11), workflows.UpdateSubmitReport, reached(workflows.BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Nowhere", AgeBand: "18_24", Count: 3}))
	wardElsewhere := f.update(d(4, 11), workflows.UpdateSubmitReport, reached(workflows.BeneficiaryCount{Area: "Leicester", Ward: "Blaby: all wards", AgeBand: "18_24", Count: 3}))
	noWard := f.update(d(4, 11), workflows.UpdateSubmitReport, reached(workflows.BeneficiaryCount{Area: "Leicester", AgeBand: "18_24", Count: 3}))
	wardNameOnly := f.update(d(4, 11), workflows.UpdateSubmitReport, reached(workflows.BeneficiaryCount{Area: "Leicester", Ward: "Castle", AgeBand: "18_24", Count: 3}))
	negative := f.update(d(4, 11), workflows.UpdateSubmitReport, reached(workflows.BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Castle", AgeBand: "18_24", Count: -1}))
	twice := f.update(d(4, 11), workflows.UpdateSubmitReport, reached(workflows.BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Abbey", AgeBand: "under_18", Count: 2}))
	wardWhereNone := f.update(d(4, 11), workflows.UpdateSubmitReport, reached(workflows.BeneficiaryCount{Area: "Rutland", Ward: "Leicester: Castle", AgeBand: "25_plus", Count: 3}))
	notAnArea := f.update(d(4, 11), workflows.UpdateSubmitReport, reached(workflows.BeneficiaryCount{Area: "Atlantis", AgeBand: "25_plus", Count: 3}))
	reported := f.update(d(5, 10), workflows.UpdateSubmitReport, reached(
		workflows.BeneficiaryCount{Area: "Leicester", Ward: "Leicester: Castle", AgeBand: "18_24", Count: 12},
		workflows.BeneficiaryCount{Area: "Blaby", Ward: "Blaby: all wards", AgeBand: "25_plus", Count: 5},
		workflows.BeneficiaryCount{Area: "Rutland", AgeBand: "25_plus", Count: 2})) // no wards listed in Rutland: none named

	// Report submitted.
	assessorReviews := f.update(d(6, 10), workflows.UpdateReviewReport, reviewReq(f.assessor, workflows.ReviewAccept, ""))
	applicantReviews := f.update(d(6, 10), workflows.UpdateReviewReport, reviewReq(f.applicant, workflows.ReviewAccept, ""))
	noComment := f.update(d(6, 10), workflows.UpdateReviewReport, reviewReq(f.officer, workflows.ReviewRequestChanges, " "))
	closed := f.update(d(6, 11), workflows.UpdateReviewReport, reviewReq(f.officer, workflows.ReviewAccept, ""))

	res := f.run()

	f.wantRefused(overLimit, workflows.RefusalForbidden, "amount_pence",
		"£8,000.00 needs approval by the Head of Commissioning (band over £5,000.00 up to £100,000.00); a commissioning officer may approve up to £5,000.00")
	f.wantDone(approved, workflows.StageApproved)
	f.wantRefused(outsiderAccepts, workflows.RefusalForbidden, "", "only a member of the applicant organisation")
	f.wantRefused(officerAccepts, workflows.RefusalForbidden, "", "only a member of the applicant organisation")
	f.wantRefused(payBeforeAcceptance, workflows.RefusalStage, "", "cannot record a payment while the application is offered")
	f.wantDone(accepted, workflows.StageAccepted)
	f.wantRefused(acceptAgain, workflows.RefusalStage, "", "cannot accept the offer while the application is accepted")
	f.wantRefused(officerPays, workflows.RefusalForbidden, "", "only finance may record payments")
	f.wantRefused(wrongAmount, workflows.RefusalInvalid, "amount_pence", "must be the award's £5,000.00")
	f.wantRefused(futurePayment, workflows.RefusalInvalid, "paid_on", "cannot be in the future")
	f.wantRefused(unreferenced, workflows.RefusalInvalid, "reference", "is required")
	f.wantRefused(reportBeforePayment, workflows.RefusalStage, "", "cannot submit the end-of-grant report while the application is accepted")
	f.wantDone(paid, workflows.StagePaid)
	f.wantRefused(outsiderReports, workflows.RefusalForbidden, "", "only a member of the applicant organisation")
	f.wantRefused(overspent, workflows.RefusalInvalid, "spent_pence", "£5,001.00 is more than the £5,000.00 paid")
	f.wantRefused(reviewTooEarly, workflows.RefusalStage, "", "cannot review the end-of-grant report while the application is paid")
	f.wantRefused(unknownWard, workflows.RefusalInvalid, "beneficiaries[1].ward", `"Leicester: Nowhere" is not one of the scheme's wards`)
	f.wantRefused(wardElsewhere, workflows.RefusalInvalid, "beneficiaries[1].ward", `"Blaby: all wards" is in Blaby, not Leicester`)
	f.wantRefused(noWard, workflows.RefusalInvalid, "beneficiaries[1].ward", "is required: name the ward in Leicester as the scheme lists it, one of: Leicester: Abbey; Leicester: Castle")
	f.wantRefused(wardNameOnly, workflows.RefusalInvalid, "beneficiaries[1].ward", `write the ward as the scheme lists it: "Leicester: Castle"`)
	f.wantRefused(negative, workflows.RefusalInvalid, "beneficiaries[1].count", "cannot be negative")
	f.wantRefused(twice, workflows.RefusalInvalid, "beneficiaries[1]", "repeats beneficiaries[0]: give each place and age band once")
	f.wantRefused(wardWhereNone, workflows.RefusalInvalid, "beneficiaries[1].ward", `"Leicester: Castle" is in Leicester, not Rutland; the scheme lists no wards in Rutland, so leave the ward out`)
	f.wantRefused(notAnArea, workflows.RefusalInvalid, "beneficiaries[1].area", `"Atlantis" is not one of the scheme's areas`)
	f.wantDone(reported, workflows.StageReportSubmitted)
	f.wantRefused(assessorReviews, workflows.RefusalForbidden, "", "an assessor cannot take this step")
	f.wantRefused(applicantReviews, workflows.RefusalForbidden, "", "an applicant cannot take this step")
	f.wantRefused(noComment, workflows.RefusalInvalid, "comment", "say what needs to change")
	f.wantDone(closed, workflows.StageClosed)

	if res.Stage != workflows.StageClosed || res.Paid != money.Pounds(5000) {
		t.Errorf("result %+v; want closed with £5,000.00 paid", res)
	}
	f.wantTimeline("Eligibility screening started", "Eligible: ready for assessment", "Assessment submitted",
		"Approved: £5,000.00 awarded", "Case officer: Olu Officer, the first officer to act on it", "Award letter issued", "Finance award notice sent", "Offer accepted",
		"Payment proposed: £5,000.00", "Payment approved: £5,000.00", "Payment recorded: £5,000.00", "End-of-grant report submitted", "End-of-grant report accepted: grant closed", "Award closed")
	reports, err := f.s.GrantReports(f.ctx, f.in.ApplicationID)
	if err != nil {
		t.Fatal(err)
	}
	wantReached := `[{"area": "Leicester", "ward": "Leicester: Abbey", "count": 40, "age_band": "under_18"}, ` +
		`{"area": "Leicester", "ward": "Leicester: Castle", "count": 12, "age_band": "18_24"}, ` +
		`{"area": "Blaby", "ward": "Blaby: all wards", "count": 5, "age_band": "25_plus"}, {"area": "Rutland", "count": 2, "age_band": "25_plus"}]`
	if len(reports) != 1 || string(reports[0].Beneficiaries) != wantReached {
		t.Errorf("reports %+v; want one, with who it reached:\n%s", reports, wantReached)
	}
	a := f.award()
	if a.Amount != money.Pounds(5000) || a.AcceptedBy == nil || *a.AcceptedBy != f.applicant.UserID {
		t.Errorf("award %+v; want £5,000.00 accepted by the applicant", a)
	}
	payments, err := f.s.Payments(f.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(payments) != 1 || payments[0].Amount != money.Pounds(5000) || payments[0].RecordedBy != f.finance.UserID {
		t.Errorf("payments %+v; want the one payment finance recorded", payments)
	}
	if got := f.committed(); got != money.Pounds(5000) {
		t.Errorf("committed %s; want £5,000.00", got)
	}
}

// A second decision sent while the first approval is still being issued must not be recorded too.
func TestGrassrootsRefusesASecondDecisionOnAnApprovedApplication(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})

	f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	approved := &sentUpdate{name: workflows.UpdateDecide, label: "approval"}
	declined := &sentUpdate{name: workflows.UpdateDecide, label: "decline"}
	approvedAgain := &sentUpdate{name: workflows.UpdateDecide, label: "second approval"}
	f.at(london(2026, time.June, 1, 14, 0), func() { // two officers press their buttons at the same moment
		f.send(approved, approveReq(f.officer, money.Pounds(2500)))
		f.send(declined, declineReq(f.officer2, "Not a priority this year."))
		f.send(approvedAgain, approveReq(f.officer2, money.Pounds(3000)))
	})
	f.at(london(2026, time.June, 1, 15, 0), func() {
		st := f.wantStage(workflows.StageOffered)
		if st.AwardAmount != money.Pounds(2500) || st.DecidedBy != f.officer.UserID || len(st.DeclineReasons) != 0 {
			t.Errorf("status %+v; want the first approval only", st)
		}
	})

	res := f.run()

	f.wantDone(approved, workflows.StageApproved)
	for _, u := range []*sentUpdate{declined, approvedAgain} {
		if u.err == nil {
			t.Errorf("the %s sent with the approval was recorded too; want it refused", u.label)
			continue
		}
		wantRefusal(t, u, workflows.RefusalStage, "", "")
	}
	if res.Stage != workflows.StageLapsed {
		t.Errorf("result %+v; want the offer lapsed", res)
	}
	tl := whats(f.timeline())
	if slices.Contains(tl, "Declined") || slices.Contains(tl, "Decline letter issued") {
		t.Errorf("timeline records a decline after the approval: %q", tl)
	}
	if docs := f.documents(); len(docs) != 2 {
		t.Errorf("documents %+v; want only the award letter and finance notice", docs)
	}
	if a := f.award(); a.Amount != money.Pounds(2500) {
		t.Errorf("award %s; want £2,500.00", a.Amount)
	}
}

// ---- 9. Budget exceeded ----

func TestGrassrootsApprovalBeyondTheBudgetIsRefusedAndCommitsNothing(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{budget: money.Pounds(2000)})

	f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	tooMuch := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(3000)))
	f.at(london(2026, time.June, 1, 15, 0), func() {
		st := f.wantStage(workflows.StageDecision)
		if st.AwardID != 0 || st.AwardAmount != 0 || st.DecidedBy != 0 {
			t.Errorf("status %+v; want no award recorded", st)
		}
		if got := f.committed(); got != 0 {
			t.Errorf("committed %s; want nothing", got)
		}
		f.wantNoAward()
		if docs := f.documents(); len(docs) != 0 {
			t.Errorf("documents %+v; want none", docs)
		}
		if a := f.application(); a.Status != string(workflows.StageDecision) {
			t.Errorf("application status %q; want decision", a.Status)
		}
	})
	withinBudget := f.update(london(2026, time.June, 1, 16, 0), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(2000)))
	f.at(london(2026, time.June, 1, 17, 0), func() {
		if st := f.wantStage(workflows.StageOffered); st.AwardAmount != money.Pounds(2000) {
			t.Errorf("award amount %s; want £2,000.00", st.AwardAmount)
		}
		if got := f.committed(); got != money.Pounds(2000) {
			t.Errorf("committed %s; want £2,000.00, the whole budget", got)
		}
	})

	res := f.run() // the offer is never accepted

	if !tooMuch.accepted || !tooMuch.completed || tooMuch.err == nil {
		t.Fatalf("approval beyond the budget: accepted %v, completed %v, err %v; want it to fail", tooMuch.accepted, tooMuch.completed, tooMuch.err)
	}
	wantRefusal(t, tooMuch, workflows.RefusalBudget, "amount_pence", "2026-27 needs £3,000.00 but only £2,000.00 is left")
	f.wantDone(withinBudget, workflows.StageApproved)
	if res.Stage != workflows.StageLapsed {
		t.Errorf("result %+v; want lapsed", res)
	}
	if got := f.committed(); got != 0 {
		t.Errorf("committed %s after the offer lapsed; want £0.00", got)
	}
	tl := whats(f.timeline())
	if n := strings.Count(strings.Join(tl, "\n"), "Approved:"); n != 1 {
		t.Errorf("timeline %q has %d approvals; want 1", tl, n)
	}
}

// ---- Logging ----

// grassrootsLog keeps the test output quiet and remembers warnings and errors.
type grassrootsLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *grassrootsLog) Debug(string, ...any) {}
func (l *grassrootsLog) Info(string, ...any)  {}
func (l *grassrootsLog) Warn(msg string, kv ...any) {
	l.note("WARN " + msg + " " + fmt.Sprint(kv...))
}
func (l *grassrootsLog) Error(msg string, kv ...any) {
	l.note("ERROR " + msg + " " + fmt.Sprint(kv...))
}
func (l *grassrootsLog) note(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, s)
}
func (l *grassrootsLog) problems() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.seen)
}

// Paying takes two people in finance: one proposes, a different one approves, nobody in the
// applicant organisation takes either step, and the payment records both.
func TestGrassrootsPaymentNeedsTwoPeopleInFinance(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{cast: true})
	d := func(day, hour int) time.Time { return london(2026, time.June, day, hour, 0) }
	award := money.Pounds(3000)
	propose := func(a workflows.Actor) workflows.PaymentSignOffRequest {
		return workflows.PaymentSignOffRequest{Actor: a}
	}

	f.update(d(1, 12), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	f.update(d(1, 14), workflows.UpdateDecide, approveReq(f.officer, award))
	proposeEarly := f.update(d(1, 18), workflows.UpdateProposePayment, propose(f.finance)) // offered, not accepted
	f.update(d(2, 10), workflows.UpdateAcceptOffer, acceptReq(f.applicant))

	payUnproposed := f.update(d(2, 11), workflows.UpdateRecordPayment, payReq(f.finance, award, d(2, 0)))
	approveUnproposed := f.update(d(2, 11), workflows.UpdateApprovePayment, propose(f.finance2))
	officerProposes := f.update(d(2, 11), workflows.UpdateProposePayment, propose(f.officer))
	trusteeProposes := f.update(d(2, 11), workflows.UpdateProposePayment, propose(f.financeTrustee))
	proposed := f.update(d(2, 12), workflows.UpdateProposePayment, propose(f.finance))
	proposeAgain := f.update(d(2, 13), workflows.UpdateProposePayment, propose(f.finance2))
	selfApproval := f.update(d(2, 13), workflows.UpdateApprovePayment, propose(f.finance))
	trusteeApproves := f.update(d(2, 13), workflows.UpdateApprovePayment, propose(f.financeTrustee))
	payUnapproved := f.update(d(2, 13), workflows.UpdateRecordPayment, payReq(f.finance, award, d(2, 0)))
	approved := f.update(d(2, 14), workflows.UpdateApprovePayment, propose(f.finance2))
	approveAgain := f.update(d(2, 15), workflows.UpdateApprovePayment, propose(f.finance2))
	f.at(d(2, 15), func() {
		st := f.wantStage(workflows.StageAccepted)
		if s := st.PaymentSignOff; s == nil || s.ProposedBy.UserID != f.finance.UserID || s.ApprovedBy == nil || s.ApprovedBy.UserID != f.finance2.UserID {
			t.Errorf("sign-off %+v; want proposed by Fran, approved by Fola", st.PaymentSignOff)
		}
	})
	// The defect this fixes: a payment dated tomorrow (London) was accepted, as only more than 24
	// hours ahead was refused.
	paidTomorrow := f.update(d(2, 16), workflows.UpdateRecordPayment, payReq(f.finance, award, d(3, 0)))
	paid := f.update(d(2, 17), workflows.UpdateRecordPayment, payReq(f.finance2, award, d(2, 0)))
	f.update(d(10, 10), workflows.UpdateSubmitReport, reportReq(f.applicant, award))
	f.update(d(11, 10), workflows.UpdateReviewReport, reviewReq(f.officer, workflows.ReviewAccept, ""))

	f.run()

	f.wantRefused(proposeEarly, workflows.RefusalStage, "", "cannot propose a payment while the application is offered")
	f.wantRefused(payUnproposed, workflows.RefusalStage, "", "the payment has not been proposed: one member of finance proposes it and another approves it before it is paid")
	f.wantRefused(approveUnproposed, workflows.RefusalStage, "", "no payment has been proposed: one member of finance proposes it, another approves it")
	f.wantRefused(officerProposes, workflows.RefusalForbidden, "", "only finance may propose a payment")
	f.wantRefused(trusteeProposes, workflows.RefusalForbidden, "", "you are a member of the applicant organisation, so you cannot propose a payment on its application")
	f.wantDone(proposed, workflows.StageAccepted)
	f.wantRefused(proposeAgain, workflows.RefusalStage, "", "Fran Finance has already proposed this payment")
	f.wantRefused(selfApproval, workflows.RefusalForbidden, "", "you proposed this payment, so another member of finance must approve it")
	f.wantRefused(trusteeApproves, workflows.RefusalForbidden, "", "you are a member of the applicant organisation, so you cannot approve a payment on its application")
	f.wantRefused(payUnapproved, workflows.RefusalStage, "", "the payment proposed by Fran Finance awaits approval by another member of finance")
	f.wantDone(approved, workflows.StageAccepted)
	f.wantRefused(approveAgain, workflows.RefusalStage, "", "Fola Finance has already approved this payment")
	f.wantRefused(paidTomorrow, workflows.RefusalInvalid, "paid_on", "cannot be in the future")
	f.wantDone(paid, workflows.StagePaid)

	payments, err := f.s.Payments(f.ctx, f.award().ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(payments) != 1 || payments[0].ProposedBy == nil || *payments[0].ProposedBy != f.finance.UserID ||
		payments[0].ApprovedBy == nil || *payments[0].ApprovedBy != f.finance2.UserID || payments[0].RecordedBy != f.finance2.UserID {
		t.Errorf("payments %+v; want one, proposed by Fran, approved and recorded by Fola", payments)
	}
	if e := f.event("Payment proposed: £3,000.00"); e.ActorUserID == nil || *e.ActorUserID != f.finance.UserID {
		t.Errorf("proposal event %+v; want Fran's", e)
	}
	if e := f.event("Payment approved: £3,000.00"); e.ActorUserID == nil || *e.ActorUserID != f.finance2.UserID || e.Why != "Proposed by Fran Finance" {
		t.Errorf("approval event %+v; want Fola's, naming Fran as proposer", e)
	}
	if e := f.event("Payment recorded: £3,000.00"); e.Why != "Reference BACS-000123; proposed by Fran Finance, approved by Fola Finance" {
		t.Errorf("payment event's reason %q; want the reference and both people", e.Why)
	}
}

// A run that began before two-person payments keeps recording its payment in one step.
func TestGrassrootsRunFromBeforeTwoPersonPaymentsPaysInOneStep(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	f.env.OnGetVersion(workflows.ChangeTwoPersonPayments, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	d := func(day, hour int) time.Time { return london(2026, time.June, day, hour, 0) }
	award := money.Pounds(3000)

	f.update(d(1, 12), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	f.update(d(1, 14), workflows.UpdateDecide, approveReq(f.officer, award))
	f.update(d(2, 10), workflows.UpdateAcceptOffer, acceptReq(f.applicant))
	proposed := f.update(d(2, 11), workflows.UpdateProposePayment, workflows.PaymentSignOffRequest{Actor: f.finance})
	paid := f.update(d(2, 12), workflows.UpdateRecordPayment, payReq(f.finance, award, d(2, 0)))
	f.update(d(10, 10), workflows.UpdateSubmitReport, reportReq(f.applicant, award))
	f.update(d(11, 10), workflows.UpdateReviewReport, reviewReq(f.officer, workflows.ReviewAccept, ""))

	f.run()

	f.wantRefused(proposed, workflows.RefusalStage, "", "this award began before two-person payments: finance records its payment in one step")
	f.wantDone(paid, workflows.StagePaid)
}
