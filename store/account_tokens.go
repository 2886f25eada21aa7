package store

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// One-time links: a staff invitation, an invitation to join an organisation, a password reset and
// an e-mail verification. Each is 32 random bytes (base64url); the row keeps its first
// selectorLength characters to find it and only the SHA-256 of the whole token, compared in constant
// time. useAccountToken spends it in one UPDATE that also checks it is unused, not cancelled and
// unexpired, so a link works once however many times (or however concurrently) it is sent.

// Purposes of a one-time link.
const (
	PurposeStaffInvitation   = "staff_invitation"
	PurposeMemberInvitation  = "member_invitation"
	PurposePasswordReset     = "password_reset"
	PurposeEmailVerification = "email_verification"
)

// How long each link lasts.
const (
	InvitationTTL    = 7 * 24 * time.Hour
	PasswordResetTTL = time.Hour
	VerificationTTL  = 7 * 24 * time.Hour
)

// Refusals of a link, worded for the person who followed it.
var (
	ErrLinkInvalid = errors.New("this link is not valid: check you copied all of it from the e-mail")
	ErrLinkExpired = errors.New("this link has expired")
	ErrLinkUsed    = errors.New("this link has already been used")
)

const selectorLength = 12

// AccountToken is a one-time link's row (never its token).
type AccountToken struct {
	ID             int64         `db:"id"`
	Purpose        string        `db:"purpose"`
	UserID         sql.NullInt64 `db:"user_id"`
	OrganisationID sql.NullInt64 `db:"organisation_id"`
	Email          string        `db:"email"`
	Name           string        `db:"name"`
	CreatedBy      sql.NullInt64 `db:"created_by"`
	CreatedAt      time.Time     `db:"created_at"`
	ExpiresAt      time.Time     `db:"expires_at"`
	UsedAt         *time.Time    `db:"used_at"`
	CancelledAt    *time.Time    `db:"cancelled_at"`
	hash           []byte
}

// newLinkToken makes a token: 32 random bytes, base64url (43 characters).
func newLinkToken() (string, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(raw), nil
}

// wellFormed reports whether a token has the shape of ours, so nothing else reaches the database.
func wellFormed(token string) bool {
	if len(token) != 43 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(raw) == 32
}

// issueAccountToken stores a new link of t's purpose, lasting ttl from t.CreatedAt, and returns the
// token to put in the link (which is never stored).
func issueAccountToken(ctx context.Context, tx *sqlx.Tx, t AccountToken, ttl time.Duration) (string, AccountToken, error) {
	token, err := newLinkToken()
	if err != nil {
		return "", t, err
	}
	t.ExpiresAt = t.CreatedAt.Add(ttl)
	err = tx.GetContext(ctx, &t.ID, `INSERT INTO account_tokens (selector, token_hash, purpose, user_id, organisation_id, email, name, created_by, created_at, expires_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10) RETURNING id`,
		token[:selectorLength], hashToken(token), t.Purpose, t.UserID, t.OrganisationID, strings.TrimSpace(t.Email), t.Name, t.CreatedBy, t.CreatedAt, t.ExpiresAt)
	return token, t, err
}

// findAccountToken reads the link a token names, checking the hash in constant time. It answers
// ErrLinkInvalid for a token that is not ours or not for this purpose, and ErrLinkUsed or
// ErrLinkExpired for one that can no longer be used (cancelled counts as used: a newer link was
// sent, or the invitation was withdrawn).
func findAccountToken(ctx context.Context, q sqlx.QueryerContext, token, purpose string, at time.Time) (AccountToken, error) {
	if !wellFormed(token) {
		return AccountToken{}, ErrLinkInvalid
	}
	var row struct {
		AccountToken
		Hash []byte `db:"token_hash"`
	}
	err := sqlx.GetContext(ctx, q, &row, `SELECT id, purpose, user_id, organisation_id, email, name, created_by, created_at, expires_at,
		used_at, cancelled_at, token_hash FROM account_tokens WHERE selector = $1`, token[:selectorLength])
	if errors.Is(err, sql.ErrNoRows) {
		return AccountToken{}, ErrLinkInvalid
	}
	if err != nil {
		return AccountToken{}, err
	}
	if subtle.ConstantTimeCompare(row.Hash, hashToken(token)) != 1 || row.Purpose != purpose {
		return AccountToken{}, ErrLinkInvalid
	}
	t := row.AccountToken
	t.hash = row.Hash
	switch {
	case t.UsedAt != nil || t.CancelledAt != nil:
		return t, ErrLinkUsed
	case !at.Before(t.ExpiresAt):
		return t, ErrLinkExpired
	}
	return t, nil
}

