package web_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"grantflow/http/web"
	"grantflow/internal/demo"
	"grantflow/money"
	"grantflow/workflows"
)

// With the Temporal Web UI configured, staff see a link from an application to its workflow, each
// part of the address escaped; the applicant never does, nor anyone before there is a workflow.
func TestWorkflowLinkForStaffOnly(t *testing.T) {
	s := newSiteWith(t, web.Options{InsecureCookies: true, TemporalUI: "https://temporal.example.org/ui", TemporalNamespace: "grants office"})
	id := submitted(t, s.Store, "grassroots", "Safer parks", money.Pounds(4500), workflows.StageAssessment, time.Now().AddDate(0, 0, -3))
	path := fmt.Sprintf("/applications/%d", id)
	if _, err := s.Store.DB.Exec(`UPDATE applications SET workflow_id = $2 WHERE id = $1`, id, "application/7 #x"); err != nil {
		t.Fatal(err)
	}

	officer := signInAs(t, s, "officer@opcc.example.org")
	p := officer.get(path)
	p.mustBe(t, http.StatusOK, path)
	checkMarkup(t, p)
	link := byID(p.Doc, "workflow-link")
	if link == nil {
		t.Fatalf("no workflow link on the staff page:\n%s", p.Body)
	}
	want := "https://temporal.example.org/ui/namespaces/grants%20office/workflows/application%2F7%20%23x"
	if got := attr(link.FirstChild, "href"); got != want {
		t.Errorf("workflow link = %q, want %q", got, want)
	}

	applicant := signInAs(t, s, demo.Accounts[0].Email)
	a := applicant.get(path)
	a.mustBe(t, http.StatusOK, path)
	a.mustNotContain(t, "temporal.example.org", "Temporal Web UI")

	if _, err := s.Store.DB.ExecContext(context.Background(), `UPDATE applications SET workflow_id = NULL WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	officer.get(path).mustNotContain(t, "temporal.example.org", "Temporal Web UI")
}

// Without TEMPORAL_UI_URL there is no link, even for staff.
func TestNoWorkflowLinkWhenTheUIIsNotConfigured(t *testing.T) {
	s := newSite(t)
	id := submitted(t, s.Store, "grassroots", "Safer parks", money.Pounds(4500), workflows.StageAssessment, time.Now().AddDate(0, 0, -3))
	path := fmt.Sprintf("/applications/%d", id)
	p := signInAs(t, s, "officer@opcc.example.org").get(path)
	p.mustBe(t, http.StatusOK, path)
	p.mustContain(t, "Safer parks")
	p.mustNotContain(t, "Temporal Web UI", "/workflows/")
	if byID(p.Doc, "workflow-link") != nil {
		t.Error("a workflow link with no Temporal UI configured")
	}
}
