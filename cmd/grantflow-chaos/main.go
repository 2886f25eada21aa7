//go:build linux

// Command grantflow-chaos runs the whole system as separate processes (an embedded Temporal server
// on a private PostgreSQL cluster, the HTTP front door and two workers), drives grassroots grants
// and service awards through the API from submission to closed while it kills workers with
// SIGKILL, restarts the Temporal server and crashes PostgreSQL, then checks in the database that
// nothing was lost or done twice. It links the Temporal server, so it is a test tool: production
// runs cmd/grantflow. See README "Chaos".
package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) > 2 && os.Args[1] == "role" {
		if err := runRole(os.Args[2]); err != nil {
			fmt.Fprintln(os.Stderr, "grantflow-chaos", os.Args[2]+":", err)
			os.Exit(1)
		}
		return
	}
	opts := defaultOptions()
	fs := flag.NewFlagSet("grantflow-chaos", flag.ExitOnError)
	fs.IntVar(&opts.Grassroots, "grants", opts.Grassroots, "grassroots grants to drive from submission to closed")
	fs.IntVar(&opts.Services, "services", opts.Services, "service awards to drive (on a moved clock)")
	fs.IntVar(&opts.Kills, "kills", opts.Kills, "worker SIGKILLs to make at least (the run kills on until its grants are done)")
	fs.IntVar(&opts.TemporalRestarts, "temporal-restarts", opts.TemporalRestarts, "Temporal server restarts (SIGKILL and start again)")
	fs.IntVar(&opts.PostgresRestarts, "postgres-restarts", opts.PostgresRestarts, "PostgreSQL crashes (pg_ctl restart -m immediate)")
	fs.Int64Var(&opts.Seed, "seed", 0, "seed of the random moments (0: from the clock; printed, so a failing run can be repeated)")
	fs.IntVar(&opts.Concurrency, "concurrency", opts.Concurrency, "grants driven at once")
	fs.DurationVar(&opts.KillGap, "kill-gap", opts.KillGap, "longest random pause between two worker kills")
	fs.StringVar(&opts.Dir, "dir", "", "where the cluster and the processes' logs go (default: a new temporary directory, removed after a run that passes)")
	fs.Parse(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, opts, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "grantflow-chaos:", err)
		os.Exit(1)
	}
	if !res.ok() {
		os.Exit(1)
	}
}

// options are one run's sizes.
type options struct {
	Grassroots, Services                      int
	Kills, TemporalRestarts, PostgresRestarts int
	Seed                                      int64
	Concurrency                               int
	Dir                                       string
	// KillGap is the longest pause between two worker kills (each pause is random, up to it).
	KillGap time.Duration
}

func defaultOptions() options {
	return options{Grassroots: 200, Services: 20, Kills: 50, TemporalRestarts: 2, PostgresRestarts: 1, Concurrency: 20, KillGap: 4 * time.Second}
}

// result is what a run found.
type result struct {
	Seed                                int64
	Closed, Failed                      int
	Kills, TemporalRestarts, PGRestarts int
	Elapsed                             time.Duration
	Invariants                          []invariant
	Failures                            []string // grants a driver could not take to closed, with why
}

func (r result) ok() bool {
	for _, i := range r.Invariants {
		if i.problem != "" {
			return false
		}
	}
	return len(r.Invariants) > 0
}

// print writes the summary table.
func (r result) print(w io.Writer, opts options) {
	fmt.Fprintf(w, "\nChaos run, seed %d (repeat with -seed %d)\n", r.Seed, r.Seed)
	fmt.Fprintf(w, "  %-44s %d grassroots + %d service\n", "grants driven", opts.Grassroots, opts.Services)
	fmt.Fprintf(w, "  %-44s %d closed, %d failed\n", "drivers", r.Closed, r.Failed)
	fmt.Fprintf(w, "  %-44s %d (at least %d asked)\n", "worker SIGKILLs", r.Kills, opts.Kills)
	fmt.Fprintf(w, "  %-44s %d\n", "Temporal server restarts (SIGKILL)", r.TemporalRestarts)
	fmt.Fprintf(w, "  %-44s %d\n", "PostgreSQL restarts (-m immediate)", r.PGRestarts)
	fmt.Fprintf(w, "  %-44s %s\n", "time", r.Elapsed.Round(time.Second))
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  driver failed: %s\n", f)
	}
	fmt.Fprintf(w, "\n  %-52s %s\n", "invariant", "result")
	for _, i := range r.Invariants {
		verdict := "ok"
		if i.problem != "" {
			verdict = "FAILED: " + i.problem
		}
		fmt.Fprintf(w, "  %-52s %s\n", i.name, verdict)
	}
	if r.ok() {
		fmt.Fprintln(w, "\nall invariants hold")
	} else {
		fmt.Fprintln(w, "\nINVARIANTS FAILED")
	}
}

func randomKey() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// run sets the system up, drives it under chaos, checks it and prints the summary.
func run(ctx context.Context, opts options, out io.Writer) (result, error) {
	if opts.Seed == 0 {
		opts.Seed = time.Now().UnixNano()
	}
	if opts.KillGap <= 0 {
		opts.KillGap = defaultOptions().KillGap
	}
	res := result{Seed: opts.Seed}
	fmt.Fprintf(out, "grantflow-chaos: seed %d: %d grassroots grants, %d service awards, at least %d worker kills, %d Temporal and %d PostgreSQL restarts\n",
		opts.Seed, opts.Grassroots, opts.Services, opts.Kills, opts.TemporalRestarts, opts.PostgresRestarts)
	logger := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelWarn}))
	sys, err := startSystem(ctx, opts, logger, out)
	if err != nil {
		if sys != nil {
			sys.stop()
		}
		return res, err
	}
	started := time.Now()
	runErr := sys.drive(ctx, opts, &res, out)
	res.Elapsed = time.Since(started)
	if runErr == nil {
		// The chaos asked for is part of the verdict: a run that made too little proves too little.
		enough := invariant{name: fmt.Sprintf("at least %d worker kills, %d Temporal and %d PostgreSQL restarts", opts.Kills, opts.TemporalRestarts, opts.PostgresRestarts)}
		if res.Kills < opts.Kills || res.TemporalRestarts < opts.TemporalRestarts || res.PGRestarts < opts.PostgresRestarts {
			enough.problem = fmt.Sprintf("made %d, %d and %d (the grants finished first: lower -kill-gap)", res.Kills, res.TemporalRestarts, res.PGRestarts)
		}
		res.Invariants = append([]invariant{enough}, check(ctx, sys.st, opts.Grassroots, opts.Services)...)
	}
	sys.stop()
	res.print(out, opts)
	if runErr != nil {
		return res, runErr
	}
	if res.ok() && opts.Dir == "" {
		os.RemoveAll(sys.dir)
	} else {
		fmt.Fprintf(out, "logs and the PostgreSQL cluster are kept in %s\n", sys.dir)
	}
	return res, nil
}
