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
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
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
	"grantflow/workflows"
)

// The service tests run ServiceWorkflow in the time-skipping test environment with the real
// activities on a real PostgreSQL database seeded by internal/demo, and follow an award across
// financial years. The test environment runs one execution and reports a continue-as-new as a
// *workflow.ContinueAsNewError, so svcFixture.drive decodes the next run's state from it and starts
// a fresh environment at the year boundary with that state, re-registering the people's steps that
// are still to come.
//
// Two things differ from a real server, both on purpose:
//   - every run of one test environment has the run id "default-test-run-id", and the audit trail
//     keys its lines by workflow id, run id and activity id, so a second run with the same workflow
//     id would have its lines taken for retries of the first run's and silently dropped. Each run
//     after the first therefore gets the workflow id "application-N.runK".
//   - the test environment keeps no history, so svcRunStats counts what it can observe (activities,
//     timers, updates, search attribute upserts) and estimates the run's history length from that.

// svcStart is when every service application is submitted: 10am on 2 February 2026 in London, in
// financial year 2025-26, before the first funded year (2026-27) begins.
var svcStart = london(2026, time.February, 2, 10, 0)

// svcMaxRuns stops drive following a workflow that never ends (one that waits on a step nobody takes
// continues as new every year).
const svcMaxRuns = 12

// svcEventLimit is the history length each run must stay well under (serviceRunEventsEstimate in
// service.go); the tests hold every run to half of it.
const svcEventLimit = 2000

// svcYears writes consecutive financial years' amounts in pounds.
func svcYears(first int, pounds ...int64) []grant.YearAmount {
	out := make([]grant.YearAmount, len(pounds))
	for i, p := range pounds {
		out[i] = grant.YearAmount{FinancialYear: first + i, Amount: money.Pounds(p)}
	}
	return out
}

// svcCase is what a test changes about the standard application (£120,000 a year for 2026-27 to 2028-29).
type svcCase struct {
	years   []grant.YearAmount
	budgets map[int]money.Pence // per financial year; £2,500,000 for every year 2026-27 to 2031-32 otherwise
}

type svcFixture struct {
	t     *testing.T
	ctx   context.Context
	s     *store.Store
	sc    store.Scheme
	in    workflows.ServiceInput
	years []grant.YearAmount
	orgID int64
	// envHook, when set, adjusts each run's environment (a test that makes an activity fail).
	envHook func(*testsuite.TestWorkflowEnvironment)

	applicant, outsider                             workflows.Actor
	assessor, assessor2, assessor3                  workflows.Actor
	officer, officer2, officer3, head, commissioner workflows.Actor
	finance, finance2                               workflows.Actor

	logs    *grassrootsLog
	actions []*svcAction
	checks  []svcExpectation

	mu      sync.Mutex
	env     *testsuite.TestWorkflowEnvironment // the current run's
	run     *svcRunStats
	runs    []*svcRunStats
	updates int
	sent    []*sentUpdate
	stages  []string // GrantflowStage values upserted, in order, across runs
}

// svcAction is something a person (or the test) does at a moment of workflow time.
type svcAction struct {
	when  time.Time
	label string
	fn    func()
	fired bool
}

// svcExpectation is what an update sent by ok or refused must come to.
type svcExpectation struct {
	u      *sentUpdate
	stage  workflows.Stage // ok: the stage it must leave; "" = any
	refuse bool            // refused by its validator
	fail   bool            // accepted, then refused by its handler (e.g. the budget)
	kind   string
	field  string
	reason string
}

// svcRunStats is what one run did, as far as the test environment lets a test see.
type svcRunStats struct {
	Run                        int
	Start, End                 time.Time
	ContinuedAsNew             bool
	Activities                 int
	TimersStarted, TimersFired int
	TimersCancelled            int
	Updates, Rejected          int
	Upserts                    int
}

// EstimatedEvents bounds the run's history length from above: WorkflowExecutionStarted and the
// closing event; 3 per activity (scheduled, started, completed); 1 per timer started and 1 per timer
// fired or cancelled; 2 per accepted update (accepted, completed; a validator's rejection writes no
// event); 1 per search attribute upsert; and 3 per workflow task (scheduled, started, completed),
// counting one task for the start and one for every activity result, timer firing and update, as
// if none of them were ever handled together.
func (r svcRunStats) EstimatedEvents() int {
	tasks := 1 + r.Activities + r.TimersFired + r.Updates
	return 2 + 3*r.Activities + r.TimersStarted + r.TimersFired + r.TimersCancelled + 2*r.Updates + r.Upserts + 3*tasks
}

