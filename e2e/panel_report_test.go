package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"grantflow/activities"
	"grantflow/internal/app"
	"grantflow/internal/pdftext"
	"grantflow/money"
	"grantflow/reporting"
	"grantflow/workflows"
)

// testPanelFigures are the figures the e2e workers' Panel reports are made of: fixed, so a test
// can find them in the PDF (the performance figures themselves are tested on their own).
var testPanelFigures = activities.PanelFigures{
	Compute: func(_ context.Context, p reporting.Period) (reporting.Figures, error) {
		return reporting.Figures{Period: p,
			Totals:     reporting.Line{Name: "All", Awards: 2, Committed: money.Pounds(54_321), Paid: 1_234_567, Beneficiaries: 75, Under25: 30},
			ByPriority: []reporting.Line{{Name: "Victim Services", Awards: 2, Committed: money.Pounds(54_321)}},
			ByArea:     []reporting.Line{{Name: "Leicester", Code: "E06000016", Awards: 2, Committed: money.Pounds(54_321)}},
			ByWard:     []reporting.Line{{Name: "Bromley-by-Bow & St Mary’s", Code: "E05000001", Awards: 1, Committed: money.Pounds(4_321), Beneficiaries: 75, Under25: 30}},
		}, nil
	},
	CSV: func(w io.Writer, f reporting.Figures) error {
		_, err := fmt.Fprintf(w, "period,measure,value\n%s,committed_pence,%d\n", f.Period, f.Totals.Committed)
		return err
	},
}

