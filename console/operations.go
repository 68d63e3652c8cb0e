package console

import (
	"net/http"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// operationsPage is the operator's recovery screen: endpoints that are
// off or failing, and bulk replays with their progress.
type operationsPage struct {
	Endpoints []models.Webhook // inactive, or in a failing streak
	Webhooks  []models.Webhook // all, for the replay form
	Replays   []models.Replay
	Statuses  []models.DeliveryStatus
}

func (c *console) operationsPage(w http.ResponseWriter, r *http.Request, s *session) error {
	hooks, err := c.svc.Webhooks.ListWebhooks(r.Context(), s.OrgID)
	if err != nil {
		return err
	}
	p := operationsPage{Webhooks: hooks, Statuses: models.DeliveryStatuses}
	for _, wh := range hooks {
		if !wh.Active || wh.FailedAttempts > 0 {
			p.Endpoints = append(p.Endpoints, wh)
		}
	}
	if p.Replays, err = c.svc.Replays.ListBulkReplays(r.Context(), s.OrgID, 20); err != nil {
		return err
	}
	c.render(w, r, http.StatusOK, "operations", s, p)
	return nil
}

// enableWebhook turns an endpoint back on, sending its kept (skipped)
// deliveries when the box is ticked.
func (c *console) enableWebhook(w http.ResponseWriter, r *http.Request, s *session) error {
	in := service.EnableInput{ReplaySkipped: r.PostFormValue("replay_skipped") == "true"}
	if _, _, err := c.svc.Webhooks.EnableWebhook(r.Context(), s.OrgID, r.PathValue("id"), in); err != nil {
		return err
	}
	return redirect(w, r, "/console/operations", "enabled")
}

// startReplay starts a bulk replay of the filter in the form.
func (c *console) startReplay(w http.ResponseWriter, r *http.Request, s *session) error {
	in := service.BulkReplayInput{Status: models.DeliveryStatus(r.PostFormValue("status")),
		WebhookID: r.PostFormValue("webhook_id"), Target: r.PostFormValue("target")}
	if _, err := c.svc.Replays.CreateBulkReplay(r.Context(), s.OrgID, in); err != nil {
		return err
	}
	return redirect(w, r, "/console/operations", "replay_started")
}

// steerReplay pauses, resumes or cancels a bulk replay.
func (c *console) steerReplay(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	var err error
	switch r.PathValue("action") {
	case "pause":
		_, err = c.svc.Replays.PauseBulkReplay(r.Context(), s.OrgID, id)
	case "resume":
		_, err = c.svc.Replays.ResumeBulkReplay(r.Context(), s.OrgID, id)
	case "cancel":
		_, err = c.svc.Replays.CancelBulkReplay(r.Context(), s.OrgID, id)
	default:
		return models.ErrNotFound
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/console/operations", "replay_steered")
}
