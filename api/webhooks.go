package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/service"
)

func (s *Server) listEventTypes(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"data": catalog.All()})
	return nil
}

func (s *Server) createWebhook(c *gin.Context) error {
	var in service.WebhookInput
	if err := decode(c, &in); err != nil {
		return err
	}
	w, err := s.svc.CreateWebhook(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	v := viewWebhook(w)
	v.Secret = w.Secret // shown on create, and later only through the secret route
	c.JSON(http.StatusCreated, v)
	return nil
}

func (s *Server) listWebhooks(c *gin.Context) error {
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

func (s *Server) getWebhook(c *gin.Context) error {
	w, err := s.svc.GetWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewWebhook(w))
	return nil
}

func (s *Server) updateWebhook(c *gin.Context) error {
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
		v.Secret = w.Secret
	}
	c.JSON(http.StatusOK, v)
	return nil
}

func (s *Server) deleteWebhook(c *gin.Context) error {
	if err := s.svc.DeleteWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// getWebhookSecret shows the secret: seed 003 makes it "visible when
// editing the endpoint", so it has a route of its own that is never part of
// list or get answers.
func (s *Server) getWebhookSecret(c *gin.Context) error {
	w, err := s.svc.GetWebhook(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"secret": w.Secret, "signing_scheme": w.SigningScheme})
	return nil
}

func (s *Server) rotateWebhookSecret(c *gin.Context) error {
	w, err := s.svc.RotateWebhookSecret(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"secret": w.Secret, "signing_scheme": w.SigningScheme})
	return nil
}

func (s *Server) testWebhook(c *gin.Context) error {
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
