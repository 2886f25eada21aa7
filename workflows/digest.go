// The daily digest: a Temporal Schedule starts DigestWorkflow each morning; it writes the day's
// digest for every member of staff who chose one, and the outbox sender delivers them.

package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
	"grantflow/scheme"
)

// DigestWorkflowName is the digest workflow's registered name, which the schedule starts.
const DigestWorkflowName = "DigestWorkflow"

// The schedule's time: 07:00 every day in London (the schedule follows the clocks' changes).
const (
	DigestHour     = 7
	DigestTimeZone = "Europe/London"
)

// DigestScheduleID is the schedule that starts the digests for the workers on a task queue (one
// per queue, so tests on their own queues have their own).
func DigestScheduleID(taskQueue string) string { return "daily-digest-" + taskQueue }

// digestQueueStages are the stages at which an application waits on its case officer: what a
// digest lists as their queue.
var digestQueueStages = []Stage{StageSubmitted, StageScreening, StageAssessment, StageModeration, StageDecision,
	StageReportSubmitted, StageFinalSubmitted}

var digests *activities.Digests

// DigestWorkflow writes today's digests (today in London, by the workflow's clock). Each person's
// digest is keyed by the day, so a second run that day (a retry, a manual trigger) writes nothing twice.
func DigestWorkflow(ctx workflow.Context) (activities.SendDigestsResult, error) {
	in := activities.SendDigestsInput{Day: workflow.Now(ctx).In(scheme.London).Format(time.DateOnly)}
	for _, s := range digestQueueStages {
		in.QueueStages = append(in.QueueStages, string(s))
	}
	opts := batchOptions // every digest taker's, one after another
	var res activities.SendDigestsResult
	err := workflow.ExecuteActivity(workflow.WithActivityOptions(ctx, opts), digests.SendDigests, in).Get(ctx, &res)
	return res, err
}
