package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/grant"
	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/notify"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/workflows"
)

// benchFirstYear is the financial year the benchmark's awards begin. Their workflows run on a clock
// set to 20 April of the next year, so the whole first year's tranches and returns are due at once.
const benchFirstYear = 2025

var benchClock = time.Date(benchFirstYear+1, time.April, 20, 10, 0, 0, 0, scheme.London)

// awardUpdates is what one award takes through its first year: for each quarter the provider's
// return is submitted and accepted (which releases the next tranche) and finance records the
// tranche's payment once two people in finance have proposed and approved it.
const awardUpdates = 20

// awardCount is -awards: the service awards over all rounds.
var awardCount int

// awardsPair drives perRound three-year service awards through their first year each round (seeded
// first, not timed), each update running our activities while the workflows release tranches (a
// payment notice PDF each), hold the next ones and escalate overdue returns, against as many no-op
// updates to bare workflows, with the same callers.
func awardsPair(ctx context.Context, e engine, st *store.Store, perRound, workers int) (pair, func(), error) {
	queue, stop, err := startWorker(e.c, st, "awards")
	if err != nil {
		return pair{}, nil, err
	}
	ours := func(ctx context.Context, _ time.Duration) (work, error) {
		ids, err := seedAwards(ctx, e.c, st, queue, perRound)
		if err != nil {
			return work{}, err
		}
		took, err := driveAwardYears(ctx, e.c, st, ids, workers)
		return work{ops: awardUpdates * perRound, took: took}, err
	}
	bare := func(ctx context.Context, _ time.Duration) (work, error) {
		took, err := bareUpdates(ctx, e.c, perRound, awardUpdates, workers)
		return work{ops: awardUpdates * perRound, took: took}, err
	}
	return pair{
		key:   "awards-" + e.key(),
		title: fmt.Sprintf("service-award updates per second on %s, %d awards a round through their first year, %d callers", e.name, perRound, workers),
		unit:  "updates",
		bare:  side{name: "bare no-op updates, same count", run: bare},
		ours:  side{name: "Grantflow first year of each award (returns, reviews, payment sign-offs)", run: ours},
	}, stop, nil
}

// driveAwardYears drives the awards through their first year, awardUpdates each.
func driveAwardYears(ctx context.Context, c client.Client, st *store.Store, ids []int64, workers int) (time.Duration, error) {
	officer, provider, finance := actorFor(ctx, st, demo.Accounts[2].Email), actorFor(ctx, st, demo.Accounts[0].Email), actorFor(ctx, st, demo.Accounts[6].Email)
	approver := actorFor(ctx, st, demo.Accounts[7].Email) // payments take two people in finance
	return forEach(ids, workers, func(id int64) error {
		wf := workflows.ApplicationWorkflowID(id)
		for q := 1; q <= 4; q++ {
			quarter := workflows.Quarter{FY: benchFirstYear, Q: q}
			steps := []struct {
				name string
				arg  any
			}{
				{workflows.UpdateSubmitReturn, workflows.SubmitReturnRequest{Actor: provider, Quarter: quarter, Content: benchReturn()}},
				{workflows.UpdateReviewReturn, workflows.ReviewReturnRequest{Actor: officer, Quarter: quarter, Outcome: workflows.ReviewAccept, RAG: workflows.RAGGreen}},
				{workflows.UpdateProposePayment, workflows.PaymentSignOffRequest{Actor: finance, Tranche: q}},
				{workflows.UpdateApprovePayment, workflows.PaymentSignOffRequest{Actor: approver, Tranche: q}},
				{workflows.UpdateRecordTranche, workflows.RecordTranchePaymentRequest{Actor: finance, Tranche: q, Amount: money.Pounds(30000),
					PaidOn: benchClock.AddDate(0, 0, -1), Reference: fmt.Sprintf("BENCH-%d-%d", id, q)}},
			}
			for _, s := range steps {
				if s.name == workflows.UpdateProposePayment {
					if err := awaitTranche(ctx, c, wf, q); err != nil {
						return err
					}
				}
				if err := update(ctx, c, wf, s.name, s.arg); err != nil {
					return fmt.Errorf("%s on %s: %w", s.name, wf, err)
				}
			}
		}
		return nil
	})
}

