package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
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
	apps, err := st.Applications(ctx, store.ApplicationFilter{Status: "assessment"})
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
// to io.Discard so the disk is not what is measured, and the HTTP metrics). Rounds alternate the
// two; it prints each round and the median ratio with the lowest and highest.
func benchObservedReads(ctx context.Context, c client.Client, st *store.Store) error {
	apps, err := st.Applications(ctx, store.ApplicationFilter{Status: "assessment"})
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
	read := func(base string) func(b *testing.B) {
		return func(b *testing.B) {
			b.SetParallelism(parallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest("GET", base+path, nil)
					req.AddCookie(&http.Cookie{Name: "__Host-grantflow-session", Value: token})
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
	var ratios []float64
	for round := 1; round <= observedRounds; round++ {
		rBare := testing.Benchmark(read(bare.URL))
		rObserved := testing.Benchmark(read(observed.URL))
		if rBare.N == 0 || rObserved.N == 0 {
			return fmt.Errorf("the officer's page read failed in round %d", round)
		}
		ratio := perSec(rObserved) / perSec(rBare)
		ratios = append(ratios, ratio)
		fmt.Printf("officer page read with request log and metrics, round %d of %d\n  %-36s %9.1f/s  (%d in %v)\n  %-36s %9.1f/s  (%d in %v)\n  ratio (with / without): %.3f\n\n",
			round, observedRounds, "without (bare router)", perSec(rBare), rBare.N, rBare.T.Round(time.Millisecond),
			"with request log and metrics", perSec(rObserved), rObserved.N, rObserved.T.Round(time.Millisecond), ratio)
	}
	slices.Sort(ratios)
	fmt.Printf("request log and metrics on the officer's page read: median ratio (with / without) %.3f over %d rounds (lowest %.3f, highest %.3f)\n\n",
		ratios[len(ratios)/2], len(ratios), ratios[0], ratios[len(ratios)-1])
	return nil
}
