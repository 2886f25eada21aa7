package workflows_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"grantflow/activities"
	"grantflow/letters"
	"grantflow/workflows"
)

// A step of the agenda that fails for good (here, recording a held tranche) does not end a
// multi-year award: the officer is told, and the step is done when the agenda is tried again a day
// later.
func TestServiceAgendaFailureIsHeldAndRetried(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	var mu sync.Mutex
	failures := 0
	f.envHook = func(env *testsuite.TestWorkflowEnvironment) {
		real := &activities.Awards{Store: f.s}
		env.OnActivity(real.HoldTranche, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.HoldTrancheInput) error {
			mu.Lock()
			defer mu.Unlock()
			if failures == 0 {
				failures++
				return temporal.NewNonRetryableApplicationError("the tranche record was refused", "Refused", nil)
			}
			return real.HoldTranche(ctx, in)
		})
	}
	q := func(fy, n int) workflows.Quarter { return workflows.Quarter{FY: fy, Q: n} }
	f.toActive(f.commissioner)
	f.onTime(q(2026, 1), 2026, workflows.RAGGreen)
	f.releasedOnTime(q(2026, 2), 2)
	f.pay(london(2026, time.July, 3, 10, 0), 2)
	// The Q2 return is not in, so tranche 3 is due to be held on 1 October: the first try fails.
	f.at(london(2026, time.October, 1, 12, 0), func() {
		f.wantStage(workflows.StageActive)
		if x := f.tranche(3); x.Status == workflows.TrancheHeld {
			t.Errorf("tranche 3 recorded as held although recording it failed: %+v", x)
		}
		esc := f.notifications("escalation")
		if len(esc) == 0 || !strings.Contains(esc[len(esc)-1].Message, "a scheduled step could not be done and will be tried again") ||
			!strings.Contains(esc[len(esc)-1].Message, "the tranche record was refused") || esc[len(esc)-1].Audience != "officer" {
			t.Errorf("escalations %+v; want the officer told of the failed step", esc)
		}
	})
	f.at(london(2026, time.October, 2, 1, 0), func() {
		f.wantStage(workflows.StageActive)
		if x := f.tranche(3); x.Status != workflows.TrancheHeld {
			t.Errorf("tranche 3 a day after the failure: %+v; want held", x)
		}
		if st := f.status(); st.AgendaFailures != 1 {
			t.Errorf("agenda failures %d; want 1", st.AgendaFailures)
		}
	})
	f.drive(london(2026, time.October, 3, 0, 0))
}

// An approval whose documents cannot be issued goes back to decision, and the application list says
// so too, never "approved" for an award that does not stand; approving again then completes it.
func TestServiceFailedApprovalGoesBackToDecisionEverywhere(t *testing.T) {
	t.Parallel()
	f := newSvc(t, svcCase{})
	var mu sync.Mutex
	failures := 0
	f.envHook = func(env *testsuite.TestWorkflowEnvironment) {
		real := &activities.Documents{Store: f.s, Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (demo)",
			Address: []string{"Police Headquarters", "Enderby", "LE19 2BX"}, Email: "grants@opcc.example"}}
		env.OnActivity(real.IssueFinanceAwardNotice, mock.Anything, mock.Anything).Return(func(ctx context.Context, in activities.IssueDocumentInput) (activities.DocumentResult, error) {
			mu.Lock()
			defer mu.Unlock()
			if failures == 0 {
				failures++
				return activities.DocumentResult{}, temporal.NewNonRetryableApplicationError("the finance notice was refused", "Refused", nil)
			}
			return real.IssueFinanceAwardNotice(ctx, in)
		})
	}
	deadline := endOfLondonDay(2026, time.February, 20)
	f.ok(london(2026, time.February, 3, 10, 0), workflows.UpdateAssignPanel, svcPanel(f.officer, deadline, f.assessor, f.assessor3), workflows.StageAssessment)
	f.ok(london(2026, time.February, 9, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor, 4), workflows.StageAssessment)
	f.ok(london(2026, time.February, 10, 10, 0), workflows.UpdateAssess, svcAssess(f.assessor3, 5), workflows.StageModeration)
	f.ok(london(2026, time.February, 11, 10, 0), workflows.UpdateModerate, f.svcModerate(f.officer), workflows.StageDecision)
	failed := f.update(london(2026, time.February, 12, 10, 0), workflows.UpdateDecide, svcApprove(f.commissioner))
	f.at(london(2026, time.February, 12, 11, 0), func() {
		if failed.err == nil || !strings.Contains(failed.err.Error(), "the finance notice was refused") {
			t.Errorf("the failed approval answered %v; want the notice's failure", failed.err)
		}
		f.wantStage(workflows.StageDecision) // the workflow and the application list alike
		if e := f.event("Approval could not be completed: back to decision"); e.Status != string(workflows.StageDecision) {
			t.Errorf("the timeline's line for the failed approval: %+v", e)
		}
	})
	f.ok(london(2026, time.February, 12, 12, 0), workflows.UpdateDecide, svcApprove(f.commissioner), workflows.StageOffered)
	if final := f.drive(time.Time{}); final.Stage != workflows.StageLapsed { // nobody accepts: the offer lapses and the run ends
		t.Errorf("ended at %s; want the offer lapsed", final.Stage)
	}
}