func (r svcRunStats) String() string {
	return fmt.Sprintf("run %d (%s to %s): %d activities, %d timers (%d fired, %d cancelled), %d updates (+%d rejected), %d upserts: about %d events",
		r.Run, r.Start.In(scheme.London).Format("2 Jan 2006"), r.End.In(scheme.London).Format("2 Jan 2006"), r.Activities, r.TimersStarted,
		r.TimersFired, r.TimersCancelled, r.Updates, r.Rejected, r.Upserts, r.EstimatedEvents())
}

// newSvc seeds a fresh database with the demo schemes and people, budgets for 2026-27 onwards, two
// more assessors and a third officer, and a submitted service application.
func newSvc(t *testing.T, c svcCase) *svcFixture {
	t.Helper()
	if c.years == nil {
		c.years = svcYears(2026, 120000, 120000, 120000)
	}
	f := &svcFixture{t: t, ctx: context.Background(), s: storetest.New(t), years: c.years, logs: &grassrootsLog{}}
	s, ctx := f.s, f.ctx
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(demo.Seed(ctx, s, svcStart))
	schemes, err := s.Schemes(ctx)
	must(err)
	for _, sc := range schemes {
		if sc.Kind == scheme.Service {
			f.sc = sc
		}
	}
	if f.sc.ID == 0 {
		t.Fatal("demo.Seed made no service scheme")
	}
	rounds, err := s.Rounds(ctx, f.sc.ID)
	must(err)
	if len(rounds) == 0 || svcStart.Before(rounds[0].OpensAt) || !svcStart.Before(rounds[0].ClosesAt) {
		t.Fatalf("rounds %+v; want one open on %v", rounds, svcStart)
	}
	round := rounds[0]
	for fy := 2026; fy <= 2031; fy++ {
		amount := money.Pounds(2500000)
		if b, ok := c.budgets[fy]; ok {
			amount = b
		}
		must(s.SetBudget(ctx, f.sc.ID, fy, amount))
	}

	user := func(email string) workflows.Actor {
		t.Helper()
		u, err := s.UserByEmail(ctx, email)
		must(err)
		return actorOf(u)
	}
	staff := func(email, name string, role scheme.Role) workflows.Actor {
		t.Helper()
		u, err := s.CreateUser(ctx, store.NewUser{Email: email, Name: name, Role: role, Password: demo.Password})
		must(err)
		return actorOf(u)
	}
	f.applicant = user("applicant@riverside-youth.example.org")
	f.assessor = user("assessor@opcc.example.org")
	f.officer = user("officer@opcc.example.org")
	f.officer2 = user("officer2@opcc.example.org")
	f.head = user("head@opcc.example.org")
	f.commissioner = user("commissioner@opcc.example.org")
	f.finance = user("finance@opcc.example.org")
	f.finance2 = user("finance2@opcc.example.org")
	f.assessor2 = staff("assessor2@opcc.example.org", "Ash Assessor", scheme.RoleAssessor)
	f.assessor3 = staff("assessor3@opcc.example.org", "Bea Assessor", scheme.RoleAssessor)
	f.officer3 = staff("officer3@opcc.example.org", "Oscar Officer", scheme.RoleOfficer)
	_, other, err := s.CreateOrganisationWithUser(ctx,
		store.Organisation{Name: "Braunstone Boxing Club", Type: scheme.OrgCommunityGroup, Address: "2 Ring Road, Leicester", Postcode: "LE3 1AA"},
		store.NewUser{Email: "kim@braunstone-boxing.example.org", Name: "Kim Other", Role: scheme.RoleApplicant, Password: demo.Password})
	must(err)
	f.outsider = actorOf(other)
	if len(f.applicant.Organisations) != 1 {
		t.Fatalf("demo applicant %+v belongs to %d organisations; want 1", f.applicant, len(f.applicant.Organisations))
	}
	f.orgID = f.applicant.Organisations[0]
	org, err := s.Organisation(ctx, f.orgID)
	must(err)

	details := grant.ServiceDetails{
		Service:     "Reachable Moments",
		Description: "Youth workers in the Royal Infirmary's emergency department meet young people treated for violent injuries.",
		Wards:       []string{"Braunstone Park and Rowley Fields", "Loughborough Lemyngton"},
		Years:       c.years,
		Outcomes: []grant.Outcome{
			{Outcome: "Young people treated for violent injuries engage with a youth worker", Indicators: []grant.Indicator{
				{Key: "referrals", Name: "Young people referred", Unit: "people", QuarterlyTarget: 40},
				{Key: "engaged", Name: "Young people engaged for 12 weeks", Unit: "people", QuarterlyTarget: 25},
			}},
			{Outcome: "Fewer young people come back with another violent injury", Indicators: []grant.Indicator{
				{Key: "reinjured", Name: "Young people treated again within 6 months", Unit: "people", QuarterlyTarget: 4},
			}},
		},
		Safeguarding: grant.Safeguarding{PolicyReviewedOn: "2025-11-01", Lead: "Dee Lead", DBSChecks: true},
		Governance:   grant.Governance{Trustees: 6, LatestAccountsYear: "2024-25"},
	}
	draft := store.Draft{SchemeID: f.sc.ID, RoundID: round.ID, Title: "Reachable Moments in A&E",
		Purpose:         "Youth workers in A&E to help young victims of violence away from further harm.",
		AmountRequested: details.Total(), Areas: []string{"Leicester", "Charnwood"}, Priorities: []string{"Victim Services", "Serious violence"}}
	appID, err := s.CreateDraft(ctx, org.ID, f.applicant.UserID, draft)
	must(err)
	must(s.SaveServiceDetails(ctx, appID, details))
	must(s.MarkSubmitted(ctx, appID, workflows.ApplicationWorkflowID(appID), svcStart))

	f.in = workflows.ServiceInput{
		ApplicationID: appID, OrganisationID: org.ID, OrganisationType: org.Type, SchemeID: f.sc.ID, SchemeName: f.sc.Name, Rules: f.sc.Rules,
		RoundOpens: round.OpensAt, RoundCloses: round.ClosesAt, Submitter: f.applicant, Title: draft.Title, Purpose: draft.Purpose,
		Areas: draft.Areas, Priorities: draft.Priorities, Service: details,
	}
	return f
}

