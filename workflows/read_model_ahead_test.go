package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"grantflow/activities"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/workflows"
)

// A worker that dies after an activity has written the read model but before its completion reaches
// the workflow leaves the read model a stage ahead until the activity is retried (its start-to-close
// timeout later). These tests lose one such completion and take, inside that window, the step the
// read model offers: the workflow must accept it, and carry it out once it has caught up.

// crashWindow is how long the lost completion keeps the workflow behind the read model.
const crashWindow = 20 * time.Second

// lostCompletion is one activity attempt whose work is done (the read model moves on) but whose
// completion is lost, as when its worker is killed; its retry, which finds the work done, completes
// crashWindow later on the workflow's clock.
type lostCompletion struct {
	mu            sync.Mutex
	lost, retried bool
}

// delay is the mock's AfterFn: only the retry of the lost attempt waits out the window.
func (c *lostCompletion) delay() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lost && !c.retried {
		c.retried = true
		return crashWindow
	}
	return 0
}

// report is what the attempt reports: the first one picked out by lose is lost.
func (c *lostCompletion) report(err error, lose bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil && lose && !c.lost {
		c.lost = true
		return errors.New("worker killed before reporting the activity's completion")
	}
	return err
}

func TestGrassrootsAcceptanceTakenWhileTheOfferIsPublishedIsAccepted(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	award := money.Pounds(2500)
	documents := &activities.Documents{Store: f.s, Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (demo)"}}
	var crash lostCompletion
	f.env.OnActivity(documents.IssueFinanceAwardNotice, mock.Anything, mock.Anything).AfterFn(crash.delay).
		Return(func(ctx context.Context, in activities.IssueDocumentInput) (activities.DocumentResult, error) {
			res, err := documents.IssueFinanceAwardNotice(ctx, in)
			return res, crash.report(err, true)
		})

	f.update(london(2026, time.June, 1, 11, 0), workflows.UpdateDeclareConflict, workflows.DeclareConflictRequest{Actor: f.assessor})
	f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	approvedAt := london(2026, time.June, 1, 14, 0)
	approved := f.update(approvedAt, workflows.UpdateDecide, approveReq(f.officer, award))
	acceptAt := approvedAt.Add(crashWindow / 2)
	f.at(acceptAt.Add(-time.Second), func() {
		if got := f.application().Status; got != string(workflows.StageOffered) {
			t.Errorf("inside the crash window the read model shows %q; want offered (the notice was written)", got)
		}
		f.wantStage(workflows.StageApproved) // the workflow has not heard
	})
	// The applicant acts on the offer the API shows, and a stranger is still refused.
	accepted := f.update(acceptAt, workflows.UpdateAcceptOffer, acceptReq(f.applicant))
	stranger := f.update(acceptAt, workflows.UpdateAcceptOffer, acceptReq(f.officer))
	f.at(approvedAt.Add(crashWindow+time.Minute), func() {
		f.wantStage(workflows.StageAccepted)
		if got := f.application().Status; got != string(workflows.StageAccepted) {
			t.Errorf("after the window the read model shows %q; want accepted", got)
		}
		if a := f.award(); a.Status != "accepted" {
			t.Errorf("award status %q after the acceptance; want accepted (the notice's retry must not undo it)", a.Status)
		}
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
		)
		f.env.CancelWorkflow() // the rest of the grant is another test's
	})

	f.env.ExecuteWorkflow(workflows.GrassrootsWorkflow, f.in)
	f.wantCancelled()
	f.wantDone(approved, workflows.StageApproved)
	f.wantDone(accepted, workflows.StageAccepted)
	f.wantRefused(stranger, workflows.RefusalForbidden, "", "only a member of the applicant organisation")
}

