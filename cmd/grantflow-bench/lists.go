package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/lib/pq"

	"grantflow/store"
	"grantflow/workflows"
)

// The lists at a national funder's size: a million applications across 50 schemes and 20,000
// organisations, seeded with COPY into a database of their own, then the officer's work queue, a
// filtered search and an applicant's list read a page at a time through our store, each against
// the bare indexed SELECT ... LIMIT 50 of the same rows, alternated as every pair is (alternate.go:
// -rounds rounds of at least -round-time a side). One caller a side, so a read's time is its
// latency: each round's p95s and ours' p50, p95 and p99 over all rounds go in the results' notes.
var (
	listRows = flag.Int("lists-rows", 1_000_000, "applications in the lists comparison (0 to skip it); organisations are a fiftieth of them")
	listKeep = flag.Bool("lists-keep", false, "keep the lists comparison's database (its URL is printed) instead of dropping it")
)

const (
	listSchemes  = 50
	listPageSize = 50
)

// listStages are the stages of the seeded applications and their weights: most of a funder's
// applications are long decided, a few per cent wait in each queue.
var listStages = []struct {
	stage  workflows.Stage
	weight int
}{
	{workflows.StageDraft, 5}, {workflows.StageSubmitted, 2}, {workflows.StageScreening, 2}, {workflows.StageAssessment, 3},
	{workflows.StageModeration, 1}, {workflows.StageDecision, 2}, {workflows.StageDeclined, 25}, {workflows.StageOffered, 2},
	{workflows.StageAccepted, 8}, {workflows.StagePaid, 20}, {workflows.StageClosed, 30},
}

// Words the seeded names and titles are made of, so that a search by part of one finds a few.
var (
	listPlaces = []string{"Braunstone", "Belgrave", "Highfields", "Loughborough", "Hinckley", "Melton", "Oakham", "Coalville", "Wigston",
		"Syston", "Lutterworth", "Market Harborough", "Uppingham", "Shepshed", "Oadby", "Birstall", "Anstey", "Glenfield", "Thurmaston", "Enderby"}
	listKinds  = []string{"Youth Trust", "Community Association", "Boxing Club", "Women's Aid", "Sports CIC", "Residents Group", "Mentoring Project", "Food Bank"}
	listTopics = []string{"detached youth work", "knife crime education", "domestic abuse refuge", "street lighting", "victim advocacy",
		"night-time economy", "county lines outreach", "restorative justice", "cyber safety", "rural crime watch"}
)

