package workflows_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"grantflow/activities"
	"grantflow/workflows"
)

// The digest workflow names today by London's calendar (here already the 2nd, though still the
// 1st in UTC) and the stages at which an application waits on its case officer, and returns what
// the activity wrote.
func TestDigestWorkflowWritesTodaysDigests(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(time.Date(2026, time.June, 1, 23, 30, 0, 0, time.UTC))
	env.RegisterWorkflow(workflows.DigestWorkflow)
	env.RegisterActivity(&activities.Digests{})
	var got activities.SendDigestsInput
	env.OnActivity("SendDigests", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.SendDigestsInput) (activities.SendDigestsResult, error) {
			got = in
			return activities.SendDigestsResult{Written: 2}, nil
		}).Once()
	env.ExecuteWorkflow(workflows.DigestWorkflow)
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res activities.SendDigestsResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Written != 2 {
		t.Fatalf("result %+v %v", res, err)
	}
	if got.Day != "2026-06-02" {
		t.Errorf("day %q, want 2026-06-02 (London)", got.Day)
	}
	for _, stage := range []workflows.Stage{workflows.StageSubmitted, workflows.StageDecision, workflows.StageFinalSubmitted} {
		if !slices.Contains(got.QueueStages, string(stage)) {
			t.Errorf("queue stages %v lack %s", got.QueueStages, stage)
		}
	}
	if slices.Contains(got.QueueStages, string(workflows.StageOffered)) {
		t.Errorf("queue stages %v include one that waits on the applicant", got.QueueStages)
	}
	env.AssertExpectations(t)
}
