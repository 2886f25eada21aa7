package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/internal/demo"
	"grantflow/store"
)

// grassrootsTransitions is what one grassroots grant takes through the API from submission to
// closed: submit, assess, decide, accept, propose and approve the payment, record it, report, and
// accept the report. The bare workflow does as many: its start and eight updates.
const grassrootsTransitions = 9

var grantCount, grantCallers int

// grantsPair drives grassroots grants from submission to closed through the API (the Gin front door
// over HTTP, our workers, the engine), n per round, against bare workflows taking as many transitions
// (a start and eight updates) each running one activity that writes one row, with the same callers.
func grantsPair(ctx context.Context, e engine, st *store.Store, logger *slog.Logger, perRound, callers int) (pair, *grantDriver, func(), error) {
	base, stopOurs, err := serveOurs(e.c, st, logger, "grants")
	if err != nil {
		return pair{}, nil, nil, err
	}
	bareQueue := fmt.Sprintf("bench-bare-grants-%d", seq.Add(1))
	if _, err := st.DB.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS bench_bare_rows (workflow_id text, step int, written_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (workflow_id, step))`); err != nil {
		stopOurs()
		return pair{}, nil, nil, err
	}
	bw := worker.New(e.c, bareQueue, worker.Options{})
	bw.RegisterWorkflow(bareGrant)
	bw.RegisterActivity(&bareRows{db: st.DB})
	if err := bw.Start(); err != nil {
		stopOurs()
		return pair{}, nil, nil, err
	}
	stop := func() { bw.Stop(); stopOurs() }

	tokens := map[string]string{}
	for _, a := range demo.Accounts {
		if tokens[a.Email], err = tokenFor(ctx, st, a.Email); err != nil {
			stop()
			return pair{}, nil, nil, err
		}
	}
	g := &grantDriver{base: base, st: st, tokens: tokens}
	ours := func(ctx context.Context, _ time.Duration) (work, error) {
		ids, err := drafts(ctx, st, perRound)
		if err != nil {
			return work{}, err
		}
		defer g.oursCPU.addSince(cpuNow())
		took, err := forEach(ids, callers, func(id int64) error { return g.toClosed(ctx, id) })
		return work{ops: grassrootsTransitions * perRound, took: took}, err
	}
	bare := func(ctx context.Context, _ time.Duration) (work, error) {
		ids := make([]int64, perRound)
		for i := range ids {
			ids[i] = seq.Add(1)
		}
		defer g.bareCPU.addSince(cpuNow())
		took, err := forEach(ids, callers, func(id int64) error {
			return bareGrantThrough(ctx, e.c, bareQueue, fmt.Sprintf("bare-grant-%d", id))
		})
		return work{ops: grassrootsTransitions * perRound, took: took}, err
	}
	return pair{
		key:   "grants-" + e.key(),
		title: fmt.Sprintf("grassroots grants from submission to closed through the API, %d a round, %d callers, Temporal on %s: transitions per second", perRound, callers, e.name),
		unit:  "transitions",
		bare:  side{name: "bare workflow: start + 8 updates, one row-writing activity each", run: bare},
		ours:  side{name: "Grantflow API: submit, assess, decide, accept, propose, approve, pay, report, review", run: ours},
	}, g, stop, nil
}

// bareUpdatesPerGrant are the bare workflow's updates after its start.
const bareUpdatesPerGrant = grassrootsTransitions - 1

// bareGrant runs one row-writing activity when it starts and one per "step" update, and ends after
// bareUpdatesPerGrant of them: the like-for-like floor of a grant's nine transitions.
func bareGrant(ctx workflow.Context) error {
	opts := workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second, RetryPolicy: &temporal.RetryPolicy{InitialInterval: 100 * time.Millisecond}}
	ctx = workflow.WithActivityOptions(ctx, opts)
	id := workflow.GetInfo(ctx).WorkflowExecution.ID
	var rows *bareRows
	// The handler is there from the first workflow task (an update to a workflow without it is
	// refused), and waits for the start's own activity, as ours' steps wait for screening.
	started, steps := false, 0
	if err := workflow.SetUpdateHandler(ctx, "step", func(ctx workflow.Context) error {
		if err := workflow.Await(ctx, func() bool { return started }); err != nil {
			return err
		}
		steps++
		// The handler's context is the update's own: it needs the activity options too.
		return workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), rows.Write, id, steps).Get(ctx, nil)
	}); err != nil {
		return err
	}
	if err := workflow.ExecuteActivity(ctx, rows.Write, id, 0).Get(ctx, nil); err != nil {
		return err
	}
	started = true
	if err := workflow.Await(ctx, func() bool { return steps == bareUpdatesPerGrant }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// bareRows writes one row per transition, idempotently, as our activities do.
type bareRows struct{ db *sqlx.DB }

func (b *bareRows) Write(ctx context.Context, workflowID string, step int) error {
	_, err := b.db.ExecContext(ctx, `INSERT INTO bench_bare_rows (workflow_id, step) VALUES ($1, $2) ON CONFLICT DO NOTHING`, workflowID, step)
	return err
}

// bareGrantThrough starts a bare grant and sends it its eight updates, each waited for.
func bareGrantThrough(ctx context.Context, c client.Client, queue, id string) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, bareGrant)
	if err != nil {
		return err
	}
	for range bareUpdatesPerGrant {
		if err := update(ctx, c, id, "step", nil); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
	}
	return run.Get(ctx, nil)
}

// grantDriver takes one grant through the API as its people would, each with their own token.
type grantDriver struct {
	base   string
	st     *store.Store
	tokens map[string]string // by demo account e-mail
	// tryAgain counts the 503 "try again" answers (a step's deadline passed), each retried.
	tryAgain atomic.Int64
	// CPU time over each side's rounds: where the time goes besides waiting.
	oursCPU, bareCPU cpuSeconds
}

func (g *grantDriver) toClosed(ctx context.Context, id int64) error {
	applicant, assessor, officer := demo.Accounts[0].Email, demo.Accounts[1].Email, demo.Accounts[2].Email
	finance, finance2 := demo.Accounts[6].Email, demo.Accounts[7].Email
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	today := time.Now().Format(time.DateOnly)
	if err := g.post(ctx, applicant, path+"/submit", nil, http.StatusAccepted); err != nil {
		return err
	}
	if err := g.awaitStatus(ctx, id, "assessment"); err != nil {
		return err
	}
	steps := []struct {
		who, step string
		body      any
	}{
		{assessor, "/assessments", map[string]any{"no_conflict": true, "recommendation": "fund", "comment": "Strong local project", "scores": benchScores}},
		{officer, "/decision", map[string]any{"no_conflict": true, "outcome": "approve", "amount_pence": 300000, "purpose": "Youth diversion sessions",
			"conditions": []string{"Acknowledge the Commissioner's funding"}, "reasons": "Meets the priorities."}},
		{applicant, "/acceptance", map[string]any{"account_name": "Riverside Youth Project", "sort_code": "08-99-99", "account_number": "66374958"}},
		{finance, "/payment-proposal", map[string]any{}},
		{finance2, "/payment-approval", map[string]any{}},
		{finance, "/payments", map[string]any{"amount_pence": 300000, "paid_on": today, "reference": fmt.Sprintf("BENCH-%d", id)}},
		{applicant, "/report", map[string]any{"summary": "Ran 30 evening sessions.", "outcomes": "ASB reports fell.", "spent_pence": 300000}},
		{officer, "/report-review", map[string]any{"outcome": "accept"}},
	}
	for _, s := range steps {
		if s.step == "/acceptance" { // the award letter is written after the decision answers
			if err := g.awaitStatus(ctx, id, "offered"); err != nil {
				return err
			}
		}
		if err := g.post(ctx, s.who, path+s.step, s.body, http.StatusOK); err != nil {
			return err
		}
	}
	a, err := g.st.Application(ctx, id)
	if err != nil {
		return err
	}
	if a.Status != "closed" {
		return fmt.Errorf("application %d is %s after its report was accepted, want closed", id, a.Status)
	}
	return nil
}

var benchScores = []map[string]any{
	{"criterion": "fit", "score": 4, "comment": "Clear fit"}, {"criterion": "need", "score": 4, "comment": "Evening hotspots"},
	{"criterion": "deliverability", "score": 4, "comment": "Experienced"}, {"criterion": "value", "score": 3, "comment": "Reasonable"},
	{"criterion": "partnership", "score": 5, "comment": "Works with the neighbourhood team"},
}

// post sends one step and checks its answer; a 503 "try again" is retried after a pause, as a
// client is told to.
func (g *grantDriver) post(ctx context.Context, who, path string, body any, want int) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "POST", g.base+path, bytes.NewReader(raw))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+g.tokens[who])
		req.Header.Set("Content-Type", "application/json")
		res, err := httpClient.Do(req)
		if err != nil {
			return err
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode == http.StatusServiceUnavailable && attempt < 10 {
			g.tryAgain.Add(1)
			time.Sleep(time.Second)
			continue
		}
		if res.StatusCode != want {
			return fmt.Errorf("POST %s: %d %s", path, res.StatusCode, got)
		}
		return nil
	}
}

// awaitStatus polls the read model until the application reaches status.
func (g *grantDriver) awaitStatus(ctx context.Context, id int64, status string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		// The status alone: the driver's waiting should cost the system it measures little.
		var now string
		if err := g.st.DB.GetContext(ctx, &now, `SELECT status FROM applications WHERE id = $1`, id); err != nil {
			return err
		}
		if now == status {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("application %d still %s after two minutes, waiting for %s", id, now, status)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// screeningWaits are the median, 95th percentile and longest time, in seconds, from a grant's
// submission to its screening: the history's "screening" line carries the time of the workflow's
// first task, so this is how long a new workflow waited for a worker while the others ran.
func (g *grantDriver) screeningWaits(ctx context.Context) ([3]float64, error) {
	var w struct {
		P50 float64 `db:"p50"`
		P95 float64 `db:"p95"`
		Max float64 `db:"longest"`
	}
	err := g.st.DB.GetContext(ctx, &w, `WITH waits AS (
			SELECT extract(epoch FROM min(at) FILTER (WHERE status = 'screening') - min(at) FILTER (WHERE status = 'submitted')) AS wait
			FROM application_events GROUP BY application_id)
		SELECT coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY wait), 0) AS p50, coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY wait), 0) AS p95,
			coalesce(max(wait), 0) AS longest
		FROM waits WHERE wait IS NOT NULL`)
	return [3]float64{w.P50, w.P95, w.Max}, err
}
