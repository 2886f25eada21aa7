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
