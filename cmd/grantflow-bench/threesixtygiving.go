package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"grantflow/internal/demo"
	"grantflow/publication/threesixtygiving"
	"grantflow/store"
)

var givingAwards, givingRounds int

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
// 360Giving JSON package of them to io.Discard, alternating with a bare psql \copy of the same rows
// to /dev/null, and reports each round, the median ratio and our peak memory.
func bench360Giving() error {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	psql, err := exec.LookPath("psql")
	if err != nil {
		return fmt.Errorf("360giving: the bare side runs psql's \\copy, and psql is not on PATH: %w", err)
	}
	dbURL, dropDB, err := benchDatabase(ctx)
	if err != nil {
		return err
	}
	defer dropDB()
	st, err := store.Open(ctx, dbURL, logger)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := demo.Seed(ctx, st, time.Now()); err != nil {
		return err
	}
	start := time.Now()
	if err := seedRegister(ctx, st, givingAwards); err != nil {
		return fmt.Errorf("seed %d awards: %w", givingAwards, err)
	}
	fmt.Printf("360Giving package: %d awards seeded in %v; GOMAXPROCS=%d\n", givingAwards, time.Since(start).Round(time.Millisecond), runtime.GOMAXPROCS(0))

	pub := threesixtygiving.Publisher{}.OrDefaults("Benchmark OPCC")
	bare := func() (time.Duration, error) {
		t := time.Now()
		out, err := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", dbURL, "-c", `\copy (`+bareRegisterSQL+`) to '/dev/null'`).CombinedOutput()
		if err != nil {
			return 0, fmt.Errorf("psql \\copy: %v: %s", err, out)
		}
		return time.Since(t), nil
	}
	var bytesOut atomic.Int64
	ours := func() (time.Duration, uint64, error) {
		runtime.GC()
		stop := sampleHeap()
		t := time.Now()
		err := pub.WriteJSON(ctx, st, store.RegisterFilter{}, &countingDiscard{n: &bytesOut}, time.Now())
		d := time.Since(t)
		return d, stop(), err
	}
	var ratios []float64
	var peakHeap uint64
	for round := 1; round <= givingRounds; round++ {
		bytesOut.Store(0)
		// Alternate which goes first, so neither always meets a cold or warm cache.
		var tb, to time.Duration
		var heap uint64
		if round%2 == 1 {
			if tb, err = bare(); err != nil {
				return err
			}
			if to, heap, err = ours(); err != nil {
				return err
			}
		} else {
			if to, heap, err = ours(); err != nil {
				return err
			}
			if tb, err = bare(); err != nil {
				return err
			}
		}
		peakHeap = max(peakHeap, heap)
		ratios = append(ratios, to.Seconds()/tb.Seconds())
		fmt.Printf("  round %d: bare psql \\copy of the rows %8v   ours, 360Giving JSON to io.Discard %8v (%.1f MB written, peak heap in use %.1f MB)   ratio %.2f\n",
			round, tb.Round(time.Millisecond), to.Round(time.Millisecond), float64(bytesOut.Load())/1e6, float64(heap)/(1<<20), ratios[len(ratios)-1])
	}
	slices.Sort(ratios)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("360Giving package: median ratio (ours / bare) %.2f over %d rounds (lowest %.2f, highest %.2f); peak heap in use %.1f MB; process max RSS %.1f MB\n\n",
		ratios[len(ratios)/2], len(ratios), ratios[0], ratios[len(ratios)-1], float64(peakHeap)/(1<<20), float64(ru.Maxrss)/1024)
	return nil
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
		        (ARRAY[ARRAY['Leicester','Rutland'], ARRAY['Melton','Charnwood'], ARRAY['Blaby','Leicester']])[g % 3 + 1],
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
