package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"grantflow/money"
	"grantflow/reporting"
	"grantflow/store"
)

// Domain reads the domain's gauges from PostgreSQL when Prometheus scrapes. The queries share a
// short deadline; one that fails (or runs out of time) is logged and counted in
// grantflow_domain_query_errors_total, its gauges are left out of that scrape rather than shown
// stale or as zero, and the rest of the scrape is served.
type Domain struct {
	st      *store.Store
	logger  *slog.Logger
	Timeout time.Duration    // for all the queries of one scrape; 3s from NewDomain
	Now     func() time.Time // when returns are judged overdue; the real clock from NewDomain

	applications, overdue, held, heldPence, pending, failed, oldest *prometheus.Desc
	errors                                                          *prometheus.CounterVec
}

// The queries the error counter names.
const (
	queryApplications = "applications"
	queryOverdue      = "overdue_returns"
	queryHeld         = "held_tranches"
	queryOutbox       = "outbox"
)

// NewDomain is the domain gauges' collector over st.
func NewDomain(st *store.Store, logger *slog.Logger) *Domain {
	d := &Domain{st: st, logger: logger, Timeout: 3 * time.Second, Now: time.Now,
		applications: prometheus.NewDesc("grantflow_applications", "Applications, drafts included, by scheme and stage.", []string{"scheme", "stage"}, nil),
		overdue:      prometheus.NewDesc("grantflow_monitoring_returns_overdue", "Service awards' quarterly monitoring returns overdue now (as the Panel report counts them).", nil, nil),
		held:         prometheus.NewDesc("grantflow_tranches_held", "Tranches of service awards held back from payment (as finance's list of held tranches shows them).", nil, nil),
		heldPence:    prometheus.NewDesc("grantflow_tranches_held_pence", "What the held tranches add up to, in pence.", nil, nil),
		pending:      prometheus.NewDesc("grantflow_outbox_pending_messages", "E-mail messages in the outbox not yet sent.", nil, nil),
		failed:       prometheus.NewDesc("grantflow_outbox_failed_messages", "E-mail messages the outbox gave up on (refused, or too many attempts).", nil, nil),
		oldest:       prometheus.NewDesc("grantflow_outbox_oldest_pending_age_seconds", "How long the longest-waiting unsent message has waited; 0 when none waits.", nil, nil),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "grantflow_domain_query_errors_total",
			Help: "Domain gauge queries that failed or ran out of time during a scrape, by query.",
		}, []string{"query"}),
	}
	for _, q := range []string{queryApplications, queryOverdue, queryHeld, queryOutbox} {
		d.errors.WithLabelValues(q) // present at zero, so rate() and increase() see the first failure
	}
	return d
}

// Describe sends every metric's description.
func (d *Domain) Describe(ch chan<- *prometheus.Desc) {
	for _, desc := range []*prometheus.Desc{d.applications, d.overdue, d.held, d.heldPence, d.pending, d.failed, d.oldest} {
		ch <- desc
	}
	d.errors.Describe(ch)
}

// Collect runs the queries and sends what they found.
func (d *Domain) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), d.Timeout)
	defer cancel()
	if stages, err := d.st.ApplicationsByStage(ctx); d.ok(queryApplications, err) {
		for _, s := range stages {
			ch <- prometheus.MustNewConstMetric(d.applications, prometheus.GaugeValue, float64(s.Count), s.Scheme, s.Stage)
		}
	}
	if overdue, err := reporting.OverdueReturnsAt(ctx, d.st, d.Now()); d.ok(queryOverdue, err) {
		ch <- prometheus.MustNewConstMetric(d.overdue, prometheus.GaugeValue, float64(len(overdue)))
	}
	if held, err := d.st.HeldTranches(ctx); d.ok(queryHeld, err) { // finance's list of them
		var pence money.Pence
		for _, h := range held {
			pence += h.Amount
		}
		ch <- prometheus.MustNewConstMetric(d.held, prometheus.GaugeValue, float64(len(held)))
		ch <- prometheus.MustNewConstMetric(d.heldPence, prometheus.GaugeValue, float64(pence))
	}
	if ob, err := d.st.OutboxCounts(ctx); d.ok(queryOutbox, err) {
		ch <- prometheus.MustNewConstMetric(d.pending, prometheus.GaugeValue, float64(ob.Pending))
		ch <- prometheus.MustNewConstMetric(d.failed, prometheus.GaugeValue, float64(ob.Failed))
		ch <- prometheus.MustNewConstMetric(d.oldest, prometheus.GaugeValue, max(ob.OldestPendingSeconds, 0))
	}
	d.errors.Collect(ch)
}

// ok reports whether the query succeeded; a failure is logged and counted.
func (d *Domain) ok(query string, err error) bool {
	if err == nil {
		return true
	}
	d.errors.WithLabelValues(query).Inc()
	d.logger.Warn("metrics: a domain gauge's query failed; it is left out of this scrape", "query", query, "error", err)
	return false
}
