package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Idempotency keys (draft-ietf-httpapi-idempotency-key-header, as Stripe keeps them): a key names
// one request of one person on one route. The first attempt claims it; a repeat with the same
// body gets the stored answer back, while the person's standing is what it was; a repeat while the
// first is still running, or with another body, is refused. The table is idempotency_keys
// (migrations 00034, 00038).

// IdempotentRequest is a keyed request: whose it is, the route (method and path) it was sent to,
// the key as sent, a hash of its body and a hash of the person's standing as they send it (what
// their authority rests on: role, band, organisations).
type IdempotentRequest struct {
	UserID      int64
	Route       string
	Key         string
	RequestHash []byte
	Standing    []byte
}

// IdempotentAnswer is a stored answer: replayed as it was first sent.
type IdempotentAnswer struct {
	Status      int
	ContentType string
	Body        []byte
}

// IdempotencyState is what claiming a key found.
type IdempotencyState int

const (
	// IdempotencyClaimed: this attempt holds the key and carries the request out.
	IdempotencyClaimed IdempotencyState = iota
	// IdempotencyAnswered: the first request's answer is stored; replay it.
	IdempotencyAnswered
	// IdempotencyInFlight: another attempt holds the key and is still running.
	IdempotencyInFlight
	// IdempotencyMismatch: the key was first sent with another body.
	IdempotencyMismatch
	// IdempotencyAnswerLost: the first request's database write committed (its ResourceID, when it
	// created one) but the process ended before its answer was stored.
	IdempotencyAnswerLost
	// IdempotencyStandingChanged: the first request was answered (or carried out) for the person as
	// they stood then; their role, band or organisations have changed since, so it is not replayed.
	IdempotencyStandingChanged
)

// IdempotencyOutcome is the result of ClaimIdempotencyKey.
type IdempotencyOutcome struct {
	State      IdempotencyState
	Claim      string // IdempotencyClaimed: the claim to save the answer under
	Answer     IdempotentAnswer
	ResourceID int64
}

// ErrIdempotencyClaimLost refuses a write made under a claim another attempt has since taken over
// (the first outlived its lease): the write is rolled back, so the request's effect happens once.
var ErrIdempotencyClaimLost = errors.New("another request with the same Idempotency-Key took over this one")

// ClaimIdempotencyKey claims the key for this attempt for lease, or reports what holds it. A key
// whose lifetime (keep) has passed is claimed afresh; so is one whose holder outlived its lease
// without writing anything (a crash, or a step that timed out), for the same body only. An answer
// (or a write whose answer was lost) is reported only to the person standing as they did when it
// was made; otherwise IdempotencyStandingChanged.
func (s *Store) ClaimIdempotencyKey(ctx context.Context, r IdempotentRequest, lease, keep time.Duration) (IdempotencyOutcome, error) {
	raw := make([]byte, 16)
	if _, err := rand.Read(raw); err != nil {
		return IdempotencyOutcome{}, err
	}
	claim := hex.EncodeToString(raw)
	// The person's expired keys go as they send new ones; nothing else needs to sweep the table.
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND expires_at <= now()`, r.UserID); err != nil {
		return IdempotencyOutcome{}, fmt.Errorf("forget expired idempotency keys: %w", err)
	}
	var got string
	err := s.DB.QueryRowxContext(ctx, `INSERT INTO idempotency_keys (user_id, route, key, request_hash, standing, claim, locked_until, expires_at)
		VALUES ($1, $2, $3, $4, $8, $5, now() + $6 * interval '1 millisecond', now() + $7 * interval '1 millisecond')
		ON CONFLICT (user_id, route, key) DO UPDATE SET request_hash = EXCLUDED.request_hash, standing = EXCLUDED.standing,
			claim = EXCLUDED.claim, locked_until = EXCLUDED.locked_until, effect_at = NULL, resource_id = NULL, status = NULL,
			content_type = NULL, body = NULL, created_at = now(), expires_at = EXCLUDED.expires_at
		WHERE idempotency_keys.expires_at <= now()
		   OR (idempotency_keys.status IS NULL AND idempotency_keys.effect_at IS NULL
		       AND idempotency_keys.locked_until <= now() AND idempotency_keys.request_hash = EXCLUDED.request_hash)
		RETURNING claim`,
		r.UserID, r.Route, r.Key, r.RequestHash, claim, lease.Milliseconds(), keep.Milliseconds(), r.Standing).Scan(&got)
	if err == nil && got == claim {
		return IdempotencyOutcome{State: IdempotencyClaimed, Claim: claim}, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return IdempotencyOutcome{}, fmt.Errorf("claim idempotency key: %w", err)
	}
	var row struct {
		RequestHash []byte         `db:"request_hash"`
		Standing    []byte         `db:"standing"`
		Leased      bool           `db:"leased"`
		EffectAt    sql.NullTime   `db:"effect_at"`
		ResourceID  sql.NullInt64  `db:"resource_id"`
		Status      sql.NullInt32  `db:"status"`
		ContentType sql.NullString `db:"content_type"`
		Body        []byte         `db:"body"`
	}
	err = s.DB.GetContext(ctx, &row, `SELECT request_hash, standing, locked_until > now() AS leased, effect_at, resource_id, status, content_type, body
		FROM idempotency_keys WHERE user_id = $1 AND route = $2 AND key = $3`, r.UserID, r.Route, r.Key)
	if errors.Is(err, sql.ErrNoRows) { // expired and forgotten in between: try once more
		return s.ClaimIdempotencyKey(ctx, r, lease, keep)
	}
	if err != nil {
		return IdempotencyOutcome{}, fmt.Errorf("read idempotency key: %w", err)
	}
	done := row.Status.Valid || (!row.Leased && row.EffectAt.Valid)
	switch {
	case !bytes.Equal(row.RequestHash, r.RequestHash):
		return IdempotencyOutcome{State: IdempotencyMismatch}, nil
	case done && !bytes.Equal(row.Standing, r.Standing): // a key kept from before 00038 has none: not replayed
		return IdempotencyOutcome{State: IdempotencyStandingChanged}, nil
	case row.Status.Valid:
		return IdempotencyOutcome{State: IdempotencyAnswered, Answer: IdempotentAnswer{Status: int(row.Status.Int32), ContentType: row.ContentType.String, Body: row.Body}}, nil
	case row.Leased:
		return IdempotencyOutcome{State: IdempotencyInFlight}, nil
	default: // the lease has passed but the first request's write committed: it must not run again
		return IdempotencyOutcome{State: IdempotencyAnswerLost, ResourceID: row.ResourceID.Int64}, nil
	}
}

// SaveIdempotentAnswer stores the answer of the attempt holding claim, to be replayed until the
// key expires. It answers ErrIdempotencyClaimLost if another attempt took the key over.
func (s *Store) SaveIdempotentAnswer(ctx context.Context, r IdempotentRequest, claim string, a IdempotentAnswer) error {
	res, err := s.DB.ExecContext(ctx, `UPDATE idempotency_keys SET status = $5, content_type = $6, body = $7
		WHERE user_id = $1 AND route = $2 AND key = $3 AND claim = $4`, r.UserID, r.Route, r.Key, claim, a.Status, a.ContentType, a.Body)
	if err != nil {
		return fmt.Errorf("save idempotent answer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrIdempotencyClaimLost
	}
	return nil
}

// ReleaseIdempotencyKey ends the claim's lease without storing an answer (the request failed in a
// way worth retrying, such as a step deadline): the next attempt with the same body may claim it.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, r IdempotentRequest, claim string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE idempotency_keys SET locked_until = now()
		WHERE user_id = $1 AND route = $2 AND key = $3 AND claim = $4 AND status IS NULL`, r.UserID, r.Route, r.Key, claim)
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}