// newEnv makes the test environment for one run, starting at start, with the real activities and
// counters for what the run does.
func (f *svcFixture) newEnv(run int, start time.Time) (*testsuite.TestWorkflowEnvironment, *svcRunStats) {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(f.logs)
	env := suite.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	id := workflows.ApplicationWorkflowID(f.in.ApplicationID)
	if run > 1 {
		id = fmt.Sprintf("%s.run%d", id, run) // see the note at the top of this file
	}
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: id, TaskQueue: workflows.TaskQueue})
	env.RegisterWorkflowWithOptions(workflows.ServiceWorkflow, workflow.RegisterOptions{Name: workflows.ServiceWorkflowName})
	f.s.Outbox = notify.MustOutbox("http://localhost:8080", "finance-team@opcc.example")
	env.RegisterActivity(&activities.Records{Store: f.s})
	env.RegisterActivity(&activities.Awards{Store: f.s})
	env.RegisterActivity(&activities.Documents{Store: f.s, Letterhead: letters.Letterhead{
		Body:    "Office of the Police and Crime Commissioner for Leicestershire (demo)",
		Address: []string{"Police Headquarters", "St Johns", "Enderby", "LE19 2BX"},
		Email:   "grants@opcc.example", Phone: "0116 000 0000",
	}})
	if f.envHook != nil {
		f.envHook(env)
	}
	stats := &svcRunStats{Run: run, Start: start}
	count := func(n *int) {
		f.mu.Lock()
		defer f.mu.Unlock()
		*n++
	}
	env.SetOnActivityStartedListener(func(*activity.Info, context.Context, converter.EncodedValues) { count(&stats.Activities) })
	env.SetOnTimerScheduledListener(func(string, time.Duration) { count(&stats.TimersStarted) })
	env.SetOnTimerFiredListener(func(string) { count(&stats.TimersFired) })
	env.SetOnTimerCanceledListener(func(string) { count(&stats.TimersCancelled) })
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		sa := args.Get(0).(temporal.SearchAttributes)
		f.mu.Lock()
		defer f.mu.Unlock()
		stats.Upserts++
		if v, ok := sa.GetKeyword(workflows.SearchStage); ok {
			f.stages = append(f.stages, v)
		}
		if v, ok := sa.GetKeyword(workflows.SearchScheme); !ok || v != "CSF" {
			f.t.Errorf("GrantflowScheme upserted as %q; want CSF", v)
		}
	}).Return()
	return env, stats
}

