package workflows_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"grantflow/activities"
	"grantflow/internal/pdftext"
	"grantflow/letters"
	"grantflow/money"
	"grantflow/reporting"
	"grantflow/scheme"
	"grantflow/store"
	"grantflow/store/storetest"
	"grantflow/workflows"
)

// The schedule's daily run makes a quarter's Panel report once, on the first run after the
// quarter's returns are due (15 days after it ends), and not before; the days after make nothing new.
func TestPanelReportIsMadeOnceAfterTheQuartersReturnsAreDue(t *testing.T) {
	st := storetest.New(t)
	computed, committed := 0, int64(500_000)
	figures := activities.PanelFigures{
		Compute: func(_ context.Context, p reporting.Period) (reporting.Figures, error) {
			computed++
			return reporting.Figures{Period: p, Totals: reporting.Line{Name: "All", Awards: 1, Committed: money.Pence(committed)}}, nil
		},
		CSV: func(w io.Writer, f reporting.Figures) error {
			_, err := fmt.Fprintf(w, "period,awards\n%s,%d\n", f.Period, f.Totals.Awards)
			return err
		},
	}
	run := func(at time.Time, in workflows.PanelReportInput) workflows.PanelReportResult {
		t.Helper()
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestWorkflowEnvironment()
		env.SetStartTime(at)
		env.RegisterWorkflow(workflows.PanelReportWorkflow)
		env.RegisterActivity(&activities.PanelReports{Store: st, Figures: figures,
			Letterhead: letters.Letterhead{Body: "Office of the Police and Crime Commissioner (test)"}})
		env.ExecuteWorkflow(workflows.PanelReportWorkflow, in)
		if err := env.GetWorkflowError(); err != nil {
			t.Fatalf("run at %v: %v", at, err)
		}
		var res workflows.PanelReportResult
		if err := env.GetWorkflowResult(&res); err != nil {
			t.Fatal(err)
		}
		return res
	}
	at := func(month time.Month, day, hour int) time.Time {
		y := 2026
		if month < time.April {
			y = 2027
		}
		return time.Date(y, month, day, hour, 0, 0, 0, scheme.London)
	}
	kept := func() []string {
		list, err := st.PanelReports(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range list {
			out = append(out, fmt.Sprintf("%s v%d %s", r.Number, r.Version, r.CreatedAt.In(scheme.London).Format(time.DateOnly)))
		}
		return out
	}

	// December: Q2's returns were due on 15 October, so its report is made (once).
	if res := run(at(time.December, 1, 6), workflows.PanelReportInput{}); !res.Made || res.Number != "PANEL/2026-27/Q2" || res.Version != 1 {
		t.Errorf("1 December: %+v, want Q2's report made", res)
	}
	// Q3 ends on 31 December; its returns are due by the end of 15 January.
	for _, when := range []time.Time{at(time.January, 2, 6), at(time.January, 15, 6), at(time.January, 15, 23)} {
		if res := run(when, workflows.PanelReportInput{}); res.Made || res.Number != "PANEL/2026-27/Q2" {
			t.Errorf("%v, before Q3's returns are due: %+v, want nothing made", when, res)
		}
	}
	if got := fmt.Sprint(len(kept())); got != "1" {
		t.Fatalf("before Q3's returns were due: %v", kept())
	}
	res := run(at(time.January, 16, 6), workflows.PanelReportInput{})
	if !res.Made || res.Number != "PANEL/2026-27/Q3" || res.Version != 1 || res.Period != (reporting.Period{FinancialYear: 2026, Quarter: 3}) {
		t.Errorf("16 January, the day after Q3's returns were due: %+v", res)
	}
	for _, when := range []time.Time{at(time.January, 17, 6), at(time.March, 31, 6)} {
		if res := run(when, workflows.PanelReportInput{}); res.Made {
			t.Errorf("%v: %+v, want nothing new", when, res)
		}
	}
	if computed != 2 {
		t.Errorf("the figures were computed %d times, want 2 (the schedule's runs that found a report compute nothing)", computed)
	}
	// An officer's request with the same figures makes nothing new.
	q3 := reporting.Period{FinancialYear: 2026, Quarter: 3}
	if res := run(at(time.January, 20, 10), workflows.PanelReportInput{Period: &q3, RequestedBy: "B. Sample"}); res.Made || res.Version != 1 {
		t.Errorf("a request with the same figures: %+v", res)
	}
	// Late returns change the figures: the officer's next request makes version 2; version 1 is kept.
	committed = 750_000
	if res := run(at(time.February, 2, 10), workflows.PanelReportInput{Period: &q3, RequestedBy: "B. Sample"}); !res.Made || res.Version != 2 || res.Number != "PANEL/2026-27/Q3" {
		t.Errorf("a request after late returns: %+v", res)
	}
	list, err := st.PanelReports(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Trigger != store.PanelTriggerRequest || list[0].RequestedBy != "B. Sample" || list[1].Trigger != store.PanelTriggerSchedule {
		t.Errorf("kept: %v", kept())
	}
	today := time.Now().In(scheme.London).Format(time.DateOnly)
	if got := fmt.Sprint(kept()); got != fmt.Sprintf("[PANEL/2026-27/Q3 v2 %[1]s PANEL/2026-27/Q3 v1 %[1]s PANEL/2026-27/Q2 v1 %[1]s]", today) {
		t.Errorf("kept: %s", got)
	}
	// Each version's PDF carries its number, version and the day it was made.
	pdf, _, err := st.PanelReportFile(context.Background(), list[0].ID, "pdf")
	if err != nil {
		t.Fatal(err)
	}
	if text, err := pdftext.Text(pdf); err != nil || !strings.Contains(text, "Document number PANEL/2026-27/Q3 Version 2 Date 2 February 2027") || !strings.Contains(text, "Committed £7,500.00") {
		t.Errorf("version 2's PDF: %v %s", err, text)
	}
}

func TestPanelQuarterDueFollowsTheReturnsRule(t *testing.T) {
	for _, c := range []struct {
		now  time.Time
		days int
		want string
	}{
		{time.Date(2027, time.January, 15, 23, 59, 0, 0, scheme.London), 15, "Q2 2026-27"},
		{time.Date(2027, time.January, 16, 0, 0, 0, 0, scheme.London), 15, "Q3 2026-27"},
		{time.Date(2027, time.January, 20, 6, 0, 0, 0, scheme.London), 30, "Q2 2026-27"}, // a scheme whose returns are due later holds it back
		{time.Date(2027, time.January, 31, 6, 0, 0, 0, scheme.London), 30, "Q3 2026-27"},
		{time.Date(2026, time.April, 16, 6, 0, 0, 0, scheme.London), 15, "Q4 2025-26"},
	} {
		if got := workflows.PanelQuarterDue(c.now, c.days).Label(); got != c.want {
			t.Errorf("PanelQuarterDue(%v, %d) = %s, want %s", c.now, c.days, got, c.want)
		}
	}
}
