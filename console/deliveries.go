package console

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

type deliveriesPage struct {
	Deliveries []models.Delivery
	Statuses   []models.DeliveryStatus
	Status     string
	WebhookID  string
	AppID      string
	Webhooks   []models.Webhook
	URLs       map[string]string // webhook ID → URL, for the list
	NextURL    string
	Error      string
}

func (c *console) listDeliveries(w http.ResponseWriter, r *http.Request, s *session) error {
	q := r.URL.Query()
	p := deliveriesPage{Statuses: models.DeliveryStatuses, Status: q.Get("status"), WebhookID: q.Get("webhook_id"), AppID: q.Get("app_id")}
	f := service.DeliveryFilter{OrgID: s.OrgID, WebhookID: p.WebhookID, AppID: p.AppID, Cursor: q.Get("cursor"), Limit: 50}
	if p.Status != "" {
		if !models.DeliveryStatus(p.Status).Valid() {
			p.Error, p.Status = "Unknown status; showing every status.", ""
		}
		f.Status = models.DeliveryStatus(p.Status)
	}
	ds, next, err := c.svc.Deliveries.ListDeliveries(r.Context(), f)
	if msg := userError(err); msg != "" {
		// A damaged cursor: start again from the first page.
		p.Error = msg
		f.Cursor = ""
		ds, next, err = c.svc.Deliveries.ListDeliveries(r.Context(), f)
	}
	if err != nil {
		return err
	}
	if p.Webhooks, err = c.svc.Webhooks.ListWebhooks(r.Context(), s.OrgID); err != nil {
		return err
	}
	p.Deliveries, p.URLs = ds, map[string]string{}
	for _, wh := range p.Webhooks {
		p.URLs[wh.ID] = wh.URL
	}
	if next != "" {
		nq := url.Values{"cursor": {next}}
		for _, k := range []string{"status", "webhook_id", "app_id"} {
			if v := q.Get(k); v != "" {
				nq.Set(k, v)
			}
		}
		p.NextURL = "/console/deliveries?" + nq.Encode()
	}
	c.render(w, r, http.StatusOK, "deliveries", s, p)
	return nil
}

type deliveryPage struct {
	Delivery   models.Delivery
	Attempts   []models.Attempt
	WebhookURL string
	WorkflowID string
	Error      string
}

func (c *console) showDelivery(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.deliveryPage(w, r, s, http.StatusOK, "")
}

func (c *console) deliveryPage(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) error {
	d, attempts, err := c.svc.Deliveries.GetDelivery(r.Context(), s.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := deliveryPage{Delivery: d, Attempts: attempts, WorkflowID: contracts.DeliveryWorkflowID(d.ID), Error: msg}
	if d.WebhookID != "" {
		// A deleted endpoint leaves its deliveries: show them without a URL.
		wh, err := c.svc.Webhooks.GetWebhook(r.Context(), s.OrgID, d.WebhookID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		p.WebhookURL = wh.URL
	}
	c.render(w, r, status, "delivery", s, p)
	return nil
}

func (c *console) retryDelivery(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	_, err := c.svc.Deliveries.RetryDelivery(r.Context(), s.OrgID, id)
	return c.deliveryActionDone(w, r, s, err, "/console/deliveries/"+url.PathEscape(id), "retried")
}

func (c *console) cancelDelivery(w http.ResponseWriter, r *http.Request, s *session) error {
	id := r.PathValue("id")
	err := c.svc.Deliveries.CancelDelivery(r.Context(), s.OrgID, id)
	return c.deliveryActionDone(w, r, s, err, "/console/deliveries/"+url.PathEscape(id), "cancelled")
}

// replayDelivery sends the delivery's event again to the same endpoint as
// a new delivery, and shows that one.
func (c *console) replayDelivery(w http.ResponseWriter, r *http.Request, s *session) error {
	d, err := c.svc.Replays.ReplayDelivery(r.Context(), s.OrgID, r.PathValue("id"))
	return c.deliveryActionDone(w, r, s, err, "/console/deliveries/"+url.PathEscape(d.ID), "replayed")
}

// replayEvent sends the delivery's event again to every endpoint it went
// to ("original") or to the endpoints subscribed now ("current").
func (c *console) replayEvent(w http.ResponseWriter, r *http.Request, s *session) error {
	d, _, err := c.svc.Deliveries.GetDelivery(r.Context(), s.OrgID, r.PathValue("id"))
	if err != nil {
		return err
	}
	_, err = c.svc.Replays.ReplayEvent(r.Context(), s.OrgID, d.EventID, service.ReplayEventInput{Target: r.PostFormValue("target")})
	return c.deliveryActionDone(w, r, s, err, "/console/deliveries", "replayed_event")
}

// deliveryActionDone ends a delivery page's form post: a refusal the user
// can act on (already succeeded, endpoint inactive) is the page again with
// the message and 409; success redirects to next with its notice.
func (c *console) deliveryActionDone(w http.ResponseWriter, r *http.Request, s *session, err error, next, flash string) error {
	if msg := userError(err); msg != "" {
		return c.deliveryPage(w, r, s, http.StatusConflict, msg)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, next, flash)
}
