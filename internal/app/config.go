// Package app wires Grantflow together: configuration, the Temporal worker and the HTTP server.
// Both binaries (cmd/grantflow and the local runner cmd/grantflow-dev) and the end-to-end tests use it.
package app

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"grantflow/internal/metrics"
	"grantflow/letters"
	"grantflow/notify"
	"grantflow/publication/threesixtygiving"
	"grantflow/store"
)

// Config is every setting, read from environment variables with defaults.
type Config struct {
	DatabaseURL       string        // DATABASE_URL
	TemporalAddress   string        // TEMPORAL_ADDRESS
	TemporalNamespace string        // TEMPORAL_NAMESPACE
	Port              int           // PORT
	LogLevel          slog.Level    // LOG_LEVEL: debug, info, warn, error
	LogFormat         string        // LOG_FORMAT: json or text; "" when unset, for LogFormatOr
	TokenTTL          time.Duration // TOKEN_TTL, e.g. 12h
	Letterhead        letters.Letterhead
	// MigrateDatabaseURL is the schema owner's connection that `grantflow migrate` uses
	// (MIGRATE_DATABASE_URL); when it is set, nothing else migrates. "" means DATABASE_URL.
	MigrateDatabaseURL string
	// Clock, when set, is the time new service applications run on (tests and demos); nil is the real clock.
	Clock func() time.Time
	Mail  MailConfig
	// InsecureCookies lets the pages' cookies travel over plain HTTP to a host other than
	// localhost (tests with a cookie jar); never in production.
	InsecureCookies bool
	// TrustedProxies are the addresses or CIDR ranges of the reverse proxies in front of the
	// service (TRUSTED_PROXIES, comma-separated): only their X-Forwarded-For is believed for the
	// client address that sign-in throttling counts by. Default none: the connection's own address.
	TrustedProxies []string
	// SecondFactorKey seals TOTP secrets at rest (SECOND_FACTOR_KEY: 32 bytes, base64); optional.
	SecondFactorKey []byte
	// HTTP is how long the server gives a connection: HTTP_READ_TIMEOUT, HTTP_WRITE_TIMEOUT,
	// HTTP_IDLE_TIMEOUT. A Config built by hand has zeros: no limit, as net/http's own default.
	HTTP ServerTimeouts
	// OpenData is how the published open data (360Giving) names the funder, its grants and
	// licence: PUBLICATION_PREFIX, FUNDER_ORG_ID, FUNDER_NAME, DATA_LICENCE_URL.
	OpenData threesixtygiving.Publisher
	// Worker is how a worker polls its task queue and how long it drains on shutdown (WORKER_*).
	Worker WorkerConfig
	// TemporalTLS is the Temporal connection's TLS (TEMPORAL_TLS, TEMPORAL_TLS_CA_FILE,
	// TEMPORAL_TLS_CERT_FILE, TEMPORAL_TLS_KEY_FILE, TEMPORAL_TLS_SERVER_NAME); nil is plaintext.
	TemporalTLS *tls.Config
	// TemporalAPIKey is TEMPORAL_API_KEY, sent only over TLS.
	TemporalAPIKey string
	// ListenHost is the address the HTTP server listens on (LISTEN_HOST); "" is every interface.
	// The dev runner defaults it to 127.0.0.1.
	ListenHost string
	// MetricsAddr is where Prometheus scrapes /metrics (METRICS_ADDR, host:port), apart from the
	// public port; "" serves no metrics.
	MetricsAddr string
	// Metrics is the registry the front door, the worker and the Temporal client record into:
	// NewMetrics makes it when MetricsAddr is set; nil records nothing.
	Metrics *metrics.Metrics
	// TemporalUIURL is the Temporal Web UI's base address (TEMPORAL_UI_URL), for staff's links from
	// an application to its workflow; "" shows none.
	TemporalUIURL string
	// CSRFKey signs the pages' form tokens (CSRF_KEY: at least 32 bytes, base64); every replica
	// shares it, so a form shown by one is accepted by another and after a restart. When
	// rotating, the old key goes in CSRFPreviousKey (CSRF_PREVIOUS_KEY), whose forms are still
	// accepted. nil: a random key per process (the dev runner and tests).
	CSRFKey, CSRFPreviousKey []byte
	// StepTimeout is how long a request that drives a workflow waits for Temporal (STEP_TIMEOUT,
	// default 20s) before answering 503 try_again. A Config built by hand has zero: apiv1's default.
	StepTimeout time.Duration
	// Quotas bound what one organisation may keep: QUOTA_DRAFTS_PER_ORGANISATION,
	// QUOTA_UPLOAD_BYTES_PER_ORGANISATION. A Config built by hand has zeros: no limit.
	Quotas store.Quotas
	// TemporalPersistence is where the dev runner's embedded Temporal server keeps its state
	// (TEMPORAL_PERSISTENCE): PersistenceSQLite or PersistencePostgres.
	TemporalPersistence string
}

