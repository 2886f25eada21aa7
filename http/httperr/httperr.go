// Package httperr is the one place errors become HTTP responses: a JSON body
// {"error": {"code", "message", "fields"}} with a 4xx status for anything a caller can mend.
// A 5xx means a bug or an outage, never bad input.
package httperr

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"grantflow/store"
	"grantflow/workflows"
)

// Error is a refusal with an HTTP status, a stable code and, where a field is at fault, its name.
type Error struct {
	Status  int               `json:"-"`
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// RetryAfter, when set, is sent as the Retry-After header: how many seconds to wait before
	// trying again (a 503 try_again).
	RetryAfter int `json:"-"`
	// Undecided says the request was sent on and may still take effect (a step Temporal did not
	// answer in time): the pages say to check before sending it again, not that nothing changed.
	Undecided bool `json:"-"`
}

func (e *Error) Error() string { return e.Message }

// Field is a 422 refusal of one field.
func Field(field, reason string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: field + ": " + reason, Fields: map[string]string{field: reason}}
}

// Fields is a 422 refusal of several fields at once.
func Fields(fields map[string]string) *Error {
	msg := "some fields are not valid"
	if len(fields) == 1 {
		for f, r := range fields {
			msg = f + ": " + r
		}
	}
	return &Error{Status: http.StatusUnprocessableEntity, Code: "invalid", Message: msg, Fields: fields}
}

// BadRequest is a 400 for a body that cannot be read at all.
func BadRequest(msg string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "bad_request", Message: msg}
}

// Unauthorized is a 401: no valid credentials.
func Unauthorized(msg string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: "unauthorized", Message: msg}
}

// Forbidden is a 403: known person, not allowed.
func Forbidden(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "forbidden", Message: msg}
}

// NotFound is a 404, also used where saying "forbidden" would reveal that something exists.
func NotFound(what string) *Error {
	return &Error{Status: http.StatusNotFound, Code: "not_found", Message: what + " not found"}
}

// Conflict is a 409: the request clashes with the current state.
func Conflict(code, msg string) *Error {
	return &Error{Status: http.StatusConflict, Code: code, Message: msg}
}

// Respond writes err as the JSON error body with the matching status.
func Respond(c *gin.Context, logger *slog.Logger, err error) {
	e := From(err)
	if e.Status >= 500 && logger != nil {
		logger.ErrorContext(c.Request.Context(), "request failed", "method", c.Request.Method, "path", c.FullPath(), "error", err)
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	c.AbortWithStatusJSON(e.Status, gin.H{"error": e})
}

// StepTimedOut is the 503 for a step Temporal did not answer within the deadline (STEP_TIMEOUT).
// The step was sent and the workflow may still take it, so the caller is told to look before
// sending it again; nothing saved before is lost.
func StepTimedOut(after time.Duration) *Error {
	return &Error{Status: http.StatusServiceUnavailable, Code: "try_again", RetryAfter: 5, Undecided: true,
		Message: "the workflow did not answer within " + after.String() + ", so this step may or may not have been taken: " +
			"reload the application to check before sending it again"}
}

// From maps any error to a response error: ours as they are, workflow refusals by kind, store and
// Temporal errors by meaning, anything else a 500.
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if kind, r, ok := workflows.RefusalOf(err); ok {
		out := &Error{Message: r.Reason}
		if r.Field != "" {
			out.Fields = map[string]string{r.Field: r.Reason}
			out.Message = r.Field + ": " + r.Reason
		}
		switch kind {
		case workflows.RefusalInvalid:
			out.Status, out.Code = http.StatusUnprocessableEntity, "invalid"
		case workflows.RefusalForbidden:
			out.Status, out.Code = http.StatusForbidden, "forbidden"
		case workflows.RefusalStage:
			out.Status, out.Code = http.StatusConflict, "wrong_stage"
		case workflows.RefusalBudget:
			out.Status, out.Code = http.StatusConflict, "budget_exceeded"
		}
		return out
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case "AcceptedUpdateCompletedWorkflow", "UnprocessedUpdate": // the workflow finished as the step arrived
			return Conflict("closed", "the application moved on before this step could be taken; reload it and try again")
		}
	}
	var quota *store.QuotaError
	if errors.As(err, &quota) {
		return &Error{Status: http.StatusConflict, Code: "quota_exceeded", Message: quota.Error()}
	}
	var notFound *serviceerror.NotFound
	var exhausted *serviceerror.ResourceExhausted
	var notReady *serviceerror.WorkflowNotReady
	if errors.As(err, &exhausted) {
		return &Error{Status: http.StatusServiceUnavailable, Code: "try_again", RetryAfter: 1, Message: "too many steps are being taken on this application at once; try again in a moment"}
	}
	if errors.As(err, &notReady) { // e.g. its workflow task failed or timed out twice as a worker died
		return &Error{Status: http.StatusServiceUnavailable, Code: "try_again", RetryAfter: 2, Message: "this application's workflow is catching up after a fault; try again in a moment"}
	}
	var temporalDeadline *serviceerror.DeadlineExceeded
	var temporalDown *serviceerror.Unavailable
	if errors.As(err, &temporalDeadline) || errors.As(err, &temporalDown) {
		// Temporal's own deadline or a frontend out of reach: the command may have been taken.
		return &Error{Status: http.StatusServiceUnavailable, Code: "try_again", RetryAfter: 5, Undecided: true,
			Message: "the workflow engine did not answer in time, so this may or may not have been done: reload to check before sending it again"}
	}
	if store.Unavailable(err) {
		return &Error{Status: http.StatusServiceUnavailable, Code: "try_again", RetryAfter: 5, Undecided: true,
			Message: "the database was out of reach for a moment, so this may or may not have been saved: reload to check before sending it again"}
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound("that record was")
	case errors.Is(err, store.ErrDraftLocked):
		return Conflict("draft_locked", err.Error())
	case errors.Is(err, store.ErrBudgetExceeded):
		return Conflict("budget_exceeded", err.Error())
	case errors.Is(err, store.ErrIdempotencyClaimLost):
		return &Error{Status: http.StatusConflict, Code: "idempotency_key_in_use", RetryAfter: 1, Message: err.Error() + ": send it again to get its answer"}
	case errors.Is(err, store.ErrDuplicate):
		return Conflict("conflict", err.Error())
	case errors.As(err, &notFound):
		return Conflict("closed", "this application's workflow has finished: no further steps can be taken")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return &Error{Status: http.StatusServiceUnavailable, Code: "timeout", Message: "the request took too long; try again"}
	}
	return &Error{Status: http.StatusInternalServerError, Code: "internal", Message: "something went wrong on our side; it has been logged"}
}
