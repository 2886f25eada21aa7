package activities

import (
	"context"
	"fmt"
	"time"

	"grantflow/store"
)

// Rounds carries out what a round's timers call for: telling subscribers and the organisations
// with drafts that it opened or closed, and locking its drafts when the grace period ends. Each is
// keyed by round and moment, so a retry tells nobody twice.
type Rounds struct {
	Store *store.Store
}

// RoundInput names the round and the moment (the workflow's time) at which the step is taken.
type RoundInput struct {
	RoundID int64
	At      time.Time
}

// RoundOpenedResult is how many subscribers were told by this call.
type RoundOpenedResult struct {
	Told int
}

// RoundClosedResult is how many subscribers were told, and the grace period (read from the
// scheme's rules as the round closes) after which its drafts are locked.
type RoundClosedResult struct {
	Told       int
	GraceHours int
	ClosesAt   time.Time
}

// LockDraftsResult is how many drafts this call locked.
type LockDraftsResult struct {
	Locked int
}

// RoundOpened tells the scheme's subscribers the round is open.
func (a *Rounds) RoundOpened(ctx context.Context, in RoundInput) (RoundOpenedResult, error) {
	defer keepAlive(ctx)()
	told, err := a.Store.TellRoundSubscribers(ctx, in.RoundID, store.KindRoundOpened, in.At)
	if err != nil {
		return RoundOpenedResult{}, classify(fmt.Errorf("tell the subscribers round %d opened: %w", in.RoundID, err))
	}
	return RoundOpenedResult{Told: told}, nil
}

// RoundClosed tells the scheme's subscribers, and each organisation with a draft in it, that the
// round closed, and answers the scheme's grace period before drafts are locked.
func (a *Rounds) RoundClosed(ctx context.Context, in RoundInput) (RoundClosedResult, error) {
	defer keepAlive(ctx)()
	sc, err := a.Store.SchemeOfRound(ctx, in.RoundID)
	if err != nil {
		return RoundClosedResult{}, classify(fmt.Errorf("scheme of round %d: %w", in.RoundID, err))
	}
	r, err := a.Store.Round(ctx, in.RoundID)
	if err != nil {
		return RoundClosedResult{}, classify(err)
	}
	told, err := a.Store.TellRoundSubscribers(ctx, in.RoundID, store.KindRoundClosed, in.At)
	if err != nil {
		return RoundClosedResult{}, classify(fmt.Errorf("tell the subscribers round %d closed: %w", in.RoundID, err))
	}
	return RoundClosedResult{Told: told, GraceHours: sc.Rules.DraftGraceHours, ClosesAt: r.ClosesAt}, nil
}

// LockDrafts locks the round's drafts and tells each organisation whose draft was locked.
func (a *Rounds) LockDrafts(ctx context.Context, in RoundInput) (LockDraftsResult, error) {
	defer keepAlive(ctx)()
	n, err := a.Store.LockRoundDrafts(ctx, in.RoundID, in.At)
	if err != nil {
		return LockDraftsResult{}, classify(fmt.Errorf("lock the drafts of round %d: %w", in.RoundID, err))
	}
	return LockDraftsResult{Locked: n}, nil
}
