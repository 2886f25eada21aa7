package router_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	dto "github.com/prometheus/client_model/go"

	"grantflow/http/router"
	"grantflow/internal/metrics"
)

// sample finds the value of the named metric whose labels include want (a counter's value, or a
// histogram's count); found is false when no such series exists.
func sample(t *testing.T, m *metrics.Metrics, name string, want map[string]string) (value float64, found bool) {
	t.Helper()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, s := range f.GetMetric() {
			for k, v := range want {
				if !hasLabel(s, k, v) {
					continue series
				}
			}
			switch {
			case s.Counter != nil:
				return s.GetCounter().GetValue(), true
			case s.Histogram != nil:
				return float64(s.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}

func hasLabel(s *dto.Metric, name, value string) bool {
	for _, l := range s.GetLabel() {
		if l.GetName() == name {
			return l.GetValue() == value
		}
	}
	return false
}

// Each request is counted once by route pattern, method and status, and timed; an address no
// route matches, a method HTTP does not know and a panic are counted without letting a caller
// mint new series.
func TestRequestMetrics(t *testing.T) {
	m, err := metrics.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	h := router.New(router.Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Metrics: m.HTTP})
	h.GET("/test/panic", func(*gin.Context) { panic("a bug") })
	do := func(method, target string) int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		return rec.Code
	}
	count := func(route, method, status string) float64 {
		v, _ := sample(t, m, "grantflow_http_requests_total", map[string]string{"route": route, "method": method, "status": status})
		return v
	}

	for range 3 {
		do("GET", "/livez")
	}
	if got := count("/livez", "GET", "200"); got != 3 {
		t.Errorf("/livez counted %v times; want 3", got)
	}
	if n, ok := sample(t, m, "grantflow_http_request_duration_seconds", map[string]string{"route": "/livez", "method": "GET"}); !ok || n != 3 {
		t.Errorf("/livez timed %v times (found %v); want 3", n, ok)
	}

	// Two applications' addresses are one route; the ids never become labels.
	do("GET", "/api/v1/applications/4242")
	if code := do("GET", "/api/v1/applications/4343"); code != http.StatusUnauthorized {
		t.Fatalf("an application without a token: %d", code)
	}
	if got := count("/api/v1/applications/:id", "GET", "401"); got != 2 {
		t.Errorf("application reads counted %v; want 2 under the route pattern", got)
	}

	do("GET", "/api/v1/nothing/4242")
	do("GET", "/no/such/page")
	if got := count(metrics.NoRoute, "GET", "404"); got != 2 {
		t.Errorf("unmatched addresses counted %v under %q; want 2", got, metrics.NoRoute)
	}
	do("BREW", "/livez")
	if got := count(metrics.NoRoute, "OTHER", "404") + count("/livez", "OTHER", "404") + count("/livez", "OTHER", "405"); got != 1 {
		t.Errorf("an unknown method counted %v times as OTHER; want 1", got)
	}

	if code := do("GET", "/test/panic"); code != http.StatusInternalServerError {
		t.Fatalf("panic answered %d", code)
	}
	if got := count("/test/panic", "GET", "500"); got != 1 {
		t.Errorf("a panic counted %v times as a 500; want 1", got)
	}

	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if strings.Contains(l.GetValue(), "4242") || strings.Contains(l.GetValue(), "BREW") || strings.Contains(l.GetValue(), "/no/such") {
					t.Errorf("%s has a label from the caller's request: %s=%q", f.GetName(), l.GetName(), l.GetValue())
				}
			}
		}
	}
}
