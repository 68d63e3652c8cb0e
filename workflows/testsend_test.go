package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/contracts"
)

// runTestSend runs TestSend with a mocked activity and returns the input
// the activity saw and the workflow's result.
func runTestSend(t *testing.T, in contracts.TestSendWorkflowInput) (contracts.TestSendActivityInput, contracts.TestSendWorkflowResult) {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.RegisterWorkflow(TestSend)
	var seen contracts.TestSendActivityInput
	env.OnActivity(a.TestSend, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.TestSendActivityInput) (contracts.TestSendActivityResult, error) {
			seen = in
			return contracts.TestSendActivityResult{StatusCode: 204, DurationMicros: 12, Success: true}, nil
		}).Once()
	env.ExecuteWorkflow(TestSend, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contracts.TestSendWorkflowResult
	require.NoError(t, env.GetWorkflowResult(&res))
	env.AssertExpectations(t)
	return seen, res
}

// The send's HTTP timeout is the workflow input's AttemptTimeout, copied
// into the activity input, and the activity's answer is the workflow's.
func TestTestSendPassesTheAttemptTimeout(t *testing.T) {
	send := contracts.TestSendActivityInput{OrgID: "org_1", WebhookID: "wh_1", EventType: "contact.created", MessageID: "test_1"}
	seen, res := runTestSend(t, contracts.TestSendWorkflowInput{Send: send, AttemptTimeout: 7 * time.Second})
	want := send
	want.Timeout = 7 * time.Second
	require.Equal(t, want, seen)
	require.Equal(t, contracts.TestSendWorkflowResult{StatusCode: 204, DurationMicros: 12, Success: true}, res)
}

func TestTestSendWithoutATimeoutUsesTheDefault(t *testing.T) {
	seen, _ := runTestSend(t, contracts.TestSendWorkflowInput{Send: contracts.TestSendActivityInput{WebhookID: "wh_1"}})
	require.Equal(t, contracts.DefaultDeliveryTimeout, seen.Timeout)
}