func TestGrassrootsAssessmentTakenWhileEligibilityIsPublishedIsAccepted(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	records := &activities.Records{Store: f.s}
	var crash lostCompletion
	f.env.OnActivity(records.RecordStep, mock.Anything, mock.Anything).AfterFn(crash.delay).
		Return(func(ctx context.Context, s activities.Step) error {
			return crash.report(records.RecordStep(ctx, s), s.Status == string(workflows.StageAssessment))
		})

	// Screening starts at grStart and the move to assessment is written at once but heard late.
	conflict := f.update(grStart.Add(crashWindow/2), workflows.UpdateDeclareConflict, workflows.DeclareConflictRequest{Actor: f.assessor})
	assessed := f.update(grStart.Add(crashWindow/2), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	f.at(grStart.Add(crashWindow/2-time.Second), func() {
		if got := f.application().Status; got != string(workflows.StageAssessment) {
			t.Errorf("inside the crash window the read model shows %q; want assessment", got)
		}
		f.wantStage(workflows.StageScreening)
	})
	f.at(grStart.Add(crashWindow+time.Minute), func() {
		f.wantStage(workflows.StageDecision)
		f.wantTimeline(
			"Eligibility screening started",
			"Eligible: ready for assessment",
			"Declared no conflict of interest",
			"Assessment submitted",
		)
		f.env.CancelWorkflow()
	})

	f.env.ExecuteWorkflow(workflows.GrassrootsWorkflow, f.in)
	f.wantCancelled()
	f.wantDone(conflict, "")
	f.wantDone(assessed, workflows.StageDecision)
}

// A worker killed in the middle of an activity never answers: Temporal retries the attempt on
// another worker once its start-to-close timeout passes, and the person's step waits that long
// (e2e TestStepWhoseWorkerDiedMidActivityCompletesWithinTheStepDeadline shows the retry). So each
// attempt is given a few seconds, not the 30 s that outlasted the API's step deadline.
func TestGrassrootsActivityAttemptsAreGivenSecondsNotHalfAMinute(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	records := &activities.Records{Store: f.s}
	documents := &activities.Documents{Store: f.s, Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (demo)"}}
	var mu sync.Mutex
	var assessTimeout, letterTimeout time.Duration
	f.env.OnActivity(records.SaveAssessment, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.SaveAssessmentInput) error {
		mu.Lock()
		assessTimeout = activity.GetInfo(ctx).StartToCloseTimeout
		mu.Unlock()
		return records.SaveAssessment(ctx, in)
	})
	f.env.OnActivity(documents.IssueAwardLetter, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.IssueDocumentInput) (activities.DocumentResult, error) {
		mu.Lock()
		letterTimeout = activity.GetInfo(ctx).StartToCloseTimeout
		mu.Unlock()
		return documents.IssueAwardLetter(ctx, in)
	})

	assessed := f.update(london(2026, time.June, 1, 12, 0), workflows.UpdateAssess, assessReq(f.assessor, grScores(4, 4, 4, 4, 4), workflows.RecommendFund))
	approved := f.update(london(2026, time.June, 1, 14, 0), workflows.UpdateDecide, approveReq(f.officer, money.Pounds(2500)))
	f.at(london(2026, time.June, 1, 15, 0), func() {
		f.wantStage(workflows.StageOffered)
		f.env.CancelWorkflow()
	})
	f.env.ExecuteWorkflow(workflows.GrassrootsWorkflow, f.in)
	f.wantCancelled()

	f.wantDone(assessed, workflows.StageDecision)
	f.wantDone(approved, workflows.StageApproved)
	mu.Lock()
	defer mu.Unlock()
	if assessTimeout == 0 || assessTimeout > 5*time.Second {
		t.Errorf("an attempt at a database activity may take %s; want 5 s at most", assessTimeout)
	}
	if letterTimeout == 0 || letterTimeout > 10*time.Second {
		t.Errorf("an attempt at a document activity may take %s; want 10 s at most", letterTimeout)
	}
}

// wantCancelled checks that the run went as far as the test wanted: it ended only when the test
// cancelled it, not on an error or the test environment's timeout.
func (f *grassrootsFixture) wantCancelled() {
	f.t.Helper()
	var cancelled *temporal.CanceledError
	if err := f.env.GetWorkflowError(); !errors.As(err, &cancelled) {
		f.t.Errorf("the workflow ended with %v; want it cancelled by the test", err)
	}
}

