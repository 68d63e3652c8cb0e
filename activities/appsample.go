package activities

import (
	"cmp"
	"context"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/outbound"
)

// AppSample sends an action's sample payload to an app ("Send sample
// payload"): the default payload with the app's custom attributes for the
// action (if it has it configured), rendered on the action's sample
// variables, signed with the app's secret. The outcome is returned, not
// retried: a failed sample is an answer, not an error.
func (a *Activities) AppSample(ctx context.Context, in contracts.AppSampleActivityInput) (contracts.AppSampleResult, error) {
	app, err := a.Store.GetApp(ctx, in.OrgID, in.AppID)
	if err != nil {
		return contracts.AppSampleResult{}, fmt.Errorf("load app: %w", err)
	}
	payload, missing, err := appactions.Default().SamplePayload(ctx, in.Action, app.Actions[in.Action].Attributes)
	if err != nil {
		return contracts.AppSampleResult{Error: renderFailure(err)}, nil
	}
	out := contracts.AppSampleResult{Payload: payload, MissingVariables: missing}
	if out.MissingVariables == nil {
		out.MissingVariables = []string{}
	}
	target, err := appTarget(app)
	if err != nil {
		activity.GetLogger(ctx).Warn("app sample: the signing secret did not open", "app", app.ID, "error", err)
		out.Error = "the app's signing secret could not be opened with the configured keys"
		return out, nil
	}
	res := a.Outbound.Do(ctx, outbound.Request{
		Target: target, Kind: "sample", MessageID: in.MessageID, Body: payload,
		Timeout: cmp.Or(in.Timeout, a.Settings.DeliveryTimeout), ResponseLimit: callerExcerpt,
	})
	out.StatusCode, out.ResponseBody, out.DurationMicros = res.Status, outbound.StorableText(res.Body, callerExcerpt), res.Duration.Microseconds()
	out.Success, out.Error = res.OK(), res.Error
	return out, nil
}
