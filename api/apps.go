package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// appHandlers serve the Custom Apps and the egress addresses their
// owners put in their firewalls.
type appHandlers struct{ svc *service.Apps }

// appView is an app as the API shows it: never with its secret, except
// where Secret is set on purpose (create).
type appView struct {
	ID              string                   `json:"id"`
	Name            string                   `json:"name"`
	URL             string                   `json:"url"`
	Enabled         bool                     `json:"enabled"`
	Actions         map[string]appActionView `json:"actions"`
	SignatureHeader string                   `json:"signature_header"`
	SigningScheme   string                   `json:"signing_scheme"`
	TimeoutMS       int                      `json:"timeout_ms"`
	Secret          string                   `json:"secret,omitempty"`
	CreatedAt       time.Time                `json:"created_at"`
	UpdatedAt       time.Time                `json:"updated_at"`
}

type appActionView struct {
	Enabled    bool              `json:"enabled"`
	Attributes map[string]string `json:"attributes"`
	Criteria   string            `json:"criteria,omitempty"`
}

func viewApp(a models.App) appView {
	v := appView{
		ID: a.ID, Name: a.Name, URL: a.URL, Enabled: a.Enabled, Actions: make(map[string]appActionView, len(a.Actions)),
		SignatureHeader: a.SignatureHeader, SigningScheme: models.AppSigningScheme, TimeoutMS: a.TimeoutMS,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt,
	}
	for id, act := range a.Actions {
		attrs := act.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		v.Actions[id] = appActionView{Enabled: act.Enabled, Attributes: attrs, Criteria: act.Criteria}
	}
	return v
}

func (s appHandlers) createApp(c *gin.Context) error {
	var in service.AppInput
	if err := decode(c, &in); err != nil {
		return err
	}
	a, err := s.svc.CreateApp(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	v := viewApp(a)
	// Shown on create, and later only through the secret route.
	if v.Secret, err = a.Secret.Reveal(); err != nil {
		return err
	}
	c.JSON(http.StatusCreated, v)
	return nil
}

// listActions is the action catalog ("Show available variables"): each
// action's id, description, default payload and variables with samples.
func (s appHandlers) listActions(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"data": s.svc.Actions()})
	return nil
}

func (s appHandlers) listApps(c *gin.Context) error {
	as, err := s.svc.ListApps(c.Request.Context(), principal(c).OrgID)
	if err != nil {
		return err
	}
	out := make([]appView, len(as))
	for i, a := range as {
		out[i] = viewApp(a)
	}
	c.JSON(http.StatusOK, gin.H{"data": out})
	return nil
}

func (s appHandlers) getApp(c *gin.Context) error {
	a, err := s.svc.GetApp(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewApp(a))
	return nil
}

func (s appHandlers) updateApp(c *gin.Context) error {
	var in service.AppInput
	if err := decode(c, &in); err != nil {
		return err
	}
	a, err := s.svc.UpdateApp(c.Request.Context(), principal(c).OrgID, c.Param("id"), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewApp(a))
	return nil
}

func (s appHandlers) deleteApp(c *gin.Context) error {
	if err := s.svc.DeleteApp(c.Request.Context(), principal(c).OrgID, c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// getAppSecret shows the secret; the doc has it visible in the app's
// settings, so it has a route of its own, never part of list or get.
func (s appHandlers) getAppSecret(c *gin.Context) error {
	secret, err := s.svc.AppSecret(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"secret": secret, "signing_scheme": models.AppSigningScheme})
	return nil
}

// rotateAppSecret replaces the secret at once. It takes no options; a body,
// if sent, must be an empty object, so a misspelt option is refused rather
// than ignored.
func (s appHandlers) rotateAppSecret(c *gin.Context) error {
	if c.Request.ContentLength != 0 {
		var in struct{}
		if err := decode(c, &in); err != nil {
			return err
		}
	}
	secret, err := s.svc.RotateAppSecret(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"secret": secret, "signing_scheme": models.AppSigningScheme})
	return nil
}

func (s appHandlers) egressIPs(c *gin.Context) error {
	c.JSON(http.StatusOK, s.svc.Egress())
	return nil
}
