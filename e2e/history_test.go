package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"grantflow/workflows"
)

// recordHistory saves a finished workflow's history for the replay tests in workflows/testdata when
// GRANTFLOW_RECORD_HISTORIES is set (`make histories`). Recorded once per command-sequence change.
func recordHistory(t *testing.T, s *system, applicationID int64, name string) {
	t.Helper()
	recordRunHistory(t, s, applicationID, "", name)
}

// recordRunHistory saves one run's history ("" for the latest run).
func recordRunHistory(t *testing.T, s *system, applicationID int64, runID, name string) {
	t.Helper()
	if os.Getenv("GRANTFLOW_RECORD_HISTORIES") == "" {
		return
	}
	ctx := context.Background()
	iter := s.Client.GetWorkflowHistory(ctx, workflows.ApplicationWorkflowID(applicationID), runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	raw, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("..", "workflows", "testdata", name), raw, 0o644); err != nil {
		t.Fatal(err)
	}
}
