package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserPublicDecisions: someone not signed in finds the decisions from the home page, reads
// the list and a record, and filters by financial year; every page passes the axe check. A filter
// that is not a financial year is shown as a problem to mend.
func TestBrowserPublicDecisions(t *testing.T) {
	sys := newSystem(t)
	if _, err := sys.Store.DB.ExecContext(context.Background(), `UPDATE schemes SET rules = jsonb_set(rules, '{max_amount_pence}', '1000000') WHERE slug = 'grassroots'`); err != nil {
		t.Fatal(err)
	}
	applicant := sys.registerApplicant(t, "Quarry Lane Youth Club", "ash@quarry-lane.example.org")
	id := sys.applyFor(t, applicant, 800000)
	path := fmt.Sprintf("/api/v1/applications/%d", id)
	sys.must(t, http.StatusOK, "POST", path+"/assessments", sys.staff(t, "assessor"), map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	sys.must(t, http.StatusOK, "POST", path+"/decision", sys.staff(t, "head_of_commissioning"), map[string]any{"no_conflict": true,
		"outcome": "approve", "amount_pence": 800000, "purpose": "Youth club evenings.", "reasons": "Fewer young people drawn into crime.",
		"conditions": []string{"Acknowledge the Commissioner's funding"}})
	sys.awaitStatus(t, applicant, id, "offered")
	listed := dig(sys.must(t, http.StatusOK, "GET", "/api/v1/decisions", "", nil).Body, "decisions", "0")
	number, date := dig(listed, "number").(string), dig(listed, "date").(string)

	b := newBrowser(t, sys, "decisions")
	b.as("visitor")
	b.visit("/")
	b.follow("decisions on grants")
	b.see("Decisions", number, "Quarry Lane Youth Club", "£8,000.00", "Head of Commissioning")
	b.follow(number)
	b.see("Decision record", number, "The Head of Commissioning has decided to award Quarry Lane Youth Club a grant of £8,000.00",
		"Fewer young people drawn into crime.", "None declared.", "Download the decision record")
	b.visit("/decisions?financial_year=" + date[:4])
	b.load("a financial year that is not one", http.StatusUnprocessableEntity, chromedp.Navigate(b.base+"/decisions?financial_year=abc"))
	b.see("There is a problem", "Choose a financial year")
	if strings.Contains(b.pageText(), number) {
		t.Error("a refused filter still lists decisions")
	}
}
