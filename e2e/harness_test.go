// Package e2e drives Grantflow as its users do: HTTP through the real Gin router, a real Temporal
// server in process (temporaltest), real workers and a real PostgreSQL database.
package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
	"go.temporal.io/server/temporaltest"

	"grantflow/internal/apiclient"
	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/internal/devtemporal"
	"grantflow/internal/metrics"
	"grantflow/internal/requestid"
	"grantflow/letters"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
	"grantflow/workflows"
)

// temporalClient reaches one in-process Temporal server for the package; each test isolates itself
// on its own task queue and database.
var temporalClient client.Client

// temporalFrontend is that server's address and namespace, for tests that dial their own client.
var temporalFrontend app.TemporalConn

// temporalOnPostgres, set to "postgres" in GRANTFLOW_E2E_TEMPORAL, runs the package against the dev
// runner's embedded server on PostgreSQL persistence (throwaway databases) instead of temporaltest.
const temporalOnPostgres = "GRANTFLOW_E2E_TEMPORAL"

func TestMain(m *testing.M) {
	// The client carries each HTTP request's id into workflows and activities, as app.Dial's does.
	opts := client.Options{ContextPropagators: []workflow.ContextPropagator{requestid.Propagator{}}}
	var stop func()
	var err error
	if os.Getenv(temporalOnPostgres) == "postgres" {
		temporalClient, stop, err = startTemporalOnPostgres(opts)
	} else {
		ts := temporaltest.NewServer(temporaltest.WithBaseClientOptions(opts))
		temporalClient, stop = ts.GetDefaultClient(), ts.Stop
		temporalFrontend = app.TemporalConn{Address: ts.GetFrontendHostPort(), Namespace: ts.GetDefaultNamespace()}
		err = app.EnsureSearchAttributes(context.Background(), temporalClient, ts.GetDefaultNamespace())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// startTemporalOnPostgres starts the dev runner's embedded server on databases of its own on the
// tests' PostgreSQL server, dropped when it stops.
func startTemporalOnPostgres(opts client.Options) (client.Client, func(), error) {
	pgURL, drop, err := devtemporal.ThrowawayPostgres(storetest.ServerURL())
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	srv, err := devtemporal.Start(context.Background(), devtemporal.Options{PostgresURL: pgURL, Address: addr,
		SearchAttributes: app.SearchAttributes, Logger: logger})
	if err != nil {
		drop()
		return nil, nil, err
	}
	opts.HostPort, opts.Namespace = srv.Address(), srv.Namespace()
	temporalFrontend = app.TemporalConn{Address: srv.Address(), Namespace: srv.Namespace()}
	c, err := client.Dial(opts)
	if err != nil {
		srv.Stop()
		drop()
		return nil, nil, err
	}
	return c, func() {
		c.Close()
		srv.Stop()
		if err := drop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}, nil
}

var queues atomic.Int64

// publicBaseURL is the site's address that links in messages start with (PUBLIC_BASE_URL); the
// tests open those links on their own server.
const publicBaseURL = "http://grantflow.test"

// financeMailbox is FINANCE_MAILBOX: copied on finance's notices.
const financeMailbox = "finance-team@opcc.example"

// system is one running Grantflow: store, worker, HTTP server.
type system struct {
	t *testing.T
	// Store is the test's own view of the database, as its owner (setting things up, reading what
	// happened); App is the store the front door and the worker run on, as grantflow_app.
	Store  *store.Store
	App    *store.Store
	Client client.Client
	URL    string
	Queue  string
	clock  func() time.Time // the service applications' clock; nil is the real one
	offset atomic.Int64     // how far clock runs ahead of the real one, in nanoseconds
	// totpOffset is how far the clock second-factor codes are checked against runs ahead of the
	// real one: each code a test signs in with moves it on a step, so that one person can sign in
	// many times a minute without replaying a code (which is refused).
	totpOffset atomic.Int64
	// MetricsURL is where Prometheus would scrape the system; "" unless newSystemWith observed it.
	MetricsURL string
}

// nextCode is a demo staff account's second-factor code for a fresh 30-second step.
func (s *system) nextCode(t testing.TB) string {
	t.Helper()
	at := time.Now().Add(time.Duration(s.totpOffset.Add(int64(30 * time.Second))))
	code, err := store.TOTPCode(demo.TOTPSecret, at)
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// hasSecondFactor says whether the account signs in with a second factor (demo staff do).
func (s *system) hasSecondFactor(t testing.TB, email string) bool {
	t.Helper()
	u, err := s.Store.UserByEmail(context.Background(), email)
	if err != nil {
		return false
	}
	sf, err := s.Store.SecondFactorOf(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	return sf.Enabled
}

// now is the time as the system's service applications see it.
func (s *system) now() time.Time {
	if s.clock != nil {
		return s.clock()
	}
	return time.Now()
}

func newSystem(t testing.TB) *system { return newSystemAt(t, time.Time{}) }

// newSystemAt runs the system with service applications on a clock set to the given time (zero:
// the real clock), so a test can drive quarters that would otherwise take months.
func newSystemAt(t testing.TB, clock time.Time) *system { return newSystemWith(t, clock, false) }

// newSystemWith runs the system; observed gives it Prometheus metrics as METRICS_ADDR does in
// production (metrics_test.go): its own Temporal client dialled with the SDK's metrics handler,
// and the scrape endpoint at MetricsURL.
func newSystemWith(t testing.TB, clock time.Time, observed bool) *system {
	t.Helper()
	return newSystemWithWorker(t, clock, observed, app.WorkerOptions(app.WorkerConfig{}, nil))
}

// newSystemWithWorker runs the system with its worker on the given SDK options (production's,
// app.WorkerOptions, with interceptors that stand for a worker dying mid-activity, say).
func newSystemWithWorker(t testing.TB, clock time.Time, observed bool, workerOpts worker.Options) *system {
	t.Helper()
	// The system runs as production's application role (grantflow_app), so every journey proves the
	// role's grants complete; st, the tests' own access, is the database's owner.
	st, asApp := storetest.NewWithAppRole(t)
	seedAt := time.Now()
	if !clock.IsZero() {
		seedAt = clock
	}
	if err := demo.Seed(context.Background(), st, seedAt); err != nil {
		t.Fatal(err)
	}
	n := queues.Add(1)
	queue := fmt.Sprintf("grantflow-e2e-%d-%d", os.Getpid(), n)
	// Tests share one Temporal namespace, so each database numbers its applications from its own
	// block: workflow ids (application-<id>) never collide between tests.
	if _, err := st.DB.Exec(fmt.Sprintf("ALTER SEQUENCE applications_id_seq RESTART WITH %d", n*1_000_000+int64(os.Getpid()%1000)*1000+1)); err != nil {
		t.Fatal(err)
	}
	// And rounds (round-<id>) likewise.
	if _, err := st.DB.Exec(fmt.Sprintf("ALTER SEQUENCE rounds_id_seq RESTART WITH %d", n*1_000_000+int64(os.Getpid()%1000)*1000+1)); err != nil {
		t.Fatal(err)
	}
	c := temporalClient
	var m *metrics.Metrics
	if observed {
		m, c = observe(t, st)
	}
	letterhead := letters.Letterhead{Body: "Office of the Police and Crime Commissioner (test)", Address: []string{"1 Test Street", "TE1 1ST"}}
	st.Outbox = notify.MustOutbox(publicBaseURL, financeMailbox)
	asApp.Outbox = st.Outbox
	w := app.NewTunedWorker(c, queue, asApp, letterhead, testPanelFigures, workerOpts)
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	logger := slog.New(slog.NewTextHandler(testLog{t}, nil))                              // shown only when a test fails
	cfg := app.Config{TokenTTL: time.Hour, InsecureCookies: true, Letterhead: letterhead} // a cookie jar keeps Secure cookies for https only
	cfg.Metrics = m
	sys := &system{Store: st, App: asApp, Client: c, Queue: queue}
	st.SecondFactorClock = func() time.Time { return time.Now().Add(time.Duration(sys.totpOffset.Load())) }
	asApp.SecondFactorClock = st.SecondFactorClock
	if !clock.IsZero() {
		sys.offset.Store(int64(time.Until(clock)))
		cfg.Clock = func() time.Time { return time.Now().Add(time.Duration(sys.offset.Load())) }
		sys.clock = cfg.Clock
	}
	h := app.HandlerOnQueue(c, asApp, cfg, logger, queue)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sys.URL = srv.URL
	if m != nil {
		scrape := httptest.NewServer(m.Handler())
		t.Cleanup(scrape.Close)
		sys.MetricsURL = scrape.URL + metrics.Path
	}
	if tt, ok := t.(*testing.T); ok {
		sys.t = tt
	}
	return sys
}

// yearStart is 10am on 1 April 2026, the first day of 2026-27: a service award decided then starts
// at once, so a test can move the clock on (advanceTo) through the quarters it wants to drive.
var yearStart = time.Date(2026, time.April, 1, 10, 0, 0, 0, scheme.London)

// advanceTo moves the clock forward to when, for the system and for the application's workflow, as
// the demo and tests do (the workflow's advance-clock signal, sent through the Temporal client; the
// public API has no such step). It returns once the workflow has taken the new time.
func (s *system) advanceTo(t testing.TB, id int64, when time.Time) {
	t.Helper()
	if s.clock == nil {
		t.Fatal("advanceTo needs a system on a set clock (newSystemAt)")
	}
	by := when.Sub(s.now())
	if by <= 0 {
		t.Fatalf("the clock is already at %v, past %v", s.now(), when)
	}
	before := s.serviceState(t, id).In.ClockOffset
	s.offset.Add(int64(by))
	if err := s.Client.SignalWorkflow(context.Background(), workflows.ApplicationWorkflowID(id), "", workflows.SignalAdvanceClock, by); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); s.serviceState(t, id).In.ClockOffset == before; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the workflow did not take the advanced clock")
		}
	}
}

// serviceState asks a service application's workflow (its latest run) for its state.
func (s *system) serviceState(t testing.TB, id int64) workflows.ServiceState {
	t.Helper()
	resp, err := s.Client.QueryWorkflow(context.Background(), workflows.ApplicationWorkflowID(id), "", workflows.QueryStatus)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.ServiceState
	if err := resp.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// response is a decoded JSON answer.
type response apiclient.Response

func (r response) str(path ...string) string { return apiclient.Response(r).Str(path...) }

// dig walks maps and list indexes ("0") in a decoded JSON value.
func dig(v any, path ...string) any { return apiclient.Dig(v, path...) }

func (s *system) do(t testing.TB, method, path, token string, body any) response {
	t.Helper()
	req, sent := s.request(method, path, token, body)
	return s.send(t, req, sent)
}

// request is an API request as the tests send it, with the bytes of its body.
func (s *system) request(method, path, token string, body any) (*http.Request, []byte) {
	req, sent, err := apiclient.NewRequest(context.Background(), method, s.URL+path, token, body)
	if err != nil {
		panic(fmt.Sprintf("%s %s: a test's request: %v", method, path, err))
	}
	return req, sent
}

// send is the one place the tests' API requests go out: the answer must be no 5xx and must keep to
// the OpenAPI document (contractProblem). sent is the request's body.
func (s *system) send(t testing.TB, req *http.Request, sent []byte) response {
	t.Helper()
	method, path := req.Method, req.URL.RequestURI()
	out, problem, err := s.exchange(http.DefaultClient, req, sent)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if out.Status >= 500 {
		t.Fatalf("%s %s answered %d: %s", method, path, out.Status, out.Raw)
	}
	if problem != "" {
		t.Errorf("%s %s does not keep to openapi.yaml: %s", method, path, problem)
	}
	return out
}

// exchange sends one request on client and reads the answer, with what in it breaks openapi.yaml
// (contractProblem); it never stops the test, so the floods' goroutines call it and count answers.
func (s *system) exchange(client *http.Client, req *http.Request, sent []byte) (response, string, error) {
	res, err := client.Do(req)
	if err != nil {
		return response{}, "", err
	}
	out, err := apiclient.Read(res)
	if err != nil {
		return response(out), "", err
	}
	return response(out), contractProblem(req, sent, res, out.Raw), nil
}

// must fails the test unless the status is the one expected.
func (s *system) must(t testing.TB, want int, method, path, token string, body any) response {
	t.Helper()
	r := s.do(t, method, path, token, body)
	if r.Status != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, r.Status, want, r.Raw)
	}
	return r
}