// minCSRFKey is the shortest CSRF_KEY accepted: an HMAC-SHA256 key of its full strength.
const minCSRFKey = 32

func loadCSRFKeys() (current, previous []byte, err error) {
	if current, err = csrfKey("CSRF_KEY"); err != nil {
		return nil, nil, err
	}
	if previous, err = csrfKey("CSRF_PREVIOUS_KEY"); err != nil {
		return nil, nil, err
	}
	if previous != nil && current == nil {
		return nil, nil, errors.New("CSRF_PREVIOUS_KEY is set but CSRF_KEY is not: when rotating, the new key goes in CSRF_KEY and the old one in CSRF_PREVIOUS_KEY")
	}
	return current, previous, nil
}

func csrfKey(name string) ([]byte, error) {
	v := os.Getenv(name)
	if v == "" {
		return nil, nil
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil || len(key) < minCSRFKey {
		return nil, fmt.Errorf("%s must be at least %d random bytes in base64 (openssl rand -base64 32)", name, minCSRFKey)
	}
	return key, nil
}

// ErrNoCSRFKey is why production refuses to serve without CSRF_KEY: a random key per process
// would refuse forms shown by another replica or before a restart.
var ErrNoCSRFKey = errors.New("CSRF_KEY is not set, so forms shown by one server would be refused by another and after every restart: " +
	"set CSRF_KEY to the same secret on every replica (openssl rand -base64 32)")

// RequireCSRFKey is production's check before serving pages: the forms' key is configured.
func (c Config) RequireCSRFKey() error {
	if c.CSRFKey == nil {
		return ErrNoCSRFKey
	}
	return nil
}

// Default quotas. Twenty drafts is several times what an organisation works on at once (a draft
// per open round), yet stops a script filling the database with empty ones; 200 MB is forty
// documents at the largest size accepted (5 MB), the four kinds for ten applications.
const (
	DefaultDraftQuota       = 20
	DefaultUploadBytesQuota = 200 << 20
)

func loadQuotas() (store.Quotas, error) {
	var q store.Quotas
	var err error
	if q.DraftsPerOrganisation, err = positiveInt("QUOTA_DRAFTS_PER_ORGANISATION", DefaultDraftQuota); err != nil {
		return q, err
	}
	if q.UploadBytesPerOrganisation, err = positiveInt("QUOTA_UPLOAD_BYTES_PER_ORGANISATION", DefaultUploadBytesQuota); err != nil {
		return q, err
	}
	return q, nil
}

// positiveInt reads a whole number above zero from the environment variable name.
func positiveInt(name string, def int64) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s must be a whole number above zero, such as %d, not %q", name, def, v)
	}
	return n, nil
}

