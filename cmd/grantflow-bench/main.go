// Command grantflow-bench measures Grantflow against the raw engine or library underneath it, in
// one run on one machine, each figure a ratio of ours to bare measured by alternating the two in
// rounds (alternate.go): submissions over HTTP against bare Temporal workflow starts on the same
// embedded server (on SQLite and on PostgreSQL persistence, side by side), page reads, request
// logging, award letters, service-award updates, grassroots grants from submission to closed, and
// the 360Giving package. It prints a table and writes the results as JSON (-json).
// It links the Temporal server (embedded), so like grantflow-dev it is a development tool.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jung-kurt/gofpdf"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/internal/throwawaydb"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// parallelism is the number of concurrent callers per core in the throughput benchmarks.
const parallelism = 8

// parts are the comparisons -parts chooses from, in the order they run.
var parts = []string{"letters", "starts", "pages", "observed", "awards", "grants", "360giving", "lists"}

var (
	callers     int
	httpClient  = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxIdleConns: 256}}
	cpuProfile  string
	resultsPath string
)

func main() {
	a := alternation{}
	flag.IntVar(&a.rounds, "rounds", 5, "rounds of every comparison, bare and ours alternating which goes first")
	flag.DurationVar(&a.minRound, "round-time", 10*time.Second, "each side's least time in a round (the awards, grants and 360Giving rounds do a fixed amount of work instead)")
	partsFlag := flag.String("parts", strings.Join(parts, ","), "the comparisons to run, comma-separated: "+strings.Join(parts, ", "))
	quick := flag.Bool("quick", false, "a short run of every part at small sizes (rounds of 100 ms, 5 awards, 10 grants, 300 360Giving awards), for make test: the figures mean little, the run proves the bench works")
	flag.IntVar(&callers, "callers", runtime.GOMAXPROCS(0)*parallelism, "concurrent callers in the starts, pages, observed and awards comparisons")
	flag.IntVar(&awardCount, "awards", 1000, "service awards to drive through their first year, over all rounds (0 to skip)")
	flag.IntVar(&grantCount, "grants", 10_000, "grassroots grants to take from submission to closed, over all rounds")
	flag.IntVar(&grantCallers, "grant-callers", 32, "concurrent callers in the grants comparison (each takes one grant at a time through its nine steps)")
	flag.StringVar(&persistence, "persistence", "both", `the embedded Temporal server's persistence for the workflow parts: "sqlite", "postgres" or "both" (side by side; the grants run on PostgreSQL)`)
	flag.IntVar(&givingAwards, "giving-awards", 100_000, "awards in the 360Giving package comparison")
	flag.BoolVar(&givingKeep, "giving-keep", false, "keep the 360Giving comparison's database (its URL is printed) instead of dropping it")
	flag.StringVar(&resultsPath, "json", "bench-results.json", "where to write the results as JSON")
	flag.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the grants comparison's own rounds (the whole process: front door, workers, embedded server) to this file")
	stream := flag.String("giving-stream", "", "internal: stream the 360Giving package of this database to io.Discard and print the figures")
	flag.Parse()
	if *stream != "" {
		if err := streamChild(*stream); err != nil {
			fmt.Fprintln(os.Stderr, "grantflow-bench:", err)
			os.Exit(1)
		}
		return
	}
	if *quick {
		quickSizes(&a)
	}
	chosen, err := choose(*partsFlag)
	if err != nil {
		fmt.Fprintln(os.Stderr, "grantflow-bench:", err)
		os.Exit(2)
	}
	if a.rounds < 1 || a.minRound <= 0 || callers < 1 || grantCallers < 1 {
		fmt.Fprintln(os.Stderr, "grantflow-bench: -rounds, -round-time, -callers and -grant-callers must be positive")
		os.Exit(2)
	}
	results.Date, results.Args, results.Procs = time.Now().UTC().Format(time.RFC3339), os.Args[1:], runtime.GOMAXPROCS(0)
	results.Rounds, results.Round = a.rounds, a.minRound.Seconds()
	results.Load["before"] = loadAverage()
	err = runParts(context.Background(), a, chosen)
	results.Load["after"] = loadAverage()
	if len(results.Results) > 0 {
		fmt.Println(results.table())
		if werr := results.write(resultsPath); werr != nil {
			fmt.Fprintln(os.Stderr, "grantflow-bench:", werr)
			os.Exit(1)
		}
		fmt.Println("results written to", resultsPath)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "grantflow-bench:", err)
		os.Exit(1)
	}
}

