package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/internal/app"
	"grantflow/internal/devtemporal"
	"grantflow/store"
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
		addr, err := freeAddress()
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
		server, _ := url.Parse(dbURL)
		server.Path = "/postgres"
		pgURL, drop, err := devtemporal.ThrowawayPostgres(server.String())
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

// spread is a figure's median over rounds with its lowest and highest.
func spread(xs []float64) string {
	s := slices.Sorted(slices.Values(xs))
	if len(s) == 1 {
		return fmt.Sprintf("%.2f", s[0])
	}
	return fmt.Sprintf("%.2f (%.2f–%.2f)", s[len(s)/2], s[0], s[len(s)-1])
}

// benchStarts measures bare workflow starts and our submissions on every engine, startRounds times:
// each round runs bare then ours on one engine, then on the next, the engines' order turning round
// every round, so a busy moment on the machine falls on all alike.
func benchStarts(engines []engine, st *store.Store, logger *slog.Logger) {
	type figures struct{ bare, ours, ratio []float64 }
	got := make([]figures, len(engines))
	for round := range startRounds {
		order := make([]int, len(engines))
		for i := range order {
			order[i] = i
		}
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, i := range order {
			bare := testing.Benchmark(func(b *testing.B) { benchBareStarts(b, engines[i].c) })
			ours := testing.Benchmark(func(b *testing.B) { benchSubmissions(b, engines[i].c, st, logger) })
			got[i].bare = append(got[i].bare, perSec(bare))
			got[i].ours = append(got[i].ours, perSec(ours))
			got[i].ratio = append(got[i].ratio, perSec(ours)/perSec(bare))
			fmt.Printf("workflow starts, round %d of %d, %s: bare %.1f/s (%d in %v), Grantflow %.1f/s (%d in %v), ratio %.2f\n",
				round+1, startRounds, engines[i].name, perSec(bare), bare.N, bare.T.Round(time.Millisecond),
				perSec(ours), ours.N, ours.T.Round(time.Millisecond), perSec(ours)/perSec(bare))
		}
	}
	rows := [][]string{{"workflow starts per second, median (lowest–highest)"}}
	for _, e := range engines {
		rows[0] = append(rows[0], e.name)
	}
	for _, r := range []struct {
		name string
		of   func(figures) []float64
	}{
		{"bare Temporal ExecuteWorkflow", func(f figures) []float64 { return f.bare }},
		{"Grantflow POST /submit over HTTP", func(f figures) []float64 { return f.ours }},
		{"ratio Grantflow / bare", func(f figures) []float64 { return f.ratio }},
	} {
		row := []string{r.name}
		for _, f := range got {
			row = append(row, spread(r.of(f)))
		}
		rows = append(rows, row)
	}
	printTable(rows)
}

// printAwards puts the award runs on each engine side by side.
func printAwards(engines []engine, results []yearResult) {
	rows := [][]string{{"service-award updates per second"}}
	for _, e := range engines {
		rows[0] = append(rows[0], e.name)
	}
	bare, ours, ratio := []string{"bare no-op updates, same count"}, []string{"Grantflow first year of each award"}, []string{"ratio Grantflow / bare"}
	for _, r := range results {
		bare = append(bare, fmt.Sprintf("%.1f (%v)", float64(r.updates)/r.bare.Seconds(), r.bare.Round(time.Second)))
		ours = append(ours, fmt.Sprintf("%.1f (%v)", float64(r.updates)/r.ours.Seconds(), r.ours.Round(time.Second)))
		ratio = append(ratio, fmt.Sprintf("%.2f", r.bare.Seconds()/r.ours.Seconds()))
	}
	printTable(append(rows, bare, ours, ratio))
}

// printTable prints rows in columns, the first row as the heading.
func printTable(rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], len([]rune(cell)))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, cell := range row {
			b.WriteString("  " + cell + strings.Repeat(" ", widths[i]-len([]rune(cell))))
		}
		fmt.Println(strings.TrimRight(b.String(), " "))
	}
	fmt.Println()
}
