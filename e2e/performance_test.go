package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"grantflow/internal/demo"
	"grantflow/scheme"
)

// A grant approved through the running system shows in the performance figures: the commissioning
// officer reads it on the page (with its priorities and area, and the CSV beside it) and through the
// API; the applicant who received it is refused both.
func TestOfficerSeesAnApprovedGrantInThePerformanceFigures(t *testing.T) {
	s := newSystem(t)
	owner := s.signIn(t, demo.Accounts[0].Email, demo.Password)
	assessor, officer := s.staff(t, "assessor"), s.staff(t, "officer")
	id := s.applyFor(t, owner, 275000)
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/assessments", id), assessor, map[string]any{
		"no_conflict": true, "scores": scores(4), "recommendation": "fund", "comment": "Sound plan"})
	s.must(t, http.StatusOK, "POST", fmt.Sprintf("/api/v1/applications/%d/decision", id), officer, map[string]any{
		"no_conflict": true, "outcome": "approve", "amount_pence": 275000, "purpose": "Youth work.", "reasons": "Reduces anti-social behaviour.",
		"conditions": []string{"Acknowledge the Commissioner's funding"}})
	s.awaitStatus(t, owner, id, "offered")

	now := time.Now().In(scheme.London)
	period := fmt.Sprintf("%s Q%d", scheme.FinancialYearLabel(scheme.FinancialYear(now)), (int(now.Month())+8)%12/3+1)
	figures := s.must(t, http.StatusOK, "GET", "/api/v1/performance", officer, nil)
	if dig(figures.Body, "totals", "awards") != float64(1) || dig(figures.Body, "totals", "committed_pence") != float64(275000) {
		t.Errorf("the figures' totals: %.300s", figures.Raw)
	}
	for _, l := range dig(figures.Body, "by_area").([]any) {
		if dig(l, "name") == "Melton" && (dig(l, "code") != "E07000133" || dig(l, "committed_pence") != float64(275000)) {
			t.Errorf("Melton's line: %v", l)
		}
	}
	s.must(t, http.StatusForbidden, "GET", "/api/v1/performance", owner, nil)

	page := s.webSignIn(t, "officer@opcc.example.org").get("/performance")
	page.mustSay(t, http.StatusOK, "Performance "+period, "Anti-social behaviour", "Melton", "E07000133", "£2,750.00")
	if !strings.Contains(page.Body, `href="/performance.csv?financial_year=`) {
		t.Error("the page does not link its CSV")
	}
	if p := s.webSignIn(t, demo.Accounts[0].Email).get("/performance"); p.Status != http.StatusForbidden {
		t.Errorf("the applicant got %d at %s, want 403", p.Status, p.Path)
	}
}