// quickSizes are -quick's: every part runs, its rounds short and its sizes small.
func quickSizes(a *alternation) {
	a.minRound = 100 * time.Millisecond
	awardCount, grantCount, givingAwards = a.rounds, 2*a.rounds, 300
	*listRows = 2000
	grantCallers = min(grantCallers, 4)
}

// choose parses -parts.
func choose(list string) (map[string]bool, error) {
	chosen := map[string]bool{}
	for _, p := range strings.Split(list, ",") {
		p = strings.TrimSpace(p)
		if p == "all" {
			for _, q := range parts {
				chosen[q] = true
			}
			continue
		}
		if !slices.Contains(parts, p) {
			return nil, fmt.Errorf("-parts: %q is not one of %s", p, strings.Join(parts, ", "))
		}
		chosen[p] = true
	}
	return chosen, nil
}

// runParts runs the chosen comparisons, starting the engines and the database only if one needs them.
func runParts(ctx context.Context, a alternation, chosen map[string]bool) error {
	fmt.Printf("Grantflow benchmark, %s, GOMAXPROCS=%d, %d rounds of at least %v a side, load average %s\n\n",
		time.Now().Format(time.DateOnly), runtime.GOMAXPROCS(0), a.rounds, a.minRound, loadAverage())
	if chosen["letters"] {
		if _, err := a.measure(ctx, lettersPair()); err != nil {
			return err
		}
	}
	if chosen["starts"] || chosen["pages"] || chosen["observed"] || (chosen["awards"] && awardCount > 0) || (chosen["grants"] && grantCount > 0) {
		if err := runWorkflowParts(ctx, a, chosen); err != nil {
			return err
		}
	}
	if chosen["360giving"] && givingAwards > 0 {
		if err := bench360Giving(ctx, a); err != nil {
			return err
		}
	}
	if chosen["lists"] && *listRows > 0 {
		if err := benchLists(ctx, a); err != nil {
			return err
		}
	}
	return nil
}

