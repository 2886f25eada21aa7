package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// A second factor is a TOTP authenticator (RFC 6238: six digits, 30-second steps, SHA-1, as every
// authenticator app expects) with ten single-use recovery codes. Every staff role must have one;
// applicants may turn one on. A code is accepted once: the last accepted step is kept and no code
// of that step or earlier is accepted again. One step of clock skew either way is allowed.

// Errors of the second factor.
var (
	ErrBadCode          = errors.New("the code is wrong, or has been used already")
	ErrNoSecondFactor   = errors.New("no second factor is set up")
	ErrHasSecondFactor  = errors.New("a second factor is set up already")
	ErrPendingSignInEnd = errors.New("the sign-in has ended; enter your e-mail address and password again")
)

const (
	totpPeriod     = 30
	totpSkew       = 1
	recoveryCodesN = 10
	// TOTPIssuer is the name authenticator apps show beside the account.
	TOTPIssuer = "Grantflow"
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// SecondFactor is a person's second factor as they and admins may see it (never the secret).
type SecondFactor struct {
	Enabled           bool       `json:"enabled"`
	EnabledAt         *time.Time `json:"enabled_at,omitempty"`
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
	Required          bool       `json:"required"` // staff must have one
}

func (s *Store) totpNow() time.Time {
	if s.SecondFactorClock != nil {
		return s.SecondFactorClock()
	}
	return time.Now()
}

// SecondFactorOf says whether the user has a confirmed second factor.
func (s *Store) SecondFactorOf(ctx context.Context, u User) (SecondFactor, error) {
	out := SecondFactor{Required: u.Role.IsStaff()}
	var at sql.NullTime
	err := s.DB.GetContext(ctx, &at, `SELECT confirmed_at FROM second_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL`, u.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	out.Enabled, out.EnabledAt = true, &at.Time
	err = s.DB.GetContext(ctx, &out.RecoveryCodesLeft, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL`, u.ID)
	return out, err
}

// Enrolment is what a person is shown while setting a second factor up: the otpauth:// URI (for a
// QR code) and the secret to type in by hand. Neither is shown again once confirmed.
type Enrolment struct {
	URI    string
	Secret string
}

// StartEnrolment makes (or, when the page is shown again, keeps) an unconfirmed secret for the user.
// It refuses with ErrHasSecondFactor when one is confirmed already.
func (s *Store) StartEnrolment(ctx context.Context, u User, at time.Time) (Enrolment, error) {
	var e Enrolment
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var sealed string
		var confirmed sql.NullTime
		err := tx.QueryRowxContext(ctx, `SELECT secret, confirmed_at FROM second_factors WHERE user_id = $1 FOR UPDATE`, u.ID).Scan(&sealed, &confirmed)
		switch {
		case err == nil && confirmed.Valid:
			return ErrHasSecondFactor
		case err == nil:
			if e.Secret, err = s.openSecret(sealed); err != nil {
				return err
			}
		case errors.Is(err, sql.ErrNoRows):
			key, err := totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: u.Email, Period: totpPeriod})
			if err != nil {
				return err
			}
			e.Secret = key.Secret()
			sealed, err := s.sealSecret(e.Secret)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO second_factors (user_id, secret, started_at) VALUES ($1,$2,$3)`, u.ID, sealed, at); err != nil {
				return err
			}
		default:
			return err
		}
		e.URI = otpauthURI(u.Email, e.Secret)
		return nil
	})
	return e, err
}

