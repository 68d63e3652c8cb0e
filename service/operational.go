package service

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// operationalStore is what Operational reads and writes.
type operationalStore interface {
	Subscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error)
	CreateEvent(ctx context.Context, ev *models.Event, deliveries []models.Delivery, window time.Duration) (store.IngestResult, error)
}

// Operational sends the platform's own events about an org's endpoints
// and deliveries (endpoint.failing, endpoint.disabled, delivery.exhausted)
// to the org's endpoints subscribed to them, like any event. It is called
// from activities (worker processes), so it starts the deliveries itself
// instead of queueing them on an API process's dispatcher.
type Operational struct {
	st      operationalStore
	starter *deliveryStarter
	log     *slog.Logger
}

// Emit stores an operational event with its deliveries and starts them.
func (s *Operational) Emit(ctx context.Context, orgID, eventType string, data any) error {
	typ, ok := catalog.Lookup(eventType)
	if !ok || !typ.Operational {
		return models.Invalid("type", "not an operational event type")
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if err := typ.Validate(raw); err != nil {
		return err
	}
	ev := models.Event{ID: models.NewID("evt"), OrgID: orgID, Type: typ.Name, Data: raw, CreatedAt: store.Now()}
	deliveries, hooks, err := subscribedDeliveries(ctx, s.st, ev)
	if err != nil || len(deliveries) == 0 {
		return err // nobody listens: nothing is stored
	}
	stored, err := s.st.CreateEvent(ctx, &ev, deliveries, 0)
	if err != nil {
		return err
	}
	byID := make(map[string]models.Webhook, len(hooks))
	for _, w := range hooks {
		byID[w.ID] = w
	}
	s.starter.startCommitted(ctx, s.log, stored.Deliveries, byID)
	return nil
}

// subscribedDeliveries makes ev's deliveries: pending for the active
// endpoints subscribed to its type, skipped (kept, never attempted) for
// the inactive ones. hooks[i] is deliveries[i]'s endpoint.
func subscribedDeliveries(ctx context.Context, st interface {
	Subscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error)
}, ev models.Event) ([]models.Delivery, []models.Webhook, error) {
	subs, err := st.Subscribers(ctx, ev.OrgID, ev.Type)
	if err != nil {
		return nil, nil, err
	}
	out := make([]models.Delivery, 0, len(subs))
	for _, w := range subs {
		status := models.StatusPending
		if !w.Active {
			status = models.StatusSkipped
		}
		out = append(out, models.Delivery{ID: models.NewID("dlv"), OrgID: ev.OrgID, EventID: ev.ID, WebhookID: w.ID,
			EventType: ev.Type, Status: status, CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt})
	}
	return out, subs, nil
}
