// Package activities holds the side effects of the grant workflows: the read model and audit trail,
// budgets, awards, payments and documents. Every method is idempotent: its writes are keyed by the
// workflow's ids or by natural keys, so Temporal may retry it after any crash.
package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"grantflow/grant"
	"grantflow/letters"
	"grantflow/store"
)

// Error types a workflow can branch on; they are never retried.
const (
	ErrTypeBudgetExceeded  = "BudgetExceeded"
	ErrTypeNotFound        = "NotFound"
	ErrTypeDocumentInvalid = "DocumentInvalid"
	ErrTypeInvalidInput    = "InvalidInput" // the workflow asked for something that cannot be done (a bug): retrying sends the same
)

// Step is the audit line every state change carries: who, what, when, why, and the stage it leads to.
type Step struct {
	ApplicationID int64
	Actor         grant.Actor
	What          string
	Why           string
	Status        string
	At            time.Time
	// DeciderRole, on a step that makes an application ready for a decision, is the role whose
	// delegation band covers its amount: the store tells that role (it cannot read the bands).
	DeciderRole string `json:",omitempty"`
	// NotToDecide are the people with a stake in the application (they assessed, sat on its panel,
	// moderated it or declared a conflict): the rule book bars them from deciding, so they are not
	// told it is ready for a decision.
	NotToDecide []int64 `json:",omitempty"`
}

// event turns a step into the store's audit event, keyed by this activity's identity so a retry
// finds the line already written.
func event(ctx context.Context, s Step) store.Event {
	info := activity.GetInfo(ctx)
	e := store.Event{
		Application: s.ApplicationID,
		Key:         fmt.Sprintf("%s/%s/%s", info.WorkflowExecution.ID, info.WorkflowExecution.RunID, info.ActivityID),
		At:          s.At,
		ActorName:   s.Actor.Name,
		ActorRole:   string(s.Actor.Role),
		What:        s.What,
		Why:         s.Why,
		Status:      s.Status,
		DeciderRole: s.DeciderRole,
		NotToDecide: s.NotToDecide,
	}
	if s.Actor.UserID != 0 {
		id := s.Actor.UserID
		e.ActorUserID = &id
	}
	return e
}

// invalidInput refuses, for good, an input no attempt could carry out.
func invalidInput(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), ErrTypeInvalidInput, nil)
}

// classify turns store errors a retry cannot mend into non-retryable application errors.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrBudgetExceeded):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeBudgetExceeded, nil)
	case errors.Is(err, store.ErrNotFound):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeNotFound, nil)
	case errors.As(err, new(*letters.ValidationError)):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeDocumentInvalid, nil) // retrying writes the same letter
	}
	return err
}
