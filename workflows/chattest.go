package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
)

// chatTestBudget covers the largest configurable timeout plus a streamed
// answer's tail: the test reads a stream to its end.
const chatTestBudget = 30*time.Second + 45*time.Second

// ChatTest runs one round trip to the org's chat backend (the editor's
// Test mode) and returns what came back. One local activity, no retry:
// the user wants to see what the backend says now.
func ChatTest(ctx workflow.Context, in contracts.ChatTestInput) (contracts.ChatTestResult, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: chatTestBudget + storeMargin,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var res contracts.ChatTestResult
	err := workflow.ExecuteLocalActivity(ctx, a.ChatTestSend, in).Get(ctx, &res)
	return res, err
}
