package devtemporal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

const (
	taskQueue  = "devtemporal-test"
	stageAttr  = "GrantflowStage"
	signalName = "proceed"
)

var stageKey = temporal.NewSearchAttributeKeyKeyword(stageAttr)

// waitForSignal marks itself as waiting in a custom search attribute, then returns what the
// signal carries.
func waitForSignal(ctx workflow.Context) (string, error) {
	if err := workflow.UpsertTypedSearchAttributes(ctx, stageKey.ValueSet("waiting")); err != nil {
		return "", err
	}
	var note string
	workflow.GetSignalChannel(ctx, signalName).Receive(ctx, &note)
	return "done: " + note, nil
}

func TestStateSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts := Options{
		DatabaseFile:     filepath.Join(t.TempDir(), "data", "temporal.db"),
		Address:          fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		Namespace:        "grantflow-test",
		SearchAttributes: map[string]enumspb.IndexedValueType{stageAttr: enumspb.INDEXED_VALUE_TYPE_KEYWORD},
		Logger:           testLogger(),
	}

	srv := start(ctx, t, opts)
	c, w := connect(t, srv)
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "grant-1", TaskQueue: taskQueue}, waitForSignal)
	if err != nil {
		t.Fatalf("start workflow: %v", err)
	}
	waitListed(ctx, t, c, srv.Namespace(), `GrantflowStage = "waiting"`)
	w.Stop()
	c.Close()
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// Restart on the same file, asking for one more search attribute than before.
	opts.SearchAttributes["GrantflowRound"] = enumspb.INDEXED_VALUE_TYPE_INT
	srv = start(ctx, t, opts)
	defer func() { _ = srv.Stop() }()
	c, w = connect(t, srv)
	defer c.Close()
	defer w.Stop()
	waitListed(ctx, t, c, srv.Namespace(), `GrantflowStage = "waiting"`)
	attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: srv.Namespace()})
	if err != nil {
		t.Fatalf("list search attributes: %v", err)
	}
	for name, typ := range opts.SearchAttributes {
		if got := attrs.GetCustomAttributes()[name]; got != typ {
			t.Errorf("search attribute %s is %v, want %v", name, got, typ)
		}
	}
	ns, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: srv.Namespace()})
	if err != nil {
		t.Fatalf("describe namespace: %v", err)
	}
	if got := ns.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration(); got != 7*24*time.Hour {
		t.Errorf("retention = %v, want 7 days", got)
	}
	if err := c.SignalWorkflow(ctx, "grant-1", run.GetRunID(), signalName, "after restart"); err != nil {
		t.Fatalf("signal: %v", err)
	}
	var got string
	if err := c.GetWorkflow(ctx, "grant-1", run.GetRunID()).Get(ctx, &got); err != nil {
		t.Fatalf("workflow result: %v", err)
	}
	if got != "done: after restart" {
		t.Fatalf("result = %q, want %q", got, "done: after restart")
	}
}

func TestStartRefusesBusyAddress(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()

	_, err = Start(context.Background(), Options{DatabaseFile: filepath.Join(t.TempDir(), "t.db"), Address: addr})
	want := addr + " is in use: is another Temporal server running? set TEMPORAL_ADDRESS to use it"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("err does not wrap EADDRINUSE: %#v", err)
	}
}

func start(ctx context.Context, t *testing.T, opts Options) *Server {
	t.Helper()
	srv, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	if srv.Address() != opts.Address || srv.Namespace() != opts.Namespace {
		t.Fatalf("server at %s/%s, want %s/%s", srv.Address(), srv.Namespace(), opts.Address, opts.Namespace)
	}
	return srv
}

func connect(t *testing.T, srv *Server) (client.Client, worker.Worker) {
	t.Helper()
	c, err := client.Dial(client.Options{
		HostPort:  srv.Address(),
		Namespace: srv.Namespace(),
		Logger:    sdklog.NewStructuredLogger(testLogger()),
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	w := worker.New(c, taskQueue, worker.Options{})
	w.RegisterWorkflow(waitForSignal)
	if err := w.Start(); err != nil {
		t.Fatalf("worker: %v", err)
	}
	return c, w
}

// waitListed polls visibility until query finds exactly one workflow.
func waitListed(ctx context.Context, t *testing.T, c client.Client, namespace, query string) {
	t.Helper()
	for {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: namespace, Query: query})
		if err == nil && len(resp.GetExecutions()) == 1 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("no workflow matches %s (last error: %v)", query, err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testLogger writes to stderr rather than t.Log: the server may still log from its own goroutines
// after a test has finished, and t.Log would then panic.
func testLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
