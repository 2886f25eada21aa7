package securitylog

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"grantflow/internal/requestid"
)

// One line per event: the message, the level the event carries, its attributes in the security
// group and the request's id beside it; Track sees that it was logged.
func TestLogShapeAndTrack(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	ctx, logged := Track(requestid.With(context.Background(), "req-1"))
	if logged() {
		t.Fatal("logged before anything was")
	}
	Log(ctx, logger, Forbidden, Route("POST", "/applications/:id/decision"), User(7, "assessor"), Via(ViaPage), Client("192.0.2.1"))
	if !logged() {
		t.Error("Track did not see the event")
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"event": "refused_403", "method": "POST", "route": "/applications/:id/decision", "user_id": float64(7),
		"role": "assessor", "via": "page", "client": "192.0.2.1"}
	sec, _ := rec["security"].(map[string]any)
	if rec["msg"] != "security event" || rec["level"] != "WARN" || rec["request_id"] != "req-1" || len(sec) != len(want) {
		t.Fatalf("line %v", rec)
	}
	for k, v := range want {
		if sec[k] != v {
			t.Errorf("%s = %v, want %v", k, sec[k], v)
		}
	}

	// Without Track or a logger nothing breaks, and an untracked context is simply not marked.
	Log(context.Background(), nil, SignIn)
	buf.Reset()
	Log(context.Background(), logger, SignIn, User(1, "admin"))
	if bytes.Contains(buf.Bytes(), []byte("request_id")) {
		t.Errorf("a request id without a request: %s", buf.Bytes())
	}
}
