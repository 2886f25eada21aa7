// A funding round's durable timers: RoundWorkflow waits for the round to open and tells the
// scheme's subscribers; waits for it to close (a timer that an early close or an extension moves)
// and tells the subscribers and every organisation with a draft; then, after the scheme's grace
// period, locks the round's drafts. One workflow per round, started as the round is created.

package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
)

// The round workflow's contract.
const (
	RoundWorkflowName = "RoundWorkflow"
	UpdateMoveClose   = "move-close" // close early or extend: moves the closing timer
	QueryRound        = "round"
)

// RoundWorkflowID is the one workflow a round's timers run in.
func RoundWorkflowID(roundID int64) string { return fmt.Sprintf("round-%d", roundID) }

// Phases of a round's workflow.
const (
	RoundPhaseScheduled = "scheduled"
	RoundPhaseOpen      = "open"
	RoundPhaseClosed    = "closed" // closed; drafts may still be submitted until LocksAt
	RoundPhaseLocked    = "locked"
)

// RoundInput is the round as created.
type RoundInput struct {
	RoundID  int64
	OpensAt  time.Time
	ClosesAt time.Time
}

// MoveCloseRequest closes the round early (Early, at ClosesAt, normally now) or extends it to a
// later ClosesAt. An early close needs the round open; an extension needs it not yet closed and a
// later time.
type MoveCloseRequest struct {
	ClosesAt time.Time
	Early    bool
	Reason   string
}

// RoundStatus is what the round query answers.
type RoundStatus struct {
	Phase    string
	OpensAt  time.Time
	ClosesAt time.Time
	LocksAt  time.Time // zero until the round has closed
	Told     int       // subscribers told so far
	Locked   int       // drafts locked
}

var rounds *activities.Rounds

type roundWorkflow struct {
	in    RoundInput
	st    RoundStatus
	moved bool
}

// RoundWorkflow runs one round's timers to the locking of its drafts.
func RoundWorkflow(ctx workflow.Context, in RoundInput) (RoundStatus, error) {
	w := &roundWorkflow{in: in, st: RoundStatus{Phase: RoundPhaseScheduled, OpensAt: in.OpensAt, ClosesAt: in.ClosesAt}}
	if err := w.setup(ctx); err != nil {
		return w.st, err
	}
	return w.st, w.run(ctx)
}

func (w *roundWorkflow) setup(ctx workflow.Context) error {
	if w.in.RoundID <= 0 || !w.in.ClosesAt.After(w.in.OpensAt) {
		return errors.New("a round needs an id and a closing time after its opening time")
	}
	if err := workflow.SetQueryHandler(ctx, QueryRound, func() (RoundStatus, error) { return w.st, nil }); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateMoveClose, w.moveClose, workflow.UpdateHandlerOptions{Validator: w.validateMove})
}

func (w *roundWorkflow) run(ctx workflow.Context) error {
	// Opening, closing and locking drafts grow with the round (one notice per subscriber and
	// organisation, one update per draft), so they are long activities that heartbeat.
	ctx = workflow.WithActivityOptions(ctx, batchOptions)
	logger := workflow.GetLogger(ctx)
	if d := w.in.OpensAt.Sub(workflow.Now(ctx)); d > 0 {
		if err := workflow.Sleep(ctx, d); err != nil {
			return err
		}
	}
	if w.st.Phase == RoundPhaseScheduled { // an early close cannot come first, but the order is explicit
		w.st.Phase = RoundPhaseOpen
		var opened activities.RoundOpenedResult
		if err := workflow.ExecuteActivity(ctx, rounds.RoundOpened, activities.RoundInput{RoundID: w.in.RoundID, At: workflow.Now(ctx)}).Get(ctx, &opened); err != nil {
			return err
		}
		w.st.Told += opened.Told
	}
	// The closing timer: wait until the closing time, starting again whenever an update moves it.
	for {
		d := w.st.ClosesAt.Sub(workflow.Now(ctx))
		if d <= 0 {
			break
		}
		w.moved = false
		if _, err := workflow.AwaitWithTimeout(ctx, d, func() bool { return w.moved }); err != nil {
			return err
		}
	}
	w.st.Phase = RoundPhaseClosed
	var closed activities.RoundClosedResult
	if err := workflow.ExecuteActivity(ctx, rounds.RoundClosed, activities.RoundInput{RoundID: w.in.RoundID, At: workflow.Now(ctx)}).Get(ctx, &closed); err != nil {
		return err
	}
	w.st.Told += closed.Told
	w.st.LocksAt = w.st.ClosesAt.Add(time.Duration(closed.GraceHours) * time.Hour)
	logger.Info("round closed", "round", w.in.RoundID, "locks_at", w.st.LocksAt)
	if d := w.st.LocksAt.Sub(workflow.Now(ctx)); d > 0 {
		if err := workflow.Sleep(ctx, d); err != nil {
			return err
		}
	}
	var locked activities.LockDraftsResult
	if err := workflow.ExecuteActivity(ctx, rounds.LockDrafts, activities.RoundInput{RoundID: w.in.RoundID, At: workflow.Now(ctx)}).Get(ctx, &locked); err != nil {
		return err
	}
	w.st.Phase, w.st.Locked = RoundPhaseLocked, locked.Locked
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

func (w *roundWorkflow) validateMove(ctx workflow.Context, req MoveCloseRequest) error {
	now := workflow.Now(ctx)
	switch {
	case w.st.Phase == RoundPhaseClosed || w.st.Phase == RoundPhaseLocked || !now.Before(w.st.ClosesAt):
		return refuseAtStage("", "the round has already closed")
	case req.Early && now.Before(w.in.OpensAt): // by the clock: the opening timer may not have fired yet
		return refuseAtStage("", "the round has not opened yet")
	case req.Early && req.ClosesAt.After(w.st.ClosesAt):
		return refuse(RefusalInvalid, "closes_at", "an early close must be before the current closing time")
	case !req.Early && !req.ClosesAt.After(w.st.ClosesAt):
		return refuse(RefusalInvalid, "closes_at", "must be later than the current closing time")
	case !req.Early && !req.ClosesAt.After(now):
		return refuse(RefusalInvalid, "closes_at", "must be in the future")
	}
	return nil
}

func (w *roundWorkflow) moveClose(ctx workflow.Context, req MoveCloseRequest) (RoundStatus, error) {
	w.st.ClosesAt = req.ClosesAt
	w.moved = true
	return w.st, nil
}
