package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// webhookHandlers serve the endpoints and the event-type catalog they
// subscribe to.
type webhookHandlers struct{ svc *service.Webhooks }

func (s webhookHandlers) listEventTypes(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"data": catalog.All()})
	return nil
}

func (s webhookHandlers) createWebhook(c *gin.Context) error {
	var in service.WebhookInput
	if err := decode(c, &in); err != nil {
		return err
	}
	w, err := s.svc.CreateWebhook(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	v := viewWebhook(w)
	// Shown on create, and later only through the secret route.
	if v.Secret, err = w.Secret.Reveal(); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, v)
	return nil
}

func (s webhookHandlers) listWebhooks(c *gin.Context) error {
	ws, err := s.svc.ListWebhooks(c.Request.Context(), principal(c).OrgID)
	if err != nil {
		return err
	}
	out := make([]webhookView, len(ws))
	for i, w := range ws {
		out[i] = viewWebhook(w)
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
	return nil
}

func (s webhookHandlers) getWebhook(c *gin.Context) error {
	w, err := s.svc.GetWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewWebhook(w))
	return nil
}

func (s webhookHandlers) updateWebhook(c *gin.Context) error {
	var in service.WebhookInput
	if err := decode(c, &in); err != nil {
		return err
	}
	w, newSecret, err := s.svc.UpdateWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id"), in)
	if err != nil {
		return err
	}
	v := viewWebhook(w)
	if newSecret {
		if v.Secret, err = w.Secret.Reveal(); err != nil {
			return err
		}
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (s webhookHandlers) deleteWebhook(c *gin.Context) error {
	if err := s.svc.DeleteWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// getWebhookSecret shows the secret: seed 003 makes it "visible when
// editing the endpoint", so it has a route of its own that is never part of
// list or get answers.
func (s webhookHandlers) getWebhookSecret(c *gin.Context) error {
	w, err := s.svc.GetWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	return showSecret(c, w)
}

// rotateWebhookSecret replaces the secret; the optional body
// {"overlap":"24h"} keeps the old Standard Webhooks secret valid that long.
func (s webhookHandlers) rotateWebhookSecret(c *gin.Context) error {
	var in struct {
		Overlap models.Duration `json:"overlap"`
	}
	if c.Request.ContentLength != 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	w, err := s.svc.RotateWebhookSecret(c.Request.Context(), principal(c).OrgID, c.Param("id"), time.Duration(in.Overlap))
	if err != nil {
		return err
	}
	return showSecret(c, w)
}

// showSecret answers the current secret, and while a rotation overlap lasts
// when the previous one stops being valid (never the previous secret).
func showSecret(c *gin.Context, w models.Webhook) error {
	secret, err := w.Secret.Reveal()
	if err != nil {
		return err
	}
	out := gin.H{"secret": secret, "signing_scheme": w.SigningScheme}
	if !w.PreviousSecret.IsZero() && w.PreviousSecretExpiresAt != nil && w.PreviousSecretExpiresAt.After(time.Now()) {
		out["previous_secret_expires_at"] = w.PreviousSecretExpiresAt
	}
	c.JSON(http.StatusOK, out)
	return nil
}

func (s webhookHandlers) testWebhook(c *gin.Context) error {
	var in struct {
		EventType string `json:"event_type"`
	}
	if err := decode(c, &in); err != nil {
		return err
	}
	res, err := s.svc.TestWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id"), in.EventType)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// enableWebhook turns an endpoint on (its auto-disable clock starts
// afresh); with replay_skipped it sends the events kept while it was off.
func (s webhookHandlers) enableWebhook(c *gin.Context) error {
	var in service.EnableInput
	if c.Request.ContentLength != 0 {
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	w, revived, err := s.svc.EnableWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"webhook": viewWebhook(w), "replayed_skipped": revived})
	return nil
}
