package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"

	"go.temporal.io/sdk/client"

	"grantflow/internal/app"
	"grantflow/internal/devtemporal"
)

// persistence is -persistence: which of the embedded server's stores the workflow rows run on.
var persistence string

// engine is one embedded Temporal server and a client of it.
type engine struct {
	name string // as the table's column heads it
	c    client.Client
}

// startEngines starts an embedded server on SQLite (a file in dir, as make run keeps it) and one on
// PostgreSQL (throwaway databases on the benchmark database's server, as TEMPORAL_PERSISTENCE=postgres
// keeps it), or the one -persistence names. Both stay up for the whole run, so that their rounds can
// alternate.
func startEngines(ctx context.Context, dir, dbURL string, logger *slog.Logger) ([]engine, func(), error) {
	var engines []engine
	var stops []func()
	stop := func() {
		for _, s := range slices.Backward(stops) {
			s()
		}
	}
	start := func(name string, opts devtemporal.Options) error {
		addr, err := devtemporal.FreeAddress()
		if err != nil {
			return err
		}
		opts.Address, opts.SearchAttributes, opts.Logger = addr, app.SearchAttributes, logger
		srv, err := devtemporal.Start(ctx, opts)
		if err != nil {
			return fmt.Errorf("Temporal on %s: %w", name, err)
		}
		stops = append(stops, func() { srv.Stop() })
		c, err := app.Dial(ctx, app.TemporalConn{Address: srv.Address(), Namespace: srv.Namespace()}, logger)
		if err != nil {
			return err
		}
		stops = append(stops, c.Close)
		engines = append(engines, engine{name: name, c: c})
		return nil
	}
	switch persistence {
	case "sqlite", "postgres", "both":
	default:
		return nil, nil, fmt.Errorf("-persistence: want sqlite, postgres or both, not %q", persistence)
	}
	if persistence != "postgres" {
		if err := start("SQLite", devtemporal.Options{DatabaseFile: filepath.Join(dir, "temporal.db")}); err != nil {
			stop()
			return nil, nil, err
		}
	}
	if persistence != "sqlite" {
		pgURL, drop, err := devtemporal.ThrowawayPostgres(dbURL)
		if err != nil {
			stop()
			return nil, nil, err
		}
		stops = append(stops, func() { drop() })
		if err := start("PostgreSQL", devtemporal.Options{PostgresURL: pgURL}); err != nil {
			stop()
			return nil, nil, err
		}
	}
	return engines, stop, nil
}

// key names the engine in a pair's key: "sqlite" or "postgres".
func (e engine) key() string {
	if e.name == "SQLite" {
		return "sqlite"
	}
	return "postgres"
}
