package activities

import (
	"cmp"
	"context"
	"errors"
	"fmt"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// NextQueued reads an endpoint's queue settings and its next deliveries
// in ingest order, with the Delivery workflow input each is started with.
func (a *Activities) NextQueued(ctx context.Context, in contracts.NextQueuedInput) (contracts.NextQueuedResult, error) {
	w, err := a.Store.WebhookByID(ctx, in.WebhookID)
	if errors.Is(err, models.ErrNotFound) {
		return contracts.NextQueuedResult{}, nil // deleted: the queue ends
	}
	if err != nil {
		return contracts.NextQueuedResult{}, fmt.Errorf("load endpoint: %w", err)
	}
	res := contracts.NextQueuedResult{RateLimit: w.RateLimit, FIFO: w.FIFO, Queued: w.Queued()}
	ds, err := a.Store.QueuedDeliveries(ctx, w.ID, in.AfterAt, in.AfterID, a.Now().Add(-contracts.QueueSettle), in.Limit)
	if err != nil {
		return res, fmt.Errorf("queued deliveries: %w", err)
	}
	schedule := contracts.DefaultDeliverySchedule
	if w.RetrySchedule != nil {
		schedule = models.Durations(w.RetrySchedule)
	}
	for _, d := range ds {
		res.Deliveries = append(res.Deliveries, contracts.QueuedDelivery{ID: d.ID, CreatedAt: d.CreatedAt, OrgID: d.OrgID, EventType: d.EventType,
			Input: contracts.DeliveryWorkflowInput{DeliveryID: d.ID, Schedule: schedule, FirstAttempt: 1,
				AttemptTimeout: cmp.Or(a.Settings.DeliveryTimeout, contracts.DefaultDeliveryTimeout)}})
	}
	return res, nil
}
