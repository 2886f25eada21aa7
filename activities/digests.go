package activities

import (
	"context"
	"fmt"
	"time"

	"grantflow/scheme"
	"grantflow/store"
)

// Digests writes each day's digest for the staff who chose one; the sender delivers them.
type Digests struct {
	Store  *store.Store
	Outbox store.Outbox
}

// SendDigestsInput names the day (YYYY-MM-DD, in London) and the stages at which an application
// waits on its case officer.
type SendDigestsInput struct {
	Day         string
	QueueStages []string
}

// SendDigestsResult is how many people were sent a digest by this run (a repeat run that day: none).
type SendDigestsResult struct {
	Written int
}

// SendDigests writes, for each member of staff who takes a daily digest and has held messages or
// a non-empty queue, that day's one digest. Each person's digest is its own transaction keyed by
// person and day, so a retry after a partial run writes only the ones still missing.
func (d *Digests) SendDigests(ctx context.Context, in SendDigestsInput) (SendDigestsResult, error) {
	defer keepAlive(ctx)()
	day, err := time.ParseInLocation(time.DateOnly, in.Day, scheme.London)
	if err != nil {
		return SendDigestsResult{}, invalidInput("digest day %q: %v", in.Day, err)
	}
	takers, err := d.Store.DigestTakers(ctx)
	if err != nil {
		return SendDigestsResult{}, err
	}
	var res SendDigestsResult
	for _, u := range takers {
		queue, err := d.Store.CaseOfficerQueue(ctx, u.ID, in.QueueStages)
		if err != nil {
			return res, fmt.Errorf("queue of user %d: %w", u.ID, err)
		}
		written, err := d.Store.WriteDigest(ctx, u, day, queue, d.Outbox)
		if err != nil {
			return res, fmt.Errorf("digest of user %d: %w", u.ID, err)
		}
		if written {
			res.Written++
		}
	}
	return res, nil
}