// runWorkflowParts runs the comparisons that need the engine and our database.
func runWorkflowParts(ctx context.Context, a alternation, chosen map[string]bool) error {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := os.MkdirTemp("", "grantflow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	st, dbURL, done, err := seededDatabase(ctx, false, logger)
	if err != nil {
		return err
	}
	defer done()
	engines, stopEngines, err := startEngines(ctx, dir, dbURL, logger)
	if err != nil {
		return err
	}
	defer stopEngines()
	c := engines[0].c // the rows that are not about the engine run on the first
	// Enough budget that no approval in the benchmark is refused for money.
	if err := demo.FundEveryScheme(ctx, st, scheme.FinancialYear(time.Now())); err != nil {
		return err
	}
	if chosen["starts"] {
		for _, e := range engines {
			if _, err := a.measureSetUp(ctx, func() (pair, func(), error) { return startsPair(ctx, e, st, logger) }); err != nil {
				return err
			}
		}
	}
	if chosen["pages"] || chosen["observed"] {
		id, err := applicationInAssessment(ctx, c, st, logger)
		if err != nil {
			return err
		}
		if chosen["pages"] {
			if _, err := a.measureSetUp(ctx, func() (pair, func(), error) { return pagesPair(ctx, c, st, logger, id) }); err != nil {
				return err
			}
		}
		if chosen["observed"] {
			if _, err := a.measureSetUp(ctx, func() (pair, func(), error) { return observedPair(ctx, c, st, id) }); err != nil {
				return err
			}
		}
	}
	if chosen["awards"] && awardCount > 0 {
		// Budgets for the awards' years (they are seeded as already committed elsewhere; only delivery is timed).
		if err := demo.FundEveryScheme(ctx, st, benchFirstYear, benchFirstYear+1, benchFirstYear+2); err != nil {
			return err
		}
		for _, e := range engines {
			_, err := a.measureSetUp(ctx, func() (pair, func(), error) { return awardsPair(ctx, e, st, max(1, awardCount/a.rounds), callers) })
			if err != nil {
				return fmt.Errorf("service awards on %s: %w", e.name, err)
			}
		}
	}
	if chosen["grants"] && grantCount > 0 {
		e := engines[len(engines)-1] // PostgreSQL when it runs, as the issue asks
		perRound := max(1, grantCount/a.rounds)
		p, g, stop, err := grantsPair(ctx, e, st, logger, perRound, grantCallers)
		if err != nil {
			return err
		}
		defer stop()
		if cpuProfile != "" {
			p.ours.run = profiled(cpuProfile, p.ours.run)
		}
		start := time.Now()
		r, err := a.measure(ctx, p)
		if err != nil {
			return err
		}
		var ours, bare float64
		for _, rr := range r.Rounds {
			ours, bare = ours+rr.OursSeconds, bare+rr.BareSeconds
		}
		total := time.Duration(ours * float64(time.Second)).Round(time.Second)
		waits, err := g.screeningWaits(ctx)
		if err != nil {
			return err
		}
		results.note(r.Key, map[string]string{
			"submission_to_screening_p50_seconds": fmt.Sprintf("%.2f", waits[0]),
			"submission_to_screening_p95_seconds": fmt.Sprintf("%.2f", waits[1]),
			"submission_to_screening_max_seconds": fmt.Sprintf("%.2f", waits[2]),
			"grants":                              fmt.Sprint(perRound * a.rounds),
			"ours_total_seconds":                  fmt.Sprintf("%.1f", ours),
			"bare_total_seconds":                  fmt.Sprintf("%.1f", bare),
			"ours_process_cpu_seconds":            fmt.Sprintf("%.1f", g.oursCPU.process),
			"ours_machine_busy_cpu_seconds":       fmt.Sprintf("%.1f", g.oursCPU.machine),
			"bare_process_cpu_seconds":            fmt.Sprintf("%.1f", g.bareCPU.process),
			"bare_machine_busy_cpu_seconds":       fmt.Sprintf("%.1f", g.bareCPU.machine),
			"try_again_answers":                   fmt.Sprint(g.tryAgain.Load()),
		})
		fmt.Printf("grants: %d grassroots grants from submission to closed in %v of our rounds (bare: %v; the whole part with drafts' preparation %v)\n"+
			"  CPU over our rounds: this process %.0f s, the machine %.0f s (the rest is PostgreSQL and others); over the bare rounds: %.0f s and %.0f s; %d \"try again\" answers retried\n"+
			"  from submission to screening (the workflow's first task): p50 %.2f s, p95 %.2f s, longest %.2f s\n\n",
			perRound*a.rounds, total, time.Duration(bare*float64(time.Second)).Round(time.Second), time.Since(start).Round(time.Second),
			g.oursCPU.process, g.oursCPU.machine, g.bareCPU.process, g.bareCPU.machine, g.tryAgain.Load(), waits[0], waits[1], waits[2])
	}
	return nil
}

// lettersPair compares our award letter, in the embedded Liberation Sans, with a bare one-page
// letter in gofpdf's core Helvetica, one at a time.
func lettersPair() pair {
	return pair{
		key: "letters", title: "award letters per second (one caller)", unit: "letters",
		bare: side{name: "bare gofpdf one-page letter, core Helvetica", run: repeat(1, func(context.Context) error { return bareLetter() })},
		ours: side{name: "Grantflow two-page award letter, embedded Liberation Sans", run: repeat(1, func(context.Context) error {
			_, err := awardLetter.PDF()
			return err
		})},
	}
}

// noop is the bare workflow: the least a workflow start can cost.
func noop(ctx workflow.Context) error { return nil }

var seq atomic.Int64

// startsPair compares bare workflow starts with our submissions over HTTP on one engine: each
// submission reads the draft, scheme, round and organisation, starts the workflow, marks the read
// model and answers with the detail.
func startsPair(ctx context.Context, e engine, st *store.Store, logger *slog.Logger) (pair, func(), error) {
	bareQueue := fmt.Sprintf("bench-bare-%d", seq.Add(1))
	bw := worker.New(e.c, bareQueue, worker.Options{})
	bw.RegisterWorkflow(noop)
	if err := bw.Start(); err != nil {
		return pair{}, nil, err
	}
	sub, stopSub, err := newSubmitter(ctx, e.c, st, logger)
	if err != nil {
		bw.Stop()
		return pair{}, nil, err
	}
	bare := repeat(callers, func(ctx context.Context) error {
		_, err := e.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bare-%d", seq.Add(1)), TaskQueue: bareQueue}, noop)
		return err
	})
	return pair{
		key: "starts-" + e.key(), title: fmt.Sprintf("workflow starts per second on %s, %d callers", e.name, callers), unit: "starts",
		bare: side{name: "bare Temporal ExecuteWorkflow", run: bare},
		ours: side{name: "Grantflow POST /applications/{id}/submit over HTTP", run: sub.run},
	}, func() { stopSub(); bw.Stop() }, nil
}

// submitter submits prepared drafts over HTTP, with a worker of its own that screens them.
type submitter struct {
	st    *store.Store
	base  string
	token string
	batch int
}

func newSubmitter(ctx context.Context, c client.Client, st *store.Store, logger *slog.Logger) (*submitter, func(), error) {
	base, stop, err := serveOurs(c, st, logger, "grantflow")
	if err != nil {
		return nil, nil, err
	}
	token, err := tokenFor(ctx, st, demo.Accounts[0].Email)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return &submitter{st: st, base: base, token: token, batch: 16}, stop, nil
}

// run submits batches of drafts made beforehand (not timed) until min has passed, the batch
// growing until one takes a fair part of min. After each batch it lets the worker screen what was
// submitted (not timed), so the screening never falls on the bare side's round.
func (s *submitter) run(ctx context.Context, min time.Duration) (work, error) {
	var w work
	for w.took < min {
		ids, err := drafts(ctx, s.st, s.batch)
		if err != nil {
			return w, err
		}
		took, err := forEach(ids, callers, func(id int64) error { return s.submit(ctx, id) })
		if err != nil {
			return w, err
		}
		w.ops, w.took = w.ops+len(ids), w.took+took
		if err := awaitScreened(ctx, s.st, ids); err != nil {
			return w, err
		}
		if took < min/4 {
			s.batch *= 2
		}
	}
	return w, nil
}

func (s *submitter) submit(ctx context.Context, id int64) error {
	req, _ := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/applications/%d/submit", s.base, id), nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	res, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		return fmt.Errorf("submit %d: %d %s", id, res.StatusCode, body)
	}
	return nil
}

