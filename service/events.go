package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// eventStore is what Events reads and writes.
type eventStore interface {
	Subscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error)
	CreateEvent(ctx context.Context, ev *models.Event, deliveries []models.Delivery, window time.Duration) (store.IngestResult, error)
	GetEvent(ctx context.Context, orgID, id string) (models.Event, []models.Delivery, error)
	EraseEvent(ctx context.Context, orgID, id string) (models.Event, error)
}

// Events owns event ingest and the dispatch of its deliveries.
type Events struct {
	st         eventStore
	dispatcher *Dispatcher
	set        EventSettings
}

// EventInput is an event to ingest.
type EventInput struct {
	Type           string          `json:"type"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey string          `json:"idempotency_key"`
}

// IngestResult is an ingested event with its deliveries. Duplicate is true
// when the idempotency key matched an earlier event, which is returned
// instead and nothing new was written.
type IngestResult struct {
	Event      models.Event
	Deliveries []models.Delivery
	Duplicate  bool
}

// IngestEvent validates an event, stores it with one delivery per active
// subscribed endpoint in one transaction, and hands the deliveries to the
// dispatcher, which starts their workflows after this returns: the caller
// waits for the commit, not for Temporal. A start that fails, is not queued
// (queue full) or never happens (the process died) is picked up by Sweep,
// so an accepted event is never lost.
func (s *Events) IngestEvent(ctx context.Context, orgID string, in EventInput) (IngestResult, error) {
	typ, ok := catalog.Lookup(in.Type)
	if !ok {
		return IngestResult{}, &models.ValidationError{Code: "unknown_event_type", Field: "type", Message: "unknown event type " + quote(in.Type)}
	}
	if typ.Operational {
		return IngestResult{}, &models.ValidationError{Code: "reserved_event_type", Field: "type",
			Message: quote(in.Type) + " is sent by the platform only; subscribe an endpoint to it instead"}
	}
	if len(in.Data) == 0 {
		return IngestResult{}, models.Invalid("data", "is required")
	}
	if err := typ.Validate(in.Data); err != nil {
		return IngestResult{}, &models.ValidationError{Code: "schema_violation", Field: "data", Message: err.Error()}
	}
	if len(in.IdempotencyKey) > 200 {
		return IngestResult{}, models.Invalid("idempotency_key", "must be at most 200 characters")
	}
	now := store.Now()
	ev := models.Event{ID: models.NewID("evt"), OrgID: orgID, Type: typ.Name, Data: in.Data, CreatedAt: now}
	if in.IdempotencyKey != "" {
		ev.IdempotencyKey = &in.IdempotencyKey
	}
	// Inactive subscribed endpoints keep the event as a skipped delivery,
	// which enabling the endpoint can send (POST /v1/webhooks/{id}/enable).
	deliveries, subs, err := subscribedDeliveries(ctx, s.st, ev)
	if err != nil {
		return IngestResult{}, err
	}
	stored, err := s.st.CreateEvent(ctx, &ev, deliveries, s.set.IdempotencyWindow)
	res := IngestResult{Event: stored.Event, Deliveries: stored.Deliveries, Duplicate: stored.Duplicate}
	if _, action := appactions.ActionOf(res.Event.Type); err == nil && res.Duplicate && action {
		return IngestResult{}, ErrIdempotencyKeyReused // the key belongs to an action (service/actions.go)
	}
	if err != nil || res.Duplicate {
		return res, err
	}
	committed := time.Now()
	for i := range res.Deliveries {
		if res.Deliveries[i].Status != models.StatusPending {
			continue // skipped: no workflow until the endpoint is enabled
		}
		// false: the queue is full; the row is the sweeper's (counted in
		// switchboard_dispatch_overflow_total).
		s.dispatcher.Enqueue(res.Deliveries[i], subs[i], committed)
	}
	return res, nil
}

// GetEvent loads an event and its deliveries.
func (s *Events) GetEvent(ctx context.Context, orgID, id string) (models.Event, []models.Delivery, error) {
	return s.st.GetEvent(ctx, orgID, id)
}

// EraseEvent empties an event's payload everywhere it is stored (the
// event row: deliveries and attempts hold metadata only, and workflow
// history never holds payloads); its deliveries that have not finished
// fail without sending. The event's ID, type and deliveries stay.
func (s *Events) EraseEvent(ctx context.Context, orgID, id string) (models.Event, error) {
	return s.st.EraseEvent(ctx, orgID, id)
}
