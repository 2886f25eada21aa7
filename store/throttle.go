package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Sign-in throttling slows guessing down with a growing delay, never a lock, so that nobody can keep
// a person out of their own account by getting their password wrong on purpose:
//
//   - per account and client address (the "pair"): after a few failures each further one doubles
//     the wait, up to a long cap. This is what stops one attacker guessing at one account.
//   - per client address, whatever the account: the same, with more free failures, against one
//     address trying many accounts.
//   - per account, whatever the address: a growing delay too, but with a SHORT cap. Guesses from
//     many addresses at one account are slowed to one a cap, while the account's owner, signing in
//     from their own address, waits at most that cap (a minute by default), however long the attack.
//   - a global cap on sign-in attempts a minute across every account.
//
// Every attempt is counted before the password is checked (so parallel guesses cannot slip past
// the count), serialised by advisory locks across instances. A right password undoes its own count;
// a right password with its second factor clears the account's and the pair's failures. Refused
// attempts are not counted and check nothing.

// Delay is one scope's growing delay: Free failures cost nothing, then the wait is Base, doubling
// with each further failure, at most Cap.
type Delay struct {
	Free int
	Base time.Duration
	Cap  time.Duration
}

// after is the wait before the next attempt once failures have been counted.
func (d Delay) after(failures int) time.Duration {
	if failures < d.Free || d.Base <= 0 {
		return 0
	}
	wait := d.Base
	for i := d.Free; i < failures && wait < d.Cap; i++ {
		wait *= 2
	}
	return min(wait, d.Cap)
}

// SignInPolicy is the throttle's settings.
type SignInPolicy struct {
	Pair, Address, Account Delay
	// GlobalPerMinute caps sign-in attempts a minute across every account (0: no cap).
	GlobalPerMinute int
	// Forget is how long after its last failure a count starts again from nothing.
	Forget time.Duration
}

// DefaultSignInPolicy: three free failures per account and address, then 2s, 4s, 8s... up to 15
// minutes; an address gets twenty free failures across accounts; an account under attack from many
// addresses waits at most a minute; 600 attempts a minute across the service.
var DefaultSignInPolicy = SignInPolicy{
	Pair:            Delay{Free: 3, Base: 2 * time.Second, Cap: 15 * time.Minute},
	Address:         Delay{Free: 20, Base: 2 * time.Second, Cap: 15 * time.Minute},
	Account:         Delay{Free: 10, Base: 2 * time.Second, Cap: time.Minute},
	GlobalPerMinute: 600,
	Forget:          24 * time.Hour,
}

// RequestLimit is a fixed-window limit on requests of one kind per client address.
type RequestLimit struct {
	Max    int
	Window time.Duration
}

// RequestLimits are the per-address limits of throttled forms other than sign-in, by kind.
var RequestLimits = map[string]RequestLimit{
	"registration":   {Max: 30, Window: time.Hour}, // an office or a training session may share one address
	"password-reset": {Max: 10, Window: time.Hour},
	"second-factor":  {Max: 60, Window: 15 * time.Minute}, // the code pages; each code is also under the sign-in throttle
}

// Throttled is a refusal: try again at RetryAt. Scope says which limit was reached (pair, address,
// account, global, or a request kind).
type Throttled struct {
	RetryAt time.Time
	Scope   string
}

func (e *Throttled) Error() string {
	return "too many attempts; try again at " + e.RetryAt.Format(time.RFC3339)
}

// RetryAfter is the wait from now, in whole seconds, at least one.
func (e *Throttled) RetryAfter(now time.Time) int {
	secs := int((e.RetryAt.Sub(now) + time.Second - 1) / time.Second)
	return max(secs, 1)
}

// SignInAttempt is who is trying to sign in, and from where.
type SignInAttempt struct {
	Email   string
	Address string // the client address (gin's ClientIP, trusted proxies only)
}

func (a SignInAttempt) keys() [3]struct {
	scope string
	key   []byte
} {
	email := strings.ToLower(strings.TrimSpace(a.Email))
	return [3]struct {
		scope string
		key   []byte
	}{
		{"account", hashKey("account", email)},
		{"address", hashKey("address", a.Address)},
		{"pair", hashKey("pair", email+"\x00"+a.Address)},
	}
}

func hashKey(parts ...string) []byte {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return sum[:]
}

func lockKey(key []byte) int64 { return int64(binary.BigEndian.Uint64(key)) }

func (s *Store) signInPolicy() SignInPolicy {
	if s.SignInPolicy != nil {
		return *s.SignInPolicy
	}
	return DefaultSignInPolicy
}

