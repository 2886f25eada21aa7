package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/internal/app"
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
