package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/internal/devtemporal"
	"grantflow/internal/devtemporal/devtemporaltest"
	"grantflow/store/storetest"
)

// slowStep stands for an activity mid-way through (a letter being written, a payment file): it
// takes `work`, and gives up only if its context is cancelled first.
type slowStep struct {
	work     time.Duration
	started  chan struct{}
	attempts atomic.Int32
	outcome  chan error
}

func (s *slowStep) Run(ctx context.Context) (string, error) {
	if s.attempts.Add(1) == 1 {
		close(s.started)
	}
	select {
	case <-time.After(s.work):
		s.outcome <- nil
		return "done", nil
	case <-ctx.Done():
		s.outcome <- ctx.Err()
		return "", ctx.Err()
	}
}

func slowWorkflow(ctx workflow.Context) (string, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 1}})
	var out string
	err := workflow.ExecuteActivity(ctx, "Run").Get(ctx, &out)
	return out, err
}

// A worker told to stop (what Serve does on SIGTERM) lets a running activity finish within
// WORKER_STOP_TIMEOUT, and its result reaches Temporal: the workflow completes on another worker
// without running the activity again. Without a stop timeout the same activity is cut short, so
// the drain is the option's doing.
func TestWorkerDrainsRunningActivityOnStop(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	quiet := slog.New(slog.DiscardHandler)
	srv := devtemporaltest.Start(ctx, t, devtemporal.Options{})
	c, err := Dial(ctx, TemporalConn{Address: srv.Address(), Namespace: srv.Namespace()}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	const work = 1500 * time.Millisecond
	// stopMidActivity starts the workflow on a worker with cfg, stops that worker once the
	// activity is under way, and says how the activity ended and how long the stop took.
	stopMidActivity := func(queue string, cfg WorkerConfig) (*slowStep, client.WorkflowRun, error, time.Duration) {
		step := &slowStep{work: work, started: make(chan struct{}), outcome: make(chan error, 4)}
		w := worker.New(c, queue, WorkerOptions(cfg, func(err error) { t.Errorf("worker fatal error: %v", err) }))
		w.RegisterWorkflow(slowWorkflow)
		w.RegisterActivity(step)
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, slowWorkflow)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case <-step.started:
		case <-ctx.Done():
			t.Fatal("the activity never started")
		}
		begun := time.Now()
		w.Stop()
		took := time.Since(begun)
		select {
		case err := <-step.outcome:
			return step, run, err, took
		case <-time.After(5 * time.Second):
			t.Fatal("the activity neither finished nor was cancelled after the worker stopped")
		}
		return nil, nil, nil, 0
	}

	// Control: no stop timeout, and the running activity is cancelled at once.
	if _, _, outcome, _ := stopMidActivity("drain-control", WorkerConfig{}); !errors.Is(outcome, context.Canceled) {
		t.Fatalf("with no stop timeout the activity ended with %v; want it cancelled (else this test proves nothing)", outcome)
	}

	step, run, outcome, took := stopMidActivity("drain", WorkerConfig{StopTimeout: 20 * time.Second})
	if outcome != nil {
		t.Fatalf("the activity was cut short on stop: %v", outcome)
	}
	if took > 15*time.Second {
		t.Errorf("stopping took %s; it should end once the activity finished (about %s)", took, work)
	}
	// A fresh worker takes the workflow task that follows; the activity's result was recorded.
	next := worker.New(c, "drain", WorkerOptions(WorkerConfig{}, nil))
	next.RegisterWorkflow(slowWorkflow)
	next.RegisterActivity(step)
	if err := next.Start(); err != nil {
		t.Fatal(err)
	}
	defer next.Stop()
	var out string
	if err := run.Get(ctx, &out); err != nil || out != "done" {
		t.Fatalf("workflow after the drain: %q, %v; want the activity's result", out, err)
	}
	if n := step.attempts.Load(); n != 1 {
		t.Errorf("the activity ran %d times; the drained run's result should have stood", n)
	}
}

// A worker deployed alone (`grantflow worker`) answers its probes on PORT and serves nothing else,
// and returns cleanly when told to stop.
func TestWorkerAloneServesOnlyHealth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	free := func() int {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
	quiet := slog.New(slog.DiscardHandler)
	srv := devtemporaltest.Start(ctx, t, devtemporal.Options{SearchAttributes: SearchAttributes})
	c, err := Dial(ctx, TemporalConn{Address: srv.Address(), Namespace: srv.Namespace()}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := storetest.New(t)

	port := free()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Serve(runCtx, Config{Port: port, Worker: WorkerConfig{StopTimeout: 5 * time.Second}}, c, st, quiet, false, true)
	}()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	status := func(path string) int {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	deadline := time.Now().Add(30 * time.Second)
	for status("/livez") != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the worker never answered /livez")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for path, want := range map[string]int{"/livez": 200, "/readyz": 200, "/": 404, "/api/v1/me": 404, "/openapi.yaml": 404} {
		if got := status(path); got != want {
			t.Errorf("worker GET %s: %d; want %d", path, got, want)
		}
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve after stop: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the worker did not stop")
	}
}
