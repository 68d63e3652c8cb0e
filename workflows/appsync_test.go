package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// Every app is asked (each with its own timeout, never retried); an app
// call that fails for a platform reason counts as verified with reason
// internal_error; the final bookkeeping gets every outcome and its
// decision is the workflow's result.
func TestClickVerificationAsksEveryAppAndFinishes(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.RegisterWorkflow(ClickVerification)
	var mu sync.Mutex
	calls := map[string]int{}
	env.OnActivity(a.ClickVerifyApp, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.ClickVerifyAppInput) (contracts.ClickVerifyAppResult, error) {
			mu.Lock()
			calls[in.AppID]++
			mu.Unlock()
			switch in.AppID {
			case "app_no":
				require.Equal(t, 2*time.Second, in.Timeout)
				return contracts.ClickVerifyAppResult{AppID: in.AppID, Verified: false, Reason: models.ClickReasonRejected, StatusCode: 200}, nil
			case "app_broken":
				return contracts.ClickVerifyAppResult{}, temporal.NewApplicationError("database down", "store")
			default:
				return contracts.ClickVerifyAppResult{AppID: in.AppID, Verified: true, Reason: models.ClickReasonTimeout}, nil
			}
		})
	var finished contracts.FinishClickVerificationInput
	env.OnActivity(a.FinishClickVerification, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.FinishClickVerificationInput) (contracts.ClickVerificationWorkflowResult, error) {
			finished = in
			return contracts.ClickVerificationWorkflowResult{Verified: false, Reason: models.ClickReasonRejected}, nil
		}).Once()
	env.ExecuteWorkflow(ClickVerification, contracts.ClickVerificationWorkflowInput{VerificationID: "cvf_1", Apps: []contracts.ClickVerifyAppInput{
		{VerificationID: "cvf_1", AppID: "app_no", Timeout: 2 * time.Second},
		{VerificationID: "cvf_1", AppID: "app_broken", Timeout: time.Second},
		{VerificationID: "cvf_1", AppID: "app_slow", Timeout: time.Second},
	}})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contracts.ClickVerificationWorkflowResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, contracts.ClickVerificationWorkflowResult{Verified: false, Reason: models.ClickReasonRejected}, res)
	require.Equal(t, map[string]int{"app_no": 1, "app_broken": 1, "app_slow": 1}, calls, "each app asked exactly once")
	require.Equal(t, "cvf_1", finished.VerificationID)
	require.Equal(t, []contracts.ClickVerifyAppResult{
		{AppID: "app_no", Verified: false, Reason: models.ClickReasonRejected, StatusCode: 200},
		{AppID: "app_broken", Verified: true, Reason: models.ClickReasonInternalError},
		{AppID: "app_slow", Verified: true, Reason: models.ClickReasonTimeout},
	}, finished.Outcomes)
}

// A failed final bookkeeping is retried (bounded), so a brief database
// outage still stores the decision.
func TestClickVerificationRetriesTheBookkeeping(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.RegisterWorkflow(ClickVerification)
	env.OnActivity(a.FinishClickVerification, mock.Anything, mock.Anything).
		Return(contracts.ClickVerificationWorkflowResult{}, errors.New("database down")).Once()
	env.OnActivity(a.FinishClickVerification, mock.Anything, mock.Anything).
		Return(contracts.ClickVerificationWorkflowResult{Verified: true, Reason: models.ClickReasonNoApps}, nil).Once()
	env.ExecuteWorkflow(ClickVerification, contracts.ClickVerificationWorkflowInput{VerificationID: "cvf_2"})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contracts.ClickVerificationWorkflowResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, contracts.ClickVerificationWorkflowResult{Verified: true, Reason: models.ClickReasonNoApps}, res)
	env.AssertExpectations(t)
}

// The sample's activity gets the input with the send timeout (the
// default when none is given) and its answer is the workflow's.
func TestAppSamplePassesTheActivityAnswerThrough(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.RegisterWorkflow(AppSample)
	want := contracts.AppSampleResult{StatusCode: 202, ResponseBody: "ok", DurationMicros: 5, Success: true,
		Payload: json.RawMessage(`{"site_id":"1"}`), MissingVariables: []string{}}
	var seen contracts.AppSampleActivityInput
	env.OnActivity(a.AppSample, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.AppSampleActivityInput) (contracts.AppSampleResult, error) {
			seen = in
			return want, nil
		}).Once()
	in := contracts.AppSampleActivityInput{OrgID: "org_1", AppID: "app_1", Action: "create_coupon", MessageID: "smp_1"}
	env.ExecuteWorkflow(AppSample, contracts.AppSampleWorkflowInput{Send: in})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contracts.AppSampleResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, want, res)
	in.Timeout = contracts.DefaultDeliveryTimeout
	require.Equal(t, in, seen)
}
