package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/bcrypt"
)

// Everyone's own account: changing a password, resetting a forgotten one by an e-mailed link, and
// verifying an e-mail address.

// ErrWrongPassword refuses a change of password whose current password is wrong.
var ErrWrongPassword = errors.New("the current password is wrong")

func passwordHash(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), passwordCost)
	if err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	return string(h), nil
}

// passwordChangedMail tells the person their password changed, so someone else's change is noticed.
func (s *Store) passwordChangedMail(ctx context.Context, tx *sqlx.Tx, u User, at time.Time, how string) error {
	return writeAccountMail(ctx, tx, s.Outbox, AccountMail{Key: fmt.Sprintf("account/password_changed/%d/%d", u.ID, at.UnixNano()),
		Kind: "password_changed", Name: u.Name, Email: u.Email, At: at, Path: "/password-reset", LinkText: "Reset your password",
		Message: fmt.Sprintf("Your Grantflow password was changed at %s %s. If this was not you, reset your password now with the link below and tell us.",
			londonTime(at), how)})
}

// ChangePassword sets a new password when the current one is right, and ends every other session
// and API token of the person; keepToken (the session or token they changed it from) goes on
// working. They are e-mailed that it changed.
func (s *Store) ChangePassword(ctx context.Context, userID int64, current, newPassword, keepToken string, at time.Time) error {
	u, err := s.User(ctx, userID)
	if err != nil {
		return err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(current)) != nil {
		return ErrWrongPassword
	}
	hash, err := passwordHash(newPassword)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		// The hash checked above must still be the one stored: two changes at once do not both win.
		res, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1 AND password_hash = $3`, userID, hash, u.PasswordHash)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrWrongPassword
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1 AND token_hash <> $2`, userID, hashToken(keepToken)); err != nil {
			return err
		}
		if err := cancelAccountTokens(ctx, tx, userID, PurposePasswordReset, at); err != nil {
			return err
		}
		return s.passwordChangedMail(ctx, tx, u, at, "from your account")
	})
}

// RequestPasswordReset e-mails a link to set a new password (valid for PasswordResetTTL) to the
// account with that address, if there is one that can sign in. It answers the same, nil, whether
// or not there is: the caller says the same thing either way.
func (s *Store) RequestPasswordReset(ctx context.Context, email string, at time.Time) error {
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var canSignIn bool
	if err := s.DB.GetContext(ctx, &canSignIn, `SELECT disabled_at IS NULL AND password_hash <> '' FROM users WHERE id = $1`, u.ID); err != nil {
		return err
	}
	if !canSignIn { // invited and not yet signed up, or disabled: nothing is sent
		return nil
	}
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		token, t, err := issueAccountToken(ctx, tx, AccountToken{Purpose: PurposePasswordReset, UserID: sql.NullInt64{Int64: u.ID, Valid: true},
			Email: u.Email, Name: u.Name, CreatedAt: at}, PasswordResetTTL)
		if err != nil {
			return err
		}
		return writeAccountMail(ctx, tx, s.Outbox, AccountMail{Key: fmt.Sprintf("account/password_reset/%d", t.ID), Kind: PurposePasswordReset,
			Name: u.Name, Email: u.Email, At: at, Expires: t.ExpiresAt, Path: "/password-reset/" + token, LinkText: "Set a new password",
			Message: fmt.Sprintf("Someone asked to reset the password of your Grantflow account. Set a new password with the link below. It works once and expires at %s. If you did not ask, you do not need to do anything: your password has not changed.",
				londonTime(t.ExpiresAt))})
	})
}

// PasswordResetFor reads the reset a link carries without using it.
func (s *Store) PasswordResetFor(ctx context.Context, token string, at time.Time) (AccountToken, error) {
	return findAccountToken(ctx, s.DB, token, PurposePasswordReset, at)
}

// ResetPassword sets the new password from the link, once, and ends every session and API token
// of the person. Following the link proves the address, so it is verified too.
func (s *Store) ResetPassword(ctx context.Context, token, newPassword string, at time.Time) (User, error) {
	hash, err := passwordHash(newPassword)
	if err != nil {
		return User{}, err
	}
	var u User
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		t, err := useAccountToken(ctx, tx, token, PurposePasswordReset, at)
		if err != nil {
			return err
		}
		if err := tx.GetContext(ctx, &u, `UPDATE users SET password_hash = $2, email_verified_at = COALESCE(email_verified_at, $3)
			WHERE id = $1 AND disabled_at IS NULL AND lower(email) = lower($4) RETURNING `+userColumns, t.UserID, hash, at, t.Email); err != nil {
			if errors.Is(err, sql.ErrNoRows) { // disabled, or the address changed, since the link was sent
				return ErrLinkInvalid
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		if err := cancelAccountTokens(ctx, tx, u.ID, PurposePasswordReset, at); err != nil {
			return err
		}
		return s.passwordChangedMail(ctx, tx, u, at, "with a reset link sent to this address")
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, u.ID) // with the organisations they belong to
}

// sendVerification e-mails a link that verifies the person's address; earlier links stop working.
func (s *Store) sendVerification(ctx context.Context, tx *sqlx.Tx, u User, at time.Time) error {
	if err := cancelAccountTokens(ctx, tx, u.ID, PurposeEmailVerification, at); err != nil {
		return err
	}
	token, t, err := issueAccountToken(ctx, tx, AccountToken{Purpose: PurposeEmailVerification, UserID: sql.NullInt64{Int64: u.ID, Valid: true},
		Email: u.Email, Name: u.Name, CreatedAt: at}, VerificationTTL)
	if err != nil {
		return err
	}
	return writeAccountMail(ctx, tx, s.Outbox, AccountMail{Key: fmt.Sprintf("account/email_verification/%d", t.ID), Kind: PurposeEmailVerification,
		Name: u.Name, Email: u.Email, At: at, Expires: t.ExpiresAt, Path: "/verify-email/" + token, LinkText: "Confirm your email address",
		Message: fmt.Sprintf("Confirm that this is your email address with the link below. You can save applications before you do, but you cannot submit one until you have. The link expires at %s.",
			londonTime(t.ExpiresAt))})
}

// SendEmailVerification e-mails a new verification link to a person whose address is not yet
// verified; for one who is, it does nothing and reports false.
func (s *Store) SendEmailVerification(ctx context.Context, userID int64, at time.Time) (bool, error) {
	u, err := s.User(ctx, userID)
	if err != nil || u.EmailVerified {
		return false, err
	}
	return true, s.inTx(ctx, func(tx *sqlx.Tx) error { return s.sendVerification(ctx, tx, u, at) })
}

// VerifyEmail marks the address verified from the link, once.
func (s *Store) VerifyEmail(ctx context.Context, token string, at time.Time) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		t, err := useAccountToken(ctx, tx, token, PurposeEmailVerification, at)
		if err != nil {
			return err
		}
		err = tx.GetContext(ctx, &u, `UPDATE users SET email_verified_at = COALESCE(email_verified_at, $2)
			WHERE id = $1 AND lower(email) = lower($3) RETURNING `+userColumns, t.UserID, at, t.Email)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrLinkInvalid
		}
		return err
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, u.ID) // with the organisations they belong to
}
