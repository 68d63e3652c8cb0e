package workflows

import (
	"cmp"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
)

// TestSend sends one sample payload and returns the outcome. It runs the
// send as a local activity because the caller waits for the answer: with
// eager start the whole run costs one server round trip. No retries: the
// user clicked Test and wants to see what the endpoint says now.
func TestSend(ctx workflow.Context, in contracts.TestSendWorkflowInput) (contracts.TestSendWorkflowResult, error) {
	timeout := cmp.Or(in.AttemptTimeout, contracts.DefaultDeliveryTimeout)
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: timeout + storeMargin,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	send := in.Send
	send.Timeout = timeout
	var res contracts.TestSendActivityResult
	err := workflow.ExecuteLocalActivity(ctx, a.TestSend, send).Get(ctx, &res)
	return contracts.TestSendWorkflowResult(res), err
}
