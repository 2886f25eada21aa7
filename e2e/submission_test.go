package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/workflows"
)

// Forty submissions of one draft at once: exactly one is accepted (202) and starts the workflow;
// the other thirty-nine are told it was already submitted (409). Several used to get 202, though
// only one workflow started.
func TestConcurrentSubmissionsStartOneWorkflow(t *testing.T) {
	s := newSystem(t)
	token := s.registerApplicant(t, "Forty Hands Trust", "sam@forty-hands.example.org")
	schemeID, roundID := s.grassrootsRound(t, token)
	answers := map[string]any{
		"scheme_id": schemeID, "round_id": roundID, "title": "Safer Streets after dark",
		"purpose":                "Evening detached youth work in Melton to reduce anti-social behaviour.",
		"amount_requested_pence": 300000, "project_start": day(30), "project_end": day(300),
		"areas": []string{"Melton"}, "priorities": []string{"Anti-social behaviour"}, "answers": demo.GrassrootsAnswers(300000),
	}
	id := int64(dig(s.must(t, http.StatusCreated, "POST", "/api/v1/applications", token, answers).Body, "id").(float64))
	submit := fmt.Sprintf("/api/v1/applications/%d/submit", id)

	const submissions = 40
	statuses := make(chan response, submissions)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range submissions {
		wg.Go(func() {
			<-start
			statuses <- s.do(t, "POST", submit, token, nil)
		})
	}
	close(start)
	wg.Wait()
	close(statuses)
	accepted, refused := 0, 0
	for r := range statuses {
		switch {
		case r.Status == http.StatusAccepted:
			accepted++
		case r.Status == http.StatusConflict && r.str("error", "code") == "wrong_stage":
			refused++
		default:
			t.Errorf("a submission answered %d: %s", r.Status, r.Raw)
		}
	}
	if accepted != 1 || refused != submissions-1 {
		t.Errorf("%d submissions answered 202 and %d answered 409, want 1 and %d", accepted, refused, submissions-1)
	}

	s.checkSubmittedOnce(t, token, id)
}

// checkSubmittedOnce checks that a draft submitted by many at once is one application, screened
// once, by the first run of its one workflow (the first of its id).
func (s *system) checkSubmittedOnce(t *testing.T, token string, id int64) {
	t.Helper()
	detail := s.awaitStatus(t, token, id, "assessment")
	if list := dig(s.must(t, http.StatusOK, "GET", "/api/v1/applications", token, nil).Body, "applications").([]any); len(list) != 1 {
		t.Errorf("the organisation has %d applications, want 1", len(list))
	}
	screened := 0
	for _, e := range dig(detail.Body, "timeline").([]any) {
		if dig(e, "status") == "screening" {
			screened++
		}
	}
	if screened != 1 {
		t.Errorf("the timeline records %d screenings, want 1: %v", screened, dig(detail.Body, "timeline"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run := s.Client.GetWorkflow(ctx, workflows.ApplicationWorkflowID(id), "")
	first, err := s.Client.GetWorkflowHistory(ctx, run.GetID(), run.GetRunID(), false, 0).Next()
	if err != nil {
		t.Fatal(err)
	}
	if got := first.GetWorkflowExecutionStartedEventAttributes().GetFirstExecutionRunId(); got != run.GetRunID() {
		t.Errorf("the workflow's run %s is not the first of its id (%s)", run.GetRunID(), got)
	}
}
