package devtemporal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
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
	dbschemas "go.temporal.io/server/schema"
	"go.temporal.io/server/schema/postgresql/v12"
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
	stateSurvivesRestart(t, Options{DatabaseFile: filepath.Join(t.TempDir(), "data", "temporal.db")})
}

// On PostgreSQL the second start finds both databases and their schemas in place: it updates
// them (nothing to do at the same version) rather than setting them up again.
func TestStateSurvivesRestartOnPostgres(t *testing.T) {
	pgURL := throwawayPostgres(t)
	stateSurvivesRestart(t, Options{PostgresURL: pgURL})
	for _, db := range []struct{ suffix, schema, version string }{
		{"", postgresSchema, v12.Version},
		{VisibilitySuffix, postgresVisibilitySchema, v12.VisibilityVersion},
	} {
		version, updates := schemaHistory(t, pgURL, db.suffix)
		if version != db.version {
			t.Errorf("database%s: schema version %s, want %s", db.suffix, version, db.version)
		}
		// One row for the initial 0.0, one per versioned step, and none from the restart.
		steps, err := fs.ReadDir(dbschemas.Assets(), db.schema+"/versioned")
		if err != nil {
			t.Fatal(err)
		}
		if updates != 1+len(steps) {
			t.Errorf("database%s: %d schema updates recorded, want %d: the restart set the schema up again", db.suffix, updates, 1+len(steps))
		}
	}
}

func TestStartRefusesBadPostgresURL(t *testing.T) {
	for url, want := range map[string]string{
		"mysql://root@127.0.0.1/temporal": `devtemporal: PostgreSQL URL must look like postgres://user@host:5432/temporal?sslmode=disable, not "mysql://root@127.0.0.1/temporal"`,
		"postgres://u:secret@/temporal":   `devtemporal: PostgreSQL URL must look like postgres://user@host:5432/temporal?sslmode=disable, not "postgres://u:xxxxx@/temporal"`,
		"postgres://u@127.0.0.1/Temporal": `devtemporal: PostgreSQL database "Temporal": want lower-case letters, digits and _ (at most 52)`,
		"postgres://u@127.0.0.1/a;drop":   `devtemporal: PostgreSQL database "a;drop": want lower-case letters, digits and _ (at most 52)`,
	} {
		_, err := Start(context.Background(), Options{PostgresURL: url, Address: fmt.Sprintf("127.0.0.1:%d", freePort(t))})
		if err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %q", url, err, want)
		}
	}
}

// throwawayPostgres is a PostgreSQL URL for databases of the test's own, dropped when it ends.
func throwawayPostgres(t *testing.T) string {
	t.Helper()
	server := os.Getenv("TEST_DATABASE_URL")
	if server == "" {
		server = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	pgURL, drop, err := ThrowawayPostgres(server)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Error(err)
		}
	})
	return pgURL
}

// schemaHistory reads the schema version the server's tool recorded in the database (the URL's,
// with suffix) and how many updates its history holds.
func schemaHistory(t *testing.T, pgURL, suffix string) (string, int) {
	t.Helper()
	u, _ := url.Parse(pgURL)
	u.Path += suffix
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var version string
	var updates int
	if err := db.QueryRow(`SELECT curr_version, (SELECT count(*) FROM schema_update_history) FROM schema_version WHERE version_partition = 0`).Scan(&version, &updates); err != nil {
		t.Fatalf("read schema version of %s: %v", u.Path, err)
	}
	return version, updates
}

func stateSurvivesRestart(t *testing.T, opts Options) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	opts.Address = fmt.Sprintf("127.0.0.1:%d", freePort(t))
	opts.Namespace = "grantflow-test"
	opts.SearchAttributes = map[string]enumspb.IndexedValueType{stageAttr: enumspb.INDEXED_VALUE_TYPE_KEYWORD}
	opts.Logger = testLogger()

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
