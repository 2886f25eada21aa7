package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"
)

// Refusal kinds travel as the application error type of a refused update, so the HTTP layer can
// answer with the right status without parsing messages.
const (
	RefusalInvalid   = "Invalid"        // a value is wrong (422)
	RefusalForbidden = "Forbidden"      // this person may not take this step (403)
	RefusalStage     = "WrongStage"     // the application is not at a stage where this step applies (409)
	RefusalBudget    = "BudgetExceeded" // the scheme's budget cannot cover the approval (409)
)

// Refusal is the detail of a refused update: the field at fault (if any) and the reason; a refusal
// for the stage says which stage the workflow was at (see apiv1's Step for why).
type Refusal struct {
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
	Stage  Stage  `json:"stage,omitempty"`
}

func refuse(kind, field, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	msg := reason
	if field != "" {
		msg = field + ": " + reason
	}
	return temporal.NewNonRetryableApplicationError(msg, kind, nil, Refusal{Field: field, Reason: reason})
}

// refuseAtStage refuses a step that does not apply at stage.
func refuseAtStage(stage Stage, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	return temporal.NewNonRetryableApplicationError(reason, RefusalStage, nil, Refusal{Reason: reason, Stage: stage})
}

// invalid turns a policy FieldError into an Invalid refusal, and any other error into one without a field.
func invalid(err error) error {
	var fe *FieldError
	if errors.As(err, &fe) {
		return refuse(RefusalInvalid, fe.Field, "%s", fe.Reason)
	}
	return refuse(RefusalInvalid, "", "%s", err.Error())
}

// RefusalOf extracts the kind and detail of a refused update from the error a client received.
func RefusalOf(err error) (kind string, r Refusal, ok bool) {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		return "", Refusal{}, false
	}
	switch appErr.Type() {
	case RefusalInvalid, RefusalForbidden, RefusalStage, RefusalBudget:
	default:
		return "", Refusal{}, false
	}
	if appErr.HasDetails() {
		_ = appErr.Details(&r)
	}
	if r.Reason == "" {
		r.Reason = appErr.Message()
	}
	return appErr.Type(), r, true
}
