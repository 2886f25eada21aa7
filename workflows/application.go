package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
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
	kind   scheme.Kind
	// oldRules is set while a handler of a run from before the rule book re-checks its step (humanStep).
	oldRules bool
	// rechecking is set while a handler re-checks its step (humanStep): only then may a validator
	// ask for a version marker, to re-check a replayed step by the rules it was admitted under.
	rechecking bool
	// twoPerson is set for runs that began after two-person payments (ChangeTwoPersonPayments).
	twoPerson bool
	// publishing is what an activity in flight is writing to the read model (set by step and
	// stepShowing, cleared by setStage or as the step ends). The activity's write can be seen
	// before the workflow adopts it; after a crash the gap lasts until the activity is retried.
	// See admitAhead.
	publishing *publication
}

// publication is what an activity in flight writes to the read model ahead of the workflow: the
// stage, and show, which puts in place (until the returned restore) the rest of what validators
// read as the read model will show it. show is nil when only the stage moves.
//
// One slot is enough: a step adopts its publication (setStage) before it publishes another stage
// (the one exception, an approval going back to decision, follows a publication that failed and
// ends with its section), and publications never overlap, because every step that publishes holds
// the lock except the main line's own moves (screening, assessment, the offer), at stages where no
// person's step applies but the ones admitted ahead, which wait for the publication to end
// (awaitPublished). Timers act only through the lock (the agenda, a lapse), so never meanwhile.
type publication struct {
	stage Stage
	show  func() (restore func())
	// ofStep marks a publication made by a person's step (stepShowing, under the lock): it ends with
	// the step's locked section. The main line's own moves end theirs only by setStage or failing.
	ofStep bool
}

// now is the workflow's time, shifted by the application's clock offset (tests and demos only).
func (a *application) now(ctx workflow.Context) time.Time { return workflow.Now(ctx).Add(a.offset) }

func newApplication(ctx workflow.Context, kind scheme.Kind, id, orgID int64, rules scheme.Rules, stage Stage) application {
	return application{kind: kind, id: id, orgID: orgID, rules: rules, stage: stage, lock: workflow.NewMutex(ctx),
		logger: log.With(workflow.GetLogger(ctx), "application", id)}
}

// markTwoPersonPayments asks, once as a run sets up, whether it began after two-person payments.
func (a *application) markTwoPersonPayments(ctx workflow.Context) {
	a.twoPerson = workflow.GetVersion(ctx, ChangeTwoPersonPayments, workflow.DefaultVersion, 1) == 1
}

// twoPersonPaymentsOnly refuses a proposal or approval in a run that began before two-person payments.
func (a *application) twoPersonPaymentsOnly() error {
	if !a.twoPerson {
		return refuse(RefusalStage, "", "this award began before two-person payments: finance records its payment in one step")
	}
	return nil
}

// needsSignOff refuses recording a payment that one member of finance has not proposed and another approved.
func (a *application) needsSignOff(s *PaymentSignOff) error {
	switch {
	case !a.twoPerson:
		return nil
	case s == nil:
		return refuse(RefusalStage, "", "the payment has not been proposed: one member of finance proposes it and another approves it before it is paid")
	case !s.Approved():
		return refuse(RefusalStage, "", "the payment proposed by %s awaits approval by another member of finance", s.ProposedBy.Name)
	}
	return nil
}

// latestMoneyDay is the last moment money can be recorded as paid or received: the end of today in
// London, since a date in the future has not happened. The handler's re-check (humanStep) keeps
// the bound that runs recorded before this rule were admitted under (a day ahead of the moment),
// so their histories replay as they ran; validators do not run on replay.
func (a *application) latestMoneyDay(now time.Time) time.Time {
	if a.rechecking {
		return now.Add(24 * time.Hour)
	}
	return endOfDay(now)
}

// permit asks the rule book whether the actor may take the step now (see rulebook.go). party says
// what the workflow knows of the actor; stakes is the whole-life total a banded step answers for.
func (a *application) permit(action Action, p Party, stakes money.Pence) error {
	c := Case{Kind: a.kind, Stage: a.stage, Rules: a.rules, Stakes: stakes}
	if a.oldRules {
		return PermitStage(c, action)
	}
	return Permit(c, action, p)
}

// isBarred is true for a person who declared a conflict of interest.
func (a *application) isBarred(userID int64) bool { return slices.Contains(a.barred, userID) }

