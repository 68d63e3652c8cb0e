package service

import (
	"context"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// replayStore is what Replays reads and writes.
type replayStore interface {
	GetDelivery(ctx context.Context, orgID, id string) (models.Delivery, error)
	GetEvent(ctx context.Context, orgID, id string) (models.Event, []models.Delivery, error)
	WebhookByID(ctx context.Context, id string) (models.Webhook, error)
	ActiveSubscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error)
	CreateDeliveries(ctx context.Context, ds []models.Delivery) error
	CreateReplay(ctx context.Context, r *models.Replay) error
	GetReplay(ctx context.Context, orgID, id string) (models.Replay, error)
	SetReplayState(ctx context.Context, id, state string) error
	ReplayOutcomes(ctx context.Context, id string) (map[models.DeliveryStatus]int, error)
	ListReplays(ctx context.Context, orgID string, limit int) ([]models.Replay, error)
}

// Replays sends stored events again: one delivery, one event, or every
// delivery a filter matches (a durable, paced BulkReplay workflow). A
// replay is a new delivery linked to the one it replays (ReplayOf); the
// original and its history are never touched.
type Replays struct {
	st      replayStore
	tc      client.Client
	starter *deliveryStarter
	log     *slog.Logger
	set     ReplaySettings
}

// ReplaySettings govern bulk replays.
type ReplaySettings struct {
	TaskQueue string
	Rate      float64 // deliveries started per second
	PageSize  int     // deliveries per page
}

// ErrEndpointInactive refuses a replay to a disabled endpoint.
var ErrEndpointInactive = &models.ConflictError{Message: "the endpoint is inactive; activate it before replaying to it"}

// ReplayDelivery sends a delivery's event again to the same endpoint (or
// app), as a new delivery, even after the original succeeded.
func (s *Replays) ReplayDelivery(ctx context.Context, orgID, id string) (models.Delivery, error) {
	d, err := s.st.GetDelivery(ctx, orgID, id)
	if err != nil {
		return models.Delivery{}, err
	}
	out, err := s.replay(ctx, d, []target{{webhookID: d.WebhookID, appID: d.AppID}})
	if err != nil || len(out) == 0 {
		return models.Delivery{}, err
	}
	return out[0], nil
}

// ReplayEventInput says where an event goes again.
type ReplayEventInput struct {
	Target string `json:"target"`
}

// ReplayEvent sends an event again: to the endpoints and apps it went to
// ("original", the default) or to the endpoints subscribed now ("current",
// webhook events only: an action's apps are chosen by their criteria when
// it happens).
func (s *Replays) ReplayEvent(ctx context.Context, orgID, id string, in ReplayEventInput) ([]models.Delivery, error) {
	if err := validTarget(in.Target); err != nil {
		return nil, err
	}
	ev, ds, err := s.st.GetEvent(ctx, orgID, id)
	if err != nil {
		return nil, err
	}
	var targets []target
	seen := map[target]bool{}
	if in.Target == models.ReplayTargetCurrent {
		if len(ds) > 0 && ds[0].AppID != "" {
			return nil, models.Invalid("target", "an action replays to its original apps")
		}
		subs, err := s.st.ActiveSubscribers(ctx, orgID, ev.Type)
		if err != nil {
			return nil, err
		}
		for _, w := range subs {
			targets = append(targets, target{webhookID: w.ID})
		}
	} else {
		for _, d := range ds {
			t := target{webhookID: d.WebhookID, appID: d.AppID}
			if !seen[t] {
				seen[t] = true
				targets = append(targets, t)
			}
		}
	}
	if len(targets) == 0 {
		return nil, &models.ConflictError{Message: "the event has no endpoint to replay to"}
	}
	return s.replay(ctx, models.Delivery{OrgID: orgID, EventID: ev.ID, EventType: ev.Type}, targets)
}

type target struct{ webhookID, appID string }

// replay creates one delivery of like's event per target and starts them.
func (s *Replays) replay(ctx context.Context, like models.Delivery, targets []target) ([]models.Delivery, error) {
	now := store.Now()
	ds := make([]models.Delivery, 0, len(targets))
	hooks := map[string]models.Webhook{}
	for _, t := range targets {
		var w models.Webhook
		if t.webhookID != "" {
			var err error
			if w, err = s.st.WebhookByID(ctx, t.webhookID); err != nil {
				return nil, err // a deleted endpoint: 404
			}
			if !w.Active {
				return nil, ErrEndpointInactive
			}
		}
		ds = append(ds, models.Delivery{ID: models.NewID("dlv"), OrgID: like.OrgID, EventID: like.EventID, WebhookID: t.webhookID,
			AppID: t.appID, EventType: like.EventType, Status: models.StatusPending, ReplayOf: like.ID, CreatedAt: now, UpdatedAt: now})
		hooks[t.webhookID] = w
	}
	if err := s.st.CreateDeliveries(ctx, ds); err != nil {
		return nil, err
	}
	s.starter.startCommitted(ctx, s.log, ds, hooks)
	return ds, nil
}

// StartDeliveries starts the workflows of committed replay deliveries
// (the BulkReplay activity's pages); failures are left to the sweeper.
func (s *Replays) StartDeliveries(ctx context.Context, ds []models.Delivery) {
	hooks := map[string]models.Webhook{}
	for _, d := range ds {
		if _, seen := hooks[d.WebhookID]; d.WebhookID == "" || seen {
			continue
		}
		w, err := s.st.WebhookByID(ctx, d.WebhookID)
		if err != nil {
			w = models.Webhook{ID: d.WebhookID} // deleted: the attempt records it
		}
		hooks[d.WebhookID] = w
	}
	s.starter.startCommitted(ctx, s.log, ds, hooks)
}

func validTarget(t string) error {
	switch t {
	case "", models.ReplayTargetOriginal, models.ReplayTargetCurrent:
		return nil
	}
	return models.Invalid("target", `must be "original" or "current"`)
}

// timeout of the Temporal calls a replay route makes.
const replayCallTimeout = 10 * time.Second