func otpauthURI(account, secret string) string {
	q := url.Values{"secret": {secret}, "issuer": {TOTPIssuer}, "period": {"30"}, "digits": {"6"}, "algorithm": {"SHA1"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + TOTPIssuer + ":" + account, RawQuery: q.Encode()}
	return u.String()
}

// ConfirmEnrolment checks the first code from the person's authenticator against the secret being
// set up; if right, the second factor is on, ten recovery codes are made (returned once, kept as
// hashes) and the act is in the admin audit trail (user.second_factor_enrolled).
func (s *Store) ConfirmEnrolment(ctx context.Context, u User, code string, at time.Time) ([]string, error) {
	var codes []string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var sealed string
		var confirmed sql.NullTime
		var last int64
		err := tx.QueryRowxContext(ctx, `SELECT secret, confirmed_at, last_step FROM second_factors WHERE user_id = $1 FOR UPDATE`, u.ID).Scan(&sealed, &confirmed, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSecondFactor
		}
		if err != nil {
			return err
		}
		if confirmed.Valid {
			return ErrHasSecondFactor
		}
		secret, err := s.openSecret(sealed)
		if err != nil {
			return err
		}
		step, ok := matchStep(secret, code, s.totpNow(), last)
		if !ok {
			return ErrBadCode
		}
		if _, err := tx.ExecContext(ctx, `UPDATE second_factors SET confirmed_at = $2, last_step = $3 WHERE user_id = $1`, u.ID, at, step); err != nil {
			return err
		}
		if codes, err = newRecoveryCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		return recordAdminEvent(ctx, tx, ActorOf(u), at, AdminEvent{Key: fmt.Sprintf("second-factor-enrolled-%d-%d", u.ID, at.UnixNano()),
			Action: "user.second_factor_enrolled", SubjectKind: "user", SubjectID: u.ID, Subject: u.Name + " (" + u.Email + ")",
			What: "Set up a second factor (authenticator app) and received 10 recovery codes"}, nil)
	})
	return codes, err
}

// EnrolSecondFactor sets a confirmed second factor with a known secret at once, with no recovery
// codes and no audit line: for the demo seed and tests only, whose staff sign in with a published secret.
func (s *Store) EnrolSecondFactor(ctx context.Context, userID int64, secret string, at time.Time) error {
	sealed, err := s.sealSecret(secret)
	if err != nil {
		return err
	}
	_, err = s.DB.ExecContext(ctx, `INSERT INTO second_factors (user_id, secret, started_at, confirmed_at) VALUES ($1,$2,$3,$3)
		ON CONFLICT (user_id) DO UPDATE SET secret = EXCLUDED.secret, confirmed_at = EXCLUDED.confirmed_at, last_step = 0`, userID, sealed, at)
	return err
}

// CheckSecondFactor accepts a current TOTP code (once) or an unused recovery code (then used up).
// Anything else is ErrBadCode; no confirmed second factor is ErrNoSecondFactor.
func (s *Store) CheckSecondFactor(ctx context.Context, userID int64, code string) error {
	code = strings.TrimSpace(code)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var sealed string
		var last int64
		err := tx.QueryRowxContext(ctx, `SELECT secret, last_step FROM second_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL FOR UPDATE`, userID).Scan(&sealed, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNoSecondFactor
		}
		if err != nil {
			return err
		}
		if digits := strings.ReplaceAll(code, " ", ""); len(digits) == 6 && strings.Trim(digits, "0123456789") == "" {
			secret, err := s.openSecret(sealed)
			if err != nil {
				return err
			}
			step, ok := matchStep(secret, digits, s.totpNow(), last)
			if !ok {
				return ErrBadCode
			}
			_, err = tx.ExecContext(ctx, `UPDATE second_factors SET last_step = $2 WHERE user_id = $1`, userID, step)
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL`,
			userID, recoveryHash(userID, code))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrBadCode
		}
		return nil
	})
}

// matchStep finds the step, within the skew and after the last accepted one, whose code is code.
func matchStep(secret, code string, now time.Time, last int64) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	current := now.Unix() / totpPeriod
	for off := int64(-totpSkew); off <= totpSkew; off++ {
		step := current + off
		if step <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(step*totpPeriod, 0), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return step, true
		}
	}
	return 0, false
}

// TOTPCode is the code an authenticator shows for the secret at t (the dev runner's helper and tests).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totpOpts)
}

// RegenerateRecoveryCodes replaces every recovery code with ten new ones (returned once), in the
// admin audit trail (user.recovery_codes_regenerated).
func (s *Store) RegenerateRecoveryCodes(ctx context.Context, u User, at time.Time) ([]string, error) {
	var codes []string
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var ok bool
		if err := tx.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM second_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL)`, u.ID); err != nil {
			return err
		}
		if !ok {
			return ErrNoSecondFactor
		}
		var err error
		if codes, err = newRecoveryCodes(ctx, tx, u.ID); err != nil {
			return err
		}
		return recordAdminEvent(ctx, tx, ActorOf(u), at, AdminEvent{Key: fmt.Sprintf("recovery-codes-%d-%d", u.ID, at.UnixNano()),
			Action: "user.recovery_codes_regenerated", SubjectKind: "user", SubjectID: u.ID, Subject: u.Name + " (" + u.Email + ")",
			What: "Made 10 new recovery codes; the old ones no longer work"}, nil)
	})
	return codes, err
}

