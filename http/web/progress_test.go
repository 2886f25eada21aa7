package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"grantflow/internal/demo"
	"grantflow/store"
	"grantflow/workflows"
)

// progressLines reads the page's step-by-step progress, one line per milestone in order.
func progressLines(t *testing.T, r response) []string {
	t.Helper()
	var out []string
	for _, li := range findAll(r.Doc, hasClass("govuk-task-list__item")) {
		out = append(out, strings.Join(strings.Fields(textOf(li)), " "))
	}
	return out
}

// The application page shows where the application stands as numbered steps of its kind, each
// marked in words (not only colour): what is done, the current step with where within it the
// application stands, and what is to come. A declined application shows where it ended and that
// the later steps were not reached. Staff see the same progress.
func TestApplicationPageShowsProgressStepByStep(t *testing.T) {
	s := newSite(t)
	id, _ := offeredGrant(t, s.Store)
	path := fmt.Sprintf("/applications/%d", id)

	b := signInAs(t, s, demo.Accounts[0].Email)
	p := b.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	offered := []string{
		"1. Application submitted Done", "2. Eligibility check Done", "3. Assessment Done", "4. Decision Done",
		"5. Offer and acceptance Offer made Current stage", "6. Payment To come", "7. End-of-grant report To come", "8. Grant closed To come",
	}
	if got := progressLines(t, p); !slices.Equal(got, offered) {
		t.Errorf("offered grant's progress:\n got %q\nwant %q", got, offered)
	}
	current := findAll(p.Doc, func(n *html.Node) bool { return n.Data == "li" && attr(n, "aria-current") == "step" })
	if len(current) != 1 || strings.Join(strings.Fields(textOf(current[0])), " ") != offered[4] {
		t.Errorf("the current step is not marked aria-current=step once: %d marked", len(current))
	}

	officer := signInAs(t, s, "officer@opcc.example.org")
	if got := progressLines(t, officer.get(path)); !slices.Equal(got, offered) {
		t.Errorf("staff see the progress as\n %q\nwant %q", got, offered)
	}

	if err := s.Store.RecordEvent(context.Background(), store.Event{Application: id, Key: fmt.Sprintf("test-declined-%d", id), At: time.Now(),
		ActorName: "Grantflow", ActorRole: "system", What: "Declined", Status: string(workflows.StageDeclined)}); err != nil {
		t.Fatal(err)
	}
	declined := []string{
		"1. Application submitted Done", "2. Eligibility check Done", "3. Assessment Done", "4. Decision Not funded Ended here",
		"5. Offer and acceptance Not reached", "6. Payment Not reached", "7. End-of-grant report Not reached", "8. Grant closed Not reached",
	}
	if got := progressLines(t, b.get(path)); !slices.Equal(got, declined) {
		t.Errorf("declined application's progress:\n got %q\nwant %q", got, declined)
	}
}
