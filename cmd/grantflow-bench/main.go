// Command grantflow-bench measures Grantflow against the raw engine underneath it, in one run on
// one machine, and prints each figure as a ratio: submissions over HTTP against bare Temporal
// workflow starts on the same embedded server (on SQLite and on PostgreSQL persistence, side by
// side), and award letters against bare gofpdf letters.
// It links the Temporal server (embedded), so like grantflow-dev it is a development tool.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jung-kurt/gofpdf"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// parallelism is the number of concurrent callers per core in the throughput benchmarks.
const parallelism = 8

func main() {
	testing.Init()
	benchtime := flag.String("benchtime", "3s", "how long to run each benchmark (testing's -benchtime)")
	flag.IntVar(&awardCount, "awards", 1000, "service awards to drive through their first year (0 to skip)")
	flag.IntVar(&letterRounds, "rounds", 3, "rounds of the letters comparison, bare and ours alternating")
	flag.IntVar(&observedRounds, "observe-rounds", 5, "rounds of the request log and metrics comparison on the officer's page read, without and with alternating (0 to skip)")
	flag.IntVar(&startRounds, "start-rounds", 3, "rounds of the workflow starts comparison, each on every persistence, bare and ours alternating")
	flag.StringVar(&persistence, "persistence", "both", `the embedded Temporal server's persistence for the workflow rows: "sqlite", "postgres" or "both" (side by side)`)
	only := flag.String("only", "", `run one comparison alone: "letters" (needs no Temporal or database), "360giving" (needs PostgreSQL and psql) or "lists"`)
	flag.IntVar(&givingAwards, "giving-awards", 100_000, "awards in the 360Giving package comparison (0 to skip)")
	flag.IntVar(&givingRounds, "giving-rounds", 5, "rounds of the 360Giving comparison, bare and ours alternating")
	flag.BoolVar(&givingKeep, "giving-keep", false, "keep the 360Giving comparison's database (its URL is printed) instead of dropping it")
	stream := flag.String("giving-stream", "", "internal: stream the 360Giving package of this database to io.Discard and print the figures")
	flag.Parse()
	if *stream != "" {
		if err := streamChild(*stream); err != nil {
			fmt.Fprintln(os.Stderr, "grantflow-bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := flag.Set("test.benchtime", *benchtime); err != nil {
		fmt.Fprintln(os.Stderr, "grantflow-bench: -benchtime:", err)
		os.Exit(2)
	}
	run := run
	switch *only {
	case "":
	case "letters":
		run = func() error { benchLetters(); return nil }
	case "360giving":
		run = bench360Giving
	case "lists": // lists.go
		run = benchLists
	default:
		fmt.Fprintln(os.Stderr, "grantflow-bench: -only: want letters, 360giving or lists, got", *only)
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "grantflow-bench:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir, err := os.MkdirTemp("", "grantflow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	dbURL, dropDB, err := benchDatabase(ctx)
	if err != nil {
		return err
	}
	defer dropDB()
	engines, stopEngines, err := startEngines(ctx, dir, dbURL, logger)
	if err != nil {
		return err
	}
	defer stopEngines()
	c := engines[0].c // the rows that are not about the engine run on the first
	st, err := store.Open(ctx, dbURL, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := demo.Seed(ctx, st, time.Now()); err != nil {
		return err
	}
	// Enough budget that no approval in the benchmark is refused for money.
	for _, sc := range must(st.Schemes(ctx)) {
		if err := st.SetBudget(ctx, sc.ID, scheme.FinancialYear(time.Now()), money.Pounds(1_000_000_000)); err != nil {
			return err
		}
	}

	fmt.Printf("Grantflow benchmark, %s, GOMAXPROCS=%d, %d callers per core\n\n", time.Now().Format(time.DateOnly), runtime.GOMAXPROCS(0), parallelism)

	benchStarts(engines, st, logger)

	apiReads, pageReads, err := benchApplicationReads(ctx, c, st, logger)
	if err != nil {
		return err
	}
	report("application reads by an officer", "JSON GET /api/v1/applications/{id}", apiReads, "web page GET /applications/{id}", pageReads)
	if observedRounds > 0 {
		if err := benchObservedReads(ctx, c, st); err != nil {
			return err
		}
	}

	benchLetters()

	if givingAwards > 0 {
		if err := bench360Giving(); err != nil {
			return err
		}
	}

	if *listRows > 0 { // lists.go
		if err := benchLists(); err != nil {
			return err
		}
	}

	if awardCount > 0 {
		// Budgets for the awards' years (they are seeded as already committed elsewhere; only delivery is timed).
		for _, sc := range must(st.Schemes(ctx)) {
			for fy := benchFirstYear; fy < benchFirstYear+3; fy++ {
				if err := st.SetBudget(ctx, sc.ID, fy, money.Pounds(1_000_000_000)); err != nil {
					return err
				}
			}
		}
		workers := runtime.GOMAXPROCS(0) * parallelism
		fmt.Printf("service awards: %d three-year awards through their first year (20 updates each), %d callers\n", awardCount, workers)
		var results []yearResult
		for _, e := range engines {
			r, err := benchAwardYears(ctx, e.c, st, awardCount, workers)
			if err != nil {
				return fmt.Errorf("service awards on %s: %w", e.name, err)
			}
			results = append(results, r)
		}
		printAwards(engines, results)
	}
	return nil
}

var awardCount, letterRounds, startRounds int

// benchLetters compares our award letter, in the embedded Liberation Sans, with a bare one-page
// letter in gofpdf's core Helvetica. Each round alternates the two in short bursts (about 50 ms
// each, for the round's benchtime), so a busy moment on the machine falls on both alike; it reports
// each round and the median ratio.
func benchLetters() {
	bare := func() {
		if err := bareLetter(); err != nil {
			panic(err)
		}
	}
	ours := func() {
		if _, err := awardLetter.PDF(); err != nil {
			panic(err)
		}
	}
	burst := func(fn func(), n int) time.Duration {
		start := time.Now()
		for range n {
			fn()
		}
		return time.Since(start)
	}
	// Calibrate: how many of each take about 50 ms.
	per := func(fn func()) int {
		n := 1
		for burst(fn, n) < 50*time.Millisecond {
			n *= 2
		}
		return n
	}
	nBare, nOurs := per(bare), per(ours)
	roundTime, _ := time.ParseDuration(flag.Lookup("test.benchtime").Value.String())
	var ratios []float64
	for round := 1; round <= letterRounds; round++ {
		var tBare, tOurs time.Duration
		var cBare, cOurs int
		for tBare+tOurs < 2*roundTime {
			tBare += burst(bare, nBare)
			cBare += nBare
			tOurs += burst(ours, nOurs)
			cOurs += nOurs
		}
		rBare, rOurs := float64(cBare)/tBare.Seconds(), float64(cOurs)/tOurs.Seconds()
		fmt.Printf("letters, round %d of %d\n  %-36s %9.1f/s  (%d in %v)\n  %-36s %9.1f/s  (%d in %v)\n  ratio (Grantflow / bare): %.2f\n\n",
			round, letterRounds, "bare gofpdf core-font page", rBare, cBare, tBare.Round(time.Millisecond),
			"Grantflow award letter PDF", rOurs, cOurs, tOurs.Round(time.Millisecond), rOurs/rBare)
		ratios = append(ratios, rOurs/rBare)
	}
	slices.Sort(ratios)
	fmt.Printf("letters: median ratio (Grantflow / bare) %.2f over %d rounds (lowest %.2f, highest %.2f)\n\n",
		ratios[len(ratios)/2], len(ratios), ratios[0], ratios[len(ratios)-1])
}

// fail and fatal also print err: testing.Benchmark keeps a failed benchmark's log to itself and
// returns an empty result.
func fail(b *testing.B, err error) {
	fmt.Fprintln(os.Stderr, "grantflow-bench:", err)
	b.Error(err)
}

func fatal(b *testing.B, err error) {
	fmt.Fprintln(os.Stderr, "grantflow-bench:", err)
	b.Fatal(err)
}

func perSec(r testing.BenchmarkResult) float64 { return float64(r.N) / r.T.Seconds() }

func report(title, bareName string, bare testing.BenchmarkResult, oursName string, ours testing.BenchmarkResult) {
	fmt.Printf("%s\n  %-36s %9.1f/s  (%d in %v)\n  %-36s %9.1f/s  (%d in %v)\n  ratio (Grantflow / bare): %.2f\n\n",
		title, bareName, perSec(bare), bare.N, bare.T.Round(time.Millisecond),
		oursName, perSec(ours), ours.N, ours.T.Round(time.Millisecond), perSec(ours)/perSec(bare))
}

// noop is the bare workflow: the least a workflow start can cost.
func noop(ctx workflow.Context) error { return nil }

var seq atomic.Int64

func benchBareStarts(b *testing.B, c client.Client) {
	queue := "bench-bare"
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(noop)
	if err := w.Start(); err != nil {
		fatal(b, err)
	}
	defer w.Stop()
	b.SetParallelism(parallelism)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("bare-%d", seq.Add(1))
			if _, err := c.ExecuteWorkflow(context.Background(), client.StartWorkflowOptions{ID: id, TaskQueue: queue}, noop); err != nil {
				fail(b, err)
				return
			}
		}
	})
}

func benchSubmissions(b *testing.B, c client.Client, st *store.Store, logger *slog.Logger) {
	ctx := context.Background()
	queue := fmt.Sprintf("bench-grantflow-%d", seq.Add(1))
	st.Outbox = notify.MustOutbox("http://localhost:8080", "")
	w := app.NewWorker(c, queue, st, letters.Letterhead{Body: "Benchmark OPCC", Address: []string{"1 Bench Street"}}, app.PanelFiguresOf(st))
	if err := w.Start(); err != nil {
		fatal(b, err)
	}
	defer w.Stop()
	srv := httptest.NewServer(app.HandlerOnQueue(c, st, app.Config{TokenTTL: time.Hour}, logger, queue))
	defer srv.Close()

	b.StopTimer()
	token, drafts := prepareDrafts(b, ctx, srv.URL, st, b.N)
	next := atomic.Int64{}
	b.SetParallelism(parallelism)
	b.StartTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := drafts[next.Add(1)-1]
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/api/v1/applications/%d/submit", srv.URL, id), nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				fail(b, err)
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusAccepted {
				fail(b, fmt.Errorf("submit %d: %d %s", id, res.StatusCode, body))
				return
			}
		}
	})
	b.StopTimer()
	// The worker stops when this returns: first let it screen what was submitted, so the
	// applications reach assessment (the reads benchmark reads one) rather than stay submitted.
	if err := awaitScreened(ctx, st, drafts); err != nil {
		fatal(b, err)
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

// prepareDrafts makes n complete grassroots drafts for the demo applicant, outside the timer.
func prepareDrafts(b *testing.B, ctx context.Context, base string, st *store.Store, n int) (string, []int64) {
	applicant := demo.Accounts[0]
	u, err := st.UserByEmail(ctx, applicant.Email)
	if err != nil {
		fatal(b, err)
	}
	token, _, err := st.IssueToken(ctx, u.ID, time.Hour)
	if err != nil {
		fatal(b, err)
	}
	var grassroots store.Scheme
	for _, sc := range must(st.Schemes(ctx)) {
		if sc.Kind == scheme.Grassroots {
			grassroots = sc
		}
	}
	round := must(st.Rounds(ctx, grassroots.ID))[0]
	start, end := time.Now().AddDate(0, 1, 0), time.Now().AddDate(0, 9, 0)
	benchAnswers, err := json.Marshal(demo.GrassrootsAnswers(money.Pounds(3000)))
	if err != nil {
		fatal(b, err)
	}
	ids := make([]int64, n)
	for i := range ids {
		ids[i], err = st.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: grassroots.ID, RoundID: round.ID,
			Title: "Benchmark project", Purpose: "Youth diversion sessions", AmountRequested: money.Pounds(3000),
			ProjectStart: &start, ProjectEnd: &end, Areas: []string{"Melton"}, Priorities: []string{"Serious violence"}, Answers: benchAnswers})
		if err != nil {
			fatal(b, err)
		}
	}
	return token, ids
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

func benchDatabase(ctx context.Context) (string, func(), error) {
	base := os.Getenv("DATABASE_URL")
	if base == "" {
		base = app.DefaultDatabaseURL
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	raw := make([]byte, 4)
	rand.Read(raw)
	u.Path = "/grantflow_bench_" + hex.EncodeToString(raw)
	drop := func() {
		admin := *u
		admin.Path = "/postgres"
		if db, err := sql.Open("postgres", admin.String()); err == nil {
			db.Exec("DROP DATABASE IF EXISTS " + strings.TrimPrefix(u.Path, "/") + " WITH (FORCE)")
			db.Close()
		}
	}
	return u.String(), drop, nil
}

func freeAddress() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
