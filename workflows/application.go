package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/money"
	"grantflow/scheme"
)

// application is what every application workflow shares: who applied, under which rules, where it
// stands, who is barred from judging it, and the plumbing for recording steps.
type application struct {
	id     int64
	orgID  int64
	rules  scheme.Rules
	stage  Stage
	barred []int64 // people who declared a conflict of interest
	lock   workflow.Mutex
	logger log.Logger
	offset time.Duration // ServiceInput.ClockOffset; zero for real applications
}

// now is the workflow's time, shifted by the application's clock offset (tests and demos only).
func (a *application) now(ctx workflow.Context) time.Time { return workflow.Now(ctx).Add(a.offset) }

func newApplication(ctx workflow.Context, id, orgID int64, rules scheme.Rules, stage Stage) application {
	return application{id: id, orgID: orgID, rules: rules, stage: stage, lock: workflow.NewMutex(ctx),
		logger: log.With(workflow.GetLogger(ctx), "application", id)}
}

// ---- Rules about people ----

// mayJudge checks a staff member's role and that they are neither conflicted nor a member of the applicant.
func (a *application) mayJudge(actor Actor, roles ...scheme.Role) error {
	allowed := false
	for _, r := range roles {
		allowed = allowed || actor.Role == r
	}
	if !allowed {
		return refuse(RefusalForbidden, "", "%s cannot take this step", aOrAn(strings.ReplaceAll(string(actor.Role), "_", " ")))
	}
	if actor.MemberOf(a.orgID) {
		return refuse(RefusalForbidden, "", "you are a member of the applicant organisation, so you cannot assess or decide this application")
	}
	for _, id := range a.barred {
		if id == actor.UserID {
			return refuse(RefusalForbidden, "", "you declared a conflict of interest in this application")
		}
	}
	return nil
}

// mayAct checks that an applicant-side step is taken by a member of the applicant organisation.
func (a *application) mayAct(actor Actor) error {
	if !actor.MemberOf(a.orgID) {
		return refuse(RefusalForbidden, "", "only a member of the applicant organisation can take this step")
	}
	return nil
}

func (a *application) wrongStage(action string) error {
	return refuse(RefusalStage, "", "cannot %s while the application is %s", action, strings.ReplaceAll(string(a.stage), "_", " "))
}

func (a *application) locked(ctx workflow.Context, fn func() error) error {
	if err := a.lock.Lock(ctx); err != nil {
		return err
	}
	defer a.lock.Unlock()
	return fn()
}

func (a *application) step(ctx workflow.Context, actor Actor, what, why string, next Stage) activities.Step {
	return activities.Step{ApplicationID: a.id, Actor: actor, What: what, Why: why, Status: string(next), At: a.now(ctx)}
}

// moveTo records a stage change made by the workflow itself.
func (a *application) moveTo(ctx workflow.Context, stage Stage, actor Actor, what, why string) error {
	if err := workflow.ExecuteActivity(ctx, records.RecordStep, a.step(ctx, actor, what, why, stage)).Get(ctx, nil); err != nil {
		return err
	}
	a.setStage(ctx, stage)
	return nil
}

func (a *application) setStage(ctx workflow.Context, stage Stage) {
	a.stage = stage
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStage.ValueSet(string(stage)), SearchScheme.ValueSet(a.rules.Code)); err != nil {
		a.logger.Warn("search attributes not updated", "error", err)
	}
	a.logger.Info("stage", "stage", stage)
}

func (a *application) result(msg string) UpdateResult {
	return UpdateResult{Stage: a.stage, Message: msg}
}

func (a *application) notify(ctx workflow.Context, key, audience, kind, msg string) error {
	in := activities.NotifyInput{ApplicationID: a.id, Key: fmt.Sprintf("%s/%s", workflow.GetInfo(ctx).WorkflowExecution.ID, key),
		Audience: audience, Kind: kind, Message: msg, At: a.now(ctx)}
	return workflow.ExecuteActivity(ctx, records.Notify, in).Get(ctx, nil)
}

// awaitWithReminder waits for cond until the deadline, running remind once at remindAt if still waitina.
func (a *application) awaitWithReminder(ctx workflow.Context, cond func() bool, remindAt, deadline time.Time, remind func() error) (bool, error) {
	if wait := remindAt.Sub(a.now(ctx)); wait > 0 {
		done, err := workflow.AwaitWithTimeout(ctx, wait, cond)
		if err != nil || done {
			return done, err
		}
		if err := remind(); err != nil {
			return false, err
		}
	}
	wait := deadline.Sub(a.now(ctx))
	if wait <= 0 {
		return cond(), nil
	}
	return workflow.AwaitWithTimeout(ctx, wait, cond)
}

// jsonMarshal encodes plain structs for an activity's input. The bytes depend only on the value
// (struct fields in order, no maps); only encoding/json's reflection cache is shared, which
// workflowcheck cannot tell apart from real non-determinism.
func jsonMarshal(v any) ([]byte, error) {
	return json.Marshal(v) //workflowcheck:ignore
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// awaitUntil waits for cond or for d to pass. When cond comes first its timer is cancelled, so a
// long-running workflow's history keeps no timers that later fire for nothing.
func awaitUntil(ctx workflow.Context, d time.Duration, cond func() bool) error {
	timerCtx, cancel := workflow.WithCancel(ctx)
	defer cancel()
	timer := workflow.NewTimer(timerCtx, d)
	return workflow.Await(ctx, func() bool { return cond() || timer.IsReady() })
}

// validateReport checks an end-of-grant or final report against what was paid.
func validateReport(r SubmitReportRequest, paid money.Pence) error {
	switch {
	case strings.TrimSpace(r.Summary) == "":
		return refuse(RefusalInvalid, "summary", "is required")
	case strings.TrimSpace(r.Outcomes) == "":
		return refuse(RefusalInvalid, "outcomes", "is required")
	case r.Spent < 0:
		return refuse(RefusalInvalid, "spent_pence", "cannot be negative")
	case r.Spent > paid:
		return refuse(RefusalInvalid, "spent_pence", "%s is more than the %s paid", r.Spent, paid)
	}
	return nil
}

// validateReview checks an officer's review of a report: accept, or ask for changes saying what.
func validateReview(r ReviewReportRequest) error {
	switch r.Outcome {
	case ReviewAccept:
	case ReviewRequestChanges:
		if strings.TrimSpace(r.Comment) == "" {
			return refuse(RefusalInvalid, "comment", "say what needs to change")
		}
	default:
		return refuse(RefusalInvalid, "outcome", "must be %q or %q", ReviewAccept, ReviewRequestChanges)
	}
	return nil
}

// updateHandler pairs a human step's update name with its handler and the validator that refuses
// a wrong person, stage or value before anything is recorded.
type updateHandler struct {
	name      string
	handler   any
	validator any
}

func registerUpdates(ctx workflow.Context, handlers []updateHandler) error {
	for _, h := range handlers {
		if err := workflow.SetUpdateHandlerWithOptions(ctx, h.name, h.handler, workflow.UpdateHandlerOptions{Validator: h.validator}); err != nil {
			return err
		}
	}
	return nil
}

// assessmentReason is the audit line's reason for a set of scores: the weighted total, the
// recommendation and, where a criterion fell below its minimum, why the application is not fundable.
func assessmentReason(summary ScoreSummary, recommendation string) string {
	why := fmt.Sprintf("Weighted score %.2f; recommendation: %s.", summary.Weighted, strings.ReplaceAll(recommendation, "_", " "))
	if !summary.Fundable {
		why += " Not fundable: " + strings.Join(summary.BelowMinimum, "; ") + "."
	}
	return why
}
