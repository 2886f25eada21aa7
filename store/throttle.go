package store

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Sign-in throttling: at most SignInLimit attempts per e-mail address in any SignInWindow, across
// the pages, the API and every instance. An attempt is counted before the password is checked, so
// parallel guesses cannot slip past the count, and a successful sign-in clears the count.
const (
	SignInLimit  = 5
	SignInWindow = 15 * time.Minute
)

// signInKey is the hash the table keeps instead of the address, case and spaces ignored.
func signInKey(email string) []byte {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(email))))
	return sum[:]
}

// TakeSignInAttempt counts an attempt for the address at now, or refuses it and says when the next
// attempt will be allowed. Attempts for one address are serialised by an advisory lock on its hash.
func (s *Store) TakeSignInAttempt(ctx context.Context, email string, now time.Time, limit int, window time.Duration) (ok bool, retryAt time.Time, err error) {
	key := signInKey(email)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(binary.BigEndian.Uint64(key))); err != nil {
			return err
		}
		// Every address's expired attempts go, not just this one's: guesses at many addresses
		// must not fill the table.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_attempts WHERE attempted_at <= $1`, now.Add(-window)); err != nil {
			return err
		}
		var recent []time.Time
		if err := tx.SelectContext(ctx, &recent, `SELECT attempted_at FROM sign_in_attempts WHERE email_hash = $1 ORDER BY attempted_at`, key); err != nil {
			return err
		}
		if len(recent) >= limit {
			retryAt = recent[len(recent)-limit].Add(window)
			return nil
		}
		ok = true
		_, err := tx.ExecContext(ctx, `INSERT INTO sign_in_attempts (email_hash, attempted_at) VALUES ($1, $2)`, key, now)
		return err
	})
	return ok, retryAt, err
}

// ClearSignInAttempts forgets the address's attempts after a successful sign-in.
func (s *Store) ClearSignInAttempts(ctx context.Context, email string) error {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM sign_in_attempts WHERE email_hash = $1`, signInKey(email))
	return err
}
