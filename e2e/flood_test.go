package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lib/pq"

	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/scheme"
	"grantflow/store"
)

// A flood is a thousand requests let go at the same instant through the real front door, each on
// a connection of its own, as a thousand people pressing the same button would send them. The
// client does what a well-behaved one does with a 503 try_again (the step's deadline passed while
// Temporal was busy; the answer says the step may still be taken): it waits the Retry-After and
// sends the request again. So a try_again is never a final answer, and a retry can learn that its
// first attempt was taken after all (409 wrong_stage).

const floodSize = 1000

// floodClient keeps every connection of a flood open between requests (net/http's default keeps
// two per host), so building and flooding do not churn through thousands of TCP connections.
func floodClient() *http.Client {
	return &http.Client{Timeout: 3 * time.Minute, Transport: &http.Transport{
		MaxIdleConns: floodSize, MaxIdleConnsPerHost: floodSize, IdleConnTimeout: time.Minute}}
}

// floodAnswer is one caller's final answer, how many try_again answers came before it, and what
// went wrong on the way (a transport error, a 5xx other than try_again, a contract mismatch).
type floodAnswer struct {
	response
	tryAgains int
	fault     string
}

// untilAnswered sends the request, and again after each 503 try_again (at most ten times).
func (s *system) untilAnswered(client *http.Client, method, path, token string, body any) floodAnswer {
	var a floodAnswer
	for range 10 {
		req, sent := s.request(method, path, token, body)
		r, problem, err := s.exchange(client, req, sent)
		switch {
		case err != nil:
			a.fault = fmt.Sprintf("%s %s: %v", method, path, err)
			return a
		case problem != "":
			a.fault = fmt.Sprintf("%s %s does not keep to openapi.yaml: %s", method, path, problem)
			return a
		}
		a.response = r
		if r.Status != http.StatusServiceUnavailable || r.str("error", "code") != "try_again" {
			if r.Status >= 500 {
				a.fault = fmt.Sprintf("%s %s answered %d: %s", method, path, r.Status, r.Raw)
			}
			return a
		}
		a.tryAgains++
		wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
		if err != nil || wait < 1 {
			a.fault = fmt.Sprintf("%s %s: a try_again without a Retry-After in seconds (%q)", method, path, r.Header.Get("Retry-After"))
			return a
		}
		time.Sleep(time.Duration(wait) * time.Second)
	}
	a.fault = fmt.Sprintf("%s %s: still try_again after ten attempts", method, path)
	return a
}

// flood lets n callers go at once, caller i sending send(i), and returns their answers by caller.
func flood(n int, send func(i int) floodAnswer) []floodAnswer {
	answers := make([]floodAnswer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			answers[i] = send(i)
		})
	}
	close(start)
	wg.Wait()
	return answers
}

// tally counts a flood's answers by the kind kindOf names for each, reports the faults and the
// answers the test does not expect (kindOf says ""), each as what(i) of its caller, and adds up the
// try_again answers on the way.
func tally(t *testing.T, answers []floodAnswer, what func(i int) string, kindOf func(floodAnswer) string) (kinds map[string]int, tryAgains int) {
	t.Helper()
	kinds = map[string]int{}
	for i, a := range answers {
		tryAgains += a.tryAgains
		if a.fault != "" {
			t.Error(a.fault)
			continue
		}
		kind := kindOf(a)
		if kind == "" {
			t.Errorf("%s answered %d: %s", what(i), a.Status, a.Raw)
			continue
		}
		kinds[kind]++
	}
	return kinds, tryAgains
}

