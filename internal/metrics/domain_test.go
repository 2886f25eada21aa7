package metrics_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"grantflow/grant"
	"grantflow/internal/demo"
	"grantflow/internal/metrics"
	"grantflow/money"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
)

// scrape reads the handler's answer as Prometheus reads it, with the text format's parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", metrics.Path, nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape answered %d: %s", rec.Code, rec.Body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	return families
}

// value is the gauge's or counter's value in the series whose labels include want; found is false
// when there is none.
func value(families map[string]*dto.MetricFamily, name string, want map[string]string) (v float64, found bool) {
	f := families[name]
	if f == nil {
		return 0, false
	}
series:
	for _, s := range f.GetMetric() {
		for k, val := range want {
			ok := false
			for _, l := range s.GetLabel() {
				ok = ok || (l.GetName() == k && l.GetValue() == val)
			}
			if !ok {
				continue series
			}
		}
		switch {
		case s.Gauge != nil:
			return s.GetGauge().GetValue(), true
		case s.Counter != nil:
			return s.GetCounter().GetValue(), true
		case s.Histogram != nil:
			return float64(s.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// The domain gauges count what the database holds at the scrape: applications by scheme and
// stage, overdue returns, held tranches and the outbox, each moving with what is recorded.
func TestDomainGauges(t *testing.T) {
	ctx := context.Background()
	st := storetest.New(t)
	seedAt := time.Date(2026, 5, 1, 12, 0, 0, 0, scheme.London)
	if err := demo.Seed(ctx, st, seedAt); err != nil {
		t.Fatal(err)
	}
	st.Outbox = notify.MustOutbox("http://grantflow.test", "finance-team@opcc.example")
	m, err := metrics.New(quiet)
	if err != nil {
		t.Fatal(err)
	}
	d := metrics.NewDomain(st, quiet)
	d.Now = func() time.Time { return time.Date(2026, 9, 1, 12, 0, 0, 0, scheme.London) } // after Q1 2026-27's return was due
	m.Registry.MustRegister(d)
	gauge := func(t *testing.T, f map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
		t.Helper()
		v, ok := value(f, name, labels)
		if !ok {
			t.Fatalf("%s%v is not exposed", name, labels)
		}
		return v
	}
	before := scrape(t, m.Handler())
	service := map[string]string{"scheme": "", "stage": "draft"}

	applicant, err := st.UserByEmail(ctx, "applicant@riverside-youth.example.org")
	if err != nil {
		t.Fatal(err)
	}
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		t.Fatal(err)
	}
	var sc store.Scheme
	schemes, err := st.Schemes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range schemes {
		if s.Kind == scheme.Service {
			sc = s
		}
	}
	rounds, err := st.Rounds(ctx, sc.ID)
	if err != nil || len(rounds) == 0 {
		t.Fatal(rounds, err)
	}
	service["scheme"] = sc.Slug
	draftsBefore, _ := value(before, "grantflow_applications", service)

	// Two drafts, one of which becomes an accepted three-quarter service award with its second
	// tranche held and no monitoring return sent.
	for range 2 {
		if _, err := st.CreateDraft(ctx, applicant.Organisations[0], applicant.ID, store.Draft{SchemeID: sc.ID, RoundID: rounds[0].ID, Title: "Metrics"}); err != nil {
			t.Fatal(err)
		}
	}
	after := scrape(t, m.Handler())
	if got := gauge(t, after, "grantflow_applications", service); got != draftsBefore+2 {
		t.Errorf("service drafts %v; want %v", got, draftsBefore+2)
	}

	id, err := st.CreateDraft(ctx, applicant.Organisations[0], applicant.ID, store.Draft{SchemeID: sc.ID, RoundID: rounds[0].ID, Title: "Awarded"})
	if err != nil {
		t.Fatal(err)
	}
	event := func(key, status string) store.Event {
		return store.Event{Application: id, Key: "metrics-test-" + key, At: seedAt, ActorName: "Test", ActorRole: "system", What: status, Status: status}
	}
	aw, err := st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: "M-1", Amount: money.Pounds(30000), Purpose: "Purpose",
		Conditions: json.RawMessage("[]"), Reasons: "Reasons", ApprovedBy: officer.ID, ApprovedRole: "officer", DelegationBand: "officer",
		RulesVersion: 1, DecidedAt: seedAt, AcceptBy: seedAt.AddDate(0, 0, 28)}, event("award", "approved"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAwardYears(ctx, aw.ID, []grant.YearAmount{{FinancialYear: 2026, Amount: money.Pounds(30000)}}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetAwardStatus(ctx, id, "accepted", &applicant.ID, event("accept", "accepted")); err != nil {
		t.Fatal(err)
	}
	var plan []grant.Tranche
	for q := 1; q <= 3; q++ {
		plan = append(plan, grant.Tranche{No: q, FinancialYear: 2026, Quarter: q, DueOn: time.Date(2026, time.Month(1+3*q), 1, 0, 0, 0, 0, time.UTC),
			Amount: money.Pounds(10000), Status: "scheduled"})
	}
	if err := st.ScheduleTranches(ctx, aw.ID, plan); err != nil {
		t.Fatal(err)
	}
	if err := st.HoldTranche(ctx, aw.ID, 2, "the Q1 monitoring return has not been sent", event("hold", "active")); err != nil {
		t.Fatal(err)
	}

	// A notice to the applicant: a message waiting in the outbox; then one given up on.
	pendingBefore := gauge(t, after, "grantflow_outbox_pending_messages", nil)
	if err := st.Notify(ctx, store.Notification{Key: "metrics-test-notice", ApplicationID: id, Audience: store.AudienceApplicant,
		Kind: "award", Message: "Your grant's second payment is held.", CreatedAt: seedAt}); err != nil {
		t.Fatal(err)
	}
	claimed, err := st.ClaimMessages(ctx, 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim a message: %v, %v", claimed, err)
	}
	if err := st.MarkFailed(ctx, claimed[0], "550 no such mailbox"); err != nil {
		t.Fatal(err)
	}

	now := scrape(t, m.Handler())
	if got := gauge(t, now, "grantflow_tranches_held", nil) - gauge(t, before, "grantflow_tranches_held", nil); got != 1 {
		t.Errorf("held tranches rose by %v; want 1", got)
	}
	if got := gauge(t, now, "grantflow_tranches_held_pence", nil) - gauge(t, before, "grantflow_tranches_held_pence", nil); got != float64(money.Pounds(10000)) {
		t.Errorf("held pence rose by %v; want %v", got, money.Pounds(10000))
	}
	if got := gauge(t, now, "grantflow_monitoring_returns_overdue", nil) - gauge(t, before, "grantflow_monitoring_returns_overdue", nil); got != 1 {
		t.Errorf("overdue returns rose by %v; want 1 (Q1 2026-27, unsent at 1 September)", got)
	}
	pending, failed := gauge(t, now, "grantflow_outbox_pending_messages", nil), gauge(t, now, "grantflow_outbox_failed_messages", nil)
	if pending < pendingBefore+1 || failed != gauge(t, before, "grantflow_outbox_failed_messages", nil)+1 {
		t.Errorf("outbox pending %v (was %v), failed %v; want at least one more waiting and one more failed", pending, pendingBefore, failed)
	}
	if age := gauge(t, now, "grantflow_outbox_oldest_pending_age_seconds", nil); age <= 0 {
		t.Errorf("the oldest pending message's age %v; want above zero", age)
	}
	if errs, _ := value(now, "grantflow_domain_query_errors_total", map[string]string{"query": "outbox"}); errs != 0 {
		t.Errorf("query errors %v on a healthy database", errs)
	}
}

// A query that fails (here, out of time) leaves its gauges out of that scrape, is counted and
// logged, and the scrape still answers with everything else.
func TestDomainGaugesFailingQuery(t *testing.T) {
	st := storetest.New(t)
	m, err := metrics.New(quiet)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WatchStore(st); err != nil {
		t.Fatal(err)
	}
	healthy := scrape(t, m.Handler())
	if _, ok := value(healthy, "grantflow_outbox_pending_messages", nil); !ok {
		t.Fatal("the outbox gauge is missing on a healthy database")
	}
	if _, ok := value(healthy, "go_sql_open_connections", map[string]string{"db_name": "grantflow"}); !ok {
		t.Error("the database pool's statistics are missing")
	}

	failing, err := metrics.New(quiet)
	if err != nil {
		t.Fatal(err)
	}
	d := metrics.NewDomain(st, quiet)
	d.Timeout = time.Nanosecond
	failing.Registry.MustRegister(d)
	for range 2 {
		got := scrape(t, failing.Handler())
		for _, name := range []string{"grantflow_applications", "grantflow_monitoring_returns_overdue", "grantflow_tranches_held", "grantflow_outbox_pending_messages"} {
			if _, ok := value(got, name, nil); ok {
				t.Errorf("%s exposed although its query failed", name)
			}
		}
		if _, ok := value(got, "go_goroutines", nil); !ok {
			t.Error("the rest of the scrape is missing")
		}
	}
	got := scrape(t, failing.Handler())
	for _, q := range []string{"applications", "overdue_returns", "held_tranches", "outbox"} {
		if n, _ := value(got, "grantflow_domain_query_errors_total", map[string]string{"query": q}); n != 3 {
			t.Errorf("query %s: %v errors counted; want 3 (one a scrape)", q, n)
		}
	}
}
