package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"sync/atomic"
	"syscall"
	"time"

	"grantflow/publication/threesixtygiving"
	"grantflow/store"
)

var givingAwards int

// givingKeep leaves the seeded database behind (its URL printed) to measure other tools against it.
var givingKeep bool

// bareRegisterSQL reads the same rows as store.EachRegisterGrant (the same joins and per-award
// subqueries, every register column), for the bare engine to produce and throw away: the floor for
// streaming them anywhere.
const bareRegisterSQL = `SELECT a.id, aw.reference, aw.version, s.slug, s.name, s.kind, o.id, o.name, o.org_type, o.charity_number, o.company_number,
 a.title, aw.purpose, ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(aw.conditions) = 'array' THEN aw.conditions ELSE '[]' END)),
 aw.reasons, aw.amount_pence, coalesce((SELECT sum(p.amount_pence) FROM payments p WHERE p.award_id = aw.id), 0), aw.decided_at,
 coalesce(aw.start_date, a.project_start), coalesce(aw.end_date, a.project_end), aw.status, aw.ended_early_on, a.priorities, a.areas, a.wards,
 aw.approved_role, aw.delegation_band,
 coalesce((SELECT d.number FROM decision_records d WHERE d.application_id = a.id ORDER BY d.award_version LIMIT 1), ''),
 greatest(aw.decided_at, aw.accepted_at, aw.terminated_at, aw.closed_at, (SELECT max(v.decided_at) FROM variations v WHERE v.application_id = a.id),
  (SELECT max(p.recorded_at) FROM payments p WHERE p.award_id = aw.id))
 FROM awards aw JOIN applications a ON a.id = aw.application_id JOIN schemes s ON s.id = a.scheme_id JOIN organisations o ON o.id = a.organisation_id
 WHERE aw.status NOT IN ('lapsed') ORDER BY aw.decided_at, aw.reference`

// bench360Giving seeds n awards in a database of its own (in SQL, in seconds), then streams the
// 360Giving JSON package of them to io.Discard in a child process, alternating with a bare psql
// \copy of the same rows to /dev/null; the rate is grants (rows) per second, and the notes say our
// peak memory.
func bench360Giving(ctx context.Context, a alternation) error {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	psql, err := exec.LookPath("psql")
	if err != nil {
		return fmt.Errorf("360giving: the bare side runs psql's \\copy, and psql is not on PATH: %w", err)
	}
	st, dbURL, done, err := seededDatabase(ctx, givingKeep, logger)
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	if err := seedRegister(ctx, st, givingAwards); err != nil {
		return fmt.Errorf("seed %d awards: %w", givingAwards, err)
	}
	fmt.Printf("360Giving package: %d awards seeded in %v\n", givingAwards, time.Since(start).Round(time.Millisecond))

	if os.Getenv("GIVING_EXPLAIN") != "" { // the plan of the rows, to see where the engine's time goes
		out, _ := exec.CommandContext(ctx, psql, "-X", dbURL, "-c", "EXPLAIN (ANALYZE, BUFFERS) "+bareRegisterSQL).CombinedOutput()
		fmt.Printf("%s\n", out)
	}
	bareWith := func(jit string) (time.Duration, error) {
		cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", dbURL, "-c", `\copy (`+bareRegisterSQL+`) to '/dev/null'`)
		cmd.Env = append(os.Environ(), "PGOPTIONS=-c jit="+jit)
		t := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, fmt.Errorf("psql \\copy: %v: %s", err, out)
		}
		return time.Since(t), nil
	}
	// The store streams with JIT off (store.EachRegisterGrant says why); the bare side runs with the
	// same setting, and once with the server's default to show what JIT costs here.
	if d, err := bareWith("on"); err == nil {
		fmt.Printf("  bare psql \\copy with the server's JIT on, once: %v\n", d.Round(time.Millisecond))
	}
	// Ours runs in a process of its own (this binary again), so its max RSS is the stream's alone,
	// not the seeding's.
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var worst streamFigures
	ours := func(ctx context.Context, _ time.Duration) (work, error) {
		out, err := exec.CommandContext(ctx, self, "-giving-stream", dbURL).Output()
		if err != nil {
			return work{}, fmt.Errorf("stream in a child process: %v", err)
		}
		var f streamFigures
		if err := json.Unmarshal(out, &f); err != nil {
			return work{}, fmt.Errorf("stream in a child process: %v: %s", err, out)
		}
		worst.PeakHeap, worst.MaxRSS, worst.StartRSS, worst.Bytes = max(worst.PeakHeap, f.PeakHeap), max(worst.MaxRSS, f.MaxRSS), max(worst.StartRSS, f.StartRSS), f.Bytes
		return work{ops: f.Grants, took: f.Took}, nil
	}
	bare := func(ctx context.Context, _ time.Duration) (work, error) {
		took, err := bareWith("off")
		return work{ops: givingAwards, took: took}, err
	}
	r, err := a.measure(ctx, pair{
		key: "360giving", title: fmt.Sprintf("360Giving JSON package of %d awards: grants per second", givingAwards), unit: "grants",
		bare: side{name: "bare psql \\copy of the same rows to /dev/null", run: bare},
		ours: side{name: "Grantflow 360Giving JSON streamed to io.Discard (child process)", run: ours},
	})
	if err != nil {
		return err
	}
	notes := map[string]string{
		"package_mb":           fmt.Sprintf("%.1f", float64(worst.Bytes)/1e6),
		"peak_heap_in_use_mb":  fmt.Sprintf("%.1f", float64(worst.PeakHeap)/(1<<20)),
		"max_rss_mb":           fmt.Sprintf("%.1f", float64(worst.MaxRSS)/(1<<20)),
		"rss_before_stream_mb": fmt.Sprintf("%.1f", float64(worst.StartRSS)/(1<<20)),
	}
	results.note(r.Key, notes)
	fmt.Printf("360Giving package: %.1f MB; peak heap in use %.1f MB; max RSS of the streaming process %.1f MB (%.1f MB of it before streaming)\n\n",
		float64(worst.Bytes)/1e6, float64(worst.PeakHeap)/(1<<20), float64(worst.MaxRSS)/(1<<20), float64(worst.StartRSS)/(1<<20))
	return nil
}

