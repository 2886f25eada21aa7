package workflows_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/scheme"
	"grantflow/workflows"
)

// roundEnv runs a round workflow with recording activities: when each was called (workflow time)
// and the grace period the closing activity answers.
type roundCalls struct {
	opened, closed, locked []time.Time
}

func roundEnv(t *testing.T, start time.Time, graceHours int) (*testsuite.TestWorkflowEnvironment, *roundCalls) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(start)
	env.RegisterWorkflowWithOptions(workflows.RoundWorkflow, workflowRegisterOptions(workflows.RoundWorkflowName))
	env.RegisterActivity(&activities.Rounds{})
	calls := &roundCalls{}
	env.OnActivity("RoundOpened", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RoundInput) (activities.RoundOpenedResult, error) {
			calls.opened = append(calls.opened, env.Now())
			return activities.RoundOpenedResult{Told: 2}, nil
		})
	env.OnActivity("RoundClosed", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RoundInput) (activities.RoundClosedResult, error) {
			calls.closed = append(calls.closed, env.Now())
			return activities.RoundClosedResult{Told: 2, GraceHours: graceHours}, nil
		})
	env.OnActivity("LockDrafts", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.RoundInput) (activities.LockDraftsResult, error) {
			calls.locked = append(calls.locked, env.Now())
			return activities.LockDraftsResult{Locked: 3}, nil
		})
	return env, calls
}

func inLondon(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, scheme.London)
}

func sameInstant(t *testing.T, what string, got []time.Time, want time.Time) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%s called %d times, want once", what, len(got))
	}
	if !got[0].Equal(want) {
		t.Errorf("%s at %s, want %s", what, got[0].In(scheme.London), want.In(scheme.London))
	}
}

func runRound(t *testing.T, env *testsuite.TestWorkflowEnvironment, in workflows.RoundInput) workflows.RoundStatus {
	t.Helper()
	env.ExecuteWorkflow(workflows.RoundWorkflowName, in)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var st workflows.RoundStatus
	if err := env.GetWorkflowResult(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// A round opens, tells subscribers, closes at 23:59 London on a late-October date after the
// clocks went back (GMT, so 23:59 UTC), and locks its drafts 48 hours later.
func TestRoundWorkflowOpensClosesAndLocksAcrossTheClockChange(t *testing.T) {
	opens := inLondon(2026, time.October, 1, 9, 0)     // BST: 08:00 UTC
	closes := inLondon(2026, time.October, 26, 23, 59) // GMT (clocks went back on the 25th): 23:59 UTC
	if closes.UTC().Hour() != 23 || opens.UTC().Hour() != 8 {
		t.Fatalf("test dates are not across the clock change: %s %s", opens.UTC(), closes.UTC())
	}
	env, calls := roundEnv(t, inLondon(2026, time.September, 30, 12, 0), 48)
	st := runRound(t, env, workflows.RoundInput{RoundID: 7, OpensAt: opens, ClosesAt: closes})
	sameInstant(t, "RoundOpened", calls.opened, opens)
	sameInstant(t, "RoundClosed", calls.closed, closes)
	sameInstant(t, "LockDrafts", calls.locked, closes.Add(48*time.Hour))
	if st.Phase != workflows.RoundPhaseLocked || st.Locked != 3 || st.Told != 4 || !st.LocksAt.Equal(closes.Add(48*time.Hour)) {
		t.Errorf("status %+v", st)
	}
}

// The same 23:59 in late March, after the clocks went forward (BST), is 22:59 UTC.
func TestRoundWorkflowClosesAt2359BST(t *testing.T) {
	closes := inLondon(2027, time.March, 31, 23, 59)
	if closes.UTC().Hour() != 22 {
		t.Fatalf("%s is not BST", closes)
	}
	env, calls := roundEnv(t, inLondon(2027, time.March, 1, 9, 0), 0)
	runRound(t, env, workflows.RoundInput{RoundID: 8, OpensAt: inLondon(2027, time.March, 1, 9, 0), ClosesAt: closes})
	sameInstant(t, "RoundClosed", calls.closed, closes)
	sameInstant(t, "LockDrafts", calls.locked, closes) // no grace: locked as it closes
}

// Closing early moves the closing timer to now: the round closes then, not at its old time.
func TestRoundWorkflowClosesEarly(t *testing.T) {
	start := inLondon(2026, time.June, 1, 9, 0)
	env, calls := roundEnv(t, start, 0)
	early := start.Add(10 * 24 * time.Hour)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateMoveClose, "close-early", updateCallbacks(t, false),
			workflows.MoveCloseRequest{ClosesAt: early, Early: true, Reason: "budget spent"})
	}, 10*24*time.Hour)
	st := runRound(t, env, workflows.RoundInput{RoundID: 9, OpensAt: start, ClosesAt: start.AddDate(0, 2, 0)})
	sameInstant(t, "RoundClosed", calls.closed, early)
	if !st.ClosesAt.Equal(early) {
		t.Errorf("closes %s, want %s", st.ClosesAt, early)
	}
}