// drive runs the application from submission, following each continue-as-new into a fresh
// environment that starts where the last run stopped, until the workflow ends or a run continues as
// new at or after until (zero: no limit). It returns the last state: the workflow's result, or the
// state the next run would start with. A run that starts with an accepted award must continue as new
// at the end of its financial year, midnight on 1 April in London; one that starts before must
// continue as new only in a later financial year (at its end, or once the award is accepted then).
func (f *svcFixture) drive(until time.Time) workflows.ServiceState {
	f.t.Helper()
	state := workflows.ServiceState{In: f.in}
	start := svcStart
	for run := 1; ; run++ {
		if run > svcMaxRuns {
			for _, r := range f.runs {
				f.t.Log(r)
			}
			f.t.Fatalf("still running after %d runs", svcMaxRuns)
		}
		env, stats := f.newEnv(run, start)
		f.mu.Lock()
		f.env, f.run = env, stats
		f.runs = append(f.runs, stats)
		f.mu.Unlock()
		for _, a := range f.actions {
			if a.fired {
				continue
			}
			if !a.when.After(start) {
				f.t.Errorf("%s at %s was never done: run %d starts at %s", a.label, a.when.In(scheme.London).Format(time.DateTime), run, start.In(scheme.London).Format(time.DateTime))
				a.fired = true
				continue
			}
			env.RegisterDelayedCallback(func() { a.fired = true; a.fn() }, a.when.Sub(start))
		}
		env.ExecuteWorkflow(workflows.ServiceWorkflowName, state)
		stats.End = env.Now()
		if !env.IsWorkflowCompleted() {
			f.t.Fatalf("run %d did not complete", run)
		}
		err := env.GetWorkflowError()
		var can *workflow.ContinueAsNewError
		if errors.As(err, &can) {
			stats.ContinuedAsNew = true
			if can.WorkflowType == nil || can.WorkflowType.Name != workflows.ServiceWorkflowName {
				f.t.Errorf("run %d continued as %+v; want %s", run, can.WorkflowType, workflows.ServiceWorkflowName)
			}
			var next workflows.ServiceState
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
				f.t.Fatalf("decode the state run %d continued with: %v", run, err)
			}
			if next.In.ApplicationID != f.in.ApplicationID || next.In.Rules.Code != "CSF" || len(next.In.Service.Outcomes) != 2 {
				f.t.Fatalf("run %d continued as new without its input: %+v", run, next.In)
			}
			startFY := scheme.FinancialYear(start)
			switch yearEnd := (workflows.Quarter{FY: startFY, Q: 4}).End(); {
			case svcDelivering(state.Stage) && !stats.End.Equal(yearEnd):
				f.t.Errorf("run %d, delivering from %s, continued as new at %s; want the end of its financial year, %s", run,
					start.In(scheme.London).Format(time.DateTime), stats.End.In(scheme.London).Format(time.DateTime), yearEnd.Format(time.DateTime))
			case !svcDelivering(state.Stage) && scheme.FinancialYear(stats.End) <= startFY:
				f.t.Errorf("run %d, from %s, continued as new at %s, in the financial year it started in", run,
					start.In(scheme.London).Format(time.DateTime), stats.End.In(scheme.London).Format(time.DateTime))
			}
			if !until.IsZero() && !stats.End.Before(until) {
				return next
			}
			state, start = next, stats.End
			continue
		}
		if err != nil {
			var stuck []string
			for _, u := range f.sent {
				if u.accepted && !u.completed {
					stuck = append(stuck, u.label)
				}
			}
			f.t.Fatalf("run %d failed: %v (updates accepted but never completed: %q)", run, err, stuck)
		}
		var final workflows.ServiceState
		if err := env.GetWorkflowResult(&final); err != nil {
			f.t.Fatal(err)
		}
		return final
	}
}