// BeginSignIn counts an attempt before the password (or code) is checked, or refuses it with a
// *Throttled saying when to try again.
func (s *Store) BeginSignIn(ctx context.Context, a SignInAttempt, now time.Time) error {
	p := s.signInPolicy()
	keys := a.keys()
	now = now.Truncate(time.Microsecond) // as PostgreSQL keeps it, so a zero delay is no delay
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Account before address, always in this order, so two attempts never wait on each other in a circle.
		for _, k := range keys[:2] {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(k.key)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE last_at < $1`, now.Add(-p.Forget)); err != nil {
			return err
		}
		type row struct {
			Failures int       `db:"failures"`
			NextAt   time.Time `db:"next_at"`
		}
		var refused *Throttled
		counts := make([]int, len(keys))
		for i, k := range keys {
			var r row
			err := tx.GetContext(ctx, &r, `SELECT failures, next_at FROM sign_in_failures WHERE scope = $1 AND key = $2`, k.scope, k.key)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
			counts[i] = r.Failures
			if r.NextAt.After(now) && (refused == nil || r.NextAt.After(refused.RetryAt)) {
				refused = &Throttled{RetryAt: r.NextAt, Scope: k.scope}
			}
		}
		if refused != nil {
			return refused
		}
		if p.GlobalPerMinute > 0 {
			start := now.Truncate(time.Minute)
			if err := s.takeWindow(ctx, tx, "sign-in", nil, start, time.Minute, p.GlobalPerMinute); err != nil {
				var t *Throttled
				if errors.As(err, &t) {
					t.Scope = "global"
				}
				return err
			}
		}
		for i, k := range keys {
			failures := counts[i] + 1
			next := now.Add(p.delay(k.scope).after(failures))
			if _, err := tx.ExecContext(ctx, `INSERT INTO sign_in_failures (scope, key, failures, last_at, next_at) VALUES ($1,$2,$3,$4,$5)
				ON CONFLICT (scope, key) DO UPDATE SET failures = EXCLUDED.failures, last_at = EXCLUDED.last_at, next_at = EXCLUDED.next_at`,
				k.scope, k.key, failures, now, next); err != nil {
				return err
			}
		}
		return nil
	})
}

func (p SignInPolicy) delay(scope string) Delay {
	switch scope {
	case "account":
		return p.Account
	case "address":
		return p.Address
	}
	return p.Pair
}

// SignInStepPassed undoes the count BeginSignIn made for an attempt that turned out right (the
// password, or the code). When the person is now fully signed in (complete), the account's and
// the pair's failures are cleared as well; the address's are not, so an attacker with an account
// of their own cannot wipe their address's record by signing into it.
func (s *Store) SignInStepPassed(ctx context.Context, a SignInAttempt, complete bool) error {
	keys := a.keys()
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, k := range keys[:2] {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey(k.key)); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if complete && k.scope != "address" {
				if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE scope = $1 AND key = $2`, k.scope, k.key); err != nil {
					return err
				}
				continue
			}
			var failures int
			var last time.Time
			err := tx.QueryRowxContext(ctx, `SELECT failures, last_at FROM sign_in_failures WHERE scope = $1 AND key = $2`, k.scope, k.key).Scan(&failures, &last)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			// Undone as if never counted: the attempt was let through, so whatever wait came before
			// it had ended by then (last_at); a right step must not leave a wait for the next step of
			// the same sign-in (the code, straight after the password).
			failures = max(failures-1, 0)
			if _, err := tx.ExecContext(ctx, `UPDATE sign_in_failures SET failures = $3, next_at = $4 WHERE scope = $1 AND key = $2`,
				k.scope, k.key, failures, last); err != nil {
				return err
			}
		}
		return nil
	})
}

// TakeRequest counts one request of a throttled kind ("registration", "password-reset") from a
// client address, or refuses it with a *Throttled once the kind's limit for the window is reached.
// A kind not in RequestLimits is an error (a wiring mistake, not the visitor's).
func (s *Store) TakeRequest(ctx context.Context, kind, address string, now time.Time) error {
	lim, ok := RequestLimits[kind]
	if !ok {
		return errors.New("throttle: no request limit for " + kind)
	}
	start := now.Truncate(lim.Window)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		return s.takeWindow(ctx, tx, kind, hashKey(kind, address), start, lim.Window, lim.Max)
	})
}

// RefundRequest gives back a request TakeRequest counted at now, for one that was refused for its
// own content (a form with mistakes): only requests that do something use up the limit.
func (s *Store) RefundRequest(ctx context.Context, kind, address string, now time.Time) error {
	lim, ok := RequestLimits[kind]
	if !ok {
		return errors.New("throttle: no request limit for " + kind)
	}
	_, err := s.DB.ExecContext(ctx, `UPDATE request_windows SET count = count - 1 WHERE kind = $1 AND key = $2 AND window_start = $3 AND count > 0`,
		kind, hashKey(kind, address), now.Truncate(lim.Window))
	return err
}

// takeWindow adds one to the kind's count for the window starting at start, unless it is at max
// already: then *Throttled until the window ends. The upsert serialises on the row.
func (s *Store) takeWindow(ctx context.Context, tx *sqlx.Tx, kind string, key []byte, start time.Time, window time.Duration, max int) error {
	if key == nil {
		key = []byte{}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM request_windows WHERE window_start < $1`, start.Add(-24*time.Hour)); err != nil {
		return err
	}
	var count int
	err := tx.GetContext(ctx, &count, `INSERT INTO request_windows (kind, key, window_start, count) VALUES ($1,$2,$3,1)
		ON CONFLICT (kind, key, window_start) DO UPDATE SET count = request_windows.count + 1 WHERE request_windows.count < $4
		RETURNING count`, kind, key, start, max)
	if errors.Is(err, sql.ErrNoRows) {
		return &Throttled{RetryAt: start.Add(window), Scope: kind}
	}
	return err
}
