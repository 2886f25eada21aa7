//go:build linux

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary play the roles the harness starts it in, as the command does.
func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == "role" {
		if err := runRole(os.Args[2]); err != nil {
			os.Stderr.WriteString("grantflow-chaos " + os.Args[2] + ": " + err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestChaosShort is `make chaos` at the size `make test` affords: 20 grants (16 grassroots, 4
// service awards on a moved clock) through the API of separately running processes, while workers
// are killed at least 10 times, the Temporal server once and PostgreSQL crashes once. Every grant
// must close with nothing lost or done twice, and the audit chain must verify.
func TestChaosShort(t *testing.T) {
	if testing.Short() {
		t.Skip("the chaos run starts a PostgreSQL cluster and five processes")
	}
	for _, program := range []string{"initdb", "pg_ctl"} {
		if _, err := exec.LookPath(program); err != nil {
			t.Skipf("the chaos run needs PostgreSQL's %s on PATH for its private cluster", program)
		}
	}
	opts := options{Grassroots: 16, Services: 4, Kills: 10, TemporalRestarts: 1, PostgresRestarts: 1,
		Concurrency: 8, KillGap: 4 * time.Second, Seed: time.Now().UnixNano()}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := run(ctx, opts, &out)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("seed %d: %v", opts.Seed, err)
	}
	if !res.ok() {
		t.Fatalf("seed %d: an invariant failed (see the table above)", opts.Seed)
	}
	if res.Closed != 20 || res.Failed != 0 {
		t.Errorf("seed %d: %d grants closed and %d failed, want 20 and 0", opts.Seed, res.Closed, res.Failed)
	}
	if res.Kills < opts.Kills || res.TemporalRestarts != 1 || res.PGRestarts != 1 {
		t.Errorf("seed %d: %d kills, %d Temporal and %d PostgreSQL restarts; want at least %d, 1 and 1",
			opts.Seed, res.Kills, res.TemporalRestarts, res.PGRestarts, opts.Kills)
	}
	if !strings.Contains(out.String(), "all invariants hold") {
		t.Error("the summary does not say the invariants hold")
	}
}

// The summary names every invariant with its verdict, and a failed one makes the run fail.
func TestSummaryShowsAFailedInvariant(t *testing.T) {
	res := result{Seed: 42, Invariants: []invariant{{name: "one award per application"}, {name: "every grant closed", problem: "application 7 at offered"}}}
	var out bytes.Buffer
	res.print(&out, defaultOptions())
	for _, want := range []string{"seed 42", "one award per application", "ok", "every grant closed", "FAILED: application 7 at offered", "INVARIANTS FAILED"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if res.ok() {
		t.Error("a run with a failed invariant is ok")
	}
}
