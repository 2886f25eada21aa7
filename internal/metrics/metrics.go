// Package metrics owns what Grantflow tells Prometheus: one registry per process (never the global
// default) holding the Go runtime and process collectors, the front door's requests by route,
// method and status with their latency, the Temporal SDK's worker and client metrics (through its
// OpenTelemetry contrib and OpenTelemetry's Prometheus exporter), the database pool, and the
// domain's gauges read from PostgreSQL on each scrape; and the server that exposes them at
// /metrics on METRICS_ADDR, apart from the public port.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"

	"grantflow/store"
)

// Path is where the metrics server answers.
const Path = "/metrics"

// Metrics is one process's registry and what records into it.
type Metrics struct {
	Registry *prometheus.Registry
	HTTP     *HTTP
	temporal client.MetricsHandler
	logger   *slog.Logger
}

// latencyBuckets, in seconds, suit both a page read and a slow Temporal poll or activity.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// New builds the registry with the Go and process collectors, the HTTP metrics and the Temporal
// SDK's handler (Temporal). The store's gauges join it with WatchStore.
func New(logger *slog.Logger) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &Metrics{Registry: reg, HTTP: newHTTP(reg), logger: logger}
	// The SDK reports through an OpenTelemetry meter; the exporter turns its instruments into
	// Prometheus metrics in our registry: counters get _total, timers (unit s) _seconds.
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		return nil, fmt.Errorf("metrics: OpenTelemetry Prometheus exporter: %w", err)
	}
	// OpenTelemetry's default buckets are for milliseconds; the SDK's timers record seconds.
	seconds := sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram, Unit: "s"},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets}})
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter), sdkmetric.WithView(seconds))
	m.temporal = temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                provider.Meter("temporal-sdk-go"),
		UseMonotonicCounters: true, // so its counters are Prometheus counters, which rate() expects
		OnError: func(err error) { // the SDK's default panics
			logger.Warn("metrics: a Temporal SDK metric could not be recorded", "error", err)
		},
	})
	return m, nil
}

// Temporal is the SDK's metrics handler for client.Options.MetricsHandler; nil (the SDK's own
// no-op) for nil Metrics, so a process without METRICS_ADDR records nothing.
func (m *Metrics) Temporal() client.MetricsHandler {
	if m == nil {
		return nil
	}
	return m.temporal
}

// WatchStore adds the database pool's statistics and the domain gauges of st to the registry.
func (m *Metrics) WatchStore(st *store.Store) error {
	if err := m.Registry.Register(collectors.NewDBStatsCollector(st.DB.DB, "grantflow")); err != nil {
		return fmt.Errorf("metrics: database pool: %w", err)
	}
	if err := m.Registry.Register(NewDomain(st, m.logger)); err != nil {
		return fmt.Errorf("metrics: domain gauges: %w", err)
	}
	return nil
}

// Handler answers a scrape. A collector's error is logged and the rest still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.InstrumentMetricHandler(m.Registry, promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(m.logger.Handler(), slog.LevelError),
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          m.Registry,
		Timeout:           10 * time.Second,
		EnableOpenMetrics: true,
	}))
}

// Serve listens on addr (METRICS_ADDR) and answers Path there until stop is called.
func (m *Metrics) Serve(addr string) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: listen on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle(Path, m.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.logger.Error("metrics server stopped", "error", err)
		}
	}()
	m.logger.Info("metrics server listening", "address", ln.Addr().String(), "path", Path)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}
