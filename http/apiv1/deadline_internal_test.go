package apiv1

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/http/httperr"
)

func TestUnderStepDeadline(t *testing.T) {
	s := &Server{StepTimeout: time.Hour}
	cases := []struct {
		name    string
		err     error
		timeout bool
	}{
		// The frontend gives up on a waiting update just before the deadline, so the SDK's
		// timeout can come back while our own timer has not fired: still our deadline.
		{"update wait ended by the frontend", client.NewWorkflowUpdateServiceTimeoutOrCanceledError(errors.New("stream terminated by RST_STREAM with error code: CANCEL")), true},
		{"any other failure", errors.New("workflow not found"), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := underStepDeadline(s, context.Background(), func(context.Context) (int, error) { return 0, c.err })
			he := httperr.From(err)
			if got := he.Status == http.StatusServiceUnavailable && he.Undecided; got != c.timeout {
				t.Errorf("answered %d %q (undecided %v), want a try-again answer: %v", he.Status, he.Code, he.Undecided, c.timeout)
			}
		})
	}

	t.Run("the deadline passing", func(t *testing.T) {
		short := &Server{StepTimeout: time.Millisecond}
		_, err := underStepDeadline(short, context.Background(), func(ctx context.Context) (int, error) {
			<-ctx.Done()
			return 0, ctx.Err()
		})
		if he := httperr.From(err); he.Code != "try_again" {
			t.Errorf("answered %d %q, want try_again", he.Status, he.Code)
		}
	})

	t.Run("the person going away", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := underStepDeadline(s, ctx, func(context.Context) (int, error) {
			return 0, client.NewWorkflowUpdateServiceTimeoutOrCanceledError(context.Canceled)
		})
		if he := httperr.From(err); he.Code == "try_again" {
			t.Error("a request the caller abandoned was answered as our deadline passing")
		}
	})
}
