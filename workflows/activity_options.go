package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"grantflow/activities"
)

// Every activity's options are defined here. All retry on infrastructure errors, never on business
// refusals. A step whose worker dies mid-activity waits out the attempt's start-to-close timeout
// (or, for a long activity, its heartbeat timeout) before another worker retries it, while the
// person's request waits too (under the API's step deadline). So the timeouts are short: many
// times the slowest attempt measured, not the 30 s they used to be.
//
// Measured from the start and completion times of every activity in the recorded histories
// (workflows/testdata: 16 end-to-end runs, about 450 attempts): database activities median 10 ms,
// slowest 271 ms (RecordStep); document activities, which render a PDF, median 30 ms, slowest 479 ms
// (IssueRecoveryNotice).

// retryPolicy retries an infrastructure error for as long as it takes, backing off to a minute.
var retryPolicy = &temporal.RetryPolicy{
	InitialInterval:        time.Second,
	MaximumInterval:        time.Minute,
	NonRetryableErrorTypes: []string{activities.ErrTypeBudgetExceeded, activities.ErrTypeNotFound},
}

// activityOptions are a database activity's: a few rows in one transaction (18 times the slowest).
var activityOptions = workflow.ActivityOptions{StartToCloseTimeout: 5 * time.Second, RetryPolicy: retryPolicy}

// documentOptions are a document activity's: a PDF rendered and stored (20 times the slowest).
var documentOptions = workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second, RetryPolicy: retryPolicy}

// batchOptions are a long activity's (digests, the register's months, the Panel report's figures,
// charts and PDF): it may take minutes, but it heartbeats while it runs (activities.keepAlive), so
// a killed worker's attempt is retried after the heartbeat timeout. Each is idempotent item by item.
var batchOptions = workflow.ActivityOptions{StartToCloseTimeout: 5 * time.Minute, HeartbeatTimeout: 30 * time.Second, RetryPolicy: retryPolicy}

// withDocuments is ctx for a document activity.
func withDocuments(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, documentOptions)
}