// ServerTimeouts bound how long one connection may hold the HTTP server. The read timeout covers a
// whole request, body included (the largest, a 5 MB upload, takes 80 seconds at 512 kbit/s); the
// write deadline starts once a request's headers are read, so it also covers reading the body and
// must be at least the read timeout. The whole-register downloads set their own, longer deadline
// (apiv1.DownloadSlot), which replaces this one for those streams.
type ServerTimeouts struct {
	Read  time.Duration // HTTP_READ_TIMEOUT, default 2m
	Write time.Duration // HTTP_WRITE_TIMEOUT, default 3m
	Idle  time.Duration // HTTP_IDLE_TIMEOUT: a kept-alive connection waiting for its next request, default 2m
}

func loadServerTimeouts() (ServerTimeouts, error) {
	var t ServerTimeouts
	var err error
	if t.Read, err = positiveDuration("HTTP_READ_TIMEOUT", "2m"); err != nil {
		return t, err
	}
	if t.Write, err = positiveDuration("HTTP_WRITE_TIMEOUT", "3m"); err != nil {
		return t, err
	}
	if t.Idle, err = positiveDuration("HTTP_IDLE_TIMEOUT", "2m"); err != nil {
		return t, err
	}
	if t.Write < t.Read {
		return t, fmt.Errorf("HTTP_WRITE_TIMEOUT (%s) must be at least HTTP_READ_TIMEOUT (%s): the write deadline also runs while a request's body is read", t.Write, t.Read)
	}
	return t, nil
}

// positiveDuration reads a duration such as 90s or 2m from the environment variable name.
func positiveDuration(name, def string) (time.Duration, error) {
	d, err := time.ParseDuration(env(name, def))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a duration such as %s, not %q", name, def, os.Getenv(name))
	}
	return d, nil
}

// hostName is a DNS name: letters, digits and hyphens in dot-separated labels.
var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// ListenAddress is the host:port the HTTP server listens on.
func (c Config) ListenAddress() string { return net.JoinHostPort(c.ListenHost, strconv.Itoa(c.Port)) }

// DefaultDataLicence is the licence of the published grants data: the Open Government Licence v3.0.
const DefaultDataLicence = threesixtygiving.OpenGovernmentLicence

// DefaultDatabaseURL is the local server's grantflow database.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/grantflow?sslmode=disable"

// EnvDatabaseURL is DATABASE_URL, or DefaultDatabaseURL when it is unset or empty: the database
// LoadConfig reads, for the tools that need no other setting.
func EnvDatabaseURL() string { return env("DATABASE_URL", DefaultDatabaseURL) }

// Where the dev runner's embedded Temporal server keeps its state: a SQLite file under .data, or
// databases temporal and temporal_visibility on the application's PostgreSQL server.
const (
	PersistenceSQLite   = "sqlite"
	PersistencePostgres = "postgres"
)

