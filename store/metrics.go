package store

import (
	"context"
	"fmt"
)

// The counts below feed the operators' gauges (internal/metrics), read afresh on each scrape:
// each is one aggregate query, so a scrape every 15 seconds or so costs the database little.

// StageCount is how many applications of a scheme stand at a stage (their status).
type StageCount struct {
	Scheme string `db:"scheme"` // the scheme's slug
	Stage  string `db:"stage"`
	Count  int    `db:"count"`
}

// ApplicationsByStage counts the applications, drafts included, by scheme and stage.
func (s *Store) ApplicationsByStage(ctx context.Context) ([]StageCount, error) {
	list := []StageCount{}
	err := s.DB.SelectContext(ctx, &list, `SELECT s.slug AS scheme, a.status AS stage, count(*) AS count
		FROM applications a JOIN schemes s ON s.id = a.scheme_id GROUP BY s.slug, a.status ORDER BY s.slug, a.status`)
	if err != nil {
		return nil, fmt.Errorf("count applications by stage: %w", err)
	}
	return list, nil
}

// OutboxState is the mail outbox as the sender sees it.
type OutboxState struct {
	Pending int `db:"pending"` // not yet sent (waiting, leased, or between retries)
	Failed  int `db:"failed"`  // given up on: a permanent refusal or too many attempts
	// OldestPendingSeconds is how long the longest-waiting unsent message has waited, by the
	// database's clock (which stamped it); 0 when none waits.
	OldestPendingSeconds float64 `db:"oldest_pending_seconds"`
}

// OutboxCounts counts the outbox's unsent and failed messages.
func (s *Store) OutboxCounts(ctx context.Context) (OutboxState, error) {
	var c OutboxState
	err := s.DB.GetContext(ctx, &c, `SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
			count(*) FILTER (WHERE status = 'failed') AS failed,
			coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0)::float8 AS oldest_pending_seconds
		FROM messages WHERE status <> 'sent'`)
	if err != nil {
		return c, fmt.Errorf("count the outbox: %w", err)
	}
	return c, nil
}
