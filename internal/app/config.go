// Package app wires Grantflow together: configuration, the Temporal worker and the HTTP server.
// Both binaries (cmd/grantflow and the local runner cmd/grantflow-dev) and the end-to-end tests use it.
package app

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

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
	// TemporalPersistence is where the dev runner's embedded Temporal server keeps its state
	// (TEMPORAL_PERSISTENCE): PersistenceSQLite or PersistencePostgres.
	TemporalPersistence string
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

// DefaultDataLicence is the licence of the published grants data: the Open Government Licence v3.0.
const DefaultDataLicence = threesixtygiving.OpenGovernmentLicence

// DefaultDatabaseURL is the local server's grantflow database.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/grantflow?sslmode=disable"

// Where the dev runner's embedded Temporal server keeps its state: a SQLite file under .data, or
// databases temporal and temporal_visibility on the application's PostgreSQL server.
const (
	PersistenceSQLite   = "sqlite"
	PersistencePostgres = "postgres"
)

// LoadConfig reads the environment; a malformed value is an error naming the variable.
func LoadConfig() (Config, error) {
	c := Config{
		DatabaseURL:       env("DATABASE_URL", DefaultDatabaseURL),
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
	var err error
	if c.Mail, err = loadMailConfig(); err != nil {
		return c, err
	}
	if c.Port, err = strconv.Atoi(env("PORT", "8080")); err != nil || c.Port <= 0 || c.Port > 65535 {
		return c, fmt.Errorf("PORT must be a port number, not %q", os.Getenv("PORT"))
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
	if c.OpenData, err = loadOpenData(c.Letterhead.Body, c.Mail.PublicBaseURL); err != nil {
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
	return c, nil
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
