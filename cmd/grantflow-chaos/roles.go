//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"grantflow/internal/app"
	"grantflow/internal/devtemporal"
	"grantflow/store"
)

// The harness runs each part of the system as a process of its own by starting this command again
// with a role as its first argument: the Temporal server, the HTTP front door or a worker. The
// front door and workers are internal/app's own Serve, configured from the environment as
// `grantflow http` and `grantflow worker` are; only the service applications' clock is added.
const (
	roleTemporal = "temporal"
	roleHTTP     = "http"
	roleWorker   = "worker"
)

// Environment the harness hands its role processes, beside the ordinary settings.
const (
	envTemporalPostgres = "CHAOS_TEMPORAL_POSTGRES_URL" // the Temporal server's persistence
	envClockFile        = "CHAOS_CLOCK_FILE"            // the service applications' clock offset
)

func runRole(role string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	logger := app.NewLogger(app.LogText, cfg.LogLevel)
	if role == roleTemporal {
		srv, err := devtemporal.Start(ctx, devtemporal.Options{PostgresURL: os.Getenv(envTemporalPostgres),
			Address: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, SearchAttributes: app.SearchAttributes, Logger: logger})
		if err != nil {
			return err
		}
		logger.Info("Temporal server running", "address", srv.Address())
		<-ctx.Done()
		return srv.Stop()
	}
	if role != roleHTTP && role != roleWorker {
		return fmt.Errorf("unknown role %q", role)
	}
	if file := os.Getenv(envClockFile); file != "" && role == roleHTTP {
		cfg.Clock = func() time.Time { return time.Now().Add(readClockOffset(file)) }
	}
	st, err := store.Connect(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer st.Close()
	c, err := app.Dial(ctx, cfg.Temporal(), logger)
	if err != nil {
		return err
	}
	defer c.Close()
	return app.Serve(ctx, cfg, c, st, logger, role == roleHTTP, role == roleWorker)
}

// readClockOffset is how far the service applications' clock runs from the real one, as the
// harness last wrote it (nanoseconds); an unreadable file is no offset, which the harness never
// leaves behind (it writes the file before it starts the front door).
func readClockOffset(file string) time.Duration {
	b, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return time.Duration(n)
}

// writeClockOffset replaces the file in one rename, so the front door never reads half of it.
func writeClockOffset(file string, d time.Duration) error {
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(int64(d), 10)), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, file)
}
