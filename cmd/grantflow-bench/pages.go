package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/http/router"
	"grantflow/internal/app"
	"grantflow/internal/metrics"
	"grantflow/store"
)

// sessionCookie is the name the pages take their token under (Secure, so named __Host-).
const sessionCookie = "__Host-grantflow-session"

// pagesPair compares one application read by an officer over HTTP on the same server: the JSON
// API's GET /api/v1/applications/{id} (the raw read) and the web page GET /applications/{id}, which
// reads the same detail through the API's core and then renders the GOV.UK page with its staff forms
// (bands, budget left, scores).
func pagesPair(ctx context.Context, c client.Client, st *store.Store, logger *slog.Logger, id int64) (pair, func(), error) {
	token, err := tokenFor(ctx, st, "officer@opcc.example.org")
	if err != nil {
		return pair{}, nil, err
	}
	srv := httptest.NewServer(app.Handler(c, st, app.Config{TokenTTL: time.Hour}, logger))
	return pair{
		key: "pages", title: fmt.Sprintf("an officer reading one application, %d callers", callers), unit: "reads",
		bare: side{name: "JSON GET /api/v1/applications/{id}", run: repeat(callers, func(ctx context.Context) error {
			return get(ctx, srv.URL+fmt.Sprintf("/api/v1/applications/%d", id), func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) })
		})},
		ours: side{name: "web page GET /applications/{id}", run: repeat(callers, func(ctx context.Context) error {
			return get(ctx, srv.URL+fmt.Sprintf("/applications/%d", id), func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sessionCookie, Value: token}) })
		})},
	}, srv.Close, nil
}

// observedPair measures what request logging and metrics cost the officer's page read: the same
// GET /applications/{id} on two routers over the same store, one bare (router.Deps.Unobserved: no
// request log, no metrics) and one as production runs it (a JSON log line per request, written to
// io.Discard so the disk is not what is measured, and the HTTP metrics).
func observedPair(ctx context.Context, c client.Client, st *store.Store, id int64) (pair, func(), error) {
	token, err := tokenFor(ctx, st, "officer@opcc.example.org")
	if err != nil {
		return pair{}, nil, err
	}
	m, err := metrics.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return pair{}, nil, err
	}
	deps := router.Deps{Temporal: c, Store: st, TokenTTL: time.Hour, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	bareDeps, observedDeps := deps, deps
	bareDeps.Unobserved = true
	observedDeps.Metrics = m.HTTP
	bare, observed := httptest.NewServer(router.New(bareDeps)), httptest.NewServer(router.New(observedDeps))
	read := func(base string) func(context.Context) error {
		return func(ctx context.Context) error {
			return get(ctx, base+fmt.Sprintf("/applications/%d", id), func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sessionCookie, Value: token}) })
		}
	}
	return pair{
		key: "observed", title: fmt.Sprintf("request log and metrics on the officer's page read, %d callers", callers), unit: "reads",
		bare: side{name: "page read, bare router (no request log, no metrics)", run: repeat(callers, read(bare.URL))},
		ours: side{name: "page read with the JSON request log and HTTP metrics", run: repeat(callers, read(observed.URL))},
	}, func() { bare.Close(); observed.Close() }, nil
}

// get reads url and wants a 200.
func get(ctx context.Context, url string, auth func(*http.Request)) error {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return err
	}
	auth(req)
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, res.StatusCode)
	}
	return nil
}