type idempotencyClaimKey struct{}

type heldClaim struct {
	request IdempotentRequest
	claim   string // "" under EffectInWorkflow: nothing is recorded
}

// WithIdempotencyClaim marks ctx as carrying out the keyed request under claim: every transaction
// the store commits with it that wrote anything records the key's effect in that same transaction
// (inTx), so a crash between the write and storing the answer never lets a repeat write again.
func WithIdempotencyClaim(ctx context.Context, r IdempotentRequest, claim string) context.Context {
	return context.WithValue(ctx, idempotencyClaimKey{}, heldClaim{request: r, claim: claim})
}

// EffectInWorkflow marks ctx as carrying out a keyed request whose effect is a workflow's: a start
// under the application's own workflow id, or an update whose id the key names. What it writes on
// the way (keeping bank details, claiming the draft for submission) is safe to write again, so it
// records no effect, and a repeat after a crash or a 503 carries the request out again and joins
// the workflow's first outcome instead of being told the answer was lost.
func EffectInWorkflow(ctx context.Context) context.Context {
	if _, ok := ctx.Value(idempotencyClaimKey{}).(heldClaim); !ok {
		return ctx
	}
	return context.WithValue(ctx, idempotencyClaimKey{}, heldClaim{})
}

// recordIdempotentEffect notes, in the write's own transaction, that the keyed request's write is
// made (and the record it created, when resourceID is not zero). A transaction that wrote nothing
// (PostgreSQL gave it no transaction id) records nothing. A claim taken over meanwhile refuses the
// write, so of two attempts only one writes.
func recordIdempotentEffect(ctx context.Context, tx *sqlx.Tx, resourceID int64) error {
	h, ok := ctx.Value(idempotencyClaimKey{}).(heldClaim)
	if !ok || h.claim == "" {
		return nil
	}
	if resourceID == 0 {
		var wrote bool
		if err := tx.GetContext(ctx, &wrote, `SELECT pg_current_xact_id_if_assigned() IS NOT NULL`); err != nil {
			return fmt.Errorf("record idempotent effect: %w", err)
		}
		if !wrote {
			return nil
		}
	}
	r := h.request
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET effect_at = COALESCE(effect_at, now()),
		resource_id = COALESCE(NULLIF($5, 0), resource_id)
		WHERE user_id = $1 AND route = $2 AND key = $3 AND claim = $4`, r.UserID, r.Route, r.Key, h.claim, resourceID)
	if err != nil {
		return fmt.Errorf("record idempotent effect: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrIdempotencyClaimLost
	}
	return nil
}
