package workflows

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/contracts"
)

// One health check is one activity; its result is the run's, and a
// failing check is retried (infrastructure errors) until it completes.
func TestEndpointHealthRunsTheCheck(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	calls := 0
	env.OnActivity(a.CheckEndpointHealth, mock.Anything, mock.Anything).Return(
		func(context.Context, contracts.EndpointHealthInput) (contracts.EndpointHealthResult, error) {
			calls++
			if calls == 1 {
				return contracts.EndpointHealthResult{}, errors.New("database unavailable")
			}
			return contracts.EndpointHealthResult{Warned: 1, Disabled: 2}, nil
		})
	env.ExecuteWorkflow(EndpointHealth, contracts.EndpointHealthInput{})
	var res contracts.EndpointHealthResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Warned != 1 || res.Disabled != 2 || calls != 2 {
		t.Fatalf("result %+v, calls %d, error %v", res, calls, err)
	}
}

// One purge is one heartbeating activity; its counts are the run's.
func TestRetentionRunsThePurge(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.OnActivity(a.PurgeExpired, mock.Anything, mock.Anything).Return(contracts.RetentionResult{Events: 7, Orgs: 2}, nil).Once()
	env.ExecuteWorkflow(Retention, contracts.RetentionInput{})
	var res contracts.RetentionResult
	if err := env.GetWorkflowResult(&res); err != nil || res.Events != 7 || res.Orgs != 2 {
		t.Fatalf("result %+v, error %v", res, err)
	}
}
