package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The container health check: `grantflow probe livez|readyz` exits 0 only when the server on this
// machine's PORT answers 200, and says what it got otherwise.
func TestProbe(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/livez":
			w.Write([]byte(`{"status":"ok"}`))
		case "/readyz":
			http.Error(w, `{"status":"unavailable","failed":["temporal"]}`, http.StatusServiceUnavailable)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PORT", port)

	if err := run([]string{"probe", "livez"}); err != nil {
		t.Errorf("probe livez on a live server: %v", err)
	}
	if err := run([]string{"probe", "readyz"}); err == nil || !strings.Contains(err.Error(), "503") || !strings.Contains(err.Error(), "temporal") {
		t.Errorf("probe readyz on an unready server: %v; want the 503 and the failed check", err)
	}
	for _, args := range [][]string{{"probe"}, {"probe", "metrics"}, {"probe", "livez", "readyz"}} {
		if err := run(args); err == nil || !strings.Contains(err.Error(), "usage: grantflow probe livez|readyz") {
			t.Errorf("%v: %v; want the usage", args, err)
		}
	}

	// Nothing listening: refused at once, not a hang.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	t.Setenv("PORT", strconv.Itoa(closed))
	if err := run([]string{"probe", "livez"}); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("probe with nothing listening: %v", err)
	}

	// A server that never answers: the probe gives up at its timeout.
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	start := time.Now()
	if err := probe(hang.URL+"/livez", 200*time.Millisecond); err == nil || time.Since(start) > 2*time.Second {
		t.Errorf("probe of a hung server: %v after %s", err, time.Since(start))
	}
}

// The probe asks the address the server listens on: LISTEN_HOST when it names one, else loopback.
func TestProbeHost(t *testing.T) {
	for listen, want := range map[string]string{"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "127.0.0.1", "10.1.2.3": "10.1.2.3", "::1": "::1"} {
		if got := probeHost(listen); got != want {
			t.Errorf("LISTEN_HOST %q: probe asks %q, want %q", listen, got, want)
		}
	}
}