// LoadConfig reads the environment; a malformed value is an error naming the variable.
func LoadConfig() (Config, error) {
	c := Config{
		DatabaseURL:       EnvDatabaseURL(),
		TemporalAddress:   env("TEMPORAL_ADDRESS", "127.0.0.1:7233"),
		TemporalNamespace: env("TEMPORAL_NAMESPACE", "default"),
		Letterhead: letters.Letterhead{
			Body:    env("LETTERHEAD_BODY", "Office of the Police and Crime Commissioner (demo)"),
			Address: strings.Split(env("LETTERHEAD_ADDRESS", "1 Example Street|Exampleton|EX1 2MP"), "|"),
			Email:   env("LETTERHEAD_EMAIL", "grants@opcc.example.org"),
			Phone:   env("LETTERHEAD_PHONE", "0100 000 0000"),
			PayTo: strings.Split(env("LETTERHEAD_PAY_TO",
				"Account name: Office of the Police and Crime Commissioner (demo)|Sort code: 00-00-00|Account number: 00000000"), "|"),
		},
	}
	if c.MigrateDatabaseURL = os.Getenv("MIGRATE_DATABASE_URL"); c.MigrateDatabaseURL != "" {
		if err := store.CheckDatabaseURL("MIGRATE_DATABASE_URL", c.MigrateDatabaseURL); err != nil {
			return c, err
		}
	}
	var err error
	if c.Mail, err = loadMailConfig(); err != nil {
		return c, err
	}
	if c.Port, err = strconv.Atoi(env("PORT", "8080")); err != nil || c.Port <= 0 || c.Port > 65535 {
		return c, fmt.Errorf("PORT must be a port number, not %q", os.Getenv("PORT"))
	}
	if c.ListenHost = os.Getenv("LISTEN_HOST"); c.ListenHost != "" && net.ParseIP(c.ListenHost) == nil && !hostName.MatchString(c.ListenHost) {
		return c, fmt.Errorf("LISTEN_HOST must be an IP address or a host name such as 127.0.0.1, not %q", c.ListenHost)
	}
	if c.TemporalTLS, err = loadTemporalTLS(); err != nil {
		return c, err
	}
	if c.TemporalAPIKey = os.Getenv("TEMPORAL_API_KEY"); c.TemporalAPIKey != "" && c.TemporalTLS == nil {
		return c, errors.New("TEMPORAL_API_KEY needs TLS, or the key would travel in clear: set TEMPORAL_TLS=true (or TEMPORAL_TLS_CA_FILE)")
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, not %q", os.Getenv("LOG_LEVEL"))
	}
	switch c.LogFormat = os.Getenv("LOG_FORMAT"); c.LogFormat {
	case "", LogJSON, LogText:
	default:
		return c, fmt.Errorf("LOG_FORMAT must be json or text, not %q", c.LogFormat)
	}
	for _, p := range strings.Split(os.Getenv("TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		_, _, cidrErr := net.ParseCIDR(p)
		if net.ParseIP(p) == nil && cidrErr != nil {
			return c, fmt.Errorf("TRUSTED_PROXIES must be IP addresses or CIDR ranges separated by commas, not %q", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if v := os.Getenv("SECOND_FACTOR_KEY"); v != "" {
		key, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(key) != 32 {
			return c, errors.New("SECOND_FACTOR_KEY must be 32 random bytes in base64 (openssl rand -base64 32)")
		}
		c.SecondFactorKey = key
	}
	if c.HTTP, err = loadServerTimeouts(); err != nil {
		return c, err
	}
	if c.StepTimeout, err = positiveDuration("STEP_TIMEOUT", "20s"); err != nil {
		return c, err
	}
	if c.StepTimeout >= c.HTTP.Write {
		return c, fmt.Errorf("STEP_TIMEOUT (%s) must be shorter than HTTP_WRITE_TIMEOUT (%s): the connection would be cut before the \"try again\" answer is written", c.StepTimeout, c.HTTP.Write)
	}
	if c.CSRFKey, c.CSRFPreviousKey, err = loadCSRFKeys(); err != nil {
		return c, err
	}
	if c.Quotas, err = loadQuotas(); err != nil {
		return c, err
	}
	if c.OpenData, err = loadOpenData(c.Letterhead.Body, c.Mail.PublicBaseURL); err != nil {
		return c, err
	}
	if c.MetricsAddr, err = metricsAddr(c.Port); err != nil {
		return c, err
	}
	switch c.TemporalPersistence = env("TEMPORAL_PERSISTENCE", PersistenceSQLite); c.TemporalPersistence {
	case PersistenceSQLite, PersistencePostgres:
	default:
		return c, fmt.Errorf("TEMPORAL_PERSISTENCE must be sqlite or postgres, not %q", c.TemporalPersistence)
	}
	if c.TokenTTL, err = time.ParseDuration(env("TOKEN_TTL", "12h")); err != nil || c.TokenTTL <= 0 {
		return c, fmt.Errorf("TOKEN_TTL must be a duration such as 12h, not %q", os.Getenv("TOKEN_TTL"))
	}
	if c.Worker, err = loadWorkerConfig(); err != nil {
		return c, err
	}
	if c.TemporalUIURL, err = TemporalUIURL(os.Getenv("TEMPORAL_UI_URL")); err != nil {
		return c, err
	}
	return c, nil
}

// ConfigVariables is every environment variable LoadConfig reads. The deployment files (compose,
// Kubernetes) are checked against it, and a test keeps it equal to the variables this package reads.
var ConfigVariables = []string{
	"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "PORT", "LOG_LEVEL", "LOG_FORMAT", "TOKEN_TTL",
	"LETTERHEAD_BODY", "LETTERHEAD_ADDRESS", "LETTERHEAD_EMAIL", "LETTERHEAD_PHONE", "LETTERHEAD_PAY_TO",
	"SMTP_URL", "MAIL_FROM", "FINANCE_MAILBOX", "PUBLIC_BASE_URL", "MAIL_DISABLED",
	"TRUSTED_PROXIES", "SECOND_FACTOR_KEY", "HTTP_READ_TIMEOUT", "HTTP_WRITE_TIMEOUT", "HTTP_IDLE_TIMEOUT",
	"PUBLICATION_PREFIX", "FUNDER_ORG_ID", "FUNDER_NAME", "DATA_LICENCE_URL",
	"WORKER_MAX_CONCURRENT_ACTIVITIES", "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", "WORKER_ACTIVITY_POLLERS",
	"WORKER_WORKFLOW_POLLERS", "WORKER_STOP_TIMEOUT",
	"TEMPORAL_TLS", "TEMPORAL_TLS_CA_FILE", "TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE", "TEMPORAL_TLS_SERVER_NAME",
	"TEMPORAL_API_KEY", "LISTEN_HOST", "MIGRATE_DATABASE_URL", "METRICS_ADDR", "TEMPORAL_UI_URL",
	"CSRF_KEY", "CSRF_PREVIOUS_KEY", "STEP_TIMEOUT", "QUOTA_DRAFTS_PER_ORGANISATION", "QUOTA_UPLOAD_BYTES_PER_ORGANISATION",
	"TEMPORAL_PERSISTENCE",
}

// ProductionVariables are what a deployment must set itself: their defaults point at this machine
// (DATABASE_URL, TEMPORAL_ADDRESS, PUBLIC_BASE_URL) or would leave people untold (SMTP_URL,
// MAIL_FROM; MAIL_DISABLED=true instead of SMTP_URL is the deliberate exception).
var ProductionVariables = []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "PUBLIC_BASE_URL", "SMTP_URL", "MAIL_FROM"}

// WorkerConfig tunes a worker's share of the task queue. Zero counts leave the SDK's defaults
// (1,000 concurrent activities and workflow tasks, 2 activity pollers, workflow pollers scaled up
// to 100 on each queue: workflowTaskPolls).
type WorkerConfig struct {
	MaxConcurrentActivities    int           // WORKER_MAX_CONCURRENT_ACTIVITIES
	MaxConcurrentWorkflowTasks int           // WORKER_MAX_CONCURRENT_WORKFLOW_TASKS
	ActivityPollers            int           // WORKER_ACTIVITY_POLLERS
	WorkflowPollers            int           // WORKER_WORKFLOW_POLLERS: the most on each of the task queue and the sticky queue
	StopTimeout                time.Duration // WORKER_STOP_TIMEOUT: how long running activities get to finish on SIGTERM, default 30s
}

func loadWorkerConfig() (WorkerConfig, error) {
	var w WorkerConfig
	var err error
	if w.MaxConcurrentActivities, err = positiveCount("WORKER_MAX_CONCURRENT_ACTIVITIES", 1); err != nil {
		return w, err
	}
	// The SDK refuses 1 concurrent workflow task: a lone slot would only ever serve the worker's
	// sticky queue, and new workflow tasks would wait for ever. Workflow polls are likewise at least
	// 2, as they were when the SDK refused 1 of them too (workflowTaskPolls now keeps one on each queue).
	if w.MaxConcurrentWorkflowTasks, err = positiveCount("WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", 2); err != nil {
		return w, err
	}
	if w.ActivityPollers, err = positiveCount("WORKER_ACTIVITY_POLLERS", 1); err != nil {
		return w, err
	}
	if w.WorkflowPollers, err = positiveCount("WORKER_WORKFLOW_POLLERS", 2); err != nil {
		return w, err
	}
	if w.StopTimeout, err = positiveDuration("WORKER_STOP_TIMEOUT", "30s"); err != nil {
		return w, err
	}
	return w, nil
}

// positiveCount reads a whole number of at least min from the environment variable name; unset is 0.
func positiveCount(name string, min int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min {
		reason := fmt.Sprintf("a whole number of at least %d", min)
		if min == 2 {
			reason += " (the Temporal SDK refuses 1: a single workflow poller never asks the shared queue)"
		}
		return 0, fmt.Errorf("%s must be %s, not %q", name, reason, v)
	}
	return n, nil
}

// MigrationURL is the connection migrations run on: MIGRATE_DATABASE_URL, else DATABASE_URL.
func (c Config) MigrationURL() string {
	if c.MigrateDatabaseURL != "" {
		return c.MigrateDatabaseURL
	}
	return c.DatabaseURL
}

// metricsAddr reads METRICS_ADDR: a host and port (an empty host is every interface), not the
// public port, which must never show the metrics.
func metricsAddr(publicPort int) (string, error) {
	addr := os.Getenv("METRICS_ADDR")
	if addr == "" {
		return "", nil
	}
	_, p, err := net.SplitHostPort(addr)
	port, perr := strconv.Atoi(p)
	if err != nil || perr != nil || port <= 0 || port > 65535 {
		return "", fmt.Errorf("METRICS_ADDR must be a host and port such as 127.0.0.1:9464 or :9464, not %q", addr)
	}
	if port == publicPort { // the site listens on every interface at PORT
		return "", fmt.Errorf("METRICS_ADDR %q must not be the public port (PORT %d): metrics are served apart from the site", addr, publicPort)
	}
	return addr, nil
}

// NewMetrics is the process's metrics registry when cfg.MetricsAddr is set, else nil.
func NewMetrics(cfg Config, logger *slog.Logger) (*metrics.Metrics, error) {
	if cfg.MetricsAddr == "" {
		return nil, nil
	}
	return metrics.New(logger)
}

// TemporalUIURL checks a TEMPORAL_UI_URL: an http or https address with a host and nothing after
// its path, returned without a trailing slash so links can be appended; "" stays "".
func TemporalUIURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("TEMPORAL_UI_URL must be the Temporal Web UI's address, such as http://localhost:8233 (http or https, a host, no query), not %q", v)
	}
	return strings.TrimRight(v, "/"), nil
}

func loadOpenData(funder, site string) (threesixtygiving.Publisher, error) {
	p := threesixtygiving.Publisher{
		Prefix:     env("PUBLICATION_PREFIX", threesixtygiving.DemoPrefix),
		FunderID:   env("FUNDER_ORG_ID", threesixtygiving.DemoFunderID),
		FunderName: env("FUNDER_NAME", funder),
		LicenceURL: env("DATA_LICENCE_URL", DefaultDataLicence),
		SiteURL:    site,
	}
	if err := threesixtygiving.CheckPrefix(p.Prefix); err != nil {
		return p, fmt.Errorf("PUBLICATION_PREFIX %w", err)
	}
	if err := threesixtygiving.CheckOrgID(p.FunderID); err != nil {
		return p, fmt.Errorf("FUNDER_ORG_ID %w", err)
	}
	if u, err := url.Parse(p.LicenceURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return p, fmt.Errorf("DATA_LICENCE_URL must be the address of the data's licence, such as %s, not %q", DefaultDataLicence, p.LicenceURL)
	}
	return p, nil
}

// MailConfig is how people are told: where mail goes and what links in it point to.
type MailConfig struct {
	SMTP           notify.SMTPSettings // SMTP_URL: smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465 (implicit TLS)
	From           string              // MAIL_FROM: the sender, e.g. "Grants team <grants@example.org>"
	FinanceMailbox string              // FINANCE_MAILBOX: copied on every notice to finance; optional
	PublicBaseURL  string              // PUBLIC_BASE_URL: the site's address, for links in messages
	Disabled       bool                // MAIL_DISABLED=true: keep messages in the outbox and in-app only, on purpose
}

func loadMailConfig() (MailConfig, error) {
	m := MailConfig{
		From:           env("MAIL_FROM", "Grantflow <grantflow@localhost>"),
		FinanceMailbox: os.Getenv("FINANCE_MAILBOX"),
		PublicBaseURL:  env("PUBLIC_BASE_URL", "http://localhost:8080"),
	}
	if v := os.Getenv("MAIL_DISABLED"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return m, fmt.Errorf("MAIL_DISABLED must be true or false, not %q", v)
		}
		m.Disabled = b
	}
	if v := os.Getenv("SMTP_URL"); v != "" {
		s, err := notify.ParseSMTPURL(v)
		if err != nil {
			return m, fmt.Errorf("SMTP_URL: %w", err)
		}
		m.SMTP = s
	}
	if _, err := mail.ParseAddress(m.From); err != nil {
		return m, fmt.Errorf("MAIL_FROM must be an e-mail address such as \"Grants <grants@example.org>\", not %q", m.From)
	}
	if m.FinanceMailbox != "" {
		if _, err := mail.ParseAddress(m.FinanceMailbox); err != nil {
			return m, fmt.Errorf("FINANCE_MAILBOX must be an e-mail address, not %q", m.FinanceMailbox)
		}
	}
	if _, err := notify.NewComposer(m.PublicBaseURL); err != nil {
		return m, fmt.Errorf("PUBLIC_BASE_URL: %w", err)
	}
	return m, nil
}