func (s *system) signIn(t testing.TB, email, password string) string {
	t.Helper()
	body := map[string]string{"email": email, "password": password}
	if s.hasSecondFactor(t, email) { // demo staff: the code from the published demo secret
		body["otp"] = s.nextCode(t)
	}
	r := s.must(t, http.StatusCreated, "POST", "/api/v1/tokens", "", body)
	return r.str("token")
}

func (s *system) staff(t testing.TB, role string) string {
	t.Helper()
	for _, a := range demo.Accounts {
		if string(a.Role) == role {
			return s.signIn(t, a.Email, demo.Password)
		}
	}
	t.Fatalf("no demo account for %s", role)
	return ""
}

// awaitStatus polls the application until it reaches the status (workflows move on asynchronously).
func (s *system) awaitStatus(t testing.TB, token string, id int64, status string) response {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var r response
	for time.Now().Before(deadline) {
		r = s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d", id), token, nil)
		if r.str("status") == status {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("application %d stayed %q, want %q; timeline: %v", id, r.str("status"), status, dig(r.Body, "timeline"))
	return r
}

// testLog sends log lines to the test's log, printed only for failed tests.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// signOffPayment has the two demo members of finance sign a payment off (two-person payments): the
// first proposes it, the second approves it. tranche is 0 for a one-off grant.
func (s *system) signOffPayment(t testing.TB, appPath string, tranche int) {
	t.Helper()
	var finance []string
	for _, a := range demo.Accounts {
		if a.Role == scheme.RoleFinance {
			finance = append(finance, s.signIn(t, a.Email, demo.Password))
		}
	}
	if len(finance) < 2 {
		t.Fatal("payments need two demo accounts in finance")
	}
	body := map[string]any{}
	if tranche > 0 {
		body["tranche"] = tranche
	}
	s.must(t, http.StatusOK, "POST", appPath+"/payment-proposal", finance[0], body)
	s.must(t, http.StatusOK, "POST", appPath+"/payment-approval", finance[1], body)
}
