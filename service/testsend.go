package service

import (
	"context"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// TestWebhook sends the event type's sample payload to the endpoint through
// a TestSend workflow and waits for the outcome.
func (s *Webhooks) TestWebhook(ctx context.Context, orgID, id, eventType string) (contracts.TestSendWorkflowResult, error) {
	if _, err := s.st.GetWebhook(ctx, orgID, id); err != nil {
		return contracts.TestSendWorkflowResult{}, err
	}
	if _, ok := catalog.Lookup(eventType); !ok {
		return contracts.TestSendWorkflowResult{}, &models.ValidationError{Code: "unknown_event_type", Field: "event_type", Message: "unknown event type " + quote(eventType)}
	}
	msgID := models.NewID("test")
	ctx, cancel := withDeadline(ctx, s.set.AttemptTimeout+15*time.Second)
	defer cancel()
	run, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contracts.TestSendWorkflowID(msgID), TaskQueue: s.set.TaskQueue, EnableEagerStart: true,
	}, contracts.TestSendWorkflow, contracts.TestSendWorkflowInput{
		Send:           contracts.TestSendActivityInput{OrgID: orgID, WebhookID: id, EventType: eventType, MessageID: msgID},
		AttemptTimeout: s.set.AttemptTimeout,
	})
	if err != nil {
		return contracts.TestSendWorkflowResult{}, temporalErr(err)
	}
	var res contracts.TestSendWorkflowResult
	return res, temporalErr(run.Get(ctx, &res))
}
