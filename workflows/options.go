package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// storeMargin is time an attempt gets beyond its HTTP timeout for loading
// and persisting.
const storeMargin = 10 * time.Second

// infraRetry retries an activity that failed for an infrastructure reason
// (database down, worker lost). HTTP outcomes come back as non-retryable
// errors, so this never re-sends a request the receiver already answered.
var infraRetry = &temporal.RetryPolicy{
	InitialInterval:    time.Second,
	BackoffCoefficient: 2,
	MaximumInterval:    time.Minute,
}

func attemptCtx(ctx workflow.Context, httpTimeout time.Duration, summary string) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:                summary,
		StartToCloseTimeout:    httpTimeout + storeMargin,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            infraRetry,
	})
}

func localAttemptCtx(ctx workflow.Context, httpTimeout time.Duration, summary string) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		Summary:                summary,
		StartToCloseTimeout:    httpTimeout + storeMargin,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            infraRetry,
	})
}

// bookkeepingCtx runs an activity that stores a status and nothing else.
// It has no schedule-to-close deadline: giving up would leave the database
// saying "retrying" about a finished delivery, while retrying (at most once
// a minute, each failure visible on the pending activity in the Web UI)
// costs nothing and heals when the database is back.
func bookkeepingCtx(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: storeMargin,
		RetryPolicy:         infraRetry,
	})
}
