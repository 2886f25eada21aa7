package httperr_test

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"grantflow/http/httperr"
)

// Temporal's answers when it is busy, catching up or out of reach are a 503 try_again, never a 500;
// those that may have taken effect say so (Undecided), so the caller looks before sending again.
func TestTemporalTroublesAnswerTryAgain(t *testing.T) {
	for _, c := range []struct {
		err       error
		undecided bool
		says      string
	}{
		{serviceerror.NewResourceExhausted(0, "busy"), false, "too many steps"},
		{serviceerror.NewWorkflowNotReady("Unable to perform workflow execution update due to Workflow Task in failed state."), false, "catching up after a fault"},
		{serviceerror.NewDeadlineExceeded("context deadline exceeded"), true, "may or may not have been done"},
		{serviceerror.NewUnavailable("connection refused"), true, "may or may not have been done"},
	} {
		got := httperr.From(fmt.Errorf("update: %w", c.err))
		if got.Status != http.StatusServiceUnavailable || got.Code != "try_again" || got.RetryAfter == 0 || got.Undecided != c.undecided {
			t.Errorf("%T: %+v; want 503 try_again with Retry-After, undecided %v", c.err, got, c.undecided)
		}
		if !strings.Contains(got.Message, c.says) {
			t.Errorf("%T says %q; want it to say %q", c.err, got.Message, c.says)
		}
	}
	if got := httperr.From(errors.New("boom")); got.Status != http.StatusInternalServerError {
		t.Errorf("an unknown error: %+v; want 500", got)
	}
}
