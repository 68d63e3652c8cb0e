package worker

import (
	"context"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/contracts"
)

// Starters name workflows by the contract's type names, without importing
// package workflows: each name must reach a registered workflow. TestSend
// runs end to end here (its one activity mocked by its method name); the
// other two must at least be registered under their names.
func TestContractNamesReachTheRegisteredWorkflows(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	Register(env, &activities.Activities{})
	env.OnActivity("TestSend", mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.TestSendActivityInput) (contracts.TestSendActivityResult, error) {
			return contracts.TestSendActivityResult{StatusCode: 200, Success: true, ResponseBody: in.WebhookID}, nil
		}).Once()
	env.ExecuteWorkflow(contracts.TestSendWorkflow, contracts.TestSendWorkflowInput{Send: contracts.TestSendActivityInput{WebhookID: "wh_1"}})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("TestSend by its contract name: completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	var res contracts.TestSendWorkflowResult
	if err := env.GetWorkflowResult(&res); err != nil || res.ResponseBody != "wh_1" || !res.Success {
		t.Fatalf("result %+v, %v", res, err)
	}

	reg := &names{}
	Register(reg, nil)
	want := []string{contracts.DeliveryWorkflow, contracts.LookupWorkflow, contracts.TestSendWorkflow,
		contracts.ClickVerificationWorkflow, contracts.AppSampleWorkflow, contracts.ConversationWorkflow, contracts.ChatTestWorkflow, contracts.BulkReplayWorkflow, contracts.EndpointHealthWorkflow, contracts.RetentionWorkflow, contracts.EndpointQueueWorkflow}
	for _, name := range want {
		if !reg.has(name) {
			t.Errorf("no workflow registered as %q (registered: %v)", name, reg.workflows)
		}
	}
	if len(reg.workflows) != len(want) {
		t.Errorf("registered %v, want exactly the contract names %v", reg.workflows, want)
	}
}

// names records the names Register uses.
type names struct{ workflows []string }

func (n *names) RegisterWorkflowWithOptions(_ any, o workflow.RegisterOptions) {
	n.workflows = append(n.workflows, o.Name)
}

func (n *names) RegisterActivity(any) {}

func (n *names) has(name string) bool {
	for _, w := range n.workflows {
		if w == name {
			return true
		}
	}
	return false
}
