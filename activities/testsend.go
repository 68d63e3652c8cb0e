package activities

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
)

// callerExcerpt bounds the response excerpt a synchronous send (Test
// button, sample payload) returns to its caller.
const callerExcerpt = 2048

// TestSend signs and sends the event type's sample payload through the same
// path as real deliveries. The outcome is returned, not retried: a failed
// test is an answer, not an error.
func (a *Activities) TestSend(ctx context.Context, in contracts.TestSendActivityInput) (contracts.TestSendActivityResult, error) {
	wh, err := a.Store.GetWebhook(ctx, in.OrgID, in.WebhookID)
	if err != nil {
		return contracts.TestSendActivityResult{}, fmt.Errorf("load endpoint: %w", err)
	}
	typ, ok := catalog.Lookup(in.EventType)
	if !ok {
		return contracts.TestSendActivityResult{}, models.Invalid("event_type", "unknown event type")
	}
	body, err := json.Marshal(Envelope{ID: in.MessageID, Type: typ.Name, CreatedAt: a.Now(), Data: typ.Sample})
	if err != nil {
		return contracts.TestSendActivityResult{}, err
	}
	target, err := webhookTarget(wh, a.Now())
	if err != nil {
		// The cause (a key id, a store detail) goes to the log, not to the user.
		activity.GetLogger(ctx).Warn("test send: the signing secret did not open", "webhook", wh.ID, "error", err)
		return contracts.TestSendActivityResult{Error: "the endpoint's signing secret could not be opened with the configured keys"}, nil
	}
	// The excerpt limit doubles as the capture limit: nothing more is shown.
	res := a.Outbound.Do(ctx, outbound.Request{
		Target: target, Kind: "test", MessageID: in.MessageID, Body: body,
		Timeout: cmp.Or(in.Timeout, a.Settings.DeliveryTimeout), ResponseLimit: callerExcerpt,
	})
	return contracts.TestSendActivityResult{
		StatusCode: res.Status, ResponseBody: outbound.StorableText(res.Body, callerExcerpt), DurationMicros: res.Duration.Microseconds(),
		Error: res.Error, Success: res.OK(),
	}, nil
}
