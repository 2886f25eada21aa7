// Package storetest gives each test its own freshly migrated PostgreSQL database on the real server.
package storetest

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/lib/pq"

	"grantflow/internal/throwawaydb"
	"grantflow/store"
)

// ServerURL is the PostgreSQL server tests use: TEST_DATABASE_URL, or the local server.
func ServerURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewURL creates an empty database for the test, dropped when the test ends, and returns its URL.
func NewURL(t testing.TB) string {
	t.Helper()
	db, err := throwawaydb.New(ServerURL(), "grantflow_test")
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	if err := db.Create(context.Background()); err != nil {
		t.Fatalf("create test database (is PostgreSQL running?): %v", err)
	}
	t.Cleanup(func() { db.Drop() })
	return db.URL
}

// New opens a migrated store on a fresh database.
func New(t testing.TB) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), NewURL(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// AppRole is the role production's HTTP server and workers connect as (deploy/postgres/roles.sql).
const AppRole = "grantflow_app"

// NewWithAppRole opens a migrated store on a fresh database, as New does, and a second store on the
// same database whose every connection acts as grantflow_app: what the application may do in
// production, no more. The roles are created on the server first, as roles.sql does.
func NewWithAppRole(t testing.TB) (owner, app *store.Store) {
	t.Helper()
	CreateRoles(t)
	raw := NewURL(t)
	ctx := context.Background()
	owner, err := store.Open(ctx, raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { owner.Close() })
	u, _ := url.Parse(raw)
	q := u.Query()
	q.Set("options", "-c role="+AppRole) // the server's credentials, the application's privileges
	u.RawQuery = q.Encode()
	if app, err = store.Connect(ctx, u.String()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return owner, app
}

// CreateRoles runs deploy/postgres/roles.sql on the test server. Roles belong to the whole server,
// so test packages running at once may race to create them: the loser tries again and finds them.
func CreateRoles(t testing.TB) {
	t.Helper()
	script, err := os.ReadFile(filepath.Join(moduleRoot(t), "deploy", "postgres", "roles.sql"))
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("postgres", ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for attempt := 0; ; attempt++ {
		_, err = admin.Exec(string(script))
		var pqErr *pq.Error
		if err == nil || attempt == 2 || !errors.As(err, &pqErr) || (pqErr.Code != "23505" && pqErr.Code != "42710") {
			break
		}
	}
	if err != nil {
		t.Fatalf("deploy/postgres/roles.sql: %v", err)
	}
}

// moduleRoot is the directory holding go.mod, found upwards from the test's package.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test's directory")
		}
		dir = parent
	}
}
