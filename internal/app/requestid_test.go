package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/internal/devtemporal"
	"grantflow/internal/devtemporal/devtemporaltest"
	"grantflow/internal/requestid"
)

// echoIDs answers its update with the request ids its update handler and an activity the handler
// runs saw, and returns those of its own start and an activity run from its main body.
func echoIDs(ctx workflow.Context) ([2]string, error) {
	seen := func(ctx workflow.Context) ([2]string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute}) // handlers get the root context
		var fromActivity string
		err := workflow.ExecuteActivity(ctx, activityRequestID).Get(ctx, &fromActivity)
		return [2]string{requestid.FromWorkflow(ctx), fromActivity}, err
	}
	done := false
	if err := workflow.SetUpdateHandler(ctx, "ids", func(ctx workflow.Context) ([2]string, error) {
		defer func() { done = true }()
		return seen(ctx)
	}); err != nil {
		return [2]string{}, err
	}
	if err := workflow.Await(ctx, func() bool { return done }); err != nil {
		return [2]string{}, err
	}
	return seen(ctx)
}

func activityRequestID(ctx context.Context) (string, error) { return requestid.From(ctx), nil }

// The client Dial makes carries the HTTP request id of a start and of an update into the workflow
// and the activities each runs, on a real (embedded) Temporal server.
func TestDialPropagatesRequestID(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv := devtemporaltest.Start(ctx, t, devtemporal.Options{})
	c, err := Dial(ctx, TemporalConn{Address: srv.Address(), Namespace: srv.Namespace()}, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "request-id", worker.Options{})
	w.RegisterWorkflow(echoIDs)
	w.RegisterActivity(activityRequestID)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	run, err := c.ExecuteWorkflow(requestid.With(ctx, "start-id"), client.StartWorkflowOptions{TaskQueue: "request-id"}, echoIDs)
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.UpdateWorkflow(requestid.With(ctx, "update-id"), client.UpdateWorkflowOptions{
		WorkflowID: run.GetID(), RunID: run.GetRunID(), UpdateName: "ids", WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		t.Fatal(err)
	}
	var fromUpdate, fromStart [2]string
	if err := h.Get(ctx, &fromUpdate); err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, &fromStart); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(fromStart, fromUpdate); got != "[start-id start-id] [update-id update-id]" {
		t.Errorf("workflow and activity saw (start, update): %s", got)
	}
}
