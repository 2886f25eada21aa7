package workflows_test

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/workflows"
)

// TestReplayRecordedHistories replays every recorded history against today's workflow code: a change
// to a running workflow's command sequence that is not behind workflow.GetVersion fails here.
// Histories are recorded from real runs by `make histories`.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("found %d recorded histories in testdata; expected 15: grassroots (closed, declined, second assessment after an information request, "+
			"paid by two people in finance, approved above the officer band by the head of commissioning with its decision record published) "+
			"and service (two quarters, both runs across a year end, varied then ended early before and after varied agreements were accepted afresh, "+
			"a variation undone when its documents failed, an agenda step that failed and was held, varied then ended early with revised finance notices, an award starting mid-year, an underspend recovered after a return was waived)", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflow(workflows.GrassrootsWorkflow)
			replayer.RegisterWorkflowWithOptions(workflows.ServiceWorkflow, workflow.RegisterOptions{Name: workflows.ServiceWorkflowName})
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatalf("replaying %s: %v", f, err)
			}
		})
	}
}
