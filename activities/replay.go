package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// ReplayPage replays the next page of a bulk replay: the store creates the
// page's replay deliveries and advances the cursor in one transaction,
// then their Delivery workflows are started. A start that fails leaves
// the delivery pending for the sweeper, as at ingest; it is not an error
// here, since retrying the page could not replay it again anyway.
func (a *Activities) ReplayPage(ctx context.Context, in contracts.ReplayPageInput) (contracts.ReplayPageResult, error) {
	start := time.Now()
	r, err := a.Store.ReplayByID(ctx, in.ReplayID)
	if err != nil {
		return contracts.ReplayPageResult{}, fmt.Errorf("load replay: %w", err)
	}
	created, finished, err := a.Store.ReplayPage(ctx, in.ReplayID, in.PageSize, ReplayTargetsFor(r))
	if err != nil {
		return contracts.ReplayPageResult{}, fmt.Errorf("replay page: %w", err)
	}
	if a.StartDeliveries != nil {
		a.StartDeliveries(ctx, created)
	}
	return contracts.ReplayPageResult{Replayed: len(created), Finished: finished, Duration: time.Since(start)}, nil
}

// SetReplayState records a bulk replay's state.
func (a *Activities) SetReplayState(ctx context.Context, in contracts.ReplayStateInput) error {
	return a.Store.SetReplayState(ctx, in.ReplayID, in.State)
}

// ReplayTargetsFor says where a bulk replay sends each delivery again:
// "original" to the same endpoint or app (nothing when the endpoint was
// deleted); "current" to the endpoints subscribed to the event type now,
// once per event (an app delivery goes to its app again).
func ReplayTargetsFor(r models.Replay) store.ReplayTargets {
	return func(ctx context.Context, tx store.ReplayReader, d models.Delivery) ([]models.Delivery, error) {
		again := func(webhookID, appID string) models.Delivery {
			now := store.Now()
			return models.Delivery{ID: models.NewID("dlv"), OrgID: d.OrgID, EventID: d.EventID, WebhookID: webhookID, AppID: appID,
				EventType: d.EventType, Status: models.StatusPending, ReplayOf: d.ID, ReplayID: r.ID, CreatedAt: now, UpdatedAt: now}
		}
		if d.AppID != "" {
			return []models.Delivery{again("", d.AppID)}, nil
		}
		if r.Target != models.ReplayTargetCurrent {
			ok, err := tx.WebhookExists(ctx, d.WebhookID)
			if err != nil || !ok {
				return nil, err
			}
			return []models.Delivery{again(d.WebhookID, "")}, nil
		}
		if done, err := tx.ReplayedEvent(ctx, r.ID, d.EventID); err != nil || done {
			return nil, err
		}
		subs, err := tx.ActiveSubscribers(ctx, d.OrgID, d.EventType)
		if err != nil {
			return nil, err
		}
		out := make([]models.Delivery, 0, len(subs))
		for _, w := range subs {
			out = append(out, again(w.ID, ""))
		}
		return out, nil
	}
}
