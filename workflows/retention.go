package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
)

// Retention is one run of the retention purge, started by the Retention
// Schedule. The purge is one heartbeating activity that deletes in small
// batches; if it is interrupted the next run simply goes on (deleting is
// idempotent).
func Retention(ctx workflow.Context, _ contracts.RetentionInput) (contracts.RetentionResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:                "purge expired events",
		StartToCloseTimeout:    30 * time.Minute,
		HeartbeatTimeout:       time.Minute,
		ScheduleToCloseTimeout: 2 * time.Hour,
		RetryPolicy:            infraRetry,
	})
	var res contracts.RetentionResult
	err := workflow.ExecuteActivity(ctx, a.PurgeExpired, contracts.RetentionInput{}).Get(ctx, &res)
	return res, err
}
