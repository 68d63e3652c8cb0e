package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// ListDeliveries returns one page of deliveries.
func (s *Service) ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]models.Delivery, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.Store.ListDeliveries(ctx, f)
}

// GetDelivery loads a delivery with all its attempts.
func (s *Service) GetDelivery(ctx context.Context, orgID, id string) (models.Delivery, []models.Attempt, error) {
	d, err := s.Store.GetDelivery(ctx, orgID, id)
	if err != nil {
		return d, nil, err
	}
	attempts, err := s.Store.Attempts(ctx, id)
	return d, attempts, err
}

// HistoryEvent is one event of a workflow's Temporal history.
type HistoryEvent struct {
	ID      int64           `json:"id"`
	Type    string          `json:"type"`
	Time    time.Time       `json:"time"`
	Details json.RawMessage `json:"details"`
}

// DeliveryHistory returns the Temporal history of the delivery's latest run.
func (s *Service) DeliveryHistory(ctx context.Context, orgID, id string) ([]HistoryEvent, error) {
	if _, err := s.Store.GetDelivery(ctx, orgID, id); err != nil {
		return nil, err
	}
	return s.history(ctx, contracts.DeliveryWorkflowID(id))
}

// history reads a workflow's history. Payloads are rendered as plain JSON
// (Temporal's payload shorthand); they hold IDs and outcomes only, never a
// secret, because activities load secrets themselves.
func (s *Service) history(ctx context.Context, workflowID string) ([]HistoryEvent, error) {
	ctx, cancel := withDeadline(ctx, 15*time.Second)
	defer cancel()
	it := s.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			var nf *serviceerror.NotFound
			if errors.As(err, &nf) {
				return nil, models.ErrNotFound
			}
			return nil, temporalErr(err)
		}
		details, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(ev)
		if err != nil {
			return nil, err
		}
		out = append(out, HistoryEvent{
			ID: ev.GetEventId(), Type: ev.GetEventType().String(), Time: ev.GetEventTime().AsTime(), Details: details,
		})
	}
	return out, nil
}

// ErrNotRetryable means the delivery succeeded: there is nothing to re-drive.
var ErrNotRetryable = &models.ConflictError{Message: "delivery already succeeded"}

// ErrNotInProgress means there is no running delivery to cancel.
var ErrNotInProgress = &models.ConflictError{Message: "delivery is not in progress"}

// RetryDelivery re-drives a delivery. While its workflow waits for the next
// attempt, a retry-now signal cuts the wait short. When the workflow has
// finished (failed or cancelled), a new run of the same workflow ID makes one
// more attempt, numbered after the last one, and shows up in the Web UI
// beside the earlier run. A delivery that never made an attempt (its
// workflow never started) gets the endpoint's whole schedule instead.
func (s *Service) RetryDelivery(ctx context.Context, orgID, id string) (models.Delivery, error) {
	d, err := s.Store.GetDelivery(ctx, orgID, id)
	if err != nil {
		return d, err
	}
	if d.Status == models.StatusSucceeded {
		return d, ErrNotRetryable
	}
	sctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	err = s.Temporal.SignalWorkflow(sctx, contracts.DeliveryWorkflowID(id), "", contracts.SignalRetryNow, nil)
	var nf *serviceerror.NotFound
	if err == nil || !errors.As(err, &nf) {
		return d, temporalErr(err)
	}
	w, err := s.Store.WebhookByID(ctx, d.WebhookID)
	if err != nil {
		return d, err
	}
	if err := s.Store.SetDeliveryStatus(ctx, id, models.StatusPending, false); err != nil {
		return d, err
	}
	// No run is open (the signal found none): a new one may reuse the ID.
	err = s.startDelivery(ctx, d, w, d.Attempts+1, true)
	if err != nil && !alreadyStarted(err) {
		// A run that started since the signal found none (the sweeper) is
		// what was asked for.
		return d, temporalErr(err)
	}
	return s.Store.GetDelivery(ctx, orgID, id)
}

// CancelDelivery cancels a running delivery; the workflow records the
// cancellation itself.
func (s *Service) CancelDelivery(ctx context.Context, orgID, id string) error {
	d, err := s.Store.GetDelivery(ctx, orgID, id)
	if err != nil {
		return err
	}
	if d.CompletedAt != nil {
		return ErrNotInProgress
	}
	ctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	err = s.Temporal.CancelWorkflow(ctx, contracts.DeliveryWorkflowID(id), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return ErrNotInProgress
	}
	return temporalErr(err)
}

// TestWebhook sends the event type's sample payload to the endpoint through
// a TestSend workflow and waits for the outcome.
func (s *Service) TestWebhook(ctx context.Context, orgID, id, eventType string) (contracts.TestSendWorkflowResult, error) {
	if _, err := s.Store.GetWebhook(ctx, orgID, id); err != nil {
		return contracts.TestSendWorkflowResult{}, err
	}
	if _, ok := catalog.Lookup(eventType); !ok {
		return contracts.TestSendWorkflowResult{}, &models.ValidationError{Code: "unknown_event_type", Field: "event_type", Message: "unknown event type " + quote(eventType)}
	}
	msgID := models.NewID("test")
	ctx, cancel := withDeadline(ctx, s.Cfg.DeliveryTimeout+15*time.Second)
	defer cancel()
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contracts.TestSendWorkflowID(msgID), TaskQueue: s.Cfg.TaskQueue, EnableEagerStart: true,
	}, contracts.TestSendWorkflow, contracts.TestSendWorkflowInput{
		Send:           contracts.TestSendActivityInput{OrgID: orgID, WebhookID: id, EventType: eventType, MessageID: msgID},
		AttemptTimeout: s.Cfg.DeliveryTimeout,
	})
	if err != nil {
		return contracts.TestSendWorkflowResult{}, temporalErr(err)
	}
	var res contracts.TestSendWorkflowResult
	return res, temporalErr(run.Get(ctx, &res))
}