// ErrNoSMTP is why production refuses to start with no mail server: people would never be told.
var ErrNoSMTP = errors.New("SMTP_URL is not set, so nobody would receive e-mail: set SMTP_URL " +
	"(smtp://user:password@host:587 for STARTTLS, smtps://user:password@host:465 for implicit TLS), " +
	"or MAIL_DISABLED=true to run without e-mail on purpose")

// RequireMail is production's check before serving or working: mail is configured, or disabled on purpose.
func (m MailConfig) RequireMail() error {
	if m.SMTP.Host == "" && !m.Disabled {
		return ErrNoSMTP
	}
	return nil
}

// Sends reports whether this process delivers the outbox over SMTP.
func (m MailConfig) Sends() bool { return m.SMTP.Host != "" && !m.Disabled }

// Outbox is the notification outbox these settings describe.
func (m MailConfig) Outbox() store.Outbox {
	c, err := notify.NewComposer(m.PublicBaseURL)
	if err != nil { // LoadConfig checked it; a Config built by hand gets the local default
		c, _ = notify.NewComposer("http://localhost:8080")
	}
	return c.Outbox(m.FinanceMailbox)
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// The log formats LOG_FORMAT accepts.
const (
	LogJSON = "json" // one JSON object a line, for log collectors; production's default
	LogText = "text" // slog's key=value lines, for people; the dev runner's default
)

// LogFormatOr is the configured LOG_FORMAT, or def when it is unset.
func (c Config) LogFormatOr(def string) string {
	if c.LogFormat == "" {
		return def
	}
	return c.LogFormat
}

// NewLogger is the process's structured logger on stderr, in format (LogJSON or LogText).
func NewLogger(format string, level slog.Level) *slog.Logger {
	return slog.New(newLogHandler(os.Stderr, format, level))
}

func newLogHandler(w io.Writer, format string, level slog.Level) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	if format == LogText {
		return slog.NewTextHandler(w, opts)
	}
	return slog.NewJSONHandler(w, opts)
}
