package service

import (
	"context"

	"github.com/switchboardhq/switchboard/models"
)

// healthStore is what enabling an endpoint writes.
type healthStore interface {
	EnableWebhook(ctx context.Context, orgID, id string) error
	ReviveSkipped(ctx context.Context, webhookID string, limit int) ([]models.Delivery, int64, error)
}

// EnableInput is POST /v1/webhooks/{id}/enable.
type EnableInput struct {
	// ReplaySkipped sends the events kept while the endpoint was inactive.
	ReplaySkipped bool `json:"replay_skipped"`
}

// enableStartNow is how many revived deliveries are started in the
// request; the rest are pending rows the sweeper starts (within about two
// SWEEP_INTERVALs), so a long outage's backlog never holds the answer.
const enableStartNow = 100

// EnableWebhook turns an endpoint on, clears its disabled reason and
// failing streak (the auto-disable clock starts afresh), and with
// ReplaySkipped sends its skipped deliveries. It returns the endpoint and
// how many skipped deliveries were revived.
func (s *Webhooks) EnableWebhook(ctx context.Context, orgID, id string, in EnableInput) (models.Webhook, int64, error) {
	if err := s.health.EnableWebhook(ctx, orgID, id); err != nil {
		return models.Webhook{}, 0, err
	}
	w, err := s.st.GetWebhook(ctx, orgID, id)
	if err != nil || !in.ReplaySkipped {
		return w, 0, err
	}
	revived, total, err := s.health.ReviveSkipped(ctx, id, enableStartNow)
	if err != nil {
		return w, 0, err
	}
	for _, d := range revived {
		if err := s.starter.start(ctx, d, w, 1, false); err != nil && !alreadyStarted(err) {
			return w, total, temporalErr(err) // the rest stay pending for the sweeper
		}
	}
	return w, total, nil
}