// benchLists seeds the lists' database and measures the three lists.
func benchLists(ctx context.Context, a alternation) error {
	st, _, done, err := seededDatabase(ctx, *listKeep, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer done()
	start := time.Now()
	seeded, err := seedLists(ctx, st.DB.DB, *listRows)
	if err != nil {
		return fmt.Errorf("seed %d applications: %w", *listRows, err)
	}
	seedTook := time.Since(start).Round(time.Second)
	fmt.Printf("lists: %d applications, %d schemes, %d organisations, %d awards seeded (COPY) in %v; GOMAXPROCS=%d; page %d\n",
		*listRows, listSchemes, len(seeded.orgs), seeded.awards, seedTook, runtime.GOMAXPROCS(0), listPageSize)

	db := st.DB.DB
	queue := []string{string(workflows.StageSubmitted), string(workflows.StageScreening)}
	cases := []listCase{
		{
			key: "lists-queue", name: "officer's work queue (awaiting screening, oldest first, one page)",
			bare: func(int) error {
				return discardRows(db.QueryContext(ctx, `SELECT a.* FROM applications a WHERE a.status = ANY($1) ORDER BY a.id LIMIT $2`, pq.StringArray(queue), listPageSize))
			},
			ours: func(int) error {
				_, err := st.SearchApplications(ctx, store.ApplicationSearch{Statuses: queue, OldestFirst: true, Page: store.PageRequest{Size: listPageSize}})
				return err
			},
		},
		{
			key: "lists-search", name: "filtered search (part of an organisation's name, title or reference; a stage; counted to 10,000)",
			bare: func(i int) error {
				term := seeded.terms[i%len(seeded.terms)]
				// The bare engine reads the indexed search column (migration 00036), a phrase narrowed
				// by its words' index as ours is (00040), without the page's joins, keyset or count.
				words, match := store.SearchWords(term.text), `a.search_text ILIKE $1 AND $4 = ''`
				if words != "" {
					match = `search_words(a.search_text) @@ $4::tsquery AND lower(a.search_text) LIKE lower($1)`
				}
				return discardRows(db.QueryContext(ctx, `SELECT a.* FROM applications a WHERE `+match+` AND ($2 = '' OR a.status = $2)
					ORDER BY a.id DESC LIMIT $3`, "%"+term.text+"%", term.stage, listPageSize, words))
			},
			ours: func(i int) error {
				term := seeded.terms[i%len(seeded.terms)]
				_, err := st.SearchApplications(ctx, store.ApplicationSearch{Text: term.text, Status: term.stage, CountUpTo: 10000,
					Page: store.PageRequest{Size: listPageSize}})
				return err
			},
		},
		{
			key: "lists-applicant", name: "applicant's list (their organisation's, newest first, one page)",
			bare: func(i int) error {
				return discardRows(db.QueryContext(ctx, `SELECT a.* FROM applications a WHERE a.organisation_id = $1 ORDER BY a.id DESC LIMIT $2`,
					seeded.orgs[i*7919%len(seeded.orgs)], listPageSize))
			},
			ours: func(i int) error {
				_, err := st.SearchApplications(ctx, store.ApplicationSearch{OrganisationID: seeded.orgs[i*7919%len(seeded.orgs)],
					Page: store.PageRequest{Size: listPageSize}})
				return err
			},
		},
	}
	for _, c := range cases {
		if err := c.measure(ctx, a, seedTook); err != nil {
			return err
		}
	}
	return nil
}

// listCase is one list measured: the bare query and ours, each called with an iteration number
// that picks its parameters, the same on both sides.
type listCase struct {
	key, name  string
	bare, ours func(i int) error
}

// measure runs the list as a pair, one read at a time a side, and notes each round's p95s, their
// ratio (ours over bare) and ours' p50, p95 and p99 over every round.
func (c listCase) measure(ctx context.Context, a alternation, seedTook time.Duration) error {
	var bare, ours [][]time.Duration // by round
	timed := func(read func(int) error, rounds *[][]time.Duration) func(context.Context, time.Duration) (work, error) {
		return func(ctx context.Context, least time.Duration) (work, error) {
			var took []time.Duration
			i := len(*rounds) * 1_000_003 // each round reads other parameters, the same on both sides
			start := time.Now()
			for time.Since(start) < least && ctx.Err() == nil {
				t := time.Now()
				if err := read(i); err != nil {
					return work{}, err
				}
				took = append(took, time.Since(t))
				i++
			}
			*rounds = append(*rounds, took)
			return work{ops: len(took), took: time.Since(start)}, nil
		}
	}
	r, err := a.measure(ctx, pair{key: c.key, title: "lists at a national funder's size: " + c.name, unit: "pages",
		bare: side{name: "bare indexed SELECT ... LIMIT 50", run: timed(c.bare, &bare)},
		ours: side{name: "store.SearchApplications", run: timed(c.ours, &ours)}})
	if err != nil {
		return err
	}
	var bareP95, oursP95, ratios []string
	var p95Ratios []float64
	var allOurs []time.Duration
	for i := range ours {
		pb, po := percentile(bare[i], 0.95), percentile(ours[i], 0.95)
		bareP95, oursP95 = append(bareP95, ms(pb)), append(oursP95, ms(po))
		p95Ratios = append(p95Ratios, float64(po)/float64(pb))
		ratios = append(ratios, fmt.Sprintf("%.2f", float64(po)/float64(pb)))
		allOurs = append(allOurs, ours[i]...)
	}
	ratio := statsOf(p95Ratios)
	notes := map[string]string{
		"applications": fmt.Sprint(*listRows), "seed_seconds": fmt.Sprint(seedTook.Seconds()), "page": fmt.Sprint(listPageSize),
		"bare_p95_ms_by_round": strings.Join(bareP95, " "), "ours_p95_ms_by_round": strings.Join(oursP95, " "),
		"p95_ratio_by_round": strings.Join(ratios, " "), "p95_ratio_median": fmt.Sprintf("%.2f", ratio.Median),
		"ours_p50_ms": ms(percentile(allOurs, 0.50)), "ours_p95_ms": ms(percentile(allOurs, 0.95)), "ours_p99_ms": ms(percentile(allOurs, 0.99)),
	}
	results.note(r.Key, notes)
	fmt.Printf("  %s: bare p95 by round %s ms, ours %s ms; p95 ratio median %.2f (spread %.2f to %.2f); ours over all rounds p50 %s, p95 %s, p99 %s ms (target p95 < 100 ms)\n\n",
		c.key, notes["bare_p95_ms_by_round"], notes["ours_p95_ms_by_round"], ratio.Median, ratio.Min, ratio.Max,
		notes["ours_p50_ms"], notes["ours_p95_ms"], notes["ours_p99_ms"])
	return nil
}

// ms is a duration in milliseconds, to two decimals.
func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// discardRows reads every row of a bare query and throws it away, as a caller would read them.
func discardRows(rows *sql.Rows, err error) error {
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	values := make([]any, len(cols))
	for i := range values {
		values[i] = new(sql.RawBytes)
	}
	for rows.Next() {
		if err := rows.Scan(values...); err != nil {
			return err
		}
	}
	return rows.Err()
}

// listSeed is what the measurements pick their parameters from.
type listSeed struct {
	orgs   []int64
	awards int
	terms  []listTerm
}

// listTerm is a search: part of one column's text, and a stage.
type listTerm struct {
	column, text, stage string
}

// seedLists adds 50 schemes (copies of the demo's first, each with a round), a fiftieth as many
// organisations as applications, the applications at the stages of listStages and an award for
// each application past its offer, then analyses the tables.
func seedLists(ctx context.Context, db *sql.DB, n int) (listSeed, error) {
	var out listSeed
	steps := []string{
		`INSERT INTO schemes (slug, name, kind, description, rules)
		 SELECT 'bench-' || g, 'Bench fund ' || g, s.kind, s.description, s.rules FROM generate_series(1, ` + fmt.Sprint(listSchemes) + `) g,
		   (SELECT * FROM schemes ORDER BY id LIMIT 1) s`,
		`INSERT INTO rounds (scheme_id, name, opens_at, closes_at)
		 SELECT id, '2026-27 round', timestamptz '2026-04-01 09:00+01', timestamptz '2027-03-31 17:00+01' FROM schemes WHERE slug LIKE 'bench-%'`,
	}
	for _, q := range steps {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return out, err
		}
	}
	var schemes, rounds []int64
	rows, err := db.QueryContext(ctx, `SELECT s.id, r.id FROM schemes s JOIN rounds r ON r.scheme_id = s.id WHERE s.slug LIKE 'bench-%' ORDER BY s.id`)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var s, r int64
		if err := rows.Scan(&s, &r); err != nil {
			return out, err
		}
		schemes, rounds = append(schemes, s), append(rounds, r)
	}
	rows.Close()
	var creator int64
	if err := db.QueryRowContext(ctx, `SELECT min(id) FROM users`).Scan(&creator); err != nil {
		return out, err
	}

	orgCount := max(n/50, 1)
	rng := rand.New(rand.NewPCG(15, 35))
	orgNames := make([]string, orgCount)
	if err := copyRows(ctx, db, "organisations", []string{"name", "org_type", "postcode"}, orgCount, func(i int) []any {
		orgNames[i] = fmt.Sprintf("%s %s %d", listPlaces[rng.IntN(len(listPlaces))], listKinds[rng.IntN(len(listKinds))], i+1)
		return []any{orgNames[i], "community_group", "LE1 1AA"}
	}); err != nil {
		return out, err
	}
	rows, err = db.QueryContext(ctx, `SELECT id FROM organisations WHERE postcode = 'LE1 1AA' AND org_type = 'community_group' ORDER BY id`)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return out, err
		}
		out.orgs = append(out.orgs, id)
	}
	rows.Close()
	if len(out.orgs) < orgCount {
		return out, fmt.Errorf("only %d of %d organisations were read back", len(out.orgs), orgCount)
	}
	out.orgs = out.orgs[len(out.orgs)-orgCount:]

	total := 0
	for _, s := range listStages {
		total += s.weight
	}
	stageOf := func() workflows.Stage {
		w := rng.IntN(total)
		for _, s := range listStages {
			if w < s.weight {
				return s.stage
			}
			w -= s.weight
		}
		return workflows.StageClosed
	}
	base := time.Date(2020, 4, 1, 9, 0, 0, 0, time.UTC)
	if err := copyRows(ctx, db, "applications", []string{"organisation_id", "scheme_id", "round_id", "created_by", "title", "purpose",
		"amount_requested_pence", "status", "submitted_at", "created_at", "updated_at"}, n, func(i int) []any {
		s := rng.IntN(listSchemes)
		stage := stageOf()
		at := base.Add(time.Duration(i) * 3 * time.Minute)
		var submitted any
		if stage != workflows.StageDraft {
			submitted = at.Add(time.Hour)
		}
		title := fmt.Sprintf("%s in %s, year %d", upperFirst(listTopics[rng.IntN(len(listTopics))]), listPlaces[rng.IntN(len(listPlaces))], 1+i%5)
		return []any{out.orgs[rng.IntN(orgCount)], schemes[s], rounds[s], creator, title, "Bench purpose", 250000 + rng.IntN(100)*10000,
			string(stage), submitted, at, at.Add(2 * time.Hour)}
	}); err != nil {
		return out, err
	}
	res, err := db.ExecContext(ctx, `INSERT INTO awards (application_id, reference, amount_pence, purpose, reasons, approved_by, approved_role,
			delegation_band, rules_version, decided_at, accept_by, accepted_at, status)
		SELECT a.id, 'GF-' || to_char(a.submitted_at, 'YYYY') || '-' || lpad(a.id::text, 7, '0'), a.amount_requested_pence, a.purpose, 'Meets the priorities',
			a.created_by, 'officer', 'officer', 1, a.submitted_at + interval '30 days', a.submitted_at + interval '60 days',
			CASE WHEN a.status <> 'offered' THEN a.submitted_at + interval '40 days' END, CASE WHEN a.status = 'offered' THEN 'offered' ELSE 'accepted' END
		FROM applications a WHERE a.purpose = 'Bench purpose' AND a.status IN ('offered', 'accepted', 'paid', 'closed')`)
	if err != nil {
		return out, fmt.Errorf("awards: %w", err)
	}
	awards, _ := res.RowsAffected()
	out.awards = int(awards)
	if _, err := db.ExecContext(ctx, `VACUUM ANALYZE`); err != nil {
		return out, err
	}

	// Searches: part of an organisation's name (a whole one, which matches one organisation), a
	// title's words with a place, and an award reference's digits, each with a stage.
	stages := []string{string(workflows.StageAssessment), string(workflows.StageClosed), string(workflows.StagePaid), string(workflows.StageDecision)}
	for i := range 200 {
		stage := stages[i%len(stages)]
		switch i % 3 {
		case 0:
			out.terms = append(out.terms, listTerm{"name", orgNames[rng.IntN(orgCount)], stage})
		case 1:
			out.terms = append(out.terms, listTerm{"title", listTopics[rng.IntN(len(listTopics))] + " in " + listPlaces[rng.IntN(len(listPlaces))], stage})
		default:
			var ref string
			if err := db.QueryRowContext(ctx, `SELECT reference FROM awards ORDER BY id OFFSET $1 LIMIT 1`, rng.IntN(max(out.awards, 1))).Scan(&ref); err != nil {
				return out, err
			}
			out.terms = append(out.terms, listTerm{"reference", ref[3:], ""})
		}
	}
	return out, nil
}

// copyRows loads n rows into table with COPY, in one transaction.
func copyRows(ctx context.Context, db *sql.DB, table string, columns []string, n int, row func(i int) []any) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, pq.CopyIn(table, columns...))
	if err != nil {
		return err
	}
	for i := range n {
		if _, err := stmt.ExecContext(ctx, row(i)...); err != nil {
			return fmt.Errorf("copy %s row %d: %w", table, i, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return fmt.Errorf("copy %s: %w", table, err)
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