// svcDelivering is true at the stages from which a run rolls over at the year end.
func svcDelivering(s workflows.Stage) bool {
	switch s {
	case workflows.StageAccepted, workflows.StageActive, workflows.StageVariationOffered, workflows.StageFinalReport, workflows.StageFinalSubmitted:
		return true
	}
	return false
}

// settle checks, after drive, every update's outcome, that every step was done, that each run
// stayed well under the history limit, and that the stage search attribute kept up.
func (f *svcFixture) settle(final workflows.ServiceState) {
	f.t.Helper()
	for _, a := range f.actions {
		if !a.fired && final.Stage == workflows.StageClosed {
			f.t.Errorf("%s was never done", a.label)
		}
	}
	for _, c := range f.checks {
		if !c.u.fired {
			continue // after the last run drive was asked to make
		}
		switch {
		case c.refuse:
			f.wantRefused(c.u, c.kind, c.field, c.reason)
		case c.fail:
			f.wantFailed(c.u, c.kind, c.field, c.reason)
		default:
			f.wantDone(c.u, c.stage)
		}
	}
	for _, r := range f.runs {
		if r.EstimatedEvents() >= svcEventLimit/2 {
			f.t.Errorf("%s: want well under %d", r, svcEventLimit)
		}
	}
	for _, p := range f.logs.problems() {
		if strings.Contains(p, "search attributes") {
			f.t.Errorf("search attributes could not be upserted: %s", p)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.stages) == 0 || f.stages[len(f.stages)-1] != string(final.Stage) {
		f.t.Errorf("GrantflowStage went %v; want it to end at %q", f.stages, final.Stage)
	}
}

// at runs fn when the workflow clock reaches when, in whichever run is going then.
func (f *svcFixture) at(when time.Time, fn func()) {
	f.actions = append(f.actions, &svcAction{when: when, label: "check at " + when.In(scheme.London).Format(time.DateTime), fn: fn})
}

// updateWith sends the update built by req at a workflow time (req runs then, so it can read the store).
func (f *svcFixture) updateWith(when time.Time, name string, req func() any) *sentUpdate {
	u := &sentUpdate{name: name, label: name + " at " + when.In(scheme.London).Format(time.DateTime)}
	f.actions = append(f.actions, &svcAction{when: when, label: u.label, fn: func() { f.send(u, req()) }})
	return u
}

func (f *svcFixture) update(when time.Time, name string, req any) *sentUpdate {
	return f.updateWith(when, name, func() any { return req })
}

// ok sends an update that must be accepted and complete, leaving the application at stage ("" = any).
func (f *svcFixture) ok(when time.Time, name string, req any, stage workflows.Stage) *sentUpdate {
	u := f.update(when, name, req)
	f.checks = append(f.checks, svcExpectation{u: u, stage: stage})
	return u
}

// refused sends an update its validator must reject with this kind, field and reason.
func (f *svcFixture) refused(when time.Time, name string, req any, kind, field, reason string) *sentUpdate {
	u := f.update(when, name, req)
	f.checks = append(f.checks, svcExpectation{u: u, refuse: true, kind: kind, field: field, reason: reason})
	return u
}

func (f *svcFixture) send(u *sentUpdate, req any) {
	f.mu.Lock()
	f.updates++
	n, env, stats := f.updates, f.env, f.run
	f.sent = append(f.sent, u)
	f.mu.Unlock()
	u.fired = true
	env.UpdateWorkflow(u.name, fmt.Sprintf("%s-%d", u.name, n), &testsuite.TestUpdateCallback{
		OnAccept: func() {
			u.accepted = true
			f.mu.Lock()
			stats.Updates++
			f.mu.Unlock()
		},
		OnReject: func(err error) {
			u.rejected, u.err = true, err
			f.mu.Lock()
			stats.Rejected++
			f.mu.Unlock()
		},
		OnComplete: func(v any, err error) {
			u.completed, u.err = true, err
			if r, ok := v.(workflows.UpdateResult); ok {
				u.result = r
			}
		},
	}, req)
}

func (f *svcFixture) wantDone(u *sentUpdate, stage workflows.Stage) {
	f.t.Helper()
	u.wantDone(f.t, stage)
}

func (f *svcFixture) wantRefused(u *sentUpdate, kind, field, reason string) {
	f.t.Helper()
	u.wantRefused(f.t, kind, field, reason)
}

// wantFailed checks an update that passed its validator but was refused by its handler.
func (f *svcFixture) wantFailed(u *sentUpdate, kind, field, reason string) {
	f.t.Helper()
	if !u.fired || !u.accepted || !u.completed || u.err == nil {
		f.t.Errorf("%s: fired %v, accepted %v, completed %v, err %v; want it accepted and then refused", u.label, u.fired, u.accepted, u.completed, u.err)
		return
	}
	wantRefusal(f.t, u, kind, field, reason)
}

// ---- Reading what people see ----

func (f *svcFixture) status() workflows.ServiceState {
	f.t.Helper()
	v, err := f.env.QueryWorkflow(workflows.QueryStatus)
	if err != nil {
		f.t.Errorf("query status: %v", err)
		return workflows.ServiceState{}
	}
	var st workflows.ServiceState
	if err := v.Get(&st); err != nil {
		f.t.Errorf("decode status: %v", err)
	}
	return st
}

func (f *svcFixture) wantStage(stage workflows.Stage) workflows.ServiceState {
	f.t.Helper()
	st := f.status()
	if st.Stage != stage {
		f.t.Errorf("at %s the stage is %q; want %q", f.env.Now().In(scheme.London).Format(time.DateTime), st.Stage, stage)
	}
	if a := f.application(); a.Status != string(stage) {
		f.t.Errorf("at %s the application list shows %q; want %q", f.env.Now().In(scheme.London).Format(time.DateTime), a.Status, stage)
	}
	return st
}

func (f *svcFixture) application() store.Application {
	f.t.Helper()
	a, err := f.s.Application(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *svcFixture) award() store.Award {
	f.t.Helper()
	a, err := f.s.AwardForApplication(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func (f *svcFixture) tranches() []store.Tranche {
	f.t.Helper()
	list, err := f.s.Tranches(f.ctx, f.award().ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func (f *svcFixture) tranche(no int) store.Tranche {
	f.t.Helper()
	for _, t := range f.tranches() {
		if t.No == no {
			return t
		}
	}
	f.t.Fatalf("no tranche %d", no)
	return store.Tranche{}
}

// trancheSummary lists the tranches as "no:status:amount".
func (f *svcFixture) trancheSummary() []string {
	f.t.Helper()
	var out []string
	for _, t := range f.tranches() {
		out = append(out, fmt.Sprintf("%d:%s:%s", t.No, t.Status, t.Amount))
	}
	return out
}

func (f *svcFixture) committed(fy int) money.Pence {
	f.t.Helper()
	b, err := f.s.Budget(f.ctx, f.sc.ID, fy)
	if err != nil {
		f.t.Fatal(err)
	}
	return b.CommittedPence
}

func (f *svcFixture) commitments() []grant.YearAmount {
	f.t.Helper()
	list, err := f.s.Commitments(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return list
}

func (f *svcFixture) documents() []store.Document {
	f.t.Helper()
	docs, err := f.s.Documents(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return docs
}

// document finds the document of a kind and version, or fails.
func (f *svcFixture) document(kind string, version int) store.Document {
	f.t.Helper()
	for _, d := range f.documents() {
		if d.Kind == kind && d.Version == version {
			return d
		}
	}
	f.t.Errorf("no %s version %d among %q", kind, version, docKinds(f.documents()))
	return store.Document{}
}

func docKinds(docs []store.Document) []string {
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = fmt.Sprintf("%s v%d", d.Kind, d.Version)
	}
	return out
}

func (f *svcFixture) documentText(id int64) string {
	f.t.Helper()
	if id == 0 {
		return ""
	}
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

// wantText checks that a document says each of the phrases.
func (f *svcFixture) wantText(d store.Document, phrases ...string) {
	f.t.Helper()
	text := f.documentText(d.ID)
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			f.t.Errorf("%s v%d does not say %q:\n%s", d.Kind, d.Version, p, text)
		}
	}
}

func (f *svcFixture) notifications(kind string) []store.Notification {
	f.t.Helper()
	list, err := f.s.Notifications(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	if kind == "" {
		return list
	}
	var out []store.Notification
	for _, n := range list {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

func (f *svcFixture) paymentNotices() []store.FinanceNotice { return f.financeNotices("payment") }

// financeNotices are the application's finance notices of a kind, in order of tranche.
func (f *svcFixture) financeNotices(kind string) []store.FinanceNotice {
	f.t.Helper()
	all, err := f.s.FinanceNotices(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []store.FinanceNotice
	for _, n := range all {
		if n.ApplicationID == f.in.ApplicationID && n.Kind == kind {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b store.FinanceNotice) int { return a.Seq - b.Seq })
	return out
}

func (f *svcFixture) timeline() []store.Event {
	f.t.Helper()
	events, err := f.s.Timeline(f.ctx, f.in.ApplicationID)
	if err != nil {
		f.t.Fatal(err)
	}
	return events
}

// event finds the one timeline line saying what.
func (f *svcFixture) event(what string) store.Event {
	f.t.Helper()
	var found []store.Event
	for _, e := range f.timeline() {
		if e.What == what {
			found = append(found, e)
		}
	}
	if len(found) != 1 {
		f.t.Errorf("%d timeline lines say %q; want 1 in %q", len(found), what, whats(f.timeline()))
		return store.Event{}
	}
	return found[0]
}

// ---- Requests ----

func svcPanel(by workflows.Actor, deadline time.Time, people ...workflows.Actor) workflows.AssignPanelRequest {
	r := workflows.AssignPanelRequest{Actor: by, Deadline: deadline}
	for _, p := range people {
		r.Assessors = append(r.Assessors, workflows.PanelNominee{UserID: p.UserID, Name: p.Name, Role: p.Role, Organisations: p.Organisations})
	}
	return r
}

func svcAssess(a workflows.Actor, fit int) workflows.AssessRequest {
	return workflows.AssessRequest{Actor: a, NoConflict: true, Scores: grScores(fit, 4, 4, 3, 4), Recommendation: workflows.RecommendFund,
		Comment: "Strong evidence from the hospital trust."}
}

func (f *svcFixture) svcModerate(by workflows.Actor) workflows.ModerateRequest {
	return workflows.ModerateRequest{Actor: by, Recommendation: workflows.RecommendFund, Years: f.years,
		StartDate:           (workflows.Quarter{FY: f.years[0].FinancialYear, Q: 1}).Start(), // the first year's 1 April
		Conditions:          []string{"Acknowledge the Commissioner's funding in publicity.", "Share anonymised outcomes with the Violence Reduction Network each quarter."},
		ConditionsPrecedent: []string{"A signed data-sharing agreement with the hospital trust."},
		Reasons:             "Reaches young victims of violence at the moment they are most open to help."}
}

func svcApprove(a workflows.Actor) workflows.ServiceDecideRequest {
	return workflows.ServiceDecideRequest{Actor: a, NoConflict: true, Outcome: workflows.OutcomeApprove}
}

func svcReturn(a workflows.Actor, q workflows.Quarter) workflows.SubmitReturnRequest {
	return workflows.SubmitReturnRequest{Actor: a, Quarter: q, Content: workflows.ReturnContent{
		Indicators: []workflows.IndicatorActual{{Key: "referrals", Actual: 42}, {Key: "engaged", Actual: 27}, {Key: "reinjured", Actual: 3}},
		Beneficiaries: []workflows.BeneficiaryCount{
			{Area: "Leicester", AgeBand: "under_18", Count: 15}, {Area: "Leicester", AgeBand: "18_24", Count: 18}, {Area: "Charnwood", AgeBand: "25_plus", Count: 9},
		},
		SpendToDate: money.Pounds(25000), Narrative: "Referrals held up; two new youth workers started."}}
}

func svcReview(a workflows.Actor, q workflows.Quarter, rag string) workflows.ReviewReturnRequest {
	return workflows.ReviewReturnRequest{Actor: a, Quarter: q, Outcome: workflows.ReviewAccept, RAG: rag}
}

func svcFinalReport(a workflows.Actor, spent money.Pence) workflows.SubmitReportRequest {
	return workflows.SubmitReportRequest{Actor: a, Summary: "Three years of youth work in A&E.", Outcomes: "Re-injury among those engaged fell by a third.", Spent: spent}
}

// svcDay is hour o'clock in London, days after t's day.
func svcDay(t time.Time, days, hour int) time.Time {
	l := t.In(scheme.London)
	return time.Date(l.Year(), l.Month(), l.Day()+days, hour, 0, 0, 0, scheme.London)
}

// ---- Standard steps ----

// toActive takes the application through the panel (Alex and Ash, Ash declares a conflict and is
// replaced by Bea), moderation by Olu, approval by approver, acceptance and the conditions
// precedent (confirmed by Orla) between 3 and 18 February 2026.
func (f *svcFixture) toActive(approver workflows.Actor) {
	deadline := endOfLondonDay(2026, time.February, 20)
	f.ok(london(2026, time.February, 3, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.assessor2), workflows.StageAssessment)
	f.ok(london(2026, time.February, 4, 10, 0), workflows.UpdateDeclareConflict, workflows.DeclareConflictRequest{Actor: f.assessor2, HasConflict: true,
		Details: "My partner is a trustee of Riverside Youth Project."}, workflows.StageAssessment)
	f.ok(london(2026, time.February, 5, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor3), workflows.StageAssessment)
	f.ok(london(2026, time.February, 9, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.ok(london(2026, time.February, 10, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor3, 5), workflows.StageModeration)
	f.ok(london(2026, time.February, 11, 10, 0), workflows.UpdateModerate, f.svcModerate(f.officer), workflows.StageDecision)
	f.ok(london(2026, time.February, 12, 10, 0), workflows.UpdateDecide, svcApprove(approver), workflows.StageOffered)
	f.ok(london(2026, time.February, 16, 10, 0), workflows.UpdateAcceptOffer, workflows.AcceptOfferRequest{Actor: f.applicant}, workflows.StageAccepted)
	f.ok(london(2026, time.February, 18, 10, 0), workflows.UpdateConfirmConditions, workflows.ConfirmConditionsRequest{Actor: f.officer2,
		Note: "Data-sharing agreement signed on 17 February."}, workflows.StageActive)
}

// pay has finance pay tranche no at when, for the amount the store then shows, once Fran has
// proposed it (20 minutes before) and Fola approved it (10 minutes before): two-person payments.
func (f *svcFixture) pay(when time.Time, no int) *sentUpdate {
	f.ok(when.Add(-20*time.Minute), workflows.UpdateProposePayment, workflows.PaymentSignOffRequest{Actor: f.finance, Tranche: no}, "")
	f.ok(when.Add(-10*time.Minute), workflows.UpdateApprovePayment, workflows.PaymentSignOffRequest{Actor: f.finance2, Tranche: no}, "")
	u := f.updateWith(when, workflows.UpdateRecordTranche, func() any {
		return workflows.RecordTranchePaymentRequest{Actor: f.finance, Tranche: no, Amount: f.tranche(no).Amount, PaidOn: svcDay(when, 0, 0),
			Reference: fmt.Sprintf("BACS-%04d", no)}
	})
	f.checks = append(f.checks, svcExpectation{u: u})
	return u
}

// onTime runs a quarter as it should go: its tranche is released on its due date (checked an hour
// later) and paid two days after; the provider sends the return ten days before the quarter ends
// and Orla accepts it three days later, so the next tranche can be released on time.
func (f *svcFixture) onTime(q workflows.Quarter, firstFY int, rag string) {
	no := workflows.TrancheNo(workflows.Quarter{FY: firstFY, Q: 1}, q)
	f.releasedOnTime(q, no)
	f.pay(svcDay(q.Start(), 2, 10), no)
	f.ok(svcDay(q.End(), -10, 10), workflows.UpdateSubmitReturn, svcReturn(f.applicant, q), "")
	f.ok(svcDay(q.End(), -7, 10), workflows.UpdateReviewReturn, svcReview(f.officer2, q, rag), "")
}

// releasedOnTime checks, an hour after the quarter starts, that its tranche went out at midnight with
// its payment notice.
func (f *svcFixture) releasedOnTime(q workflows.Quarter, no int) {
	f.at(q.Start().Add(time.Hour), func() {
		t := f.tranche(no)
		if t.Status != workflows.TrancheReleased || t.ReleasedAt == nil || !t.ReleasedAt.Equal(q.Start()) || t.NoticeID == nil {
			f.t.Errorf("tranche %d (%s) an hour after it was due: %+v; want released at %v with a payment notice", no, q.Label(), t, q.Start())
		}
	})
}