// RemoveSecondFactor turns the person's own second factor off (applicants only: the caller checks
// the role), in the audit trail.
func (s *Store) RemoveSecondFactor(ctx context.Context, u User, at time.Time) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := dropSecondFactor(ctx, tx, u.ID); err != nil {
			return err
		}
		return recordAdminEvent(ctx, tx, ActorOf(u), at, AdminEvent{Key: fmt.Sprintf("second-factor-off-%d-%d", u.ID, at.UnixNano()),
			Action: "user.second_factor_removed", SubjectKind: "user", SubjectID: u.ID, Subject: u.Name + " (" + u.Email + ")",
			What: "Turned their second factor off"}, nil)
	})
}

// ResetSecondFactor is an admin's reset of someone's second factor (a lost phone): the secret and
// recovery codes go, every session and token of theirs ends, and at their next sign-in they set a
// new one up. In the audit trail with the reason (user.second_factor_reset).
func (s *Store) ResetSecondFactor(ctx context.Context, by Actor, userID int64, why string, at time.Time) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &u, `SELECT id, email, name, role, password_hash FROM users WHERE id = $1`, userID); err != nil {
			return notFound(err)
		}
		if err := dropSecondFactor(ctx, tx, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pending_sign_ins WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		return recordAdminEvent(ctx, tx, by, at, AdminEvent{Key: fmt.Sprintf("second-factor-reset-%d-%d", u.ID, at.UnixNano()),
			Action: "user.second_factor_reset", SubjectKind: "user", SubjectID: u.ID, Subject: u.Name + " (" + u.Email + ")",
			What: "Reset their second factor: their sessions ended and they set a new one up at their next sign-in", Why: why}, nil)
	})
	return u, err
}

func dropSecondFactor(ctx context.Context, tx *sqlx.Tx, userID int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM second_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL`, userID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoSecondFactor
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID)
	return err
}

// newRecoveryCodes replaces the user's recovery codes with ten new ones like "k3m9q-x7hw2".
func newRecoveryCodes(ctx context.Context, tx *sqlx.Tx, userID int64) ([]string, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return nil, err
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	codes := make([]string, 0, recoveryCodesN)
	for range recoveryCodesN {
		raw := make([]byte, 8)
		if _, err := rand.Read(raw); err != nil {
			return nil, err
		}
		c := strings.ToLower(enc.EncodeToString(raw))[:10] // 50 random bits
		code := c[:5] + "-" + c[5:]
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1,$2)`, userID, recoveryHash(userID, code)); err != nil {
			return nil, err
		}
		codes = append(codes, code)
	}
	return codes, nil
}

