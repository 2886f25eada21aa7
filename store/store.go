// Package store is the one place that speaks SQL. Activities write through it; the HTTP read side
// lists and reads through it. Every write that a retry could repeat is keyed so it happens once.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"github.com/pressly/goose/v3"

	"grantflow/migrations"
)

// Errors callers branch on. Messages are written for the person who caused them.
var (
	ErrNotFound       = errors.New("not found")
	ErrBudgetExceeded = errors.New("the scheme's budget for that financial year cannot cover this amount")
	ErrDuplicate      = errors.New("already exists")
	// ErrDraftLocked refuses a change to, or the submission of, a draft whose round closed and whose
	// scheme's grace period after closing has ended.
	ErrDraftLocked = errors.New("the funding round has closed and its grace period has ended, so this draft is locked: it can no longer be changed or submitted")
)

// Store wraps the database handle.
type Store struct {
	DB *sqlx.DB
	// Outbox turns what a recorded fact tells people into their messages, in the fact's own
	// transaction (moments.go). A store without a composer (tests of other things) tells nobody.
	Outbox Outbox
	// SignInPolicy overrides DefaultSignInPolicy (tests).
	SignInPolicy *SignInPolicy
	// SecondFactorKey, 32 bytes when set, seals TOTP secrets at rest (AES-256-GCM); without it they
	// are stored as they are, and are still never shown again after enrolment.
	SecondFactorKey []byte
	// SecondFactorClock is the time TOTP codes are checked against; nil is the real clock. Tests
	// move it on so that one person can sign in many times without replaying a code.
	SecondFactorClock func() time.Time
	// Quotas bound the drafts and upload bytes one organisation may keep; zero values, no limit.
	Quotas Quotas
}

// Open connects to PostgreSQL, creating the database if it is missing, and applies every migration:
// `grantflow migrate` as the schema's owner, the dev runner and the tests.
func Open(ctx context.Context, databaseURL string, logger *slog.Logger) (*Store, error) {
	if err := CheckDatabaseURL("DATABASE_URL", databaseURL); err != nil {
		return nil, err
	}
	if err := CreateDatabaseIfMissing(ctx, databaseURL); err != nil {
		return nil, err
	}
	s, err := Connect(ctx, databaseURL)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx, logger); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Connect opens the connection pool and leaves the schema as it is.
func Connect(ctx context.Context, databaseURL string) (*Store, error) {
	if err := CheckDatabaseURL("DATABASE_URL", databaseURL); err != nil {
		return nil, err
	}
	db, err := sqlx.ConnectContext(ctx, "postgres", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	return &Store{DB: db}, nil
}

// Close releases the connection pool.
func (s *Store) Close() error { return s.DB.Close() }

// Migrate applies the embedded migrations with goose.
func (s *Store) Migrate(ctx context.Context, logger *slog.Logger) error {
	provider, err := goose.NewProvider(goose.DialectPostgres, s.DB.DB, migrations.FS)
	if err != nil {
		return fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		if logger != nil {
			logger.Info("migration applied", "version", r.Source.Version, "took", r.Duration)
		}
	}
	return nil
}

// CheckDatabaseURL insists the URL in the named variable says how to treat TLS, so no environment
// silently downgrades it.
func CheckDatabaseURL(variable, databaseURL string) error {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("%s must be a postgres:// URL", variable)
	}
	if u.Query().Get("sslmode") == "" {
		return fmt.Errorf("%s must set sslmode explicitly (e.g. ?sslmode=disable locally, ?sslmode=verify-full in production)", variable)
	}
	return nil
}

// CreateDatabaseIfMissing connects to the server's maintenance database and creates the named one.
func CreateDatabaseIfMissing(ctx context.Context, databaseURL string) error {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || name == "postgres" {
		return nil
	}
	admin := *u
	admin.Path = "/postgres"
	db, err := sql.Open("postgres", admin.String())
	if err != nil {
		return err
	}
	defer db.Close()
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("connect to PostgreSQL at %s: %w", u.Host, err)
	}
	if exists {
		return nil
	}
	_, err = db.ExecContext(ctx, "CREATE DATABASE "+pq.QuoteIdentifier(name))
	var pqErr *pq.Error
	if errors.As(err, &pqErr) && pqErr.Code == "42P04" { // created meanwhile by another process
		return nil
	}
	return err
}

// inTx runs fn in a transaction, committing when it returns nil. Under an Idempotency-Key whose
// effect is the database's, a transaction that wrote also records the key's effect, in itself
// (recordIdempotentEffect), so a repeat after a crash never writes again.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.DB.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := recordIdempotentEffect(ctx, tx, 0); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	return errors.As(err, &pqErr) && pqErr.Code == "23505"
}

// Unavailable reports whether err is PostgreSQL being out of reach for a moment: shutting down or
// starting up (57P01–57P03), a broken connection (class 08) or a connection lost mid-request, so the
// caller may try again shortly. A connection lost during a commit may have saved it: look first.
func Unavailable(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code {
		case "57P01", "57P02", "57P03": // admin_shutdown, crash_shutdown, cannot_connect_now
			return true
		}
		return pqErr.Code.Class() == "08"
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}