// streamFigures is what the streaming child reports.
type streamFigures struct {
	Took     time.Duration `json:"took"`
	Grants   int           `json:"grants"`
	Bytes    int64         `json:"bytes"`
	PeakHeap uint64        `json:"peak_heap"`
	MaxRSS   uint64        `json:"max_rss"`
	StartRSS uint64        `json:"start_rss"` // before anything: this binary's own start (it links the Temporal server)
}

// streamChild is the child's whole life: open the store, stream the package to io.Discard, and
// print the figures as JSON.
func streamChild(dbURL string) error {
	ctx := context.Background()
	var ru0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	st, err := store.Open(ctx, dbURL, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer st.Close()
	var n atomic.Int64
	var grants int
	src := countingSource{Store: st, n: &grants}
	if path := os.Getenv("GIVING_CPUPROFILE"); path != "" { // where the stream's own time goes
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	runtime.GC()
	stop := sampleHeap()
	start := time.Now()
	err = threesixtygiving.Publisher{}.OrDefaults("Benchmark OPCC").WriteJSON(ctx, src, store.RegisterFilter{}, &countingDiscard{n: &n}, time.Now())
	took := time.Since(start)
	peak := stop()
	if err != nil {
		return err
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return json.NewEncoder(os.Stdout).Encode(streamFigures{Took: took, Grants: grants, Bytes: n.Load(), PeakHeap: peak, MaxRSS: uint64(ru.Maxrss) * 1024,
		StartRSS: uint64(ru0.Maxrss) * 1024})
}

// countingSource counts the grants streamed.
type countingSource struct {
	*store.Store
	n *int
}

func (c countingSource) EachRegisterGrant(ctx context.Context, f store.RegisterFilter, fn func(store.RegisterGrant) error) error {
	return c.Store.EachRegisterGrant(ctx, f, func(g store.RegisterGrant) error { *c.n++; return fn(g) })
}

type countingDiscard struct{ n *atomic.Int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// sampleHeap samples the heap in use every 5 ms until stopped, returning the highest seen.
func sampleHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
	read := func() {
		metrics.Read(sample)
		if v := sample[0].Value.Uint64() + sample[1].Value.Uint64(); v > peak.Load() {
			peak.Store(v)
		}
	}
	go func() {
		defer close(finished)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				read()
				return
			case <-tick.C:
				read()
			}
		}
	}()
	return func() uint64 { close(done); <-finished; return peak.Load() }
}

// seedRegister makes n awards straight in SQL: organisations of three kinds (charity, company,
// unregistered group), applications in the demo schemes' areas (some with a ward), awards of both
// kinds, and a payment for every other award. Decision times spread over two years.
func seedRegister(ctx context.Context, st *store.Store, n int) error {
	steps := []string{
		`INSERT INTO organisations (name, org_type, charity_number, company_number)
		 SELECT 'Bench organisation ' || g,
		        (ARRAY['registered_charity','cic','community_group'])[g % 3 + 1],
		        CASE WHEN g % 3 = 0 THEN (1000000 + g)::text ELSE '' END,
		        CASE WHEN g % 3 = 1 THEN lpad(g::text, 8, '0') ELSE '' END
		 FROM generate_series(1, 2000) g`,
		`CREATE TEMP TABLE bench_orgs AS SELECT id, row_number() OVER (ORDER BY id) AS n FROM organisations WHERE name LIKE 'Bench organisation %'`,
		`CREATE TEMP TABLE bench_schemes AS SELECT s.id AS scheme_id, (SELECT r.id FROM rounds r WHERE r.scheme_id = s.id ORDER BY r.id LIMIT 1) AS round_id,
		        row_number() OVER (ORDER BY s.id) - 1 AS n FROM schemes s`,
		`INSERT INTO applications (organisation_id, scheme_id, round_id, created_by, title, purpose, amount_requested_pence,
		        project_start, project_end, areas, wards, priorities, status)
		 SELECT o.id, bs.scheme_id, bs.round_id, (SELECT min(id) FROM users), 'Bench project ' || g, 'Youth diversion sessions ' || g, 250000,
		        date '2025-04-01' + (g % 700), date '2026-03-31' + (g % 700),
		        CASE g % 3 WHEN 0 THEN ARRAY['Leicester','Rutland'] WHEN 1 THEN ARRAY['Melton','Charnwood'] ELSE ARRAY['Blaby'] END,
		        CASE WHEN g % 4 = 0 THEN ARRAY['Leicester: Abbey'] ELSE '{}'::text[] END,
		        ARRAY['Serious violence'], 'accepted'
		 FROM generate_series(1, $1::int) g
		 JOIN bench_orgs o ON o.n = g % 2000 + 1
		 JOIN bench_schemes bs ON bs.n = g % (SELECT count(*) FROM bench_schemes)`,
		`INSERT INTO awards (application_id, reference, amount_pence, purpose, conditions, reasons, approved_by, approved_role, delegation_band,
		        rules_version, decided_at, accept_by, accepted_at, status)
		 SELECT a.id, 'BENCH-' || a.id, 250000 + (a.id % 100) * 100000, a.purpose, '["Acknowledge the funding"]', 'Reduces violence among under-25s',
		        a.created_by, 'officer', 'officer', 1, timestamptz '2025-04-01 09:00+00' + (a.id % 700) * interval '1 day' + (a.id % 480) * interval '1 minute',
		        timestamptz '2027-04-01 09:00+00', timestamptz '2025-04-03 09:00+00' + (a.id % 700) * interval '1 day', 'accepted'
		 FROM applications a WHERE a.title LIKE 'Bench project %'`,
		`INSERT INTO payments (award_id, tranche, amount_pence, paid_on, reference, recorded_by, recorded_at)
		 SELECT aw.id, 1, aw.amount_pence / 2, (aw.decided_at + interval '10 days')::date, 'BACS', aw.approved_by, aw.decided_at + interval '10 days'
		 FROM awards aw WHERE aw.reference LIKE 'BENCH-%' AND aw.id % 2 = 0`,
		`ANALYZE`,
	}
	for i, q := range steps {
		var err error
		if i == 3 {
			_, err = st.DB.ExecContext(ctx, q, n)
		} else {
			_, err = st.DB.ExecContext(ctx, q)
		}
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
	}
	return nil
}