// A varied agreement is offered to the provider by the activity that writes the variation: the
// read model shows the new version at once, while the workflow hears of it only when the activity's
// completion arrives (crashWindow later here). The provider accepts the version they were shown,
// which the workflow must check against that version, not the one it still holds: both when the
// variation moves an active award to variation_offered and when an award awaiting acceptance of
// version 2 is varied again (the stage stays; only the version moves). A version the provider was
// not shown is still refused, and the acceptance is carried out once the workflow has caught up.
func TestServiceVariationAcceptedWhileItIsPublishedIsAccepted(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		again bool // varied once already, awaiting acceptance of version 2
	}{{name: "from active"}, {name: "varied again before acceptance", again: true}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newSvc(t, svcCase{})
			shown, before := 2, workflows.StageActive
			if c.again {
				shown, before = 3, workflows.StageVariationOffered
			}
			var crash lostCompletion
			f.envHook = func(env *testsuite.TestWorkflowEnvironment) {
				awards := &activities.Awards{Store: f.s}
				env.OnActivity(awards.Vary, mock.Anything, mock.Anything).AfterFn(crash.delay).
					Return(func(ctx context.Context, in activities.VaryInput) error {
						return crash.report(awards.Vary(ctx, in), in.Version == shown)
					})
			}
			vary := func(pounds int64) workflows.VaryRequest {
				return workflows.VaryRequest{Actor: f.commissioner, Years: svcYears(2026, 120000, pounds, 120000),
					Conditions: []string{"Acknowledge the Commissioner's funding in publicity."}, Summary: "Less in 2027-28."}
			}
			accept := func(version int) workflows.AcceptVariationRequest {
				return workflows.AcceptVariationRequest{Actor: f.applicant, Version: version}
			}
			f.toActive(f.commissioner)
			variedAt := london(2026, time.June, 10, 10, 0)
			if c.again {
				f.ok(variedAt.Add(-24*time.Hour), workflows.UpdateVary, vary(110000), workflows.StageVariationOffered)
			}
			f.ok(variedAt, workflows.UpdateVary, vary(100000), workflows.StageVariationOffered)
			acceptAt := variedAt.Add(crashWindow / 2)
			f.at(acceptAt.Add(-time.Second), func() {
				if got := f.application().Status; got != string(workflows.StageVariationOffered) {
					t.Errorf("inside the crash window the read model shows %q; want variation_offered", got)
				}
				if got := f.award().Version; got != shown {
					t.Errorf("inside the crash window the read model shows version %d; want %d (the variation was written)", got, shown)
				}
				if st := f.status(); st.Stage != before || st.Award.Version != shown-1 {
					t.Errorf("inside the crash window the workflow is at %q, version %d; want %q, version %d (it has not heard)",
						st.Stage, st.Award.Version, before, shown-1)
				}
			})
			if !c.again { // version 1 is refused as the version the provider was not shown
				f.refused(acceptAt, workflows.UpdateAcceptVariation, accept(1), workflows.RefusalStage, "version",
					"version 2 of the grant agreement is the one to accept, not version 1")
			}
			f.ok(acceptAt.Add(time.Second), workflows.UpdateAcceptVariation, accept(shown), workflows.StageActive)
			f.at(variedAt.Add(crashWindow+time.Minute), func() {
				st := f.wantStage(workflows.StageActive)
				if st.Award.Version != shown || !st.Award.VariationAcceptBy.IsZero() {
					t.Errorf("after the window the award is version %d, to be accepted by %v; want version %d accepted", st.Award.Version, st.Award.VariationAcceptBy, shown)
				}
				v, err := f.s.Variations(f.ctx, f.in.ApplicationID)
				if err != nil || len(v) == 0 || v[len(v)-1].AwardVersion != shown || v[len(v)-1].AcceptedAt == nil {
					t.Errorf("variations %+v (%v); want version %d accepted", v, err, shown)
				}
			})
			f.settle(f.drive(london(2026, time.July, 1, 0, 0)))
		})
	}
}

