package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.temporal.io/sdk/client"

	"grantflow/internal/app"
	"grantflow/internal/metrics"
	"grantflow/store"
)

// observe wires metrics into a test system as the binaries do when METRICS_ADDR is set: a
// registry watching the store, and a Temporal client dialled by app.Dial with the SDK's metrics
// handler, so the worker on it reports too. The SDK's own log is left out of the test's (it may
// write after the test has ended).
func observe(t testing.TB, st *store.Store) (*metrics.Metrics, client.Client) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := metrics.New(quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WatchStore(st); err != nil {
		t.Fatal(err)
	}
	c, err := app.Dial(context.Background(), app.TemporalConn{Address: temporalFrontend.Address, Namespace: temporalFrontend.Namespace, Metrics: m.Temporal()}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return m, c
}

// scrapeMetrics reads the system's metrics as Prometheus does, with the text format's parser.
func (s *system) scrapeMetrics(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(s.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", s.MetricsURL, res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("the metrics do not parse: %v", err)
	}
	return families
}

// total adds up the series of a family whose labels include want: counters' and gauges' values,
// histograms' counts.
func total(families map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	sum := 0.0
series:
	for _, m := range families[name].GetMetric() {
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				found = found || (l.GetName() == k && l.GetValue() == v)
			}
			if !found {
				continue series
			}
		}
		sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
	}
	return sum
}

// During a real run the metrics move with what happens: an application submitted over HTTP is
// counted by its route and status, its workflow's tasks and activities by the Temporal SDK, and
// the applications-by-stage gauge counts it at its stage.
func TestMetricsMoveDuringARun(t *testing.T) {
	s := newSystemWith(t, time.Time{}, true)
	before := s.scrapeMetrics(t)
	applicant := s.registerApplicant(t, "Metrics Community Group", "lee@metrics-group.example.org")
	id := s.applyFor(t, applicant, 300000)
	s.must(t, http.StatusOK, "GET", "/api/v1/applications/"+itoa(id), applicant, nil)
	res, err := http.Get(s.URL + "/no/such/page/" + itoa(id))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	// The server records a request once its handlers return, which may be just after the client
	// has its answer: scrape until the last request is in.
	noRoute := map[string]string{"route": metrics.NoRoute, "method": "GET", "status": "404"}
	after := s.scrapeMetrics(t)
	for deadline := time.Now().Add(5 * time.Second); total(after, "grantflow_http_requests_total", noRoute) == total(before, "grantflow_http_requests_total", noRoute) && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
		after = s.scrapeMetrics(t)
	}

	moved := func(name string, labels map[string]string, atLeast float64) {
		t.Helper()
		if d := total(after, name, labels) - total(before, name, labels); d < atLeast {
			t.Errorf("%s%v moved by %v; want at least %v", name, labels, d, atLeast)
		}
	}
	// HTTP, by the route's pattern: never the id.
	moved("grantflow_http_requests_total", map[string]string{"route": "/api/v1/applications/:id/submit", "method": "POST", "status": "202"}, 1)
	moved("grantflow_http_requests_total", map[string]string{"route": "/api/v1/applications/:id/submit", "method": "POST", "status": "422"}, 2)
	moved("grantflow_http_requests_total", map[string]string{"route": "/api/v1/applications/:id", "method": "GET", "status": "200"}, 2)
	moved("grantflow_http_requests_total", noRoute, 1)
	moved("grantflow_http_request_duration_seconds", map[string]string{"route": "/api/v1/applications/:id/submit", "method": "POST"}, 4)
	for _, f := range after {
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && (strings.Contains(l.GetValue(), itoa(id)) || strings.Contains(l.GetValue(), "/no/such")) {
					t.Errorf("%s has a route label with a path in it: %q", f.GetName(), l.GetValue())
				}
			}
		}
	}

	// The Temporal SDK's worker and client metrics, from the worker on this system's queue.
	queue := map[string]string{"task_queue": s.Queue}
	moved("temporal_workflow_task_execution_latency_seconds", map[string]string{"workflow_type": "GrassrootsWorkflow", "task_queue": s.Queue}, 1)
	moved("temporal_activity_execution_latency_seconds", queue, 1)
	moved("temporal_workflow_task_queue_poll_succeed_total", nil, 1)
	moved("temporal_request_total", nil, 1)

	// The domain gauges: the submitted application is counted at the stage it reached.
	stage := map[string]string{"scheme": "grassroots", "stage": "assessment"}
	if _, ok := after["grantflow_applications"]; !ok {
		t.Fatal("grantflow_applications is not exposed")
	}
	moved("grantflow_applications", stage, 1)
	for _, name := range []string{"grantflow_monitoring_returns_overdue", "grantflow_tranches_held", "grantflow_outbox_pending_messages",
		"grantflow_outbox_failed_messages", "go_sql_open_connections"} {
		if after[name] == nil {
			t.Errorf("%s is not exposed", name)
		}
	}
	moved("grantflow_outbox_pending_messages", nil, 1) // the submission's acknowledgement, with no SMTP server in this run
	if n := total(after, "grantflow_domain_query_errors_total", nil); n != 0 {
		t.Errorf("%v domain queries failed during the run", n)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
