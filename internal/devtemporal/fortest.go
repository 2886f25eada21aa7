package devtemporal

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
)

// StartForTest starts an embedded server for a test: on a free loopback port and a database file
// in the test's temporary directory unless opts names them, logging nothing unless opts.Logger is
// set. It fails the test if the server does not start, and stops it when the test ends.
func StartForTest(ctx context.Context, t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Address == "" {
		opts.Address = FreeAddress(t)
	}
	if opts.DatabaseFile == "" && opts.PostgresURL == "" {
		opts.DatabaseFile = filepath.Join(t.TempDir(), "temporal.db")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	srv, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("start the embedded Temporal server: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv
}

// FreeAddress is a loopback host:port nothing listens on at the moment it is asked.
func FreeAddress(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
