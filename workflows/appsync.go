package workflows

import (
	"cmp"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// AppSample sends an action's sample payload to a Custom App and returns
// the outcome, like TestSend: one local activity, no retries, so with
// eager start the caller's wait costs one server round trip. Rendering
// happens in the activity, never here.
func AppSample(ctx workflow.Context, in contracts.AppSampleWorkflowInput) (contracts.AppSampleResult, error) {
	send := in.Send
	send.Timeout = cmp.Or(send.Timeout, contracts.DefaultDeliveryTimeout)
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: send.Timeout + storeMargin,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	var res contracts.AppSampleResult
	err := workflow.ExecuteLocalActivity(ctx, a.AppSample, send).Get(ctx, &res)
	return res, err
}

// clickStoreMargin is what an app's call gets beyond its HTTP timeout to
// load the app and store the outcome.
const clickStoreMargin = 5 * time.Second

// ClickVerification asks every app at once, each as a local activity, so
// with eager start all the HTTP calls run inside the first workflow task.
// The API does not wait for this workflow past its budget: it decides from
// the outcomes stored by then. The workflow goes on, records late answers
// and, last, stores the decision if the API did not (its process may
// have ended). An app's call is never retried: a failed call verifies
// (fail open), so there is nothing a second call could change in time.
func ClickVerification(ctx workflow.Context, in contracts.ClickVerificationWorkflowInput) (contracts.ClickVerificationWorkflowResult, error) {
	futures := make([]workflow.Future, len(in.Apps))
	for i, app := range in.Apps {
		actx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: app.Timeout + clickStoreMargin,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		futures[i] = workflow.ExecuteLocalActivity(actx, a.ClickVerifyApp, app)
	}
	outcomes := make([]contracts.ClickVerifyAppResult, len(in.Apps))
	for i, f := range futures {
		if err := f.Get(ctx, &outcomes[i]); err != nil {
			// The platform failed (database, worker), not the app: the
			// reward is not held for it.
			workflow.GetLogger(ctx).Warn("click verification call did not complete", "app", in.Apps[i].AppID, "error", causeText(err))
			outcomes[i] = contracts.ClickVerifyAppResult{AppID: in.Apps[i].AppID, Verified: true, Reason: models.ClickReasonInternalError}
		}
	}
	fctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    storeMargin,
		ScheduleToCloseTimeout: 2 * time.Minute,
		RetryPolicy:            lookupInfraRetry,
	})
	var res contracts.ClickVerificationWorkflowResult
	err := workflow.ExecuteLocalActivity(fctx, a.FinishClickVerification,
		contracts.FinishClickVerificationInput{VerificationID: in.VerificationID, Outcomes: outcomes}).Get(ctx, &res)
	return res, err
}
