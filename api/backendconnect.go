package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// backendConnectHandlers serve the org's Backend Connect configuration.
type backendConnectHandlers struct{ svc *service.BackendConnect }

// backendConnectView is the configuration as the API shows it. Secret is
// set only on the first save and on rotation: it is never readable again.
type backendConnectView struct {
	URL             string    `json:"url"`
	UserTokenField  string    `json:"user_token_field"`
	SignatureHeader string    `json:"signature_header"`
	SigningScheme   string    `json:"signing_scheme"`
	Enabled         bool      `json:"enabled"`
	Secret          string    `json:"secret,omitempty"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func viewBackendConnect(c models.BackendConnect) backendConnectView {
	return backendConnectView{
		URL: c.URL, UserTokenField: c.UserTokenField, SignatureHeader: c.SignatureHeader,
		SigningScheme: models.SchemeHexHMAC, Enabled: c.Enabled, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
	}
}

// putBackendConnect answers 201 with the new secret on the first save and
// 200 without it afterwards.
func (s backendConnectHandlers) putBackendConnect(c *gin.Context) error {
	var in service.BackendConnectInput
	if err := decode(c, &in); err != nil {
		return err
	}
	cfg, secret, err := s.svc.SaveBackendConnect(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	v := viewBackendConnect(cfg)
	status := http.StatusOK
	if secret != "" {
		v.Secret, status = secret, http.StatusCreated
	}
	c.JSON(status, v)
	return nil
}

func (s backendConnectHandlers) getBackendConnect(c *gin.Context) error {
	cfg, err := s.svc.GetBackendConnect(c.Request.Context(), principal(c).OrgID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewBackendConnect(cfg))
	return nil
}

func (s backendConnectHandlers) rotateBackendConnectSecret(c *gin.Context) error {
	secret, err := s.svc.RotateBackendConnectSecret(c.Request.Context(), principal(c).OrgID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"secret": secret, "signing_scheme": models.SchemeHexHMAC})
	return nil
}
