// Command grantflow-load puts a crowd of signed-in people on Grantflow's pages at once and reports,
// page by page, how many requests each took, how many failed and how long they took (p50, p95,
// p99). Officers and assessors walk their work queues, an application and the search; applicants
// walk their applications, one of them and a section of its form. Everyone signs in through the
// sign-in page, staff with their second factor, and moves on only by the links the pages show.
// It starts the whole system in its own process (embedded Temporal server, a throwaway PostgreSQL
// database, the worker and the front door) and seeds the people and applications it needs, so
// `make load` needs nothing else running. Any 5xx makes it exit non-zero.
// It links the Temporal server (embedded), so like grantflow-dev it is a development tool.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var o options
	flag.IntVar(&o.Users, "users", 200, "people signed in at once")
	flag.DurationVar(&o.Duration, "duration", 2*time.Minute, "how long they walk the pages")
	flag.Float64Var(&o.StaffShare, "staff", 0.3, "the share of the people who are staff (officers and assessors); the rest are applicants")
	flag.DurationVar(&o.Think, "think", time.Second, "each person's mean pause between pages (uniform from none to twice this)")
	flag.IntVar(&o.Drafts, "drafts", 1, "drafts each applicant organisation has")
	flag.IntVar(&o.Submitted, "submitted", 2, "applications each applicant organisation has submitted (through the API, each with its workflow)")
	flag.Int64Var(&o.Seed, "seed", 1, "the random source's seed: which links people follow and when")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	report, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "grantflow-load:", err)
		os.Exit(1)
	}
	if n := report.serverErrors(); n > 0 {
		fmt.Fprintf(os.Stderr, "grantflow-load: %d answers were 5xx\n", n)
		os.Exit(1)
	}
}
