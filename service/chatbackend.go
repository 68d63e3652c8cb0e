package service

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound/signing"
)

// chatBackendStore is what ChatBackend reads and writes.
type chatBackendStore interface {
	GetChatBackend(ctx context.Context, orgID string) (models.ChatBackend, error)
	SaveChatBackend(ctx context.Context, c *models.ChatBackend) error
	SetChatAuthToken(ctx context.Context, orgID, token string) error
	SetChatBackendSecret(ctx context.Context, orgID, secret string) error
}

// ChatBackend owns an org's chat custom backend configuration: the URL
// every widget message is relayed to, its outbound auth (write-only) and
// its signing secret (shown on first save and on rotation).
type ChatBackend struct {
	st   chatBackendStore
	urls *urlChecker
	test *chatTester
}

// Chat backend limits.
const (
	maxChatAuthToken = 2000
	maxFallbackReply = 4096
)

// ChatAuthInput is the outbound authentication. Token is required when
// Type is not "none" on the first save or when Type changes; omitted on
// a later save of the same Type, the stored token is kept.
type ChatAuthInput struct {
	Type   string  `json:"type"`
	Header *string `json:"header"`
	Token  *string `json:"token"`
}

// ChatBackendInput is the whole configuration (PUT semantics): omitted
// fields take their defaults. Enabled and Signing default to true.
type ChatBackendInput struct {
	URL              string         `json:"url"`
	Enabled          *bool          `json:"enabled"`
	TimeoutMS        *int           `json:"timeout_ms"`
	Auth             *ChatAuthInput `json:"auth"`
	Signing          *bool          `json:"signing"`
	SignatureHeader  *string        `json:"signature_header"`
	FallbackReply    *string        `json:"fallback_reply"`
	HandoffOnFailure *bool          `json:"handoff_on_failure"`
}

// SaveChatBackend validates and stores the configuration. newSecret is
// the signing secret on the first save (empty afterwards).
func (s *ChatBackend) SaveChatBackend(ctx context.Context, orgID string, in ChatBackendInput) (cfg models.ChatBackend, newSecret string, err error) {
	if err := s.urls.ValidateURL(ctx, "url", in.URL); err != nil {
		return cfg, "", err
	}
	cfg = models.ChatBackend{OrgID: orgID, URL: in.URL, Enabled: boolOr(in.Enabled, true), Signing: boolOr(in.Signing, true),
		TimeoutMillis: int(models.DefaultChatTimeout.Milliseconds()), AuthType: models.ChatAuthNone,
		SignatureHeader: models.DefaultChatSignatureHeader, HandoffOnFailure: boolOr(in.HandoffOnFailure, false)}
	if in.TimeoutMS != nil {
		if *in.TimeoutMS < 100 || *in.TimeoutMS > int(models.MaxChatTimeout.Milliseconds()) {
			return cfg, "", models.Invalid("timeout_ms", "must be between 100 and 30000")
		}
		cfg.TimeoutMillis = *in.TimeoutMS
	}
	if in.SignatureHeader != nil {
		if err := validHeaderName("signature_header", *in.SignatureHeader); err != nil {
			return cfg, "", err
		}
		cfg.SignatureHeader = *in.SignatureHeader
	}
	if in.FallbackReply != nil {
		f := *in.FallbackReply
		if strings.TrimSpace(f) == "" || utf8.RuneCountInString(f) > maxFallbackReply || !plainText(f) {
			return cfg, "", models.Invalid("fallback_reply", "must be 1 to 4096 characters of text")
		}
		cfg.FallbackReply = f
	}
	existing, err := s.st.GetChatBackend(ctx, orgID)
	first := errors.Is(err, models.ErrNotFound)
	if err != nil && !first {
		return cfg, "", err
	}
	token, err := chatAuth(&cfg, in.Auth, existing, first)
	if err != nil {
		return cfg, "", err
	}
	if first {
		newSecret = signing.NewSecret(signing.HexHMAC)
		cfg.Secret = models.NewSecret(newSecret)
		if token != nil {
			cfg.AuthToken = models.NewSecret(*token)
		}
	} else {
		cfg.CreatedAt, cfg.Secret, cfg.AuthToken = existing.CreatedAt, existing.Secret, existing.AuthToken
	}
	if err := s.st.SaveChatBackend(ctx, &cfg); err != nil {
		return models.ChatBackend{}, "", err
	}
	if !first && token != nil {
		if err := s.st.SetChatAuthToken(ctx, orgID, *token); err != nil {
			return models.ChatBackend{}, "", err
		}
	}
	if newSecret != "" {
		// A concurrent first save may have won: only its caller shows it.
		if stored, err := cfg.Secret.Reveal(); err != nil || stored != newSecret {
			newSecret = ""
		}
	}
	return cfg, newSecret, nil
}

// chatAuth validates the auth section into cfg and returns the token to
// store (nil: keep the stored one).
func chatAuth(cfg *models.ChatBackend, in *ChatAuthInput, existing models.ChatBackend, first bool) (*string, error) {
	if in == nil || in.Type == models.ChatAuthNone || in.Type == "" {
		empty := ""
		if first || existing.AuthType == models.ChatAuthNone {
			return nil, nil
		}
		return &empty, nil // switching auth off clears the token
	}
	defaultHeader := "Authorization"
	switch in.Type {
	case models.ChatAuthBearer, models.ChatAuthBasic:
	case models.ChatAuthAPIKey:
		defaultHeader = "X-API-Key"
	default:
		return nil, models.Invalid("auth.type", "must be none, bearer, api_key or basic")
	}
	cfg.AuthType, cfg.AuthHeader = in.Type, defaultHeader
	if in.Header != nil && *in.Header != "" {
		h := http.CanonicalHeaderKey(*in.Header)
		if h != "Authorization" {
			if err := validHeaderName("auth.header", h); err != nil {
				return nil, err
			}
		}
		cfg.AuthHeader = h
	}
	if in.Token == nil {
		if first || existing.AuthType != in.Type {
			return nil, models.Invalid("auth.token", "is required for auth type "+in.Type)
		}
		return nil, nil
	}
	t := *in.Token
	if t == "" || len(t) > maxChatAuthToken || !headerValue(t) {
		return nil, models.Invalid("auth.token", "must be 1 to 2000 printable ASCII characters")
	}
	if in.Type == models.ChatAuthBasic && !strings.Contains(t, ":") {
		return nil, models.Invalid("auth.token", `must be "user:password" for basic auth`)
	}
	return &t, nil
}

// headerValue reports printable ASCII without control characters: what
// can travel in a header without being mangled or splitting it.
func headerValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// plainText reports valid UTF-8 without NUL.
func plainText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

func boolOr(p *bool, d bool) bool {
	if p == nil {
		return d
	}
	return *p
}

// GetChatBackend loads the configuration (the caller shows no secret).
func (s *ChatBackend) GetChatBackend(ctx context.Context, orgID string) (models.ChatBackend, error) {
	return s.st.GetChatBackend(ctx, orgID)
}

// RotateChatBackendSecret replaces the signing secret at once; the new one
// is returned, shown once.
func (s *ChatBackend) RotateChatBackendSecret(ctx context.Context, orgID string) (string, error) {
	secret := signing.NewSecret(signing.HexHMAC)
	if err := s.st.SetChatBackendSecret(ctx, orgID, secret); err != nil {
		return "", err
	}
	return secret, nil
}