// locked runs fn holding the application's lock. A step that failed half-way publishes nothing more.
func (a *application) locked(ctx workflow.Context, fn func() error) error {
	if err := a.lock.Lock(ctx); err != nil {
		return err
	}
	defer a.lock.Unlock()
	err := fn()
	if err != nil || (a.publishing != nil && a.publishing.ofStep) {
		// The step has adopted what it published (the workflow holds it now) or given it up; a
		// publication of the main line's that began meanwhile is not the step's to end.
		a.publishing = nil
	}
	return err
}

// step is the audit line an activity records. The activity also moves the read model to next, so
// from here until the workflow's setStage the read model may show next ahead of the workflow.
func (a *application) step(ctx workflow.Context, actor Actor, what, why string, next Stage) activities.Step {
	if next != a.stage {
		a.publishing = &publication{stage: next}
	}
	return activities.Step{ApplicationID: a.id, Actor: actor, What: what, Why: why, Status: string(next), At: a.now(ctx)}
}

// stepShowing is step for an activity that also writes what a person's next step is checked
// against (an agreement's version, a recommendation, an amount paid or owed): show puts that in
// place as the read model will show it, so a step taken on what the read model shows is admitted
// in the gap before the workflow hears the activity completed (admitAhead).
func (a *application) stepShowing(ctx workflow.Context, actor Actor, what, why string, next Stage, show func() (restore func())) activities.Step {
	s := a.step(ctx, actor, what, why, next)
	a.publishing = &publication{stage: next, show: show, ofStep: true}
	return s
}

// moveTo records a stage change made by the workflow itself.
func (a *application) moveTo(ctx workflow.Context, stage Stage, actor Actor, what, why string) error {
	if err := workflow.ExecuteActivity(ctx, records.RecordStep, a.step(ctx, actor, what, why, stage)).Get(ctx, nil); err != nil {
		a.publishing = nil
		return err
	}
	a.setStage(ctx, stage)
	return nil
}

// aheadOfWorkflow reports whether the read model may already show a stage the workflow has not
// reached. (A step's publication at its own stage, such as a variation's new version, needs no
// waiting: the step holds the lock until the workflow has adopted it.)
func (a *application) aheadOfWorkflow() bool {
	return a.publishing != nil && a.publishing.stage != a.stage
}

// admitAhead is the validator of a person's step: validate against the workflow's state or, while
// an activity is publishing, against what the read model may already show (its stage, and what
// stepShowing's show puts in place). A person acts on what they were shown; the read model must
// never be ahead of what the workflow accepts. Validators do not yield, so the workflow's own
// state is put back before anything else runs.
func (a *application) admitAhead(ctx workflow.Context, validate func() error) error {
	err := validate()
	p := a.publishing
	if err == nil || p == nil {
		return err
	}
	stage := a.stage
	a.stage = p.stage
	defer func() { a.stage = stage }()
	if p.show != nil {
		defer p.show()()
	}
	return validate()
}

// admittedAheadVersion marks runs whose handlers wait for a publication in flight (awaitPublished).
const admittedAheadVersion = "admit-steps-ahead"

// awaitPublished holds a step while an activity is publishing the next stage, until the workflow has
// moved there (or the publication failed); the handler then re-checks the step at the workflow's own
// stage. So a step admitted at the published stage runs there, and a step recorded meanwhile never
// writes the older stage back over the newer one in the read model.
func (a *application) awaitPublished(ctx workflow.Context) error {
	if !a.aheadOfWorkflow() {
		return nil
	}
	if workflow.GetVersion(ctx, admittedAheadVersion, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return nil // runs from before waited for nothing: replay them as they ran
	}
	ahead := a.publishing
	return workflow.Await(ctx, func() bool { return a.publishing != ahead })
}

// settle ends any publication in flight as the run ends, so no step waits for it (awaitPublished).
func (a *application) settle() { a.publishing = nil }

func (a *application) setStage(ctx workflow.Context, stage Stage) {
	a.stage = stage
	a.publishing = nil
	if err := workflow.UpsertTypedSearchAttributes(ctx, SearchStage.ValueSet(string(stage)), SearchScheme.ValueSet(a.rules.Code)); err != nil {
		a.logger.Warn("search attributes not updated", "error", err)
	}
	a.logger.Info("stage", "stage", stage)
}

func (a *application) result(msg string) UpdateResult {
	return UpdateResult{Stage: a.stage, Message: msg}
}

