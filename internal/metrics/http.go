package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HTTP counts the front door's requests and times them. Labels stay few whatever a caller sends:
// the route is gin's pattern (never the path with its ids), a method outside HTTP's own is OTHER.
type HTTP struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NoRoute is the route label of a request no route matched.
const NoRoute = "(no route)"

func newHTTP(reg prometheus.Registerer) *HTTP {
	h := &HTTP{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grantflow_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "grantflow_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
	}
	reg.MustRegister(h.requests, h.duration)
	return h
}

// Observe records one answered request; route is "" when no route matched.
func (h *HTTP) Observe(route, method string, status int, took time.Duration) {
	if route == "" {
		route = NoRoute
	}
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
	default:
		method = "OTHER"
	}
	h.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	h.duration.WithLabelValues(route, method).Observe(took.Seconds())
}
