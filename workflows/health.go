package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
)

// EndpointHealth is one run of the auto-disable check, started by the
// EndpointHealth Schedule (no ticker goroutine: the Schedule is durable,
// visible in the Web UI, and runs once per interval however many workers
// there are). The check itself is one activity; a failed check is retried,
// and the next interval runs anyway.
func EndpointHealth(ctx workflow.Context, _ contracts.EndpointHealthInput) (contracts.EndpointHealthResult, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:                "check endpoint health",
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: 10 * time.Minute,
		RetryPolicy:            infraRetry,
	})
	var res contracts.EndpointHealthResult
	err := workflow.ExecuteActivity(ctx, a.CheckEndpointHealth, contracts.EndpointHealthInput{}).Get(ctx, &res)
	return res, err
}