// Extending moves the timer later; an extension to a time not later than the current closing
// time is refused naming closes_at, and so is any move once the round has closed.
func TestRoundWorkflowExtensionMovesTheTimer(t *testing.T) {
	start := inLondon(2026, time.June, 1, 9, 0)
	closes := start.AddDate(0, 1, 0)
	later := closes.AddDate(0, 0, 14)
	env, calls := roundEnv(t, start, 24)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(workflows.UpdateMoveClose, "too-early", updateCallbacks(t, true),
			workflows.MoveCloseRequest{ClosesAt: closes.Add(-time.Hour)})
		env.UpdateWorkflow(workflows.UpdateMoveClose, "extend", updateCallbacks(t, false),
			workflows.MoveCloseRequest{ClosesAt: later, Reason: "few applications"})
	}, 24*time.Hour)
	env.RegisterDelayedCallback(func() { // after the new closing time, in the grace period
		env.UpdateWorkflow(workflows.UpdateMoveClose, "after-close", updateCallbacks(t, true),
			workflows.MoveCloseRequest{ClosesAt: later.AddDate(0, 0, 7)})
	}, later.Sub(start)+time.Hour)
	runRound(t, env, workflows.RoundInput{RoundID: 10, OpensAt: start, ClosesAt: closes})
	sameInstant(t, "RoundClosed", calls.closed, later)
	sameInstant(t, "LockDrafts", calls.locked, later.Add(24*time.Hour))
}

func workflowRegisterOptions(name string) workflow.RegisterOptions {
	return workflow.RegisterOptions{Name: name}
}

// updateCallbacks fails the test unless the update is refused (refused) or accepted and completed.
func updateCallbacks(t *testing.T, refused bool) *testsuite.TestUpdateCallback {
	return &testsuite.TestUpdateCallback{
		OnReject: func(err error) {
			if !refused {
				t.Errorf("update refused: %v", err)
			} else if kind, r, ok := workflows.RefusalOf(err); !ok || (kind == workflows.RefusalInvalid && r.Field != "closes_at") {
				t.Errorf("refusal %q %+v does not name closes_at", kind, r)
			}
		},
		OnAccept: func() {
			if refused {
				t.Error("update accepted, want refused")
			}
		},
		OnComplete: func(any, error) {},
	}
}

// A draft submitted in the grace period after its round closed (the API accepts it only before the
// lock) passes the round check; the same time without that fact (a history from before grace
// periods) fails it, as before.
func TestRoundCheckAcceptsASubmissionBeforeTheLock(t *testing.T) {
	closes := inLondon(2026, time.October, 26, 23, 59)
	in := workflows.EligibilityInput{RoundOpens: closes.AddDate(0, -1, 0), RoundCloses: closes, SubmittedAt: closes.Add(3 * time.Hour)}
	roundCheck := func(in workflows.EligibilityInput) workflows.EligibilityCheck {
		for _, c := range workflows.CheckEligibility(scheme.Rules{}, in).Checks {
			if c.Name == workflows.CheckRoundOpen {
				return c
			}
		}
		t.Fatal("no round check")
		return workflows.EligibilityCheck{}
	}
	if c := roundCheck(in); c.Passed {
		t.Errorf("late without the lock fact passed: %+v", c)
	}
	in.BeforeDraftsLocked = true
	if c := roundCheck(in); !c.Passed || !strings.Contains(c.Reason, "before drafts are locked") {
		t.Errorf("late before the lock: %+v", c)
	}
	in.SubmittedAt = in.RoundOpens.Add(-time.Hour)
	if c := roundCheck(in); c.Passed {
		t.Errorf("before opening passed: %+v", c)
	}
}