// useAccountToken spends a link inside the caller's transaction: one UPDATE that succeeds only for
// an unused, uncancelled, unexpired link, so of two uses at once exactly one wins.
func useAccountToken(ctx context.Context, tx *sqlx.Tx, token, purpose string, at time.Time) (AccountToken, error) {
	t, err := findAccountToken(ctx, tx, token, purpose, at)
	if err != nil {
		return t, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE account_tokens SET used_at = $2
		WHERE id = $1 AND token_hash = $3 AND used_at IS NULL AND cancelled_at IS NULL AND expires_at > $2`, t.ID, at, t.hash)
	if err != nil {
		return t, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return t, ErrLinkUsed // spent by a request that committed after we read it
	}
	return t, nil
}

// cancelAccountTokens withdraws every live link of a purpose for a user (a newer one replaces them).
func cancelAccountTokens(ctx context.Context, tx *sqlx.Tx, userID int64, purpose string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE account_tokens SET cancelled_at = $3
		WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND cancelled_at IS NULL`, userID, purpose, at)
	return err
}

// AccountMail is a message about a person's own account (an invitation, a password reset link, a
// verification link, a password changed): it goes to one address, carries one link, and is never
// listed among the person's in-app notifications (the link may be secret).
type AccountMail struct {
	Key      string    // once per key
	Kind     string    // staff_invitation, member_invitation, password_reset, email_verification, password_changed
	Name     string    // whom it greets
	Email    string    // where it goes
	Message  string    // what happened and what to do
	Path     string    // the link's path on the site ("/invitations/…"); the composer adds the base URL
	LinkText string    // the link's words
	Expires  time.Time // when the link stops working; zero when it has none that expires
	At       time.Time
}

// KindAccountPrefix begins the kind of every account message's notification.
const KindAccountPrefix = "account_"

// writeAccountMail writes the message into the outbox in the caller's transaction, once per key.
// Its notification names no application and its message no user, so it never shows in an in-app
// list; the sender delivers it like any other.
func writeAccountMail(ctx context.Context, tx *sqlx.Tx, ob Outbox, m AccountMail) error {
	compose := ob.ComposeAccount
	if compose == nil {
		compose = plainAccountMail
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO notifications (key, application_id, audience, kind, message, created_at)
		VALUES ($1, NULL, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`,
		m.Key, "address:"+strings.ToLower(m.Email), KindAccountPrefix+m.Kind, m.Message, m.At)
	if err != nil {
		return err
	}
	if rows, _ := res.RowsAffected(); rows == 0 {
		return nil
	}
	c, err := compose(m)
	if err != nil {
		return fmt.Errorf("account mail %s: compose: %w", m.Key, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO messages (notification_key, user_id, address, subject, body_text, body_html, link, created_at)
		VALUES ($1, NULL, $2, $3, $4, $5, $6, $7) ON CONFLICT (notification_key, address) DO NOTHING`,
		m.Key, strings.ToLower(strings.TrimSpace(m.Email)), c.Subject, c.Text, c.HTML, c.Link, m.At)
	return err
}

// plainAccountMail is the message when the outbox has no composer for account mail (tests of
// other things): plain text with the link's path.
func plainAccountMail(m AccountMail) (MailContent, error) {
	text := fmt.Sprintf("Hello %s,\n\n%s\n\n%s\n", m.Name, m.Message, m.Path)
	return MailContent{Subject: m.LinkText, Text: text, HTML: "<p>" + text + "</p>", Link: m.Path}, nil
}
