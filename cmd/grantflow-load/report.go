package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/lib/pq"
	"gonum.org/v1/gonum/stat"
)

// options are the run's flags.
type options struct {
	Users             int
	Duration, Think   time.Duration
	StaffShare        float64
	Drafts, Submitted int
	Seed              int64
}

// page is what was seen of one page: each request's time, and its errors.
type page struct {
	took       []float64 // seconds
	errors     int
	serverErrs int
	example    string // the first error, to show
}

// results gathers every request of the run, by page.
type results struct {
	mu       sync.Mutex
	pages    map[string]*page
	signIns  []string // people who could not sign in
	began    time.Time
	finished time.Time
}

func (r *results) record(name string, took time.Duration, status int, problem string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.pages[name]
	if p == nil {
		p = &page{}
		r.pages[name] = p
	}
	p.took = append(p.took, took.Seconds())
	if problem != "" {
		p.errors++
		if p.example == "" {
			p.example = problem
		}
	}
	if status >= 500 {
		p.serverErrs++
	}
}

func (r *results) failSignIn(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.signIns = append(r.signIns, err.Error())
}

func (r *results) serverErrors() int {
	n := 0
	for _, p := range r.pages {
		n += p.serverErrs
	}
	return n
}

func (r *results) requests() int {
	n := 0
	for _, p := range r.pages {
		n += len(p.took)
	}
	return n
}

// figures are one page's requests, errors and percentiles in milliseconds.
type figures struct {
	Name               string
	Requests, Errors   int
	ServerErrors       int
	P50, P95, P99, Max float64
	ExampleError       string
}

// figures sorts the pages by name and works out their percentiles (gonum's empirical quantile:
// the smallest time that at least that share of requests took no longer than).
func (r *results) figures() []figures {
	var out []figures
	for name, p := range r.pages {
		took := slices.Clone(p.took)
		sort.Float64s(took)
		q := func(f float64) float64 { return 1000 * stat.Quantile(f, stat.Empirical, took, nil) }
		out = append(out, figures{Name: name, Requests: len(took), Errors: p.errors, ServerErrors: p.serverErrs,
			P50: q(0.50), P95: q(0.95), P99: q(0.99), Max: 1000 * took[len(took)-1], ExampleError: p.example})
	}
	slices.SortFunc(out, func(a, b figures) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (r *results) print(w io.Writer, o options, loadBefore, loadAfter string) {
	elapsed := r.finished.Sub(r.began)
	fmt.Fprintf(w, "\n%d people (%.0f%% staff) for %v, mean pause %v, GOMAXPROCS=%d; load average before %s, after %s\n",
		o.Users, 100*o.StaffShare, o.Duration, o.Think, runtime.GOMAXPROCS(0), loadBefore, loadAfter)
	fmt.Fprintf(w, "%d requests, sign-ins included, and %v of walking (%.1f requests/s)\n\n", r.requests(), elapsed.Round(time.Millisecond), float64(r.requests())/elapsed.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "page\trequests\terrors\t5xx\tp50 ms\tp95 ms\tp99 ms\tmax ms\t")
	for _, f := range r.figures() {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t\n", f.Name, f.Requests, f.Errors, f.ServerErrors, f.P50, f.P95, f.P99, f.Max)
	}
	tw.Flush()
	for _, f := range r.figures() {
		if f.ExampleError != "" {
			fmt.Fprintf(w, "first error on %s: %s\n", f.Name, f.ExampleError)
		}
	}
	for _, s := range r.signIns {
		fmt.Fprintf(w, "could not sign in: %s\n", s)
	}
}

// loadAverage is the machine's load average over 1, 5 and 15 minutes ("?" where unknown).
func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// run starts the system, seeds the crowd, lets it walk for o.Duration and prints the figures.
func run(ctx context.Context, o options, w io.Writer) (*results, error) {
	if o.Users < 1 || o.Duration <= 0 || o.StaffShare < 0 || o.StaffShare > 1 {
		return nil, fmt.Errorf("want -users of at least 1, a -duration above 0 and a -staff share from 0 to 1")
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	began := time.Now()
	sys, err := startSystem(ctx, logger)
	if err != nil {
		return nil, err
	}
	defer sys.Stop()
	crowd, err := seedCrowd(ctx, sys, o.Users, o.StaffShare, o.Drafts, o.Submitted)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	var apps int
	if err := sys.Store.DB.GetContext(ctx, &apps, `SELECT count(*) FROM applications`); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "system up and seeded in %v: %d people, %d applications\n", time.Since(began).Round(time.Second), len(crowd), apps)

	// Everyone signs in at once (timed with the rest), and then the walk's clock starts: on a busy
	// machine a crowd's sign-ins alone can take longer than a short run.
	r := &results{pages: map[string]*page{}}
	var signedIn []*person
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, a := range crowd {
		p := newPerson(a, i, sys.URL, o.Seed*1_000_003+int64(i), o.Think, r)
		wg.Go(func() {
			if err := p.signIn(ctx); err != nil {
				r.failSignIn(err)
				return
			}
			mu.Lock()
			signedIn = append(signedIn, p)
			mu.Unlock()
		})
	}
	wg.Wait()
	loadBefore := loadAverage()
	walkCtx, stop := context.WithTimeout(ctx, o.Duration)
	defer stop()
	r.began = time.Now()
	for _, p := range signedIn {
		wg.Go(func() { p.walk(walkCtx) })
	}
	wg.Wait()
	r.finished = time.Now()
	r.print(w, o, loadBefore, loadAverage())
	return r, ctx.Err()
}

func int64Array(ids []int64) pq.Int64Array { return pq.Int64Array(ids) }