// applicationInAssessment is an application for the read comparisons: one the starts left in
// assessment, or one submitted now.
func applicationInAssessment(ctx context.Context, c client.Client, st *store.Store, logger *slog.Logger) (int64, error) {
	found, err := st.SearchApplications(ctx, store.ApplicationSearch{Status: "assessment"})
	if err != nil {
		return 0, err
	}
	apps := found.Applications
	if len(apps) > 0 {
		return apps[0].ID, nil
	}
	sub, stop, err := newSubmitter(ctx, c, st, logger)
	if err != nil {
		return 0, err
	}
	defer stop()
	ids, err := drafts(ctx, st, 1)
	if err != nil {
		return 0, err
	}
	if err := sub.submit(ctx, ids[0]); err != nil {
		return 0, err
	}
	return ids[0], awaitScreened(ctx, st, ids)
}

// profiled writes a CPU profile of each of run's rounds to path.1, path.2, ... (go tool pprof
// merges them when given them all).
func profiled(path string, run func(context.Context, time.Duration) (work, error)) func(context.Context, time.Duration) (work, error) {
	n := 0
	return func(ctx context.Context, min time.Duration) (work, error) {
		n++
		f, err := os.Create(fmt.Sprintf("%s.%d", path, n))
		if err != nil {
			return work{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return work{}, err
		}
		defer pprof.StopCPUProfile()
		return run(ctx, min)
	}
}

// awaitScreened waits until every application has left the submitted and screening stages.
func awaitScreened(ctx context.Context, st *store.Store, ids []int64) error {
	deadline := time.Now().Add(2 * time.Minute)
	for _, id := range ids {
		for {
			a, err := st.Application(ctx, id)
			if err != nil {
				return err
			}
			if a.Status != string(workflows.StageSubmitted) && a.Status != string(workflows.StageScreening) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("application %d still %s after two minutes: is the worker running?", id, a.Status)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// drafts makes n complete grassroots drafts for the demo applicant (straight in the store: making
// them is not what is measured).
func drafts(ctx context.Context, st *store.Store, n int) ([]int64, error) {
	u, err := st.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		return nil, err
	}
	var grassroots store.Scheme
	for _, sc := range must(st.Schemes(ctx)) {
		if sc.Kind == scheme.Grassroots {
			grassroots = sc
		}
	}
	rounds, err := st.Rounds(ctx, grassroots.ID)
	if err != nil {
		return nil, err
	}
	start, end := time.Now().AddDate(0, 1, 0), time.Now().AddDate(0, 9, 0)
	answers, err := json.Marshal(demo.GrassrootsAnswers(money.Pounds(3000)))
	if err != nil {
		return nil, err
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i], err = st.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: grassroots.ID, RoundID: rounds[0].ID,
			Title: "Benchmark project", Purpose: "Youth diversion sessions", AmountRequested: money.Pounds(3000),
			ProjectStart: &start, ProjectEnd: &end, Areas: []string{"Melton"}, Priorities: []string{"Serious violence"}, Answers: answers})
		if err != nil {
			return nil, err
		}
	}
	return ids, nil
}

