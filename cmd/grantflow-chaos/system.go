//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/internal/apiclient"
	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/internal/devpostgres"
	"grantflow/internal/mailcatcher"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// system is the running processes and what the harness holds of them.
type system struct {
	dir       string
	pg        *devpostgres.Private
	st        *store.Store
	catcher   *mailcatcher.Catcher
	temporal  *process
	front     *process
	workers   []*process
	tc        client.Client
	api       *api
	clockFile string
	people    people
	// applicants and providers are the seeded organisations' signed-in users, with the names of
	// their organisations.
	applicants, providers []account
	grassrootsScheme      [2]int64 // scheme and round
	serviceScheme         [2]int64
	stats                 driveStats
}

type account struct{ token, org string }

const chaosPassword = "a chaos run's password"

func urlQuery(s string) string { return url.QueryEscape(s) }

// startSystem creates the private cluster, migrates and seeds it, and starts every process.
func startSystem(ctx context.Context, opts options, logger *slog.Logger, out io.Writer) (*system, error) {
	s := &system{dir: opts.Dir}
	var err error
	if s.dir == "" {
		if s.dir, err = os.MkdirTemp("", "grantflow-chaos-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	// PostgreSQL runs as its own user (initdb refuses root), which must reach its data directory.
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return s, err
	}
	pgPort, err := freePort()
	if err != nil {
		return s, err
	}
	if s.pg, err = devpostgres.StartPrivate(ctx, devpostgres.Options{DataDir: filepath.Join(s.dir, "postgres"), Port: pgPort,
		Database: "grantflow", Logger: logger}); err != nil {
		return s, err
	}
	if s.st, err = store.Open(ctx, s.pg.URL, logger); err != nil {
		return s, err
	}
	if err := demo.Seed(ctx, s.st, time.Now()); err != nil {
		return s, fmt.Errorf("seed: %w", err)
	}
	if err := s.seedOrganisations(ctx, opts); err != nil {
		return s, err
	}
	s.catcher = mailcatcher.New()
	if err := s.catcher.Start("127.0.0.1:0"); err != nil {
		return s, err
	}
	s.clockFile = filepath.Join(s.dir, "clock-offset")
	if err := writeClockOffset(s.clockFile, time.Until(serviceClockStart)); err != nil {
		return s, err
	}
	temporalPort, err := freePort()
	if err != nil {
		return s, err
	}
	httpPort, err := freePort()
	if err != nil {
		return s, err
	}
	temporalURL, _ := url.Parse(s.pg.URL)
	temporalURL.Path = "/temporal"
	temporalAddr := "127.0.0.1:" + strconv.Itoa(temporalPort)
	env := []string{"DATABASE_URL=" + s.pg.URL, "TEMPORAL_ADDRESS=" + temporalAddr, "TEMPORAL_NAMESPACE=default",
		"LISTEN_HOST=127.0.0.1", "LOG_LEVEL=warn", "LOG_FORMAT=text", "CSRF_KEY=" + randomKey(),
		"SMTP_URL=smtp://" + s.catcher.Addr(), "QUOTA_DRAFTS_PER_ORGANISATION=100000", "METRICS_ADDR=",
		"PUBLIC_BASE_URL=http://127.0.0.1:" + strconv.Itoa(httpPort),
		envClockFile + "=" + s.clockFile, envTemporalPostgres + "=" + temporalURL.String()}
	s.temporal = newProcess("temporal", s.dir, env, "role", roleTemporal)
	if err := s.temporal.start(); err != nil {
		return s, err
	}
	fmt.Fprintf(out, "private PostgreSQL on port %d, Temporal on %s, logs in %s\n", pgPort, temporalAddr, s.dir)
	dialCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	for {
		s.tc, err = app.Dial(dialCtx, app.TemporalConn{Address: temporalAddr, Namespace: "default"}, logger)
		if err == nil {
			break
		}
		if dialCtx.Err() != nil {
			return s, fmt.Errorf("the Temporal server did not answer (see %s): %w", s.temporal.log, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	s.front = newProcess("http", s.dir, append(env, "PORT="+strconv.Itoa(httpPort)), "role", roleHTTP)
	if err := s.front.start(); err != nil {
		return s, err
	}
	for i := 1; i <= 2; i++ {
		port, err := freePort()
		if err != nil {
			return s, err
		}
		w := newProcess(fmt.Sprintf("worker-%d", i), s.dir, append(env, "PORT="+strconv.Itoa(port)), "role", roleWorker)
		if err := w.start(); err != nil {
			return s, err
		}
		s.workers = append(s.workers, w)
	}
	s.api = &api{base: "http://127.0.0.1:" + strconv.Itoa(httpPort), http: &http.Client{Timeout: 90 * time.Second}, stats: &s.stats}
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(300 * time.Millisecond) {
		if a, err := s.api.send(ctx, "GET", "/api/v1/schemes", "", nil); err == nil && a.Status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			return s, fmt.Errorf("the front door did not answer (see %s)", s.front.log)
		}
	}
	return s, s.signIn(ctx, opts)
}

func (s *system) orgCount(grassroots int) int { return max(1, (grassroots+9)/10) }

// seedOrganisations makes the applicant organisations (one for every ten grassroots grants) and
// one provider per service award, each with a member who signs in, as the demo seed makes its own.
func (s *system) seedOrganisations(ctx context.Context, opts options) error {
	for i := range s.orgCount(opts.Grassroots) {
		org := fmt.Sprintf("Chaos Community Group %d", i+1)
		if _, _, err := s.st.CreateOrganisationWithUser(ctx, store.Organisation{Name: org, Type: scheme.OrgCommunityGroup,
			Address: "1 Market Place, Melton Mowbray", Postcode: "LE13 1XX"},
			store.NewUser{Email: fmt.Sprintf("group%d@chaos.example.org", i+1), Name: "Jo Tester", Role: scheme.RoleApplicant, Password: chaosPassword}); err != nil {
			return fmt.Errorf("seed %s: %w", org, err)
		}
	}
	for i := range opts.Services {
		org := fmt.Sprintf("Chaos Advocacy Partnership %d", i+1)
		if _, _, err := s.st.CreateOrganisationWithUser(ctx, store.Organisation{Name: org, Type: scheme.OrgCIO, CharityNumber: fmt.Sprintf("11%05d", i+1),
			Address: "10 Granby Street, Leicester", Postcode: "LE1 6XX"},
			store.NewUser{Email: fmt.Sprintf("provider%d@chaos.example.org", i+1), Name: "Sam Provider", Role: scheme.RoleApplicant, Password: chaosPassword}); err != nil {
			return fmt.Errorf("seed %s: %w", org, err)
		}
	}
	return nil
}

// signIn signs everyone in before the chaos starts (tokens live in the database, so they outlast
// every restart), and finds the schemes' open rounds.
func (s *system) signIn(ctx context.Context, opts options) error {
	staff := map[string]*string{"assessor@opcc.example.org": &s.people.assessor, "officer@opcc.example.org": &s.people.officer,
		"officer2@opcc.example.org": &s.people.officer2, "head@opcc.example.org": &s.people.head,
		"commissioner@opcc.example.org": &s.people.commissioner, "finance@opcc.example.org": &s.people.finance,
		"finance2@opcc.example.org": &s.people.finance2}
	for email, token := range staff {
		var err error
		if *token, err = s.api.signIn(ctx, email, demo.Password, true); err != nil {
			return err
		}
	}
	for _, who := range []struct {
		token string
		id    *int64
	}{{s.people.assessor, &s.people.assessorID}, {s.people.officer2, &s.people.officer2ID}} {
		me, err := s.api.get(ctx, "/api/v1/me", who.token)
		if err != nil {
			return err
		}
		*who.id = int64(apiclient.Dig(me.Body, "id").(float64))
	}
	for i := range s.orgCount(opts.Grassroots) {
		token, err := s.api.signIn(ctx, fmt.Sprintf("group%d@chaos.example.org", i+1), chaosPassword, false)
		if err != nil {
			return err
		}
		s.applicants = append(s.applicants, account{token, fmt.Sprintf("Chaos Community Group %d", i+1)})
	}
	for i := range opts.Services {
		token, err := s.api.signIn(ctx, fmt.Sprintf("provider%d@chaos.example.org", i+1), chaosPassword, false)
		if err != nil {
			return err
		}
		s.providers = append(s.providers, account{token, fmt.Sprintf("Chaos Advocacy Partnership %d", i+1)})
	}
	list, err := s.api.get(ctx, "/api/v1/schemes", "")
	if err != nil {
		return err
	}
	for _, sc := range asList(apiclient.Dig(list.Body, "schemes")) {
		id := int64(apiclient.Dig(sc, "id").(float64))
		detail, err := s.api.get(ctx, fmt.Sprintf("/api/v1/schemes/%d", id), "")
		if err != nil {
			return err
		}
		round := int64(apiclient.Dig(detail.Body, "rounds", "0", "id").(float64))
		switch apiclient.Dig(sc, "slug") {
		case "grassroots":
			s.grassrootsScheme = [2]int64{id, round}
		case "commissioned-services":
			s.serviceScheme = [2]int64{id, round}
		}
	}
	if s.grassrootsScheme[0] == 0 || s.serviceScheme[0] == 0 {
		return errors.New("the demo schemes were not found")
	}
	return nil
}

// clock is the service applications' clock, as the front door reads it.
func (s *system) clock() time.Time { return time.Now().Add(readClockOffset(s.clockFile)) }

// drive runs the drivers and the chaos together until every driver has finished.
func (s *system) drive(ctx context.Context, opts options, res *result, out io.Writer) error {
	total := opts.Grassroots + opts.Services
	var finished atomic.Int64
	var mu sync.Mutex
	fail := func(what string, id int64, err error) {
		mu.Lock()
		defer mu.Unlock()
		res.Failed++
		res.Failures = append(res.Failures, fmt.Sprintf("%s (application %d): %v", what, id, err))
	}
	closed := func() {
		mu.Lock()
		res.Closed++
		mu.Unlock()
	}
	var drivers sync.WaitGroup
	// Grassroots grants, a pool of them at a time.
	jobs := make(chan int)
	for range max(1, opts.Concurrency) {
		drivers.Add(1)
		go func() {
			defer drivers.Done()
			for n := range jobs {
				who := s.applicants[n%len(s.applicants)]
				id, err := s.api.grassroots(ctx, n+1, who.token, who.org, s.people, s.grassrootsScheme[0], s.grassrootsScheme[1])
				if err != nil {
					fail(fmt.Sprintf("grassroots grant %d", n+1), id, err)
				} else {
					closed()
				}
				finished.Add(1)
			}
		}()
	}
	go func() {
		for n := range opts.Grassroots {
			jobs <- n
		}
		close(jobs)
	}()
	// Service awards all at once: each waits at the clock's move for the others.
	var firstPhase sync.WaitGroup
	advanced := make(chan struct{})
	ids := make([]int64, opts.Services)
	for n := range opts.Services {
		drivers.Add(1)
		firstPhase.Add(1)
		go func() {
			defer drivers.Done()
			who := s.providers[n]
			id, err := s.api.serviceUntilFirstTranche(ctx, n+1, who.token, s.people, s.serviceScheme[0], s.serviceScheme[1], s.clock)
			if err == nil {
				ids[n] = id
			}
			firstPhase.Done()
			if err == nil {
				<-advanced
				err = s.api.serviceToClosed(ctx, id, who.token, s.people, s.clock)
			}
			if err != nil {
				fail(fmt.Sprintf("service award %d", n+1), id, err)
			} else {
				closed()
			}
			finished.Add(1)
		}()
	}
	var advanceErr error
	go func() {
		firstPhase.Wait()
		advanceErr = s.advanceServiceClock(ctx, ids)
		close(advanced)
	}()

	driversDone := make(chan struct{})
	go func() { drivers.Wait(); close(driversDone) }()
	s.chaos(ctx, opts, res, driversDone, func() float64 { return float64(finished.Load()) / float64(max(1, total)) }, out)
	if advanceErr != nil {
		return fmt.Errorf("move the service applications' clock: %w", advanceErr)
	}
	return nil
}

// chaos kills a random worker after each random pause until the drivers are done, and restarts the
// Temporal server and PostgreSQL once the drivers have finished given shares of the grants.
func (s *system) chaos(ctx context.Context, opts options, res *result, done <-chan struct{}, progress func() float64, out io.Writer) {
	rnd := rand.New(rand.NewSource(opts.Seed))
	type restart struct {
		at     float64
		what   string
		action func() error
	}
	var restarts []restart
	for i := range opts.TemporalRestarts {
		restarts = append(restarts, restart{0.8 * float64(i+1) / float64(opts.TemporalRestarts+1), "Temporal", func() error {
			s.temporal.kill(0) // supervise starts it again, on the same port and database
			res.TemporalRestarts++
			return nil
		}})
	}
	for i := range opts.PostgresRestarts {
		restarts = append(restarts, restart{0.7 * float64(i+1) / float64(opts.PostgresRestarts+1), "PostgreSQL", func() error {
			if err := s.pg.RestartImmediate(ctx); err != nil {
				return err
			}
			res.PGRestarts++
			return nil
		}})
	}
	started := time.Now()
	for {
		gap := time.Duration(rnd.Int63n(int64(opts.KillGap)))
		select {
		case <-done:
			return
		case <-time.After(gap):
		}
		w := s.workers[rnd.Intn(len(s.workers))]
		w.kill(opts.KillGap / 2)
		res.Kills++
		for i := 0; i < len(restarts); i++ {
			if progress() >= restarts[i].at {
				r := restarts[i]
				restarts = append(restarts[:i], restarts[i+1:]...)
				i--
				fmt.Fprintf(out, "%6s  restart %s (%.0f%% of grants finished)\n", time.Since(started).Round(time.Second), r.what, 100*progress())
				if err := r.action(); err != nil {
					fmt.Fprintf(out, "restart %s failed: %v\n", r.what, err)
				}
			}
		}
		if res.Kills%10 == 0 {
			fmt.Fprintf(out, "%6s  %d worker kills, %.0f%% of grants finished\n", time.Since(started).Round(time.Second), res.Kills, 100*progress())
		}
	}
}

// advanceServiceClock moves the service applications' clock into the second quarter: the front
// door's (the file it reads) and each award's workflow's (the advance-clock signal, as the e2e
// tests send it through the Temporal client; the API has no such step). A signal whose answer is
// lost is not sent again unless the workflow's offset shows it never arrived.
func (s *system) advanceServiceClock(ctx context.Context, ids []int64) error {
	by := serviceClockSecondQuarter.Sub(s.clock())
	if err := writeClockOffset(s.clockFile, readClockOffset(s.clockFile)+by); err != nil {
		return err
	}
	for _, id := range ids {
		if id == 0 {
			continue
		}
		wid := workflows.ApplicationWorkflowID(id)
		offset := func() (time.Duration, error) {
			resp, err := s.tc.QueryWorkflow(ctx, wid, "", workflows.QueryStatus)
			if err != nil {
				return 0, err
			}
			var st workflows.ServiceState
			err = resp.Get(&st)
			return st.In.ClockOffset, err
		}
		var before time.Duration
		var err error
		deadline := time.Now().Add(stepTimeout)
		for before, err = offset(); err != nil; before, err = offset() {
			if time.Now().After(deadline) {
				return fmt.Errorf("query %s: %w", wid, err)
			}
			time.Sleep(time.Second)
		}
		for {
			if err := s.tc.SignalWorkflow(ctx, wid, "", workflows.SignalAdvanceClock, by); err == nil {
				break
			}
			if now, err := offset(); err == nil && now != before {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("signal %s: %w", wid, err)
			}
			time.Sleep(time.Second)
		}
		for {
			if now, err := offset(); err == nil && now != before {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s did not take the moved clock", wid)
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return nil
}

// stop ends every process and the cluster.
func (s *system) stop() {
	for _, w := range s.workers {
		w.stop()
	}
	if s.front != nil {
		s.front.stop()
	}
	if s.tc != nil {
		s.tc.Close()
	}
	if s.temporal != nil {
		s.temporal.stop()
	}
	if s.catcher != nil {
		s.catcher.Close()
	}
	if s.st != nil {
		s.st.Close()
	}
	if s.pg != nil {
		s.pg.Stop()
	}
}
