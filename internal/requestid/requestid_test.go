package requestid_test

import (
	"context"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"grantflow/internal/requestid"
)

func TestValidAndNew(t *testing.T) {
	for s, want := range map[string]bool{
		"abc-DEF_123": true, strings.Repeat("a", 64): true,
		"": false, strings.Repeat("a", 65): false, "a b": false, "a;b": false, "é": false, "a\nb": false,
	} {
		if got := requestid.Valid(s); got != want {
			t.Errorf("Valid(%q) = %v", s, got)
		}
	}
	a, b := requestid.New(), requestid.New()
	if len(a) != 32 || !requestid.Valid(a) || a == b {
		t.Errorf("New: %q, %q", a, b)
	}
	if got := requestid.From(requestid.With(context.Background(), a)); got != a {
		t.Errorf("From(With(%q)) = %q", a, got)
	}
}

// header is a workflow.HeaderWriter and HeaderReader over a map.
type header map[string]*commonpb.Payload

func (h header) Set(k string, p *commonpb.Payload) { h[k] = p }
func (h header) Get(k string) (*commonpb.Payload, bool) {
	p, ok := h[k]
	return p, ok
}
func (h header) ForEachKey(f func(string, *commonpb.Payload) error) error {
	for k, p := range h {
		if err := f(k, p); err != nil {
			return err
		}
	}
	return nil
}

// The id rides a client call's header into the workflow's context and on into its activities'.
func TestPropagator(t *testing.T) {
	p := requestid.Propagator{}
	h := header{}
	if err := p.Inject(context.Background(), h); err != nil || len(h) != 0 {
		t.Fatalf("no id: header %v, %v", h, err)
	}
	if err := p.Inject(requestid.With(context.Background(), "req-1"), h); err != nil {
		t.Fatal(err)
	}
	ctx, err := p.Extract(context.Background(), h)
	if err != nil || requestid.From(ctx) != "req-1" {
		t.Fatalf("extracted %q, %v", requestid.From(ctx), err)
	}
	// A header not made by us (not sane) is ignored rather than repeated into the logs.
	bad := header{}
	if err := p.Inject(requestid.With(context.Background(), "a\nforged=line"), bad); err != nil {
		t.Fatal(err)
	}
	if ctx, err := p.Extract(context.Background(), bad); err != nil || requestid.From(ctx) != "" {
		t.Errorf("unsafe id extracted as %q, %v", requestid.From(ctx), err)
	}

	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetContextPropagators([]workflow.ContextPropagator{p})
	env.SetHeader(&commonpb.Header{Fields: h})
	activityID := func(ctx context.Context) (string, error) {
		requestid.ActivityLogger(ctx).Info("in the activity")
		return requestid.From(ctx), nil
	}
	env.RegisterActivityWithOptions(activityID, activity.RegisterOptions{Name: "activityID"})
	env.ExecuteWorkflow(func(ctx workflow.Context) ([2]string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
		var fromActivity string
		err := workflow.ExecuteActivity(ctx, "activityID").Get(ctx, &fromActivity)
		return [2]string{requestid.FromWorkflow(ctx), fromActivity}, err
	})
	var got [2]string
	if err := env.GetWorkflowResult(&got); err != nil {
		t.Fatal(err)
	}
	if got != [2]string{"req-1", "req-1"} {
		t.Errorf("workflow and activity saw %q", got)
	}
}
