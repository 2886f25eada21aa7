// The Police and Crime Panel's quarterly report: a Temporal Schedule starts PanelReportWorkflow
// every morning; a run makes the report of the latest quarter whose monitoring returns are all
// due, if that quarter has none yet. Asking every day, rather than once on a fixed date, makes it
// robust to a worker that was down that day and to schemes whose rules change the returns' due
// date. An officer may also ask for a period's report at any time; if the figures have changed
// since its latest version (late returns), that makes the next version.

package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/reporting"
	"grantflow/scheme"
)

// PanelReportWorkflowName is the Panel report workflow's registered name, which the schedule starts.
const PanelReportWorkflowName = "PanelReportWorkflow"

// The schedule's time: 06:00 every day in London (the schedule follows the clocks' changes).
const (
	PanelReportHour     = 6
	PanelReportTimeZone = "Europe/London"
)

// PanelReportScheduleID is the schedule that starts the Panel report's runs for the workers on a
// task queue (one per queue, so tests on their own queues have their own).
func PanelReportScheduleID(taskQueue string) string { return "panel-report-" + taskQueue }

// PanelReportWorkflowID is the id of an officer's run for a period: one at a time per period.
func PanelReportWorkflowID(taskQueue string, p reporting.Period) string {
	return fmt.Sprintf("panel-report-%s-%d-q%d", taskQueue, p.FinancialYear, p.Quarter)
}

// PanelReportInput is an officer's request for a period's report (RequestedBy names them), or,
// with no period, the schedule's daily run.
type PanelReportInput struct {
	Period      *reporting.Period `json:"period,omitempty"`
	RequestedBy string            `json:"requested_by,omitempty"`
}

// PanelReportResult is the period's report after the run: made by it, or found (Made false).
type PanelReportResult struct {
	Period  reporting.Period `json:"period"`
	ID      int64            `json:"id,omitempty"` // 0: the schedule's run found the period already reported
	Number  string           `json:"number"`
	Version int              `json:"version,omitempty"`
	Made    bool             `json:"made"`
}

// PanelQuarterDue is the latest quarter all of whose monitoring returns were due before now, when
// returns are due days after a quarter ends: the quarter the Panel is to hear about next.
func PanelQuarterDue(now time.Time, days int) Quarter {
	q := QuarterOf(now).Previous()
	for !now.After(q.ReturnDue(days)) {
		q = q.Previous()
	}
	return q
}

var panelReports *activities.PanelReports

// PanelReportWorkflow makes a period's Panel report (see the file's comment).
func PanelReportWorkflow(ctx workflow.Context, in PanelReportInput) (PanelReportResult, error) {
	now := workflow.Now(ctx)
	ctx = workflow.WithActivityOptions(ctx, activityOptions)
	req := activities.MakePanelReportInput{Day: now.In(scheme.London).Format(time.DateOnly), RequestedBy: in.RequestedBy}
	if in.Period != nil {
		req.Period = *in.Period
	} else {
		var due activities.PanelReturnDueDaysResult
		if err := workflow.ExecuteActivity(ctx, panelReports.PanelReturnDueDays).Get(ctx, &due); err != nil {
			return PanelReportResult{}, err
		}
		q := PanelQuarterDue(now, due.Days)
		req.Period, req.OnlyIfNone, req.RequestedBy = reporting.Period{FinancialYear: q.FY, Quarter: q.Q}, true, ""
	}
	opts := batchOptions // the year's figures, charts and PDF
	var res activities.MakePanelReportResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), panelReports.MakePanelReport, req).Get(ctx, &res)
	if err != nil {
		return PanelReportResult{}, err
	}
	workflow.GetLogger(ctx).Info("Panel report", "number", res.Number, "version", res.Version, "made", res.Made)
	return PanelReportResult{Period: req.Period, ID: res.ID, Number: res.Number, Version: res.Version, Made: res.Made}, nil
}
