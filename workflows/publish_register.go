// The grants register's monthly publication: a Temporal Schedule starts PublishRegisterWorkflow
// every morning; it publishes each month whose first working day after it has come (England and
// Wales, weekends and bank holidays skipped: publication.FirstWorkingDay) and a new version of any
// published month whose awards have changed since. Firing daily rather than on the first working
// day itself keeps the calendar in one place (Go, not the schedule's spec), catches up after any
// downtime and publishes corrections within a day.

package workflows

import (
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
)

// PublishRegisterWorkflowName is the workflow's registered name, which the schedule starts.
const PublishRegisterWorkflowName = "PublishRegisterWorkflow"

// The schedule's time: 06:30 every day in London (the schedule follows the clocks' changes), so
// a month is published before the office opens on its first working day.
const (
	PublishRegisterHour     = 6
	PublishRegisterMinute   = 30
	PublishRegisterTimeZone = "Europe/London"
)

// PublishRegisterScheduleID is the schedule on a task queue (one per queue, so tests on their own
// queues have their own).
func PublishRegisterScheduleID(taskQueue string) string { return "register-publication-" + taskQueue }

var publications *activities.Publications

// PublishRegisterWorkflow publishes the register's months due as at the workflow's clock. The
// activity is idempotent, so a retry, a manual trigger or two runs in a day publish nothing twice.
func PublishRegisterWorkflow(ctx workflow.Context) (activities.PublishRegisterResult, error) {
	opts := batchOptions // every month since the first award, when catching up
	var res activities.PublishRegisterResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), publications.PublishRegister,
		activities.PublishRegisterInput{AsOf: workflow.Now(ctx)}).Get(ctx, &res)
	return res, err
}