// inParallel calls do(i) for i below n from workers goroutines; the first error stops the rest.
func inParallel(n, workers int, do func(i int) error) error {
	var next atomic.Int64
	var failed atomic.Value
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for failed.Load() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := do(i); err != nil {
					failed.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	err, _ := failed.Load().(error)
	return err
}

// A thousand submissions of one draft at once: exactly one is accepted and starts the one
// workflow; the other 999 are told it was already submitted (409 wrong_stage), never a 5xx.
func TestFloodOfSubmissionsOfOneDraftStartsOneWorkflow(t *testing.T) {
	s := newSystem(t)
	token := s.registerApplicant(t, "Thousand Hands Trust", "sam@thousand-hands.example.org")
	schemeID, roundID := s.grassrootsRound(t, token)
	draft := s.must(t, http.StatusCreated, "POST", "/api/v1/applications", token, map[string]any{
		"scheme_id": schemeID, "round_id": roundID, "title": "Safer Streets after dark",
		"purpose":                "Evening detached youth work in Melton to reduce anti-social behaviour.",
		"amount_requested_pence": 300000, "project_start": day(30), "project_end": day(300),
		"areas": []string{"Melton"}, "priorities": []string{"Anti-social behaviour"}, "answers": demo.GrassrootsAnswers(300000),
	})
	id := int64(dig(draft.Body, "id").(float64))
	submit := fmt.Sprintf("/api/v1/applications/%d/submit", id)

	client := floodClient()
	began := time.Now()
	answers := flood(floodSize, func(int) floodAnswer { return s.untilAnswered(client, "POST", submit, token, nil) })
	t.Logf("%d submissions answered in %v", floodSize, time.Since(began).Round(time.Millisecond))

	kinds, tryAgains := tally(t, answers, func(int) string { return "a submission" }, func(a floodAnswer) string {
		switch {
		case a.Status == http.StatusAccepted:
			return "accepted"
		case a.Status == http.StatusConflict && a.str("error", "code") == "wrong_stage":
			return "refused"
		}
		return ""
	})
	accepted, refused := kinds["accepted"], kinds["refused"]
	t.Logf("answers: %d accepted, %d refused as already submitted, after %d try_again answers on the way", accepted, refused, tryAgains)
	// On a busy machine the one accepted submission may answer try_again and its retry find it
	// already submitted: then all thousand are 409, and the database below shows the one workflow.
	acceptedLate := accepted == 0 && tryAgains > 0
	if accepted+refused != floodSize || (accepted != 1 && !acceptedLate) {
		t.Fatalf("%d submissions answered 202 and %d answered 409 wrong_stage (%d try_again on the way), want 1 and %d", accepted, refused, tryAgains, floodSize-1)
	}

	// One application, submitted once, screened once, by the first run of its one workflow.
	s.checkSubmittedOnce(t, token, id)
	var submissions, submittedLines int
	if err := s.Store.DB.Get(&submissions, `SELECT count(*) FROM submissions WHERE application_id = $1`, id); err != nil {
		t.Fatal(err)
	}
	if err := s.Store.DB.Get(&submittedLines, `SELECT count(*) FROM application_events WHERE application_id = $1 AND status = 'submitted'`, id); err != nil {
		t.Fatal(err)
	}
	if submissions != 1 || submittedLines != 1 {
		t.Errorf("the database holds %d submitted copies and %d submission lines in the history, want 1 and 1", submissions, submittedLines)
	}
}

// A thousand approvals at once, of a thousand applications awaiting a decision, against a budget
// that fits a hundred of them: exactly a hundred are approved, the other 900 refused with 409
// budget_exceeded naming the amount, and the database shows the budget committed to the penny and
// never beyond it.
func TestFloodOfApprovalsNeverOverCommitsTheBudget(t *testing.T) {
	const fits = 100
	amount := money.Pounds(1500)
	s := newSystem(t)
	ctx := context.Background()
	applicant := s.registerApplicant(t, "Thousand Projects Trust", "kim@thousand-projects.example.org")
	assessor, officer := s.staff(t, "assessor"), s.staff(t, "officer")
	client := floodClient()

	// A thousand complete drafts, saved by the store as the harness seeds; then each submitted
	// and assessed through the API, many at a time, as applicants and assessors would.
	began := time.Now()
	u, err := s.Store.UserByEmail(ctx, "kim@thousand-projects.example.org")
	if err != nil {
		t.Fatal(err)
	}
	schemeID, roundID := s.grassrootsRound(t, applicant)
	answers, err := json.Marshal(demo.GrassrootsAnswers(amount))
	if err != nil {
		t.Fatal(err)
	}
	start, end := time.Now().AddDate(0, 1, 0), time.Now().AddDate(0, 10, 0)
	ids := make([]int64, floodSize)
	err = inParallel(floodSize, 8, func(i int) (err error) {
		ids[i], err = s.Store.CreateDraft(ctx, u.Organisations[0], u.ID, store.Draft{SchemeID: int64(schemeID), RoundID: int64(roundID),
			Title: fmt.Sprintf("Evening project %d", i+1), Purpose: "Evening detached youth work in Melton.", AmountRequested: amount,
			ProjectStart: &start, ProjectEnd: &end, Areas: []string{"Melton"}, Priorities: []string{"Anti-social behaviour"}, Answers: answers})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	step := func(want int, method, path, token string, body any) error {
		a := s.untilAnswered(client, method, path, token, body)
		if a.fault != "" {
			return fmt.Errorf("%s", a.fault)
		}
		if a.Status != want {
			return fmt.Errorf("%s %s = %d, want %d: %s", method, path, a.Status, want, a.Raw)
		}
		return nil
	}
	const builders = 32
	err = inParallel(floodSize, builders, func(i int) error {
		return step(http.StatusAccepted, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", ids[i]), applicant, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.awaitAll(t, ids, "assessment", 10*time.Minute) // generous: screening a thousand on a busy machine
	err = inParallel(floodSize, builders, func(i int) error {
		return step(http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/assessments", ids[i]), assessor,
			map[string]any{"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Strong local project"})
	})
	if err != nil {
		t.Fatal(err)
	}
	s.awaitAll(t, ids, "decision", 5*time.Minute)
	t.Logf("%d applications submitted and assessed in %v", floodSize, time.Since(began).Round(time.Millisecond))

	// The year's budget fits exactly a hundred of them, whatever the demo committed before.
	fy := scheme.FinancialYear(time.Now())
	var before store.Budget
	if err := s.Store.DB.Get(&before, `SELECT scheme_id, financial_year, budget_pence, committed_pence FROM scheme_budgets WHERE scheme_id = $1 AND financial_year = $2`, int64(schemeID), fy); err != nil {
		t.Fatal(err)
	}
	budget := before.CommittedPence + fits*amount
	if err := s.Store.SetBudget(ctx, int64(schemeID), fy, budget); err != nil {
		t.Fatal(err)
	}

	began = time.Now()
	decision := map[string]any{"no_conflict": true, "outcome": "approve", "amount_pence": int64(amount),
		"purpose": "Evening detached youth work in Melton town centre.", "reasons": "Targets the evening hotspots.",
		"conditions": []string{"Acknowledge the Commissioner's funding in publicity"}}
	results := flood(floodSize, func(i int) floodAnswer {
		return s.untilAnswered(client, "POST", fmt.Sprintf("/api/v1/applications/%d/decision", ids[i]), officer, decision)
	})
	t.Logf("%d approvals answered in %v", floodSize, time.Since(began).Round(time.Millisecond))

	kinds, tryAgains := tally(t, results, func(i int) string { return fmt.Sprintf("the approval of application %d", ids[i]) }, func(a floodAnswer) string {
		switch {
		case a.Status == http.StatusOK:
			return "approved"
		case a.Status == http.StatusConflict && a.str("error", "code") == "budget_exceeded":
			if dig(a.Body, "error", "fields", "amount_pence") == nil {
				t.Errorf("a refusal for the budget does not name amount_pence: %s", a.Raw)
			}
			return "refused"
		case a.Status == http.StatusConflict && a.str("error", "code") == "wrong_stage" && a.tryAgains > 0:
			return "approved late" // an attempt that ran past its deadline was taken; the retry found it approved
		}
		return ""
	})
	approved, refused, approvedLate := kinds["approved"], kinds["refused"], kinds["approved late"]
	t.Logf("answers: %d approved, %d refused for the budget, %d approved after a try_again, %d try_again answers on the way",
		approved, refused, approvedLate, tryAgains)
	if approved+approvedLate != fits || refused != floodSize-fits {
		t.Errorf("%d approvals were taken and %d refused as budget_exceeded, want %d and %d", approved+approvedLate, refused, fits, floodSize-fits)
	}

	// The database: the budget committed to exactly a hundred awards, never beyond it; one award
	// and one live commitment for each approved application, none for the refused, which still
	// await a decision.
	var after store.Budget
	if err := s.Store.DB.Get(&after, `SELECT scheme_id, financial_year, budget_pence, committed_pence FROM scheme_budgets WHERE scheme_id = $1 AND financial_year = $2`, int64(schemeID), fy); err != nil {
		t.Fatal(err)
	}
	if after.CommittedPence != budget || after.CommittedPence > after.BudgetPence {
		t.Errorf("the budget of %s has %s committed, want %s (a hundred awards)", after.BudgetPence, after.CommittedPence, budget)
	}
	var awards, commitments, committed, waiting int64
	for _, q := range []struct {
		into *int64
		sql  string
	}{
		{&awards, `SELECT count(*) FROM awards WHERE application_id = ANY($1)`},
		{&commitments, `SELECT count(*) FROM budget_commitments WHERE application_id = ANY($1) AND released_at IS NULL`},
		{&committed, `SELECT coalesce(sum(amount_pence), 0) FROM budget_commitments WHERE application_id = ANY($1) AND released_at IS NULL`},
		{&waiting, `SELECT count(*) FROM applications WHERE id = ANY($1) AND status = 'decision'`},
	} {
		if err := s.Store.DB.Get(q.into, q.sql, int64s(ids)); err != nil {
			t.Fatal(err)
		}
	}
	if awards != fits || commitments != fits || committed != int64(fits*amount) || waiting != floodSize-fits {
		t.Errorf("the database holds %d awards and %d live commitments of %s in all, with %d applications awaiting a decision; want %d, %d of %s and %d",
			awards, commitments, money.Pence(committed), waiting, fits, fits, fits*amount, floodSize-fits)
	}
}

// awaitAll waits until every application's read model shows the status.
func (s *system) awaitAll(t *testing.T, ids []int64, status string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		var behind int
		if err := s.Store.DB.Get(&behind, `SELECT count(*) FROM applications WHERE id = ANY($1) AND status <> $2`, int64s(ids), status); err != nil {
			t.Fatal(err)
		}
		if behind == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d applications are not yet %s after %v", behind, len(ids), status, limit)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func int64s(ids []int64) pq.Int64Array { return pq.Int64Array(ids) }
