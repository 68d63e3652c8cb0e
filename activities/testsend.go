package activities

import (
	"context"
	"encoding/json"
	"fmt"

	"go.temporal.io/sdk/activity"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
)

// TestSendInput names the endpoint and the event type whose sample payload
// the Test button sends.
type TestSendInput struct {
	OrgID     string
	WebhookID string
	EventType string
	MessageID string
}

// TestSendResult is the outcome shown to the user.
type TestSendResult struct {
	StatusCode     int    `json:"status_code"`
	ResponseBody   string `json:"response_body"`
	DurationMicros int64  `json:"duration_us"`
	Error          string `json:"error,omitempty"`
	Success        bool   `json:"success"`
}

// testExcerpt bounds the response excerpt returned to the caller.
const testExcerpt = 2048

// TestSend signs and sends the event type's sample payload through the same
// path as real deliveries. The outcome is returned, not retried: a failed
// test is an answer, not an error.
func (a *Activities) TestSend(ctx context.Context, in TestSendInput) (TestSendResult, error) {
	wh, err := a.Store.GetWebhook(ctx, in.OrgID, in.WebhookID)
	if err != nil {
		return TestSendResult{}, fmt.Errorf("load endpoint: %w", err)
	}
	typ, ok := catalog.Lookup(in.EventType)
	if !ok {
		return TestSendResult{}, models.Invalid("event_type", "unknown event type")
	}
	body, err := json.Marshal(Envelope{ID: in.MessageID, Type: typ.Name, CreatedAt: a.Now(), Data: typ.Sample})
	if err != nil {
		return TestSendResult{}, err
	}
	target, err := webhookTarget(wh, a.Now())
	if err != nil {
		// The cause (a key id, a store detail) goes to the log, not to the user.
		activity.GetLogger(ctx).Warn("test send: the signing secret did not open", "webhook", wh.ID, "error", err)
		return TestSendResult{Error: "the endpoint's signing secret could not be opened with the configured keys"}, nil
	}
	// The excerpt limit doubles as the capture limit: nothing more is shown.
	res := a.Outbound.Do(ctx, outbound.Request{
		Target: target, Kind: "test", MessageID: in.MessageID, Body: body,
		Timeout: a.Settings.DeliveryTimeout, ResponseLimit: testExcerpt,
	})
	return TestSendResult{
		StatusCode: res.Status, ResponseBody: outbound.StorableText(res.Body, testExcerpt), DurationMicros: res.Duration.Microseconds(),
		Error: res.Error, Success: res.OK(),
	}, nil
}
