package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"grantflow/internal/app"
	"grantflow/internal/demo"
	"grantflow/money"
)

// A step whose workflow does not answer (here: it runs on a task queue no worker polls) is
// answered 503 try_again, with Retry-After, once the step deadline passes, in the API and on the
// pages; the application and everything saved stay as they were.
func TestStepAnswersTryAgainWhenTheWorkflowDoesNotAnswer(t *testing.T) {
	s := newSystem(t)
	const deadline = 2 * time.Second
	logger := slog.New(slog.NewTextHandler(testLog{t}, nil))
	cfg := app.Config{TokenTTL: time.Hour, InsecureCookies: true, StepTimeout: deadline}
	srv := httptest.NewServer(app.HandlerOnQueue(s.Client, s.Store, cfg, logger, s.Queue+"-no-worker"))
	t.Cleanup(srv.Close)
	s.URL = srv.URL

	applicant := s.signIn(t, webApplicant, demo.Password)
	id := s.submitOnly(t, applicant) // starting a workflow needs no worker: it is submitted
	assessor := s.staff(t, "assessor")

	sent, _ := json.Marshal(map[string]any{"has_conflict": false})
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/applications/%d/conflicts", s.URL, id), bytes.NewReader(sent))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+assessor)
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(raw), `"code":"try_again"`) ||
		!strings.Contains(string(raw), "check before sending it again") {
		t.Fatalf("a step the workflow does not answer: %d %s; want 503 try_again saying to check first", res.StatusCode, raw)
	}
	if res.Header.Get("Retry-After") == "" {
		t.Error("the 503 has no Retry-After")
	}
	if took < deadline || took > deadline+3*time.Second {
		t.Errorf("answered after %s; want just after the %s deadline", took, deadline)
	}
	if problem := contractProblem(req, sent, res, raw); problem != "" {
		t.Errorf("the 503 does not keep to openapi.yaml: %s", problem)
	}
	if got := s.status(t, applicant, id); got != "submitted" {
		t.Errorf("after the timed-out step the application is %q, want it still submitted", got)
	}

	// The pages: the same step from the application page says to check before sending it again.
	w := s.webSignIn(t, "assessor@opcc.example.org")
	path := fmt.Sprintf("/applications/%d", id)
	w.get("/sign-out") // a page with a form, for this session's token (the application's page has none for the assessor yet)
	form := url.Values{"conflict": {"no"}, "csrf_token": {w.token}}
	preq, _ := http.NewRequest(http.MethodPost, s.URL+path+"/conflicts", strings.NewReader(form.Encode()))
	preq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	start = time.Now()
	pres, err := w.client.Do(preq)
	took = time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(pres.Body)
	pres.Body.Close()
	p := page{Status: pres.StatusCode, Path: path, Body: string(body)}
	p.mustSay(t, http.StatusServiceUnavailable, "The service did not answer in time", "check whether it was before you send it again")
	if pres.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, `href="`+path+`"`) {
		t.Errorf("the page has no Retry-After or no link back to the application:\n%s", p.text())
	}
	if took > deadline+3*time.Second {
		t.Errorf("the page answered after %s", took)
	}
}

// submitOnly submits a complete grassroots draft and returns at once, without waiting for the
// workflow to move it on (applyFor waits).
func (s *system) submitOnly(t *testing.T, token string) int64 {
	t.Helper()
	schemeID, roundID := s.grassrootsRound(t, token)
	draft := s.must(t, http.StatusCreated, "POST", "/api/v1/applications", token, map[string]any{
		"scheme_id": schemeID, "round_id": roundID, "title": "Safer Streets after dark",
		"purpose":                "Evening detached youth work in Melton to reduce anti-social behaviour.",
		"amount_requested_pence": 300000, "project_start": time.Now().AddDate(0, 1, 0).Format(time.DateOnly),
		"project_end": time.Now().AddDate(0, 10, 0).Format(time.DateOnly),
		"areas":       []string{"Melton"}, "priorities": []string{"Anti-social behaviour"},
		"answers": demo.GrassrootsAnswers(money.Pence(300000)),
	})
	id := int64(dig(draft.Body, "id").(float64))
	s.must(t, http.StatusAccepted, "POST", fmt.Sprintf("/api/v1/applications/%d/submit", id), token, nil)
	return id
}

// An organisation at its draft quota is refused the next draft, 409 quota_exceeded in the API and
// with the reason on the page; its drafts are untouched.
func TestDraftQuotaInTheAPIAndOnThePages(t *testing.T) {
	s := newSystem(t)
	s.App.Quotas.DraftsPerOrganisation = 2 // the quota is the front door's setting
	email := "jo@quota-group.example.org"
	token := s.registerApplicant(t, "Quota Group Ltd", email)
	schemeID, roundID := s.grassrootsRound(t, token)
	draft := map[string]any{"scheme_id": schemeID, "round_id": roundID, "title": "Youth club nights"}
	// A form opened in the pages while there was still room (sent below, once there is none).
	w := s.webSignInWith(t, email, "a long enough password")
	newPath := fmt.Sprintf("/applications/new?round=%d", int64(roundID))
	w.get(newPath).mustSay(t, http.StatusOK, "Apply to the")
	for range 2 {
		s.must(t, http.StatusCreated, "POST", "/api/v1/applications", token, draft)
	}
	r := s.must(t, http.StatusConflict, "POST", "/api/v1/applications", token, draft)
	if r.str("error", "code") != "quota_exceeded" || !strings.Contains(r.str("error", "message"), "may have at most 2 at once") {
		t.Errorf("the third draft: %s", r.Raw)
	}

	// The form opened before the quota was reached is refused on sending, saying why.
	p := w.post(newPath, url.Values{"title": {"Youth club nights"}})
	p.mustSay(t, http.StatusConflict, "may have at most 2 at once", "submit it before starting another")
	// Opening a new one now says so before anything is typed.
	w.get(newPath).mustSay(t, http.StatusOK, "You cannot start another application yet", "may have at most 2 at once")
	list := s.must(t, http.StatusOK, "GET", "/api/v1/applications", token, nil)
	if n := len(dig(list.Body, "applications").([]any)); n != 2 {
		t.Errorf("the organisation has %d applications after the refusals; want its 2 drafts", n)
	}
}
