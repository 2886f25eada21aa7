package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metricsql"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"
	"gopkg.in/yaml.v3"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/internal/metrics"
	"grantflow/store"
	"grantflow/store/storetest"
)

// monitoringDir holds the sample Grafana dashboard and the Prometheus alert rules.
var monitoringDir = filepath.Join("..", "..", "deploy", "monitoring")

// prometheusOwn are the series Prometheus makes itself for every target, not scraped from it.
var prometheusOwn = map[string]bool{"up": true, "scrape_duration_seconds": true, "scrape_samples_scraped": true}

// promLabels are labels Prometheus adds to every series it scrapes, and a histogram's bucket bound.
var promLabels = map[string]bool{"job": true, "instance": true, "le": true, "__name__": true}

var workflowTries, activityTries atomic.Int32

// flakyWorkflow fails its first workflow task and runs an activity that fails once, so the SDK's
// failure counters exist as they do after any real failure.
func flakyWorkflow(ctx workflow.Context) error {
	if workflowTries.Add(1) == 1 {
		panic("the first workflow task fails on purpose")
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{InitialInterval: 50 * time.Millisecond}})
	return workflow.ExecuteActivity(ctx, flakyActivity).Get(ctx, nil)
}

func flakyActivity(context.Context) error {
	if activityTries.Add(1) == 1 {
		return errors.New("the first attempt fails on purpose")
	}
	return nil
}

// exposed runs Grantflow's metrics as production wires them (app.Dial with the SDK's handler, a
// worker on that client, the front door with the HTTP metrics, the store's gauges) through some
// traffic, failures included, and returns what a scrape then shows.
func exposed(t *testing.T) map[string]*dto.MetricFamily {
	t.Helper()
	ctx := context.Background()
	m, err := metrics.New(quiet)
	if err != nil {
		t.Fatal(err)
	}
	st := storetest.New(t)
	if err := m.WatchStore(st); err != nil {
		t.Fatal(err)
	}
	if err := demo.Seed(ctx, st, time.Now()); err != nil {
		t.Fatal(err)
	}
	applicant, err := st.UserByEmail(ctx, "applicant@riverside-youth.example.org")
	if err != nil {
		t.Fatal(err)
	}
	schemes, err := st.Schemes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rounds, err := st.Rounds(ctx, schemes[0].ID)
	if err != nil || len(rounds) == 0 {
		t.Fatal(rounds, err)
	}
	if _, err := st.CreateDraft(ctx, applicant.Organisations[0], applicant.ID, store.Draft{SchemeID: schemes[0].ID, RoundID: rounds[0].ID, Title: "Metrics"}); err != nil {
		t.Fatal(err)
	}
	srv := temporaltest.NewServer(temporaltest.WithT(t))
	c, err := app.Dial(ctx, app.TemporalConn{Address: srv.GetFrontendHostPort(), Namespace: srv.GetDefaultNamespace(), Metrics: m.Temporal()}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w := worker.New(c, "metrics-test", worker.Options{})
	w.RegisterWorkflow(flakyWorkflow)
	w.RegisterActivity(flakyActivity)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "metrics-test-flaky", TaskQueue: "metrics-test"}, flakyWorkflow)
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := run.Get(waitCtx, nil); err != nil {
		t.Fatalf("the flaky workflow: %v", err)
	}
	if _, err := c.DescribeWorkflowExecution(ctx, "no-such-workflow", ""); err == nil { // a failed request
		t.Fatal("a workflow that does not exist was described")
	}

	front := httptest.NewServer(app.Handler(c, st, app.Config{Metrics: m}, quiet))
	defer front.Close()
	for _, path := range []string{"/livez", "/readyz", "/api/v1/applications/1", "/no/such/page"} {
		res, err := front.Client().Get(front.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	return scrape(t, m.Handler())
}

// metricOf is the family a series name belongs to: itself, or the histogram or summary its
// _bucket, _sum or _count suffix names.
func metricOf(families map[string]*dto.MetricFamily, name string) *dto.MetricFamily {
	if f := families[name]; f != nil {
		return f
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok {
			if f := families[base]; f != nil && (f.GetType() == dto.MetricType_HISTOGRAM || f.GetType() == dto.MetricType_SUMMARY) {
				return f
			}
		}
	}
	return nil
}

// checkExpr parses a PromQL expression and lists what is wrong with it: a metric it selects that
// is not exposed, or a label it filters on that the metric lacks. selectors counts the series
// selectors it found.
func checkExpr(expr string, families map[string]*dto.MetricFamily) (selectors int, problems []string) {
	e, err := metricsql.Parse(expr)
	if err != nil {
		return 0, []string{fmt.Sprintf("%q does not parse: %v", expr, err)}
	}
	metricsql.VisitAll(e, func(x metricsql.Expr) {
		me, ok := x.(*metricsql.MetricExpr)
		if !ok {
			return
		}
		for _, filters := range me.LabelFilterss {
			name := ""
			for _, f := range filters {
				if f.Label == "__name__" {
					name = f.Value
				}
			}
			if name == "" {
				problems = append(problems, fmt.Sprintf("a selector without a metric name in %q", expr))
				continue
			}
			selectors++
			if prometheusOwn[name] {
				continue
			}
			fam := metricOf(families, name)
			if fam == nil {
				problems = append(problems, fmt.Sprintf("%s is not a metric Grantflow exposes (in %q)", name, expr))
				continue
			}
			for _, f := range filters {
				if !promLabels[f.Label] && !hasLabelName(fam, f.Label) {
					problems = append(problems, fmt.Sprintf("%s has no label %q (in %q)", name, f.Label, expr))
				}
			}
		}
	})
	return selectors, problems
}

func hasLabelName(f *dto.MetricFamily, label string) bool {
	for _, s := range f.GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetName() == label {
				return true
			}
		}
	}
	return false
}

