package router_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"grantflow/http/router"
	"grantflow/internal/requestid"
)

// syncBuffer is a log sink the server's goroutines and the test may share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// lines are the JSON records written so far, then forgotten.
func (b *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.buf.String()), "\n") {
		if l == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, rec)
	}
	b.buf.Reset()
	return out
}

// Every request is named by an X-Request-Id (the caller's when sane, else a fresh one), answered
// with it, and logged in one line that carries it with the matched route, never the query.
func TestRequestIDAndLogLine(t *testing.T) {
	var logs syncBuffer
	h := router.New(router.Deps{Logger: slog.New(slog.NewJSONHandler(&logs, nil))})

	do := func(method, target, id string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, nil)
		if id != "" {
			req.Header.Set(requestid.Header, id)
		}
		req.Header.Set("Authorization", "Bearer secret-token-value")
		req.AddCookie(&http.Cookie{Name: "session", Value: "secret-cookie-value"})
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	oneLine := func(t *testing.T) map[string]any {
		t.Helper()
		recs := logs.lines(t)
		if len(recs) != 1 {
			t.Fatalf("%d log lines; want one: %v", len(recs), recs)
		}
		for _, secret := range []string{"secret-token-value", "secret-cookie-value", "private"} {
			if b, _ := json.Marshal(recs[0]); strings.Contains(string(b), secret) {
				t.Errorf("log line %s carries %q", b, secret)
			}
		}
		return recs[0]
	}

	// The caller's sane id is echoed and logged.
	rec := do("GET", "/healthz?who=private", "abc-DEF_123")
	if got := rec.Header().Get(requestid.Header); got != "abc-DEF_123" {
		t.Errorf("echoed id %q", got)
	}
	line := oneLine(t)
	if line["msg"] != "request" || line["request_id"] != "abc-DEF_123" || line["method"] != "GET" ||
		line["route"] != "/healthz" || line["status"] != float64(200) || line["client"] == "" {
		t.Errorf("log line %v", line)
	}
	if b, ok := line["bytes"].(float64); !ok || b <= 0 {
		t.Errorf("bytes %v", line["bytes"])
	}
	if _, ok := line["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms %v", line["duration_ms"])
	}

	// Missing or unsafe ids are replaced by a fresh 32-hex-digit one.
	for _, bad := range []string{"", "has space", "semi;colon", "new\x7fline", strings.Repeat("a", 65)} {
		rec := do("GET", "/healthz", bad)
		got := rec.Header().Get(requestid.Header)
		if got == bad || len(got) != 32 || !requestid.Valid(got) {
			t.Errorf("id for %q: %q", bad, got)
		}
		if line := oneLine(t); line["request_id"] != got {
			t.Errorf("log line id %v; answered %q", line["request_id"], got)
		}
	}
	if a, b := do("GET", "/healthz", "").Header().Get(requestid.Header), do("GET", "/healthz", "").Header().Get(requestid.Header); a == b {
		t.Errorf("two fresh ids alike: %q", a)
	}
	logs.lines(t)

	// A route with an id is logged by its pattern (here refused before any lookup: no token).
	req := httptest.NewRequest("GET", "/api/v1/applications/4242?x=private", nil)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	// The refusal is also a security event (securitylog_test.go), logged before the request's line.
	recs := logs.lines(t)
	if len(recs) != 2 || recs[0]["msg"] != "security event" {
		t.Fatalf("a refused request's lines: %v; want its security event, then its request line", recs)
	}
	if line := recs[1]; line["route"] != "/api/v1/applications/:id" || line["status"] != float64(rec.Code) || rec.Code != http.StatusUnauthorized {
		t.Errorf("application route: %d, line %v", rec.Code, line)
	}

	// An unknown address is logged as no route, not by its path.
	if rec := do("GET", "/api/v1/nothing/private", strings.Repeat("z", 64)); rec.Code != http.StatusNotFound {
		t.Errorf("unknown route: %d", rec.Code)
	}
	if line := oneLine(t); line["route"] != "(no route)" || line["status"] != float64(404) || line["request_id"] != strings.Repeat("z", 64) {
		t.Errorf("unknown route's line %v", line)
	}
}