func (a *application) notify(ctx workflow.Context, key, audience, kind, msg string) error {
	return a.sendNotice(ctx, a.notice(ctx, key, audience, kind, msg))
}

// notice is a notification of this application, its key unique to the workflow.
func (a *application) notice(ctx workflow.Context, key, audience, kind, msg string) activities.NotifyInput {
	return activities.NotifyInput{ApplicationID: a.id, Key: fmt.Sprintf("%s/%s", workflow.GetInfo(ctx).WorkflowExecution.ID, key),
		Audience: audience, Kind: kind, Message: msg, At: a.now(ctx)}
}

func (a *application) sendNotice(ctx workflow.Context, in activities.NotifyInput) error {
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

// declaredNoConflict refuses a step taken (scoring, deciding) without the person's declaration that
// they have no conflict of interest.
func declaredNoConflict(declared bool, taking string) error {
	if !declared {
		return refuse(RefusalInvalid, "no_conflict", "declare that you have no conflict of interest before %s (or declare the conflict instead)", taking)
	}
	return nil
}

// validateDeclaration checks a declaration of interest: a conflict must say what it is.
func validateDeclaration(r DeclareConflictRequest) error {
	if r.HasConflict && strings.TrimSpace(r.Details) == "" {
		return refuse(RefusalInvalid, "details", "say what the conflict of interest is")
	}
	return nil
}

// validatePayment checks a payment finance records: the amount owed (owedAs names it, as "the
// tranche's £30,000.00"), a reference, and the day it was paid, which cannot be after latest.
func validatePayment(latest time.Time, amount, owed money.Pence, owedAs, reference string, paidOn time.Time) error {
	if amount != owed {
		return refuse(RefusalInvalid, "amount_pence", "must be %s", owedAs)
	}
	return validateMoneyMoved(latest, reference, "paid_on", paidOn)
}

// validateMoneyMoved checks what finance records of money paid or received: its reference, and the
// day (dateField) it moved, which cannot be in the future (after latest; see latestMoneyDay).
func validateMoneyMoved(latest time.Time, reference, dateField string, on time.Time) error {
	switch {
	case strings.TrimSpace(reference) == "":
		return refuse(RefusalInvalid, "reference", "is required")
	case on.IsZero():
		return refuse(RefusalInvalid, dateField, "is required")
	case on.After(latest):
		return refuse(RefusalInvalid, dateField, "cannot be in the future")
	}
	return nil
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

// humanStep registers one step a person takes, as an update with its validator. validate refuses a
// wrong person, stage or value before anything is recorded; the handler takes the lock, validates
// again (the application may have moved on while it waited), records the step with do, and answers
// with where the application now stands and the message done.
func humanStep[R any](ctx workflow.Context, a *application, name string, validate func(workflow.Context, R) error, do func(workflow.Context, R) error, done string) error {
	handler := func(ctx workflow.Context, r R) (UpdateResult, error) {
		ctx = workflow.WithActivityOptions(ctx, activityOptions) // handlers get the root context
		err := a.locked(ctx, func() error {
			if err := a.awaitPublished(ctx); err != nil {
				return err
			}
			// A run from before the rule book checked people by older rules when it admitted its
			// steps; its handlers re-check only the stage, so a replay takes the path it took then.
			a.oldRules = workflow.GetVersion(ctx, "rule-book", workflow.DefaultVersion, 1) == workflow.DefaultVersion
			a.rechecking = true
			err := validate(ctx, r)
			a.oldRules, a.rechecking = false, false
			if err != nil {
				return err
			}
			return do(ctx, r)
		})
		return a.result(done), err
	}
	admit := func(ctx workflow.Context, r R) error {
		return a.admitAhead(ctx, func() error { return validate(ctx, r) })
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, name, handler, workflow.UpdateHandlerOptions{Validator: admit})
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

func nonEmpty(items []string, field string) error {
	for i, s := range items {
		if strings.TrimSpace(s) == "" {
			return refuse(RefusalInvalid, fmt.Sprintf("%s[%d]", field, i), "is empty")
		}
	}
	return nil
}

// budgetRefusal recognises an activity's budget refusal and returns its message.
func budgetRefusal(err error) (string, bool) {
	var appErr *temporal.ApplicationError
	if errorsAs(err, &appErr) && appErr.Type() == activities.ErrTypeBudgetExceeded {
		return appErr.Message(), true
	}
	return "", false
}
