package service

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// deliveryStore is what Deliveries reads and writes.
type deliveryStore interface {
	ListDeliveries(ctx context.Context, f store.DeliveryFilter) ([]models.Delivery, string, error)
	GetDelivery(ctx context.Context, orgID, id string) (models.Delivery, error)
	Attempts(ctx context.Context, parentID string) ([]models.Attempt, error)
	WebhookByID(ctx context.Context, id string) (models.Webhook, error)
	SetDeliveryStatus(ctx context.Context, id string, status models.DeliveryStatus, completed bool) error
}

// Deliveries owns the delivery log: listing, inspecting, retrying and
// cancelling deliveries.
type Deliveries struct {
	st      deliveryStore
	tc      client.Client
	starter *deliveryStarter
	history *historyReader
}

// DeliveryFilter selects one page of deliveries; zero fields do not filter.
type DeliveryFilter struct {
	OrgID     string
	WebhookID string
	AppID     string
	EventType string
	Status    models.DeliveryStatus
	Since     time.Time
	Until     time.Time
	Limit     int
	// Cursor is the opaque next cursor of the previous page.
	Cursor string
}

// ListDeliveries returns one page of deliveries.
func (s *Deliveries) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]models.Delivery, string, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	return s.st.ListDeliveries(ctx, store.DeliveryFilter{
		OrgID: f.OrgID, WebhookID: f.WebhookID, AppID: f.AppID, EventType: f.EventType, Status: f.Status,
		Since: f.Since, Until: f.Until, Limit: f.Limit, Cursor: f.Cursor,
	})
}

// GetDelivery loads a delivery with all its attempts.
func (s *Deliveries) GetDelivery(ctx context.Context, orgID, id string) (models.Delivery, []models.Attempt, error) {
	d, err := s.st.GetDelivery(ctx, orgID, id)
	if err != nil {
		return d, nil, err
	}
	attempts, err := s.st.Attempts(ctx, id)
	return d, attempts, err
}

// DeliveryHistory returns the Temporal history of the delivery's latest run.
func (s *Deliveries) DeliveryHistory(ctx context.Context, orgID, id string) ([]HistoryEvent, error) {
	if _, err := s.st.GetDelivery(ctx, orgID, id); err != nil {
		return nil, err
	}
	return s.history.read(ctx, contracts.DeliveryWorkflowID(id))
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
func (s *Deliveries) RetryDelivery(ctx context.Context, orgID, id string) (models.Delivery, error) {
	d, err := s.st.GetDelivery(ctx, orgID, id)
	if err != nil {
		return d, err
	}
	if d.Status == models.StatusSucceeded {
		return d, ErrNotRetryable
	}
	sctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	err = s.tc.SignalWorkflow(sctx, contracts.DeliveryWorkflowID(id), "", contracts.SignalRetryNow, nil)
	var nf *serviceerror.NotFound
	if err == nil || !errors.As(err, &nf) {
		return d, temporalErr(err)
	}
	// An app delivery has no endpoint: it runs the default schedule.
	var w models.Webhook
	if d.AppID == "" {
		if w, err = s.st.WebhookByID(ctx, d.WebhookID); err != nil {
			return d, err
		}
	}
	if err := s.st.SetDeliveryStatus(ctx, id, models.StatusPending, false); err != nil {
		return d, err
	}
	// No run is open (the signal found none): a new one may reuse the ID.
	err = s.starter.start(ctx, d, w, d.Attempts+1, true)
	if err != nil && !alreadyStarted(err) {
		// A run that started since the signal found none (the sweeper) is
		// what was asked for.
		return d, temporalErr(err)
	}
	return s.st.GetDelivery(ctx, orgID, id)
}

// CancelDelivery cancels a running delivery; the workflow records the
// cancellation itself.
func (s *Deliveries) CancelDelivery(ctx context.Context, orgID, id string) error {
	d, err := s.st.GetDelivery(ctx, orgID, id)
	if err != nil {
		return err
	}
	if d.CompletedAt != nil {
		return ErrNotInProgress
	}
	ctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	err = s.tc.CancelWorkflow(ctx, contracts.DeliveryWorkflowID(id), "")
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return ErrNotInProgress
	}
	return temporalErr(err)
}
