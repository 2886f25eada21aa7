package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"golang.org/x/crypto/bcrypt"

	"grantflow/scheme"
)

// ErrBadCredentials is the one answer to a wrong e-mail or password, so neither is revealed.
var ErrBadCredentials = errors.New("e-mail or password is wrong")

// Organisation is an applicant body: a charity, company or community group.
type Organisation struct {
	ID            int64     `db:"id" json:"id"`
	Name          string    `db:"name" json:"name"`
	Type          string    `db:"org_type" json:"type"`
	CharityNumber string    `db:"charity_number" json:"charity_number,omitempty"`
	CompanyNumber string    `db:"company_number" json:"company_number,omitempty"`
	Address       string    `db:"address" json:"address"`
	Postcode      string    `db:"postcode" json:"postcode"`
	ContactName   string    `db:"contact_name" json:"contact_name"`
	ContactEmail  string    `db:"contact_email" json:"contact_email"`
	ContactPhone  string    `db:"contact_phone" json:"contact_phone"`
	CreatedAt     time.Time `db:"created_at" json:"created_at"`
}

// User is a person who signs in. Organisations lists the bodies they are a member of.
type User struct {
	ID            int64       `db:"id" json:"id"`
	Email         string      `db:"email" json:"email"`
	Name          string      `db:"name" json:"name"`
	Role          scheme.Role `db:"role" json:"role"`
	PasswordHash  string      `db:"password_hash" json:"-"`
	Organisations []int64     `db:"-" json:"organisations"`
	// BandTitle is the delegation band a Commissioner or head of commissioning decides in.
	BandTitle string `db:"band_title" json:"band_title,omitempty"`
	// EmailVerified: the person followed the link sent to their address (staff and people who
	// joined from an invitation have; an applicant who registered must before submitting).
	EmailVerified bool `db:"email_verified" json:"email_verified"`
}

// MemberOf reports whether the user belongs to the organisation.
func (u User) MemberOf(orgID int64) bool {
	for _, id := range u.Organisations {
		if id == orgID {
			return true
		}
	}
	return false
}

// NewUser is what creating an account needs.
type NewUser struct {
	Email         string
	Name          string
	Role          scheme.Role
	Password      string
	Organisations []int64
	// Unverified leaves the e-mail address to be verified by its link (registration); everyone
	// else created here (staff from the command line, the demo) is verified at once.
	Unverified bool
	BandTitle  string
}

// passwordCost is bcrypt's work factor: slow enough to resist guessing, quick enough for sign-in.
const passwordCost = 11

// dummyHash is compared against when no such user exists, made once on first use.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such user"), passwordCost)
	return h
})

// CreateOrganisationWithUser registers an applicant organisation and its first member at once.
func (s *Store) CreateOrganisationWithUser(ctx context.Context, org Organisation, u NewUser) (Organisation, User, error) {
	var user User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		err := tx.QueryRowxContext(ctx, `INSERT INTO organisations (name, org_type, charity_number, company_number, address, postcode)
			VALUES ($1,$2,$3,$4,$5,$6) RETURNING id, created_at`,
			org.Name, org.Type, org.CharityNumber, org.CompanyNumber, org.Address, org.Postcode).Scan(&org.ID, &org.CreatedAt)
		if err != nil {
			return err
		}
		u.Organisations = append(u.Organisations, org.ID)
		if user, err = createUser(ctx, tx, u); err != nil {
			return err
		}
		if u.Unverified { // registration: the address is verified by the link sent now
			return s.sendVerification(ctx, tx, user, time.Now())
		}
		return nil
	})
	return org, user, err
}

// CreateUser adds a user (staff accounts come from `grantflow users add`).
func (s *Store) CreateUser(ctx context.Context, u NewUser) (User, error) {
	var user User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var err error
		user, err = createUser(ctx, tx, u)
		return err
	})
	return user, err
}

func createUser(ctx context.Context, tx *sqlx.Tx, u NewUser) (User, error) {
	hash, err := bcrypt.GenerateFromPassword([]byte(u.Password), passwordCost)
	if err != nil {
		return User{}, fmt.Errorf("password: %w", err)
	}
	user := User{Email: strings.TrimSpace(u.Email), Name: u.Name, Role: u.Role, Organisations: u.Organisations}
	user.BandTitle, user.EmailVerified = u.BandTitle, !u.Unverified
	err = tx.QueryRowxContext(ctx, `INSERT INTO users (email, name, role, password_hash, band_title, email_verified_at)
		VALUES ($1,$2,$3,$4,$5, CASE WHEN $6 THEN now() END) RETURNING id`,
		user.Email, user.Name, user.Role, string(hash), u.BandTitle, user.EmailVerified).Scan(&user.ID)
	if isUniqueViolation(err) {
		return User{}, fmt.Errorf("e-mail %s: %w", user.Email, ErrDuplicate)
	}
	if err != nil {
		return User{}, err
	}
	for _, org := range u.Organisations {
		if _, err := tx.ExecContext(ctx, `INSERT INTO organisation_members (organisation_id, user_id) VALUES ($1,$2)`, org, user.ID); err != nil {
			return User{}, err
		}
	}
	return user, nil
}

