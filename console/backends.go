package console

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// Both customer backends (Backend Connect and the chat backend) show their
// signing secret exactly once: on the answer to the save that created it
// or to Rotate. The secret is written into that one answer and kept
// nowhere else, so a reload (a GET) cannot show it again.

type backendConnectPage struct {
	Config     models.BackendConnect
	Configured bool
	Error      string
	Secret     string
	SecretNote string
	typed      bool // Config is what was typed (a refused save), not the stored row
}

func (c *console) backendConnectPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showBackendConnect(w, r, s, http.StatusOK, backendConnectPage{})
}

// showBackendConnect renders the page with the stored configuration (or
// the defaults when there is none yet) and p's notices.
func (c *console) showBackendConnect(w http.ResponseWriter, r *http.Request, s *session, status int, p backendConnectPage) error {
	cfg, err := c.svc.BackendConnect.GetBackendConnect(r.Context(), s.OrgID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		cfg = models.BackendConnect{UserTokenField: models.DefaultUserTokenField, SignatureHeader: models.DefaultBackendSignatureHeader, Enabled: true}
	case err != nil:
		return err
	default:
		p.Configured = true
	}
	if !p.typed {
		p.Config = cfg
	}
	c.render(w, r, status, "backend_connect", s, p)
	return nil
}

func (c *console) saveBackendConnect(w http.ResponseWriter, r *http.Request, s *session) error {
	f := r.PostForm
	field, header, enabled := strings.TrimSpace(f.Get("user_token_field")), strings.TrimSpace(f.Get("signature_header")), checked(r, "enabled")
	in := service.BackendConnectInput{URL: strings.TrimSpace(f.Get("url")), UserTokenField: &field, SignatureHeader: &header, Enabled: &enabled}
	_, secret, err := c.svc.BackendConnect.SaveBackendConnect(r.Context(), s.OrgID, in)
	if msg := userError(err); msg != "" {
		echo := models.BackendConnect{URL: in.URL, UserTokenField: field, SignatureHeader: header, Enabled: enabled}
		return c.showBackendConnect(w, r, s, http.StatusBadRequest, backendConnectPage{Config: echo, Error: msg, typed: true})
	}
	if err != nil {
		return err
	}
	if secret == "" {
		return redirect(w, r, "/console/backend-connect", "saved")
	}
	return c.showBackendConnect(w, r, s, http.StatusOK, backendConnectPage{Secret: secret,
		SecretNote: "Backend Connect is configured. This is its signing secret."})
}

func (c *console) rotateBackendConnect(w http.ResponseWriter, r *http.Request, s *session) error {
	secret, err := c.svc.BackendConnect.RotateBackendConnectSecret(r.Context(), s.OrgID)
	if errors.Is(err, models.ErrNotFound) {
		return c.showBackendConnect(w, r, s, http.StatusConflict, backendConnectPage{Error: "Save a configuration first: there is no secret to rotate."})
	}
	if err != nil {
		return err
	}
	return c.showBackendConnect(w, r, s, http.StatusOK, backendConnectPage{Secret: secret,
		SecretNote: "The secret was rotated: lookups are signed with this one from now on, and the old one no longer verifies."})
}

var chatAuthTypes = []string{models.ChatAuthNone, models.ChatAuthBearer, models.ChatAuthAPIKey, models.ChatAuthBasic}

type chatBackendPage struct {
	Config     models.ChatBackend
	Configured bool
	TokenSet   bool
	AuthTypes  []string
	Error      string
	Secret     string
	SecretNote string
	Test       *chatTestOutcome
	typed      bool // as in backendConnectPage
}

type chatTestOutcome struct {
	Text, Context string
	Result        service.ChatTest
	Error         string
}

func (c *console) chatBackendPage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.showChatBackend(w, r, s, http.StatusOK, chatBackendPage{})
}

func (c *console) showChatBackend(w http.ResponseWriter, r *http.Request, s *session, status int, p chatBackendPage) error {
	cfg, err := c.svc.ChatBackend.GetChatBackend(r.Context(), s.OrgID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		cfg = models.ChatBackend{Enabled: true, Signing: true, TimeoutMillis: int(models.DefaultChatTimeout.Milliseconds()),
			AuthType: models.ChatAuthNone, SignatureHeader: models.DefaultChatSignatureHeader, FallbackReply: models.DefaultChatFallbackReply}
	case err != nil:
		return err
	default:
		p.Configured, p.TokenSet = true, !cfg.AuthToken.IsZero()
		if cfg.FallbackReply == "" {
			cfg.FallbackReply = models.DefaultChatFallbackReply
		}
	}
	if !p.typed {
		p.Config = cfg
	}
	p.AuthTypes = chatAuthTypes
	c.render(w, r, status, "chat_backend", s, p)
	return nil
}