// The dashboard and the alert rules use only metrics (and labels) that Grantflow really exposes
// after running, so a renamed metric cannot leave them silently empty.
func TestMonitoringFilesUseExposedMetrics(t *testing.T) {
	families := exposed(t)
	for _, name := range []string{"grantflow_http_requests_total", "temporal_workflow_task_execution_failed_total",
		"temporal_activity_execution_latency_seconds", "temporal_workflow_task_queue_poll_succeed_total", "go_sql_open_connections",
		"grantflow_applications", "go_goroutines", "process_resident_memory_bytes"} {
		if families[name] == nil {
			t.Errorf("%s is not exposed after the traffic", name)
		}
	}

	raw, err := os.ReadFile(filepath.Join(monitoringDir, "grafana-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json: %v", err)
	}
	queries := 0
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("dashboard panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			n, problems := checkExpr(target.Expr, families)
			queries += n
			for _, pr := range problems {
				t.Errorf("dashboard panel %q: %s", p.Title, pr)
			}
		}
	}
	if dash.UID == "" || queries < 20 {
		t.Errorf("dashboard %q (uid %q) selects %d series; want a uid and the full dashboard", dash.Title, dash.UID, queries)
	}

	raw, err = os.ReadFile(filepath.Join(monitoringDir, "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Expr        string            `yaml:"expr"`
				For         string            `yaml:"for"`
				Labels      map[string]string `yaml:"labels"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	dec.KnownFields(true)
	if err := dec.Decode(&rules); err != nil {
		t.Fatalf("alerts.yml: %v", err)
	}
	duration := regexp.MustCompile(`^([0-9]+(ms|s|m|h|d|w|y))+$`)
	alerts := map[string]bool{}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			where := "alert " + r.Alert
			if r.Alert == "" || alerts[r.Alert] {
				t.Errorf("group %s: an alert without a name, or named twice: %q", g.Name, r.Alert)
			}
			alerts[r.Alert] = true
			if r.For != "" && !duration.MatchString(r.For) {
				t.Errorf("%s: for %q is not a Prometheus duration", where, r.For)
			}
			if r.Labels["severity"] == "" || r.Annotations["summary"] == "" {
				t.Errorf("%s: wants a severity label and a summary", where)
			}
			if n, problems := checkExpr(r.Expr, families); n == 0 || len(problems) > 0 {
				t.Errorf("%s: %d selectors; %v", where, n, problems)
			}
		}
	}
	for _, want := range []string{"GrantflowNotScraped", "GrantflowServerErrors", "GrantflowSlowRequests", "GrantflowNotReady",
		"GrantflowWorkflowTaskFailures", "GrantflowOutboxFailures", "GrantflowOutboxBacklog", "GrantflowOverdueReturns"} {
		if !alerts[want] {
			t.Errorf("alerts.yml has no %s", want)
		}
	}
}

// The check itself catches a metric Grantflow does not expose and a label it does not have.
func TestCheckExprCatchesUnknownNames(t *testing.T) {
	families := map[string]*dto.MetricFamily{"grantflow_http_requests_total": {
		Name: strPtr("grantflow_http_requests_total"), Type: dto.MetricType_COUNTER.Enum(),
		Metric: []*dto.Metric{{Label: []*dto.LabelPair{{Name: strPtr("route"), Value: strPtr("/livez")}}}},
	}}
	for expr, want := range map[string]string{
		`sum(rate(grantflow_http_requests_total{route="/livez", job="grantflow"}[5m]))`: "",
		`rate(grantflow_http_request_total[5m])`:                                        "grantflow_http_request_total is not a metric Grantflow exposes",
		`rate(grantflow_http_requests_total{path="/livez"}[5m])`:                        `grantflow_http_requests_total has no label "path"`,
		`sum(rate(grantflow_http_requests_total[5m]`:                                    "does not parse",
	} {
		_, problems := checkExpr(expr, families)
		if got := strings.Join(problems, "; "); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("%q: problems %q; want %q", expr, got, want)
		}
	}
}

func strPtr(s string) *string { return &s }