var benchDate = time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

var awardLetter = letters.AwardLetter{
	Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (demo)", Address: []string{"1 Example Street", "Exampleton", "EX1 2MP"}, Email: "grants@opcc.example.org"},
	Date:       benchDate, Reference: "GCF-2026-00042",
	Recipient: letters.Recipient{Organisation: "Cymdeithas Gymunedol Ŵyr Łódź", Contact: "Zoë Ní Bhriain", Address: []string{"2 Market Place", "Melton Mowbray", "LE13 1XX"}},
	Scheme:    "Grassroots Community Fund", Amount: 425000,
	Purpose:    "Evening detached youth work in Melton town centre to reduce anti-social behaviour.",
	Conditions: []string{"Acknowledge the Commissioner's funding in publicity.", "Keep an up-to-date safeguarding policy."},
	Payments:   []letters.Payment{{Amount: 425000, Note: "Paid once you accept this offer"}},
	Monitoring: []string{"An end-of-grant report is due by 31 October 2027."},
	AcceptBy:   benchDate.AddDate(0, 0, 28), HowToAccept: "Sign in to Grantflow and accept the offer.", Signatory: "Olu Officer, Commissioning Officer",
}

// bareLetter writes the same words as the award letter with plain gofpdf calls in a core font: no
// layout rules, validation, tables or embedded font, the floor for a one-page letter in this library.
func bareLetter() error {
	l := awardLetter
	pdf := gofpdf.New("P", "mm", "A4", "")
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 14)
	pdf.Cell(0, 8, tr(l.Letterhead.Body))
	pdf.Ln(10)
	pdf.SetFont("Helvetica", "", 11)
	lines := append(append([]string{}, l.Recipient.Organisation), l.Recipient.Address...)
	lines = append(lines, "Our reference: "+l.Reference, "Dear "+l.Recipient.Contact, "Offer of grant: "+l.Scheme,
		"I am pleased to offer "+l.Recipient.Organisation+" a grant of "+l.Amount.String()+".", l.Purpose)
	lines = append(lines, l.Conditions...)
	lines = append(lines, l.Monitoring...)
	lines = append(lines, l.HowToAccept, "Yours sincerely", l.Signatory)
	for _, s := range lines {
		pdf.MultiCell(0, 6, tr(s), "", "L", false)
	}
	var buf bytes.Buffer
	return pdf.Output(&buf)
}

// benchDatabase names a database of a part's own, grantflow_bench_<random>, on DATABASE_URL's server
// (the local one by default), which store.Open creates and migrates; drop removes it.
func benchDatabase(context.Context) (string, func(), error) {
	db, err := throwawaydb.New(app.EnvDatabaseURL(), "grantflow_bench")
	if err != nil {
		return "", nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	return db.URL, func() { db.Drop() }, nil
}

// seededDatabase opens a migrated store on a database of the part's own, seeded with the demo;
// done closes it and drops the database, unless keep (its URL is printed then).
func seededDatabase(ctx context.Context, keep bool, logger *slog.Logger) (st *store.Store, dbURL string, done func(), err error) {
	dbURL, drop, err := benchDatabase(ctx)
	if err != nil {
		return nil, "", nil, err
	}
	if keep {
		fmt.Println("  the database is kept:", dbURL)
		drop = func() {}
	}
	if st, err = store.Open(ctx, dbURL, logger); err != nil {
		drop()
		return nil, "", nil, err
	}
	done = func() { st.Close(); drop() }
	if err := demo.Seed(ctx, st, time.Now()); err != nil {
		done()
		return nil, "", nil, err
	}
	return st, dbURL, done, nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