// chatBackendInput reads the settings form. The token field is
// write-only: blank keeps the stored token (the service's rule), so the
// page never has to pre-fill it.
func chatBackendInput(r *http.Request) (service.ChatBackendInput, models.ChatBackend, string) {
	f := r.PostForm
	echo := models.ChatBackend{URL: strings.TrimSpace(f.Get("url")), Enabled: checked(r, "enabled"), Signing: checked(r, "signing"),
		HandoffOnFailure: checked(r, "handoff_on_failure"), AuthType: f.Get("auth_type"), AuthHeader: strings.TrimSpace(f.Get("auth_header")),
		SignatureHeader: strings.TrimSpace(f.Get("signature_header")), FallbackReply: f.Get("fallback_reply")}
	in := service.ChatBackendInput{URL: echo.URL, Enabled: &echo.Enabled, Signing: &echo.Signing, HandoffOnFailure: &echo.HandoffOnFailure,
		Auth: &service.ChatAuthInput{Type: echo.AuthType}}
	if echo.AuthHeader != "" {
		in.Auth.Header = &echo.AuthHeader
	}
	if tok := f.Get("auth_token"); tok != "" {
		in.Auth.Token = &tok
	}
	if echo.SignatureHeader != "" {
		in.SignatureHeader = &echo.SignatureHeader
	}
	if strings.TrimSpace(echo.FallbackReply) != "" {
		in.FallbackReply = &echo.FallbackReply
	}
	if v := strings.TrimSpace(f.Get("timeout_ms")); v != "" {
		ms, err := strconv.Atoi(v)
		if err != nil {
			return in, echo, "timeout_ms: must be a whole number of milliseconds"
		}
		in.TimeoutMS, echo.TimeoutMillis = &ms, ms
	}
	return in, echo, ""
}

func (c *console) saveChatBackend(w http.ResponseWriter, r *http.Request, s *session) error {
	in, echo, msg := chatBackendInput(r)
	var secret string
	if msg == "" {
		var err error
		_, secret, err = c.svc.ChatBackend.SaveChatBackend(r.Context(), s.OrgID, in)
		if msg = userError(err); msg == "" && err != nil {
			return err
		}
	}
	if msg != "" {
		return c.showChatBackend(w, r, s, http.StatusBadRequest, chatBackendPage{Config: echo, Error: msg, typed: true})
	}
	if secret == "" {
		return redirect(w, r, "/console/chat-backend", "saved")
	}
	return c.showChatBackend(w, r, s, http.StatusOK, chatBackendPage{Secret: secret,
		SecretNote: "The chat backend is configured. This is its signing secret."})
}

func (c *console) rotateChatBackend(w http.ResponseWriter, r *http.Request, s *session) error {
	secret, err := c.svc.ChatBackend.RotateChatBackendSecret(r.Context(), s.OrgID)
	if errors.Is(err, models.ErrNotFound) {
		return c.showChatBackend(w, r, s, http.StatusConflict, chatBackendPage{Error: "Save a configuration first: there is no secret to rotate."})
	}
	if err != nil {
		return err
	}
	return c.showChatBackend(w, r, s, http.StatusOK, chatBackendPage{Secret: secret,
		SecretNote: "The secret was rotated: messages are signed with this one from now on."})
}

// testChatBackend is Test mode: one message through the saved
// configuration, with the backend's status, reply, validation error and
// timings shown.
func (c *console) testChatBackend(w http.ResponseWriter, r *http.Request, s *session) error {
	out := &chatTestOutcome{Text: r.PostFormValue("text"), Context: strings.TrimSpace(r.PostFormValue("context"))}
	in := service.ChatTestInput{Text: out.Text}
	if out.Context != "" {
		in.Context = json.RawMessage(out.Context)
	}
	res, err := c.svc.ChatBackend.TestChatBackend(r.Context(), s.OrgID, in)
	switch {
	case errors.Is(err, models.ErrNotFound):
		out.Error = "Save a configuration first: there is no chat backend to test."
	case err != nil:
		if out.Error = userError(err); out.Error == "" {
			return err
		}
	}
	out.Result = res
	return c.showChatBackend(w, r, s, http.StatusOK, chatBackendPage{Test: out})
}
