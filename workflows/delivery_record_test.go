package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// An attempt that was sent but could not be stored is recorded by the
// RecordDelivery bookkeeping activity; Deliver is not run again for it (a
// retry would send the request a second time), and the stored outcome
// drives the schedule as if Deliver had stored it.
func TestUnrecordedOutcomeIsRecordedNotResent(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.RegisterWorkflow(Delivery)
	env.OnActivity(a.MarkDelivery, mock.Anything, mock.Anything).Return(nil).Maybe()

	var delivers []contracts.DeliverActivityInput
	env.OnActivity(a.Deliver, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.DeliverActivityInput) (contracts.DeliverActivityResult, error) {
			delivers = append(delivers, in)
			if in.Attempt == 1 {
				out := contracts.DeliveryOutcome{DeliveryID: in.DeliveryID, Attempt: 1, NextDelay: in.NextDelay, StatusCode: 500, Error: "HTTP 500"}
				return contracts.DeliverActivityResult{}, temporal.NewNonRetryableApplicationError("attempt was sent but its outcome could not be stored",
					contracts.ErrTypeUnrecorded, nil, out)
			}
			return contracts.DeliverActivityResult{StatusCode: 200}, nil
		})
	var recorded []contracts.DeliveryOutcome
	env.OnActivity(a.RecordDelivery, mock.Anything, mock.Anything).Return(
		func(_ context.Context, out contracts.DeliveryOutcome) (contracts.DeliverActivityResult, error) {
			recorded = append(recorded, out)
			return contracts.DeliverActivityResult{}, temporal.NewApplicationErrorWithOptions(out.Error, contracts.ErrTypeHTTP,
				temporal.ApplicationErrorOptions{NonRetryable: true, NextRetryDelay: 7 * time.Second})
		})

	env.ExecuteWorkflow(Delivery, contracts.DeliveryWorkflowInput{DeliveryID: "dlv_1", Schedule: []time.Duration{5 * time.Second}, AttemptTimeout: time.Second})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contracts.DeliveryWorkflowResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, contracts.DeliveryWorkflowResult{Status: string(models.StatusSucceeded), Attempts: 2}, res)
	require.Len(t, recorded, 1)
	require.Equal(t, contracts.DeliveryOutcome{DeliveryID: "dlv_1", Attempt: 1, NextDelay: 5 * time.Second, StatusCode: 500, Error: "HTTP 500"}, recorded[0])
	require.Len(t, delivers, 2, "attempt 1 is sent once, then attempt 2")
	require.Equal(t, 2, delivers[1].Attempt)
}
