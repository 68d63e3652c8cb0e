package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// chatBackendHandlers serve the org's chat custom backend configuration.
type chatBackendHandlers struct{ svc *service.ChatBackend }

// chatBackendView is the configuration as the API shows it: the auth
// token never (only whether one is set), the signing secret only on the
// first save and on rotation.
type chatBackendView struct {
	URL              string        `json:"url"`
	Enabled          bool          `json:"enabled"`
	TimeoutMS        int           `json:"timeout_ms"`
	Auth             chatAuthView  `json:"auth"`
	Signing          bool          `json:"signing"`
	SignatureHeader  string        `json:"signature_header"`
	SigningScheme    string        `json:"signing_scheme"`
	FallbackReply    string        `json:"fallback_reply"`
	HandoffOnFailure bool          `json:"handoff_on_failure"`
	Secret           string        `json:"secret,omitempty"`
	CreatedAt        time.Time     `json:"created_at"`
	UpdatedAt        time.Time     `json:"updated_at"`
	Limits           chatLimitView `json:"limits"`
}

type chatAuthView struct {
	Type     string `json:"type"`
	Header   string `json:"header,omitempty"`
	TokenSet bool   `json:"token_set"`
}

// chatLimitView publishes the reply rules a backend must follow.
type chatLimitView struct {
	MaxReplyBytes int `json:"max_reply_bytes"`
	MaxTextChars  int `json:"max_text_chars"`
	MaxMessages   int `json:"max_messages"`
	MaxItems      int `json:"max_items"`
}

func viewChatBackend(c models.ChatBackend) chatBackendView {
	fallback := c.FallbackReply
	if fallback == "" {
		fallback = models.DefaultChatFallbackReply
	}
	return chatBackendView{
		URL: c.URL, Enabled: c.Enabled, TimeoutMS: int(c.Timeout().Milliseconds()),
		Auth:    chatAuthView{Type: c.AuthType, Header: c.AuthHeader, TokenSet: !c.AuthToken.IsZero()},
		Signing: c.Signing, SignatureHeader: c.SignatureHeader, SigningScheme: models.SchemeHexHMAC,
		FallbackReply: fallback, HandoffOnFailure: c.HandoffOnFailure, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt,
		Limits: chatLimits,
	}
}

// putChatBackend answers 201 with the signing secret on the first save
// and 200 without it afterwards.
func (s chatBackendHandlers) putChatBackend(c *gin.Context) error {
	var in service.ChatBackendInput
	if err := decode(c, &in); err != nil {
		return err
	}
	cfg, secret, err := s.svc.SaveChatBackend(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	v := viewChatBackend(cfg)
	status := http.StatusOK
	if secret != "" {
		v.Secret, status = secret, http.StatusCreated
	}
	c.JSON(status, v)
	return nil
}

func (s chatBackendHandlers) getChatBackend(c *gin.Context) error {
	cfg, err := s.svc.GetChatBackend(c.Request.Context(), principal(c).OrgID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, viewChatBackend(cfg))
	return nil
}

func (s chatBackendHandlers) rotateChatBackendSecret(c *gin.Context) error {
	secret, err := s.svc.RotateChatBackendSecret(c.Request.Context(), principal(c).OrgID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"secret": secret, "signing_scheme": models.SchemeHexHMAC})
	return nil
}

// testChatBackend runs one round trip and answers what came back; a
// failing backend is a 200 answer describing the failure.
func (s chatBackendHandlers) testChatBackend(c *gin.Context) error {
	var in service.ChatTestInput
	if err := decode(c, &in); err != nil {
		return err
	}
	res, err := s.svc.TestChatBackend(c.Request.Context(), principal(c).OrgID, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}
