// Package devtemporaltest starts the embedded Temporal server for a test. It is apart from
// devtemporal so that the commands linking devtemporal do not link the testing package.
package devtemporaltest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"grantflow/internal/devtemporal"
)

// Start starts an embedded server for a test: on a free loopback port and a database file in the
// test's temporary directory unless opts names them, logging nothing unless opts.Logger is set. It
// fails the test if the server does not start, and stops it when the test ends.
func Start(ctx context.Context, t testing.TB, opts devtemporal.Options) *devtemporal.Server {
	t.Helper()
	if opts.Address == "" {
		addr, err := devtemporal.FreeAddress()
		if err != nil {
			t.Fatal(err)
		}
		opts.Address = addr
	}
	if opts.DatabaseFile == "" && opts.PostgresURL == "" {
		opts.DatabaseFile = filepath.Join(t.TempDir(), "temporal.db")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := devtemporal.Start(ctx, opts)
	if err != nil {
		t.Fatalf("start the embedded Temporal server: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}
