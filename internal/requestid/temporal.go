package requestid

import (
	"context"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"
)

// headerKey is the Temporal header the id travels in, on workflow starts, updates, signals and
// the activities a workflow schedules.
const headerKey = "grantflow-request-id"

// Propagator carries the request id from the context of a Temporal client call (the HTTP
// request's) into the workflow or update handler's context, and from there into the activities
// it schedules. Register it on client.Options.ContextPropagators; workers built on that client
// use it too.
type Propagator struct{}

var _ workflow.ContextPropagator = Propagator{}

func inject(id string, w workflow.HeaderWriter) error {
	if id == "" {
		return nil
	}
	p, err := converter.GetDefaultDataConverter().ToPayload(id)
	if err != nil {
		return err
	}
	w.Set(headerKey, p)
	return nil
}

// extract is the id in the header, when it is there and sane.
func extract(r workflow.HeaderReader) (string, bool) {
	p, ok := r.Get(headerKey)
	if !ok {
		return "", false
	}
	var id string
	if err := converter.GetDefaultDataConverter().FromPayload(p, &id); err != nil || !Valid(id) {
		return "", false
	}
	return id, true
}

// Inject puts ctx's id into the header of a client call.
func (Propagator) Inject(ctx context.Context, w workflow.HeaderWriter) error {
	return inject(From(ctx), w)
}

// Extract gives an activity's context the id its header carries.
func (Propagator) Extract(ctx context.Context, r workflow.HeaderReader) (context.Context, error) {
	if id, ok := extract(r); ok {
		return With(ctx, id), nil
	}
	return ctx, nil
}

// InjectFromWorkflow puts the workflow context's id into the header of an activity or child.
func (Propagator) InjectFromWorkflow(ctx workflow.Context, w workflow.HeaderWriter) error {
	return inject(FromWorkflow(ctx), w)
}

// ExtractToWorkflow gives a workflow (or update or signal handler) context the id its header carries.
func (Propagator) ExtractToWorkflow(ctx workflow.Context, r workflow.HeaderReader) (workflow.Context, error) {
	if id, ok := extract(r); ok {
		return workflow.WithValue(ctx, ctxKey{}, id), nil
	}
	return ctx, nil
}

// FromWorkflow is the id a workflow context carries, or "".
func FromWorkflow(ctx workflow.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// ActivityLogger is the activity's logger, with request_id when the activity was scheduled on
// behalf of an HTTP request.
func ActivityLogger(ctx context.Context) log.Logger {
	logger := activity.GetLogger(ctx)
	if id := From(ctx); id != "" {
		return log.With(logger, LogKey, id)
	}
	return logger
}
