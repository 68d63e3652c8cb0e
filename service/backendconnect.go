package service

import (
	"context"
	"errors"
	"strings"
	"unicode"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound/signing"
)

// backendConnectStore is what BackendConnect reads and writes.
type backendConnectStore interface {
	backendConnectReader
	SaveBackendConnect(ctx context.Context, c *models.BackendConnect) error
	SetBackendConnectSecret(ctx context.Context, orgID, secret string) error
}

// backendConnectReader reads an org's Backend Connect configuration; Widget
// and Conversations need it to decide whether a lookup can run.
type backendConnectReader interface {
	GetBackendConnect(ctx context.Context, orgID string) (models.BackendConnect, error)
}

// BackendConnect owns the org's Backend Connect configuration (the
// customer lookup endpoint) and its signing secret.
type BackendConnect struct {
	st   backendConnectStore
	urls *urlChecker
}

// Backend Connect limits and messages.
const (
	maxUserTokenFieldLen           = 100
	errBackendConnectNotConfigured = "Backend Connect is not configured"
)

// BackendConnectInput is the whole configuration (PUT semantics): an
// omitted field takes its default, not its previous value. Enabled defaults
// to true, since saving a URL means wanting lookups.
type BackendConnectInput struct {
	URL             string  `json:"url"`
	UserTokenField  *string `json:"user_token_field"`
	SignatureHeader *string `json:"signature_header"`
	Enabled         *bool   `json:"enabled"`
}

// SaveBackendConnect validates and stores the org's configuration. The
// first save generates the signing secret; newSecret is that secret, and is
// empty on every later save (the secret is never readable again, only
// replaced by RotateBackendConnectSecret). When two first saves race, only
// the one whose secret was stored reports it.
func (s *BackendConnect) SaveBackendConnect(ctx context.Context, orgID string, in BackendConnectInput) (cfg models.BackendConnect, newSecret string, err error) {
	if err := s.urls.ValidateURL(ctx, "url", in.URL); err != nil {
		return cfg, "", err
	}
	cfg = models.BackendConnect{
		OrgID: orgID, URL: in.URL, UserTokenField: models.DefaultUserTokenField,
		SignatureHeader: models.DefaultBackendSignatureHeader, Enabled: true,
	}
	if in.UserTokenField != nil {
		f := *in.UserTokenField
		if f == "" || len(f) > maxUserTokenFieldLen || strings.IndexFunc(f, unicode.IsControl) >= 0 {
			return models.BackendConnect{}, "", models.Invalid("user_token_field", "must be 1 to 100 characters without control characters")
		}
		cfg.UserTokenField = f
	}
	if in.SignatureHeader != nil {
		if err := validHeaderName("signature_header", *in.SignatureHeader); err != nil {
			return models.BackendConnect{}, "", err
		}
		cfg.SignatureHeader = *in.SignatureHeader
	}
	if in.Enabled != nil {
		cfg.Enabled = *in.Enabled
	}
	existing, err := s.st.GetBackendConnect(ctx, orgID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		// First save: the store writes this secret only if no row exists.
		newSecret = signing.NewSecret(signing.HexHMAC)
		cfg.Secret = models.NewSecret(newSecret)
	case err != nil:
		return models.BackendConnect{}, "", err
	default:
		cfg.CreatedAt = existing.CreatedAt
		cfg.Secret = existing.Secret
	}
	if err := s.st.SaveBackendConnect(ctx, &cfg); err != nil {
		return models.BackendConnect{}, "", err
	}
	if newSecret != "" {
		// cfg is the stored row: a concurrent first save may have won, and
		// then its caller shows its secret. Opening it is the only way to
		// compare, and happens on a first save only.
		stored, err := cfg.Secret.Reveal()
		if err != nil {
			return models.BackendConnect{}, "", err
		}
		if stored != newSecret {
			newSecret = ""
		}
	}
	return cfg, newSecret, nil
}

// GetBackendConnect loads the org's configuration (the caller must not show
// the secret) or returns models.ErrNotFound.
func (s *BackendConnect) GetBackendConnect(ctx context.Context, orgID string) (models.BackendConnect, error) {
	return s.st.GetBackendConnect(ctx, orgID)
}

// RotateBackendConnectSecret replaces the signing secret at once: the next
// lookup is signed with the new one. It returns the new secret, shown once.
func (s *BackendConnect) RotateBackendConnectSecret(ctx context.Context, orgID string) (string, error) {
	secret := signing.NewSecret(signing.HexHMAC)
	if err := s.st.SetBackendConnectSecret(ctx, orgID, secret); err != nil {
		return "", err
	}
	return secret, nil
}

// backendConnectActive returns the configuration when lookups can run, or
// a message saying why they cannot.
func backendConnectActive(ctx context.Context, st backendConnectReader, orgID string) (models.BackendConnect, string, error) {
	cfg, err := st.GetBackendConnect(ctx, orgID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return cfg, errBackendConnectNotConfigured, nil
	case err != nil:
		return cfg, "", err
	case !cfg.Enabled || cfg.URL == "":
		return cfg, "Backend Connect is disabled", nil
	}
	return cfg, "", nil
}
