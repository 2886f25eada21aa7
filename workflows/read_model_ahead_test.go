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
