package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/http/router"
	"grantflow/internal/app"
	"grantflow/internal/metrics"
	"grantflow/store"
)

// benchApplicationReads measures one application read by an officer, over HTTP on the same server:
// the JSON API's GET /api/v1/applications/{id} (the raw read) and the web page
// GET /applications/{id}, which reads the same detail through the API's core and then renders the
// GOV.UK page with its staff forms (bands, budget left, scores).
func benchApplicationReads(ctx context.Context, c client.Client, st *store.Store, logger *slog.Logger) (api, page testing.BenchmarkResult, err error) {
	found, err := st.SearchApplications(ctx, store.ApplicationSearch{Status: "assessment"})
	apps := found.Applications
	if err != nil || len(apps) == 0 {
		return api, page, fmt.Errorf("no application in assessment to read (run after the submissions): %v", err)
	}
	id := apps[0].ID
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		return api, page, err
	}
	token, _, err := st.IssueToken(ctx, officer.ID, time.Hour)
	if err != nil {
		return api, page, err
	}
	srv := httptest.NewServer(app.Handler(c, st, app.Config{TokenTTL: time.Hour}, logger))
	defer srv.Close()

	read := func(path string, auth func(*http.Request)) func(b *testing.B) {
		return func(b *testing.B) {
			b.SetParallelism(parallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", srv.URL+path, nil)
					auth(req)
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						b.Errorf("GET %s: %d", path, res.StatusCode)
						return
					}
				}
			})
		}
	}
	api = testing.Benchmark(read(fmt.Sprintf("/api/v1/applications/%d", id), func(r *http.Request) {
		r.Header.Set("Authorization", "Bearer "+token)
	}))
	// The pages take the same kind of token from their session cookie (Secure, so named __Host-).
	page = testing.Benchmark(read(fmt.Sprintf("/applications/%d", id), func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "__Host-grantflow-session", Value: token})
	}))
	return api, page, nil
}

var observedRounds int

// benchObservedReads measures what request logging and metrics cost the officer's page read: the
// same GET /applications/{id} on two routers over the same store, one bare (router.Deps.Unobserved:
// no request log, no metrics) and one as production runs it (a JSON log line per request, written
// to io.Discard so the disk is not what is measured, and the HTTP metrics). Each round alternates
// short bursts of the two; it prints each round and the median ratio with the lowest and highest.
func benchObservedReads(ctx context.Context, c client.Client, st *store.Store) error {
	found, err := st.SearchApplications(ctx, store.ApplicationSearch{Status: "assessment"})
	apps := found.Applications
	if err != nil || len(apps) == 0 {
		return fmt.Errorf("no application in assessment to read (run after the submissions): %v", err)
	}
	officer, err := st.UserByEmail(ctx, "officer@opcc.example.org")
	if err != nil {
		return err
	}
	token, _, err := st.IssueToken(ctx, officer.ID, time.Hour)
	if err != nil {
		return err
	}
	m, err := metrics.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	deps := router.Deps{Temporal: c, Store: st, TokenTTL: time.Hour, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	bareDeps, observedDeps := deps, deps
	bareDeps.Unobserved = true
	observedDeps.Metrics = m.HTTP
	bare, observed := httptest.NewServer(router.New(bareDeps)), httptest.NewServer(router.New(observedDeps))
	defer bare.Close()
	defer observed.Close()

	path := fmt.Sprintf("/applications/%d", apps[0].ID)
	get := func(base string) error {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.AddCookie(&http.Cookie{Name: "__Host-grantflow-session", Value: token})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %d", path, res.StatusCode)
		}
		return nil
	}
	// burst reads the page n times from as many callers as the other benchmarks use.
	callers := runtime.GOMAXPROCS(0) * parallelism
	burst := func(base string, n int) (time.Duration, error) {
		var next atomic.Int64
		errs := make(chan error, callers)
		var wg sync.WaitGroup
		start := time.Now()
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= int64(n) {
					if err := get(base); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		took := time.Since(start)
		close(errs)
		return took, <-errs
	}
	// Each round alternates short bursts of the two (bare first, then observed, and again), so a
	// busy moment on the machine falls on both alike.
	const perBurst = 4 * parallelism
	roundTime, _ := time.ParseDuration(flag.Lookup("test.benchtime").Value.String())
	var ratios []float64
	for round := 1; round <= observedRounds; round++ {
		var tBare, tObserved time.Duration
		n := 0
		for tBare+tObserved < 2*roundTime {
			b, err := burst(bare.URL, perBurst)
			if err != nil {
				return err
			}
			o, err := burst(observed.URL, perBurst)
			if err != nil {
				return err
			}
			tBare, tObserved, n = tBare+b, tObserved+o, n+perBurst
		}
		rBare, rObserved := float64(n)/tBare.Seconds(), float64(n)/tObserved.Seconds()
		ratio := rObserved / rBare
		ratios = append(ratios, ratio)
		fmt.Printf("officer page read with request log and metrics, round %d of %d\n  %-36s %9.1f/s  (%d in %v)\n  %-36s %9.1f/s  (%d in %v)\n  ratio (with / without): %.3f\n\n",
			round, observedRounds, "without (bare router)", rBare, n, tBare.Round(time.Millisecond),
			"with request log and metrics", rObserved, n, tObserved.Round(time.Millisecond), ratio)
	}
	slices.Sort(ratios)
	fmt.Printf("request log and metrics on the officer's page read: median ratio (with / without) %.3f over %d rounds (lowest %.3f, highest %.3f)\n\n",
		ratios[len(ratios)/2], len(ratios), ratios[0], ratios[len(ratios)-1])
	return nil
}
