package apiv1

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/http/httperr"
)

// DefaultStepTimeout is how long a request that drives a workflow waits for Temporal when
// Server.StepTimeout is zero: long enough for a step whose activities write letters, short
// enough that a person is told to try again well before a browser or proxy gives up.
const DefaultStepTimeout = 20 * time.Second

func (s *Server) stepTimeout() time.Duration {
	if s.StepTimeout > 0 {
		return s.StepTimeout
	}
	return DefaultStepTimeout
}

// underStepDeadline runs a command that drives a workflow (start, update) with the step deadline on
// its context. When the deadline passes first the answer is httperr.StepTimedOut: a 503 try_again
// that says the step may still be taken. Whatever it was saving in the database in a transaction
// is rolled back; what was saved before is untouched.
func underStepDeadline[T any](s *Server, ctx context.Context, do func(context.Context) (T, error)) (T, error) {
	limit := s.stepTimeout()
	dctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	v, err := do(dctx)
	// The caller's own context ending (the person went away) is not our deadline.
	if err != nil && ctx.Err() == nil && ranOutOfTime(dctx, err) {
		return v, httperr.StepTimedOut(limit)
	}
	return v, err
}

// ranOutOfTime reports whether err is the step deadline passing. The frontend ends a waiting
// update a little before the deadline so that its answer arrives in time, so the SDK's timeout
// error can come back while the deadline's own timer has not yet fired.
func ranOutOfTime(dctx context.Context, err error) bool {
	if errors.Is(dctx.Err(), context.DeadlineExceeded) {
		return true
	}
	var waiting *client.WorkflowUpdateServiceTimeoutOrCanceledError
	return errors.As(err, &waiting)
}
