package router_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"grantflow/http/router"
	"grantflow/store"
	"grantflow/store/storetest"
)

type health struct {
	Status string                       `json:"status"`
	Failed []string                     `json:"failed"`
	Checks map[string]map[string]string `json:"checks"`
}

// probe serves one request to a router built from deps and decodes the answer.
func probe(t *testing.T, d router.Deps, path string) (int, health) {
	t.Helper()
	d.Logger = slog.New(slog.DiscardHandler)
	rec := httptest.NewRecorder()
	start := time.Now()
	router.New(d).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("%s took %s; each check is bounded at 2s", path, took)
	}
	var h health
	if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
		t.Fatalf("%s: %v: %s", path, err, rec.Body)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s Cache-Control %q, want no-store", path, cc)
	}
	return rec.Code, h
}

func temporalUp(context.Context) error { return nil }

func TestLivezAnswersWithoutDependencies(t *testing.T) {
	for _, path := range []string{"/livez", "/healthz"} {
		code, h := probe(t, router.Deps{}, path) // no store, no Temporal: still alive
		if code != http.StatusOK || h.Status != "ok" {
			t.Errorf("%s: %d %+v, want 200 ok", path, code, h)
		}
	}
}

func TestReadyzReadyWithDatabaseTemporalAndMigrations(t *testing.T) {
	st := storetest.New(t)
	code, h := probe(t, router.Deps{Store: st, TemporalCheck: temporalUp}, "/readyz")
	if code != http.StatusOK || h.Status != "ok" || len(h.Failed) != 0 {
		t.Fatalf("readyz: %d %+v, want 200 ok", code, h)
	}
	for _, name := range []string{"postgres", "temporal", "migrations"} {
		if h.Checks[name]["status"] != "ok" {
			t.Errorf("check %s: %v, want ok", name, h.Checks[name])
		}
	}
}

func TestReadyzNamesTheFailedCheck(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		db, err := sqlx.Connect("postgres", storetest.NewURL(t))
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		code, h := probe(t, router.Deps{Store: &store.Store{DB: db}, TemporalCheck: temporalUp}, "/readyz")
		mustFail(t, code, h, "postgres", "closed")
		if h.Checks["temporal"]["status"] != "ok" {
			t.Errorf("temporal %v, want ok while only the database is down", h.Checks["temporal"])
		}
	})
	t.Run("temporal", func(t *testing.T) {
		st := storetest.New(t)
		down := func(context.Context) error { return errors.New("connection refused") }
		code, h := probe(t, router.Deps{Store: st, TemporalCheck: down}, "/readyz")
		mustFail(t, code, h, "temporal", "connection refused")
		if len(h.Failed) != 1 {
			t.Errorf("failed %v, want only temporal", h.Failed)
		}
	})
	t.Run("temporal hangs", func(t *testing.T) {
		st := storetest.New(t)
		hang := func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() }
		code, h := probe(t, router.Deps{Store: st, TemporalCheck: hang}, "/readyz")
		mustFail(t, code, h, "temporal", "no answer within 2s")
	})
	t.Run("no Temporal client", func(t *testing.T) {
		code, h := probe(t, router.Deps{Store: storetest.New(t)}, "/readyz")
		mustFail(t, code, h, "temporal", "no Temporal client")
	})
	t.Run("migrations", func(t *testing.T) {
		st := storetest.New(t)
		// The newest migration unrecorded: the database is behind this binary.
		if _, err := st.DB.Exec(`DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
			t.Fatal(err)
		}
		code, h := probe(t, router.Deps{Store: st, TemporalCheck: temporalUp}, "/readyz")
		mustFail(t, code, h, "migrations", "this binary expects")
		if len(h.Failed) != 1 {
			t.Errorf("failed %v, want only migrations", h.Failed)
		}
	})
}

func mustFail(t *testing.T, code int, h health, check, why string) {
	t.Helper()
	if code != http.StatusServiceUnavailable || h.Status != "unavailable" {
		t.Errorf("readyz: %d %q, want 503 unavailable", code, h.Status)
	}
	named := false
	for _, f := range h.Failed {
		named = named || f == check
	}
	if !named {
		t.Errorf("failed %v does not name %s", h.Failed, check)
	}
	if got := h.Checks[check]; got["status"] != "failed" || !strings.Contains(got["error"], why) {
		t.Errorf("check %s: %v, want failed saying %q", check, got, why)
	}
	if strings.Contains(strings.ToLower(h.Checks[check]["error"]), "password") {
		t.Errorf("check %s's reason mentions a password: %q", check, h.Checks[check]["error"])
	}
}