// recoveryHash ignores case, spaces and hyphens, so "K3M9Q X7HW2" is "k3m9q-x7hw2".
func recoveryHash(userID int64, code string) []byte {
	norm := strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(code)))
	sum := sha256.Sum256(fmt.Appendf(nil, "grantflow recovery code\x00%d\x00%s", userID, norm))
	return sum[:]
}

// sealSecret encrypts a secret with SecondFactorKey, when set ("v1:" + base64 of nonce and sealed text).
func (s *Store) sealSecret(secret string) (string, error) {
	if len(s.SecondFactorKey) == 0 {
		return secret, nil
	}
	gcm, err := s.secretCipher()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return "v1:" + base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(secret), []byte("grantflow totp"))), nil
}

func (s *Store) openSecret(sealed string) (string, error) {
	raw, ok := strings.CutPrefix(sealed, "v1:")
	if !ok {
		return sealed, nil
	}
	gcm, err := s.secretCipher()
	if err != nil {
		return "", err
	}
	data, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(data) < gcm.NonceSize() {
		return "", errors.New("second factor secret: not readable")
	}
	plain, err := gcm.Open(nil, data[:gcm.NonceSize()], data[gcm.NonceSize():], []byte("grantflow totp"))
	if err != nil {
		return "", errors.New("second factor secret: cannot be opened with SECOND_FACTOR_KEY")
	}
	return string(plain), nil
}

func (s *Store) secretCipher() (cipher.AEAD, error) {
	if len(s.SecondFactorKey) != 32 {
		return nil, errors.New("second factor key: must be 32 bytes")
	}
	block, err := aes.NewCipher(s.SecondFactorKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// PendingSignIn is the half-signed-in state after a right password: it opens only the code and
// enrolment pages, for ten minutes and five wrong codes.
type PendingSignIn struct {
	User     User
	ReturnTo string
}

const (
	pendingTTL   = 10 * time.Minute
	pendingTries = 5
)

// StartPendingSignIn records a half sign-in and returns its random token (the store keeps a hash).
func (s *Store) StartPendingSignIn(ctx context.Context, userID int64, returnTo string, now time.Time) (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	if _, err := s.DB.ExecContext(ctx, `DELETE FROM pending_sign_ins WHERE expires_at < $1`, now); err != nil {
		return "", err
	}
	_, err := s.DB.ExecContext(ctx, `INSERT INTO pending_sign_ins (token_hash, user_id, return_to, expires_at) VALUES ($1,$2,$3,$4)`,
		hashToken(token), userID, returnTo, now.Add(pendingTTL))
	return token, err
}

// PendingSignInOf reads a half sign-in that has not expired or run out of tries.
func (s *Store) PendingSignInOf(ctx context.Context, token string, now time.Time) (PendingSignIn, error) {
	var row struct {
		UserID   int64  `db:"user_id"`
		ReturnTo string `db:"return_to"`
	}
	err := s.DB.GetContext(ctx, &row, `SELECT p.user_id, p.return_to FROM pending_sign_ins p JOIN users u ON u.id = p.user_id
		WHERE p.token_hash = $1 AND p.expires_at > $2 AND p.tries < $3 AND u.disabled_at IS NULL`, hashToken(token), now, pendingTries)
	if err != nil {
		return PendingSignIn{}, ErrPendingSignInEnd
	}
	u, err := s.User(ctx, row.UserID)
	return PendingSignIn{User: u, ReturnTo: row.ReturnTo}, err
}

// FailPendingSignIn counts a wrong code against the half sign-in.
func (s *Store) FailPendingSignIn(ctx context.Context, token string) error {
	_, err := s.DB.ExecContext(ctx, `UPDATE pending_sign_ins SET tries = tries + 1 WHERE token_hash = $1`, hashToken(token))
	return err
}

// EndPendingSignIn forgets a half sign-in (completed, or abandoned).
func (s *Store) EndPendingSignIn(ctx context.Context, token string) error {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM pending_sign_ins WHERE token_hash = $1`, hashToken(token))
	return err
}