// The decision pack's activity writes the panel's recommendation and moves the read model to
// decision; a decider who acts on it before the workflow hears is checked against that
// recommendation (what it recommends, its amount for the delegation band, its start date), which
// the workflow must show its validator, not one it has not yet recorded.
func TestServiceDecisionTakenWhileTheRecommendationIsPublishedIsAccepted(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	var crash lostCompletion
	f.envHook = func(env *testsuite.TestWorkflowEnvironment) {
		documents := &activities.Documents{Store: f.s, Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (demo)"}}
		env.OnActivity(documents.IssueDecisionPack, mock.Anything, mock.Anything).AfterFn(crash.delay).
			Return(func(ctx context.Context, in activities.RecommendInput) (activities.DocumentResult, error) {
				res, err := documents.IssueDecisionPack(ctx, in)
				return res, crash.report(err, true)
			})
	}
	deadline := endOfLondonDay(2026, time.February, 20)
	f.ok(london(2026, time.February, 3, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.assessor3), workflows.StageAssessment)
	f.ok(london(2026, time.February, 9, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.ok(london(2026, time.February, 10, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor3, 5), workflows.StageModeration)
	moderatedAt := london(2026, time.February, 11, 10, 0)
	f.ok(moderatedAt, workflows.UpdateModerate, f.svcModerate(f.officer), workflows.StageDecision)
	decideAt := moderatedAt.Add(crashWindow / 2)
	f.at(decideAt.Add(-time.Second), func() {
		if got := f.application().Status; got != string(workflows.StageDecision) {
			t.Errorf("inside the crash window the read model shows %q; want decision", got)
		}
		if st := f.status(); st.Stage != workflows.StageModeration || st.Recommendation != nil {
			t.Errorf("inside the crash window the workflow is at %q with recommendation %+v; want moderation, none yet", st.Stage, st.Recommendation)
		}
	})
	// Above the officer's band: only the recommendation's amount tells the validator so.
	f.refused(decideAt, workflows.UpdateDecide, svcApprove(f.officer2), workflows.RefusalForbidden, "", "")
	f.ok(decideAt.Add(time.Second), workflows.UpdateDecide, svcApprove(f.commissioner), workflows.StageOffered)
	if final := f.drive(time.Time{}); final.Stage != workflows.StageLapsed { // nobody accepts: the offer lapses
		t.Errorf("ended at %q; want lapsed", final.Stage)
	} else {
		f.settle(final)
	}
}

// Recording the payment moves the read model to paid; the end-of-grant report the applicant then
// sends is checked against what was paid, which the workflow must show its validator as the read
// model does (£2,500.00), not the nothing it holds until it hears the payment was recorded.
func TestGrassrootsReportSentWhileThePaymentIsPublishedIsAccepted(t *testing.T) {
	t.Parallel()
	f := newGrassroots(t, grassrootsCase{})
	awards := &activities.Awards{Store: f.s}
	var crash lostCompletion
	f.env.OnActivity(awards.RecordPayment, mock.Anything, mock.Anything).AfterFn(crash.delay).
		Return(func(ctx context.Context, in activities.RecordPaymentInput) (int64, error) {
			id, err := awards.RecordPayment(ctx, in)
			return id, crash.report(err, true)
		})
	toPaid := f.toPaid()
	reportAt := london(2026, time.June, 5, 10, 0).Add(crashWindow / 2)
	f.at(reportAt.Add(-time.Second), func() {
		if got := f.application().Status; got != string(workflows.StagePaid) {
			t.Errorf("inside the crash window the read model shows %q; want paid", got)
		}
		f.wantStage(workflows.StageAccepted)
	})
	tooMuch := f.update(reportAt, workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(2600)))
	report := f.update(reportAt.Add(time.Second), workflows.UpdateSubmitReport, reportReq(f.applicant, money.Pounds(2400)))
	f.at(reportAt.Add(crashWindow), func() {
		f.wantStage(workflows.StageReportSubmitted)
		f.env.CancelWorkflow()
	})

	f.env.ExecuteWorkflow(workflows.GrassrootsWorkflow, f.in)
	f.wantCancelled()
	toPaid()
	f.wantRefused(tooMuch, workflows.RefusalInvalid, "spent_pence", "£2,600.00 is more than the £2,500.00 paid")
	f.wantDone(report, workflows.StageReportSubmitted)
}
