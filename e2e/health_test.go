package e2e

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"grantflow/internal/app"
	"grantflow/store/storetest"
)

// TestReadyzFollowsItsDependencies runs the production front door against its own real Temporal
// server (not the package's shared one, which it stops) and a real database: ready while both
// answer, not ready naming temporal once the server stops, and naming postgres once the pool
// closes; /livez stays 200 throughout.
func TestReadyzFollowsItsDependencies(t *testing.T) {
	ts := temporaltest.NewServer()
	var stopOnce sync.Once
	stop := func() { stopOnce.Do(ts.Stop) }
	t.Cleanup(stop)
	// A client of our own: the test server closes the clients it made when it stops, and the point
	// is a live client whose server has gone.
	c, err := client.Dial(client.Options{HostPort: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	st := storetest.New(t)
	srv := httptest.NewServer(app.Handler(c, st, app.Config{}, slog.New(slog.NewTextHandler(testLog{t}, nil))))
	t.Cleanup(srv.Close)

	type answer struct {
		Status string   `json:"status"`
		Failed []string `json:"failed"`
	}
	get := func(path string) (int, answer) {
		t.Helper()
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var a answer
		if err := json.NewDecoder(res.Body).Decode(&a); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return res.StatusCode, a
	}
	expect := func(stage string, wantCode int, wantFailed ...string) {
		t.Helper()
		if code, a := get("/livez"); code != http.StatusOK || a.Status != "ok" {
			t.Errorf("%s: /livez %d %q, want 200 ok", stage, code, a.Status)
		}
		code, a := get("/readyz")
		if code != wantCode || !slices.Equal(a.Failed, wantFailed) {
			t.Errorf("%s: /readyz %d failed %v, want %d failed %v", stage, code, a.Failed, wantCode, wantFailed)
		}
	}

	expect("all up", http.StatusOK)
	stop()
	expect("Temporal stopped", http.StatusServiceUnavailable, "temporal")
	st.Close()
	expect("database closed too", http.StatusServiceUnavailable, "postgres", "temporal", "migrations")
}