// seedAwards makes n accepted three-year awards with their conditions met, each with its workflow
// started in the delivery stage (as a continue-as-new would hand it over). Not timed.
func seedAwards(ctx context.Context, c client.Client, st *store.Store, queue string, n int) ([]int64, error) {
	var sc store.Scheme
	for _, s := range must(st.Schemes(ctx)) {
		if s.Kind == scheme.Service {
			sc = s
		}
	}
	round := must(st.Rounds(ctx, sc.ID))[0]
	u, err := st.UserByEmail(ctx, demo.Accounts[0].Email)
	if err != nil {
		return nil, err
	}
	org, err := st.Organisation(ctx, u.Organisations[0])
	if err != nil {
		return nil, err
	}
	approver := actorFor(ctx, st, demo.Accounts[5].Email)
	years := []grant.YearAmount{{FinancialYear: benchFirstYear, Amount: money.Pounds(120000)}, {FinancialYear: benchFirstYear + 1, Amount: money.Pounds(120000)},
		{FinancialYear: benchFirstYear + 2, Amount: money.Pounds(120000)}}
	details := grant.ServiceDetails{Service: "Benchmark service", Description: "d", Years: years,
		Outcomes: []grant.Outcome{{Outcome: "o", Indicators: []grant.Indicator{{Key: "people", Name: "People helped", Unit: "people", QuarterlyTarget: 50}}}}}
	offset := time.Until(benchClock).Round(time.Second)
	ids := make([]int64, n)
	for i := range ids {
		id, err := st.CreateDraft(ctx, org.ID, u.ID, store.Draft{SchemeID: sc.ID, RoundID: round.ID, Title: "Benchmark service", Purpose: "p",
			Areas: []string{"Leicester"}, Priorities: []string{"Victim Services"}})
		if err != nil {
			return nil, err
		}
		if err := st.SaveServiceDetails(ctx, id, details); err != nil {
			return nil, err
		}
		wf := workflows.ApplicationWorkflowID(id)
		if err := st.MarkSubmitted(ctx, id, wf, benchClock); err != nil {
			return nil, err
		}
		ref := activities.AwardReference(sc.Rules.Code, benchFirstYear, id)
		award, err := st.CreateAward(ctx, store.Award{ApplicationID: id, Reference: ref, Amount: workflows.WholeLife(years), Purpose: "p",
			Conditions: json.RawMessage(`["c"]`), Reasons: "r", ApprovedBy: approver.UserID, ApprovedRole: string(approver.Role),
			DelegationBand: "Police and Crime Commissioner", RulesVersion: 1, DecidedAt: benchClock, AcceptBy: benchClock},
			store.Event{Application: id, Key: wf + "/seed", At: benchClock, ActorName: "bench", ActorRole: "system", What: "Seeded", Status: "active"})
		if err != nil {
			return nil, err
		}
		tranches := workflows.PlanTrancheStates(years, workflows.StartOf(years, time.Time{}))
		if err := st.SetAwardYears(ctx, award.ID, years); err != nil {
			return nil, err
		}
		if err := st.ScheduleTranches(ctx, award.ID, workflows.StoreTranches(tranches)); err != nil {
			return nil, err
		}
		state := workflows.ServiceState{
			In: workflows.ServiceInput{ApplicationID: id, OrganisationID: org.ID, OrganisationType: org.Type, SchemeID: sc.ID, SchemeName: sc.Name,
				Rules: sc.Rules, RoundOpens: round.OpensAt, RoundCloses: round.ClosesAt, Title: "Benchmark service", Purpose: "p",
				Areas: []string{"Leicester"}, Priorities: []string{"Victim Services"}, Service: details, ClockOffset: offset},
			Stage: workflows.StageActive,
			Award: &workflows.ServiceAward{ID: award.ID, Reference: ref, Version: 1, Years: years, Conditions: []string{"c"}, FirstFY: benchFirstYear,
				AcceptBy: benchClock, ConditionsMet: true},
			Tranches: tranches,
			Returns:  workflows.PlanReturns(sc.Rules, years, workflows.StartOf(years, time.Time{}), nil),
		}
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wf, TaskQueue: queue}, workflows.ServiceWorkflowName, state); err != nil {
			return nil, err
		}
		ids[i] = id
	}
	return ids, nil
}

