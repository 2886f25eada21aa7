// Package app wires Grantflow together: configuration, the Temporal worker and the HTTP server.
// Both binaries (cmd/grantflow and the local runner cmd/grantflow-dev) and the end-to-end tests use it.
package app

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"grantflow/letters"
)

// Config is every setting, read from environment variables with defaults.
type Config struct {
	DatabaseURL       string        // DATABASE_URL
	TemporalAddress   string        // TEMPORAL_ADDRESS
	TemporalNamespace string        // TEMPORAL_NAMESPACE
	Port              int           // PORT
	LogLevel          slog.Level    // LOG_LEVEL: debug, info, warn, error
	TokenTTL          time.Duration // TOKEN_TTL, e.g. 12h
	Letterhead        letters.Letterhead
	// Clock, when set, is the time new service applications run on (tests and demos); nil is the real clock.
	Clock func() time.Time
	// InsecureCookies lets the pages' cookies travel over plain HTTP to a host other than
	// localhost (tests with a cookie jar); never in production.
	InsecureCookies bool
}

// DefaultDatabaseURL is the local server's grantflow database.
const DefaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/grantflow?sslmode=disable"

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
	if c.Port, err = strconv.Atoi(env("PORT", "8080")); err != nil || c.Port <= 0 || c.Port > 65535 {
		return c, fmt.Errorf("PORT must be a port number, not %q", os.Getenv("PORT"))
	}
	if err := c.LogLevel.UnmarshalText([]byte(env("LOG_LEVEL", "info"))); err != nil {
		return c, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error, not %q", os.Getenv("LOG_LEVEL"))
	}
	if c.TokenTTL, err = time.ParseDuration(env("TOKEN_TTL", "12h")); err != nil || c.TokenTTL <= 0 {
		return c, fmt.Errorf("TOKEN_TTL must be a duration such as 12h, not %q", os.Getenv("TOKEN_TTL"))
	}
	return c, nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// NewLogger is the process's structured logger.
func NewLogger(level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}