// userColumns are what a User is read from.
const userColumns = `id, email, name, role, password_hash, band_title, email_verified_at IS NOT NULL AS email_verified`

// UserByEmail finds a user regardless of the e-mail's case.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	if err := s.DB.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE lower(email) = lower($1)`, strings.TrimSpace(email)); err != nil {
		return User{}, notFound(err)
	}
	return u, s.loadMemberships(ctx, &u)
}

// User reads one user by id.
func (s *Store) User(ctx context.Context, id int64) (User, error) {
	var u User
	if err := s.DB.GetContext(ctx, &u, `SELECT `+userColumns+` FROM users WHERE id = $1`, id); err != nil {
		return User{}, notFound(err)
	}
	return u, s.loadMemberships(ctx, &u)
}

func (s *Store) loadMemberships(ctx context.Context, u *User) error {
	var ids pq.Int64Array
	if err := s.DB.GetContext(ctx, &ids, `SELECT coalesce(array_agg(organisation_id ORDER BY organisation_id), '{}') FROM organisation_members WHERE user_id = $1`, u.ID); err != nil {
		return err
	}
	u.Organisations = []int64(ids)
	return nil
}

// Authenticate checks an e-mail and password, answering ErrBadCredentials for either being wrong.
func (s *Store) Authenticate(ctx context.Context, email, password string) (User, error) {
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		// Spend the same time as a real check so response times do not reveal which e-mails exist.
		bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return User{}, ErrBadCredentials
	}
	if err != nil {
		return User{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		return User{}, ErrBadCredentials
	}
	var disabled bool
	if err := s.DB.GetContext(ctx, &disabled, `SELECT disabled_at IS NOT NULL FROM users WHERE id = $1`, u.ID); err != nil {
		return User{}, err
	}
	if disabled { // answered as a wrong password, so the account's state is not told to whoever tries it
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// IssueToken creates a random bearer token; only its hash is stored.
func (s *Store) IssueToken(ctx context.Context, userID int64, ttl time.Duration) (string, time.Time, error) {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	expires := time.Now().Add(ttl).UTC().Truncate(time.Second)
	_, err := s.DB.ExecContext(ctx, `INSERT INTO api_tokens (token_hash, user_id, expires_at) VALUES ($1,$2,$3)`, hashToken(token), userID, expires)
	return token, expires, err
}

// UserByToken resolves a bearer token that has not expired.
func (s *Store) UserByToken(ctx context.Context, token string) (User, error) {
	var id int64
	err := s.DB.GetContext(ctx, &id, `SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = $1 AND t.expires_at > now() AND u.disabled_at IS NULL`, hashToken(token))
	if err != nil {
		return User{}, notFound(err)
	}
	return s.User(ctx, id)
}

func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// Organisation reads one organisation.
func (s *Store) Organisation(ctx context.Context, id int64) (Organisation, error) {
	var o Organisation
	err := s.DB.GetContext(ctx, &o, `SELECT * FROM organisations WHERE id = $1`, id)
	return o, notFound(err)
}

// SetDisabled disables an account (a leaver), ending every session and API token it has at once,
// or enables it again. A disabled account signs in as a wrong password would: it is refused.
func (s *Store) SetDisabled(ctx context.Context, email string, disabled bool, at time.Time) (User, error) {
	var u User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		var when any
		if disabled {
			when = at
		}
		if err := tx.GetContext(ctx, &u, `UPDATE users SET disabled_at = $2 WHERE lower(email) = lower($1)
			RETURNING `+userColumns, strings.TrimSpace(email), when); err != nil {
			return notFound(err)
		}
		if !disabled {
			return nil
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM api_tokens WHERE user_id = $1`, u.ID)
		return err
	})
	return u, err
}

// RevokeToken ends a bearer token or session at once (sign-out).
func (s *Store) RevokeToken(ctx context.Context, token string) error {
	_, err := s.DB.ExecContext(ctx, `DELETE FROM api_tokens WHERE token_hash = $1`, hashToken(token))
	return err
}