// awaitTranche waits until the quarter's tranche is released (the workflow releases it once the
// previous return is accepted), so finance only pays what is payable.
func awaitTranche(ctx context.Context, c client.Client, wf string, no int) error {
	for i := 0; i < 500; i++ {
		resp, err := c.QueryWorkflow(ctx, wf, "", workflows.QueryStatus)
		if err != nil {
			return err
		}
		var st workflows.ServiceState
		if err := resp.Get(&st); err != nil {
			return err
		}
		for _, t := range st.Tranches {
			if t.No == no && t.Status == workflows.TrancheReleased {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%s: tranche %d was never released", wf, no)
}

func update(ctx context.Context, c client.Client, wf, name string, arg any) error {
	h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: wf, UpdateName: name, Args: []any{arg}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

// bareWorkflow accepts "ping" updates that do nothing: the floor for an update round trip.
func bareWorkflow(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, "ping", func(ctx workflow.Context) error { return nil }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return false })
}

// bareUpdates sends perWorkflow no-op updates to each of n bare workflows, with the same concurrency.
func bareUpdates(ctx context.Context, c client.Client, n, perWorkflow, workers int) (time.Duration, error) {
	queue := fmt.Sprintf("bench-bare-updates-%d", seq.Add(1))
	w := worker.New(c, queue, worker.Options{})
	w.RegisterWorkflow(bareWorkflow)
	if err := w.Start(); err != nil {
		return 0, err
	}
	defer w.Stop()
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = seq.Add(1)
		if _, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprintf("bare-upd-%d", ids[i]), TaskQueue: queue}, bareWorkflow); err != nil {
			return 0, err
		}
	}
	elapsed, err := forEach(ids, workers, func(id int64) error {
		for k := 0; k < perWorkflow; k++ {
			if err := update(ctx, c, fmt.Sprintf("bare-upd-%d", id), "ping", nil); err != nil {
				return err
			}
		}
		return nil
	})
	for _, id := range ids {
		c.TerminateWorkflow(ctx, fmt.Sprintf("bare-upd-%d", id), "", "benchmark done")
	}
	return elapsed, err
}

// forEach calls fn for every id from workers goroutines and says how long they took. After the
// first error no more ids are begun, and that error is returned.
func forEach(ids []int64, workers int, fn func(int64) error) (time.Duration, error) {
	var next atomic.Int64
	var failed atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for failed.Load() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(ids)) {
					return
				}
				if err := fn(ids[i]); err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	err, _ := failed.Load().(error)
	return took, err
}

// startWorker starts our worker on a task queue of its own, named for the part.
func startWorker(c client.Client, st *store.Store, part string) (queue string, stop func(), err error) {
	queue = fmt.Sprintf("bench-%s-%d", part, seq.Add(1))
	st.Outbox = notify.MustOutbox("http://localhost:8080", "")
	w := app.NewWorker(c, queue, st, letters.Letterhead{Body: "Benchmark OPCC", Address: []string{"1 Bench Street"}}, app.PanelFiguresOf(st))
	if err := w.Start(); err != nil {
		return "", nil, err
	}
	return queue, w.Stop, nil
}

// serveOurs starts our worker (startWorker) and the front door that sends work to it, on a local
// port: it returns the front door's URL.
func serveOurs(c client.Client, st *store.Store, logger *slog.Logger, part string) (base string, stop func(), err error) {
	queue, stopWorker, err := startWorker(c, st, part)
	if err != nil {
		return "", nil, err
	}
	srv := httptest.NewServer(app.HandlerOnQueue(c, st, app.Config{TokenTTL: 24 * time.Hour}, logger, queue))
	return srv.URL, func() { srv.Close(); stopWorker() }, nil
}

// tokenFor is an API token of a day for the account (issued by the store: signing in is not what
// is measured).
func tokenFor(ctx context.Context, st *store.Store, email string) (string, error) {
	u, err := st.UserByEmail(ctx, email)
	if err != nil {
		return "", err
	}
	token, _, err := st.IssueToken(ctx, u.ID, 24*time.Hour)
	return token, err
}

func actorFor(ctx context.Context, st *store.Store, email string) workflows.Actor {
	u := must(st.UserByEmail(ctx, email))
	return workflows.Actor{UserID: u.ID, Name: u.Name, Role: u.Role, Organisations: u.Organisations}
}

func benchReturn() workflows.ReturnContent {
	return workflows.ReturnContent{Indicators: []workflows.IndicatorActual{{Key: "people", Actual: 52}}, SpendToDate: money.Pounds(25000),
		Beneficiaries: []workflows.BeneficiaryCount{{Area: "Leicester", AgeBand: "18_24", Count: 52}}, Narrative: "On track."}
}
