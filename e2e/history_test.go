package e2e

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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

// TestHistoriesTargetRunsEveryRecordingTest checks that `make histories` runs every test that
// records a history: a recording test its -run pattern misses would leave its history as it was
// recorded from older workflow code.
func TestHistoriesTargetRunsEveryRecordingTest(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join("..", "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^histories:\n(?:\t.*\n)*?\t.*GRANTFLOW_RECORD_HISTORIES=1 .* -run '([^']+)' \./e2e/`).FindSubmatch(makefile)
	if m == nil {
		t.Fatal("the Makefile's histories target has no -run pattern for ./e2e/")
	}
	pattern := regexp.MustCompile(string(m[1]))
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	recording := 0
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !strings.HasPrefix(fn.Name.Name, "Test") || !callsRecorder(fn) {
				continue
			}
			recording++
			if !pattern.MatchString(fn.Name.Name) {
				t.Errorf("%s records a history, but `make histories` (-run '%s') does not run it", fn.Name.Name, m[1])
			}
		}
	}
	if recording == 0 {
		t.Fatal("found no test that records a history")
	}
}

// callsRecorder says whether a function calls recordHistory or recordRunHistory.
func callsRecorder(fn *ast.FuncDecl) bool {
	found := false
	ast.Inspect(fn, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if id, ok := call.Fun.(*ast.Ident); ok && (id.Name == "recordHistory" || id.Name == "recordRunHistory") {
				found = true
			}
		}
		return !found
	})
	return found
}
