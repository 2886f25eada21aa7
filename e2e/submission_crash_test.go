package e2e

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/store"
	"grantflow/workflows"
)

// errProcessDied stands for the front door's process dying in the middle of a submission.
var errProcessDied = errors.New("the process died")

// dyingStarts is a Temporal client whose process dies at its workflow starts: after the start
// reached the server (started), or before it did.
type dyingStarts struct {
	client.Client
	started bool
}

func (c dyingStarts) ExecuteWorkflow(ctx context.Context, opts client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	if c.started {
		if _, err := c.Client.ExecuteWorkflow(ctx, opts, wf, args...); err != nil {
			return nil, err
		}
	}
	return nil, errProcessDied
}

// A submission cut off by a crash, after its workflow started or before, is completed by the
// applicant's next submission: 202, one workflow, its id and time kept, one record of the
// submission and one line for it in the history. A crash after the start used to leave the
// workflow running with the application's workflow id and time of submission empty for good, and
// the next submission was refused as already submitted.
func TestSubmissionCutOffByACrashIsCompletedByTheNext(t *testing.T) {
	for _, c := range []struct {
		name    string
		started bool
	}{{"after the workflow started", true}, {"before the workflow started", false}} {
		t.Run(c.name, func(t *testing.T) {
			s := newSystem(t)
			token := s.registerApplicant(t, "Second Try Trust", "kit@second-try.example.org")
			schemeID, roundID := s.grassrootsRound(t, token)
			id := int64(dig(s.must(t, http.StatusCreated, "POST", "/api/v1/applications", token, map[string]any{
				"scheme_id": schemeID, "round_id": roundID, "title": "Safer Streets after dark",
				"purpose":                "Evening detached youth work in Melton to reduce anti-social behaviour.",
				"amount_requested_pence": 300000, "project_start": day(30), "project_end": day(300),
				"areas": []string{"Melton"}, "priorities": []string{"Anti-social behaviour"}, "answers": demo.GrassrootsAnswers(300000),
			}).Body, "id").(float64))
			submit := fmt.Sprintf("/api/v1/applications/%d/submit", id)
			ctx := context.Background()

			// A second front door on the same database and queue, whose process dies at the start.
			dying := httptest.NewServer(app.HandlerOnQueue(dyingStarts{Client: s.Client, started: c.started}, s.App,
				app.Config{TokenTTL: time.Hour, InsecureCookies: true}, slog.New(slog.NewTextHandler(testLog{t}, nil)), s.Queue))
			defer dying.Close()
			req, _ := http.NewRequest("POST", dying.URL+submit, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req) // not s.do, which fails the test on the 500 a dying process's answer stands for
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusInternalServerError {
				t.Fatalf("the submission cut off answered %d, want 500", res.StatusCode)
			}
			if c.started { // the workflow's first steps go ahead without the lost record: screened, and eligible
				deadline := time.Now().Add(20 * time.Second)
				for {
					a, err := s.Store.Application(ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if a.Status == "assessment" {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("the workflow started before the crash never reached assessment")
					}
					time.Sleep(50 * time.Millisecond)
				}
			}

			s.must(t, http.StatusAccepted, "POST", submit, token, nil)
			detail := s.awaitStatus(t, token, id, "assessment")
			if c.started { // recording the lost submission did not move the stage back
				if a, err := s.Store.Application(ctx, id); err != nil || a.Status != "assessment" {
					t.Errorf("after the submission was completed the application is %q (%v), want assessment", a.Status, err)
				}
			}
			s.must(t, http.StatusConflict, "POST", submit, token, nil)

			a, err := s.Store.Application(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if a.WorkflowID.String != workflows.ApplicationWorkflowID(id) || a.SubmittedAt == nil {
				t.Errorf("the application's workflow id is %q and its time of submission %v, want %q and a time", a.WorkflowID.String, a.SubmittedAt, workflows.ApplicationWorkflowID(id))
			}
			if _, err := s.Store.Submission(ctx, id); err != nil {
				t.Errorf("the submission's record: %v", err)
			}
			var submittedLines int
			if err := s.Store.DB.Get(&submittedLines, `SELECT count(*) FROM application_events WHERE application_id = $1 AND what = $2`, id, store.WhatSubmitted); err != nil || submittedLines != 1 {
				t.Errorf("%d history lines %q (%v), want 1", submittedLines, store.WhatSubmitted, err)
			}
			var records int
			if err := s.Store.DB.Get(&records, `SELECT count(*) FROM submissions WHERE application_id = $1`, id); err != nil || records != 1 {
				t.Errorf("%d records of the submission (%v), want 1", records, err)
			}
			lines := map[string]int{}
			for _, e := range dig(detail.Body, "timeline").([]any) {
				lines[dig(e, "status").(string)]++
			}
			if lines["submitted"] != 1 || lines["screening"] != 1 {
				t.Errorf("the history has %d submissions and %d screenings, want 1 of each: %v", lines["submitted"], lines["screening"], dig(detail.Body, "timeline"))
			}
			var dup int
			if err := s.Store.DB.Get(&dup, `SELECT count(*) FROM (SELECT what, status FROM application_events WHERE application_id = $1
				GROUP BY what, status HAVING count(*) > 1) d`, id); err != nil || dup != 0 {
				t.Errorf("%d lines of the history written twice (%v)", dup, err)
			}
			runs, err := s.Client.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
				Query: fmt.Sprintf("WorkflowId = '%s'", workflows.ApplicationWorkflowID(id))})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(runs.GetExecutions()); n != 1 {
				t.Errorf("%d runs of the application's workflow, want 1", n)
			}
		})
	}
}