// The Panel report's schedule is made when the worker starts (and making it again is no error),
// at 06:00 London time every day; triggering it makes the report of the latest quarter whose
// returns are due, once, as a numbered document staff download (PDF and CSV, their SHA-256 as
// listed) and an applicant is refused.
func TestPanelReportScheduleMakesTheNumberedReport(t *testing.T) {
	s := newSystem(t)
	ctx := context.Background()
	for range 2 { // a worker started twice
		if err := app.EnsurePanelReportSchedule(ctx, s.Client, s.Queue); err != nil {
			t.Fatal(err)
		}
	}
	handle := s.Client.ScheduleClient().GetHandle(ctx, workflows.PanelReportScheduleID(s.Queue))
	t.Cleanup(func() { handle.Delete(context.Background()) })
	desc, err := handle.Describe(ctx)
	if err != nil {
		t.Fatal(err)
	}
	spec := desc.Schedule.Spec
	if spec.TimeZoneName != "Europe/London" || len(spec.Calendars) != 1 || len(spec.Calendars[0].Hour) != 1 || spec.Calendars[0].Hour[0].Start != 6 {
		t.Errorf("the schedule's spec is %+v, want 06:00 every day in Europe/London", spec)
	}
	if action, ok := desc.Schedule.Action.(*client.ScheduleWorkflowAction); !ok || action.TaskQueue != s.Queue || fmt.Sprint(action.Workflow) != workflows.PanelReportWorkflowName {
		t.Errorf("the schedule's action is %+v", desc.Schedule.Action)
	}

	officer := s.staff(t, "officer")
	applicant := s.signIn(t, "applicant@riverside-youth.example.org", "grantflow-demo")
	if list := s.must(t, http.StatusOK, "GET", "/api/v1/panel-reports", officer, nil); len(dig(list.Body, "panel_reports").([]any)) != 0 {
		t.Fatalf("reports before the schedule ran: %s", list.Raw)
	}
	trigger := func() map[string]any {
		t.Helper()
		if err := handle.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
			t.Fatal(err)
		}
		// The triggered run is done when the schedule lists it as closed.
		deadline := time.Now().Add(60 * time.Second)
		for {
			d, err := handle.Describe(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(d.Info.RecentActions); n > 0 && len(d.Info.RunningWorkflows) == 0 {
				list := s.must(t, http.StatusOK, "GET", "/api/v1/panel-reports", officer, nil)
				if reports := dig(list.Body, "panel_reports").([]any); len(reports) > 0 {
					if len(reports) != 1 {
						t.Fatalf("the schedule made %d reports: %s", len(reports), list.Raw)
					}
					return reports[0].(map[string]any)
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no Panel report after triggering the schedule")
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	report := trigger()
	q := workflows.PanelQuarterDue(time.Now(), 15)
	want := reporting.PanelReportNumber(reporting.Period{FinancialYear: q.FY, Quarter: q.Q})
	if report["number"] != want || report["version"] != float64(1) || report["trigger"] != "schedule" || report["requested_by"] != nil {
		t.Errorf("the report is %v, want %s version 1 made by the schedule", report, want)
	}
	id := fmt.Sprint(report["id"])
	s.must(t, http.StatusOK, "GET", "/api/v1/panel-reports/"+id, officer, nil)

	download := func(path, token string) (int, http.Header, []byte) {
		req, _ := http.NewRequest("GET", s.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, b
	}
	status, header, pdf := download("/api/v1/panel-reports/"+id+"/pdf", officer)
	sum := sha256.Sum256(pdf)
	if status != http.StatusOK || header.Get("Content-Type") != "application/pdf" || hex.EncodeToString(sum[:]) != dig(report, "pdf", "sha256") ||
		!strings.HasPrefix(header.Get("Content-Disposition"), "attachment; filename=panel-report-") {
		t.Fatalf("the PDF: %d %v, sha256 %x, listed %v", status, header, sum, dig(report, "pdf", "sha256"))
	}
	text, err := pdftext.Text(pdf)
	if err != nil {
		t.Fatal(err)
	}
	for _, phrase := range []string{"Police and Crime Panel performance report", "Document number " + want, "Committed £54,321.00",
		"Bromley-by-Bow & St Mary’s E05000001"} {
		if !strings.Contains(text, phrase) {
			t.Errorf("the PDF lacks %q: %s", phrase, text)
		}
	}
	if status, _, csv := download("/api/v1/panel-reports/"+id+"/csv", officer); status != http.StatusOK || !strings.Contains(string(csv), "committed_pence,5432100") {
		t.Errorf("the CSV: %d %s", status, csv)
	}
	for _, path := range []string{"/api/v1/panel-reports", "/api/v1/panel-reports/" + id, "/api/v1/panel-reports/" + id + "/pdf"} {
		if status, _, _ := download(path, applicant); status != http.StatusForbidden {
			t.Errorf("an applicant's GET %s = %d, want 403", path, status)
		}
	}

	// The schedule's next run finds the quarter reported and makes nothing.
	if again := trigger(); fmt.Sprint(again["id"]) != id {
		t.Errorf("a second run made %v", again)
	}

	// The pages: staff see the list and download; an applicant is refused.
	staffPage := s.webSignIn(t, "officer@opcc.example.org")
	staffPage.get("/performance/panel-reports").mustSay(t, http.StatusOK, "Police and Crime Panel reports", want, "SHA-256 "+hex.EncodeToString(sum[:]))
	if p := staffPage.get("/performance/panel-reports/" + id + ".pdf"); p.Status != http.StatusOK || !strings.HasPrefix(p.Body, "%PDF-") {
		t.Errorf("the page's PDF download: %d %.20q", p.Status, p.Body)
	}
	if strings.Contains(staffPage.get("/performance/panel-reports").Body, "Make the report now") {
		t.Error("an officer is offered the button to make a report now")
	}
	// The head of commissioning makes the latest quarter's report now: with the figures unchanged,
	// the schedule's version stands, or it is made (the latest quarter may not have been due yet).
	head := s.webSignIn(t, "head@opcc.example.org")
	head.get("/performance/panel-reports").mustSay(t, http.StatusOK, "Make the report now")
	made := head.post("/performance/panel-reports", url.Values{})
	made.mustSay(t, http.StatusOK, "Police and Crime Panel reports")
	if !strings.Contains(made.text(), "no new version was made") && !strings.Contains(made.text(), "version 1 is ready") {
		t.Errorf("the head's request said neither that nothing changed nor that a report is ready: %s", made.text())
	}
	owner := s.webSignIn(t, "applicant@riverside-youth.example.org")
	if p := owner.get("/performance/panel-reports/" + id + ".pdf"); p.Status != http.StatusForbidden || strings.HasPrefix(p.Body, "%PDF-") {
		t.Errorf("an applicant's download: %d", p.Status)
	}
}
