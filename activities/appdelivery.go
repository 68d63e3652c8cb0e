package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
)

// deliverToApp is Deliver for a delivery that targets a Custom App: it
// loads the app and its secret, renders the action's payload from the
// variables stored with the action and the app's custom attributes (here,
// in the activity: rendering reads the clock and must never run in
// workflow code), signs it with the app's Base64-of-hex HMAC and sends it
// through the same outbound path, recording the attempt like any other.
func (a *Activities) deliverToApp(ctx context.Context, in contracts.DeliverActivityInput, d models.Delivery, ev models.Event) (contracts.DeliverActivityResult, error) {
	app, err := a.Store.AppByID(ctx, d.AppID)
	action, isAction := appactions.ActionOf(ev.Type)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return contracts.DeliverActivityResult{}, a.failUnsendableTo(ctx, d, "", in.Attempt, "app was deleted")
	case err != nil:
		return contracts.DeliverActivityResult{}, fmt.Errorf("load app: %w", err)
	case !app.Enabled:
		return contracts.DeliverActivityResult{}, a.failUnsendableTo(ctx, d, app.URL, in.Attempt, "app is disabled")
	case !isAction || !app.Actions[action].Enabled:
		return contracts.DeliverActivityResult{}, a.failUnsendableTo(ctx, d, app.URL, in.Attempt, "the app no longer enables this action")
	}
	vars, err := appactions.DecodeVariables(ev.Data)
	if err != nil {
		return contracts.DeliverActivityResult{}, a.failUnsendableTo(ctx, d, app.URL, in.Attempt, "the action's variables are not a JSON object")
	}
	body, missing, err := appactions.RenderPayload(ctx, action, vars, app.Actions[action].Attributes)
	if err != nil {
		// The same variables and templates fail the same way every time:
		// no retry. TemplateError's text is the sandbox's own, safe to show.
		return contracts.DeliverActivityResult{}, a.failUnsendableTo(ctx, d, app.URL, in.Attempt, renderFailure(err))
	}
	target, err := appTarget(app)
	if err != nil {
		return contracts.DeliverActivityResult{}, err // a key problem, worth retrying
	}
	res := a.Outbound.Do(ctx, outbound.Request{
		Target: target,
		Kind:   "app_action", MessageID: d.ID, Body: body,
		Timeout: cmp.Or(in.Timeout, a.Settings.DeliveryTimeout), ResponseLimit: a.Settings.ResponseBodyLimit,
	})
	if res.Fail == outbound.FailSign {
		return contracts.DeliverActivityResult{}, a.failUnsendableTo(ctx, d, app.URL, in.Attempt, res.Error)
	}
	out := contracts.DeliveryOutcome{
		DeliveryID: d.ID, Attempt: in.Attempt, NextDelay: in.NextDelay, Final: in.Final,
		URL: res.URL, RequestHeaders: res.RequestHeaders, StatusCode: res.Status, OK: res.OK(),
		DurationMicros: res.Duration.Microseconds(), RetryAfter: res.RetryAfter, Error: res.Error,
		MissingVariables: missing,
	}
	rec := res.Attempt(d.ID, in.Attempt, a.Now(), a.Settings.ResponseBodyLimit)
	rec.MissingVariables = missing
	return a.recordSent(ctx, out, &rec)
}
