package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
)

// TestSendInput starts a Test-button send.
type TestSendInput struct {
	Send           activities.TestSendInput
	AttemptTimeout time.Duration
}

// TestSend sends one sample payload and returns the outcome. It runs the
// send as a local activity because the caller waits for the answer: with
// eager start the whole run costs one server round trip. No retries: the
// user clicked Test and wants to see what the endpoint says now.
func TestSend(ctx workflow.Context, in TestSendInput) (activities.TestSendResult, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: in.AttemptTimeout + storeMargin,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var res activities.TestSendResult
	err := workflow.ExecuteLocalActivity(ctx, a.TestSend, in.Send).Get(ctx, &res)
	return res, err
}
