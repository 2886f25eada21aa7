package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
)

// The history starts with the submission itself: who submitted it, in what role, and when (the
// moment the application records as submitted), before the eligibility screening; on the page that
// line leads to what was submitted.
func TestSubmissionIsTheFirstLineOfTheHistory(t *testing.T) {
	s := newSystem(t)
	applicant := s.signIn(t, webApplicant, demo.Password)
	id := s.applyFor(t, applicant, 300000)

	app := s.must(t, http.StatusOK, "GET", fmt.Sprintf("/api/v1/applications/%d", id), applicant, nil)
	if got := app.str("timeline", "0", "what"); got != "Application submitted" {
		t.Fatalf("the history's first line is %q, want the submission: %s", got, app.Raw)
	}
	if got := app.str("timeline", "1", "what"); got != "Eligibility screening started" {
		t.Errorf("the history's second line is %q, want the screening", got)
	}
	if who, role := app.str("timeline", "0", "actor"), app.str("timeline", "0", "role"); who != demo.Accounts[0].Name || role != "applicant" {
		t.Errorf("the submission is recorded as by %q (%s), want %q (applicant)", who, role, demo.Accounts[0].Name)
	}
	at, err := time.Parse(time.RFC3339Nano, app.str("timeline", "0", "at"))
	submitted, err2 := time.Parse(time.RFC3339Nano, app.str("submitted_at"))
	if err != nil || err2 != nil || !at.Equal(submitted) {
		t.Errorf("the submission line is at %v, the application submitted at %v (%v, %v)", at, submitted, err, err2)
	}

	w := s.webSignIn(t, webApplicant)
	p := w.get(fmt.Sprintf("/applications/%d", id))
	p.mustSay(t, http.StatusOK, "Application submitted", demo.Accounts[0].Name+" (Applicant)")
	link := fmt.Sprintf(`<a class="govuk-link" href="/applications/%d/submitted">Application submitted</a>`, id)
	if !strings.Contains(p.Body, link) {
		t.Errorf("the history's submission line does not lead to what was submitted:\n%s", p.text())
	}
	story := p.text()
	if i, j := strings.LastIndex(story, "Application submitted"), strings.Index(story, "Eligibility screening started"); i < 0 || j < 0 || i < j {
		t.Errorf("newest first, the submission is not the history's last line:\n%s", story)
	}
}
