package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound/signing"
	"github.com/switchboardhq/switchboard/store"
)

// appStore is what Apps reads and writes.
type appStore interface {
	CreateApp(ctx context.Context, a *models.App) error
	GetApp(ctx context.Context, orgID, id string) (models.App, error)
	ListApps(ctx context.Context, orgID string) ([]models.App, error)
	UpdateAppColumns(ctx context.Context, a *models.App, cols ...string) error
	RotateAppSecret(ctx context.Context, orgID, id, secret string) error
	DeleteApp(ctx context.Context, orgID, id string) error
}

// Apps owns the Custom Apps (seed 001): their endpoint, the actions they
// receive with custom attributes and criteria, and their signing secret.
type Apps struct {
	st   appStore
	urls *urlChecker
	set  AppSettings
}

// AppInput creates or patches an app; nil fields are left alone on a patch
// and take their defaults on create. Actions, when present, replaces the
// app's whole action set (it is one document: what the client sends is
// what the app has).
type AppInput struct {
	Name            *string                    `json:"name"`
	URL             *string                    `json:"url"`
	Enabled         *bool                      `json:"enabled"`
	Actions         *map[string]AppActionInput `json:"actions"`
	SignatureHeader *string                    `json:"signature_header"`
	TimeoutMS       *int                       `json:"timeout_ms"`
}

const maxAppNameLen = 200

// CreateApp validates and stores a new app with a fresh secret.
func (s *Apps) CreateApp(ctx context.Context, orgID string, in AppInput) (models.App, error) {
	now := store.Now()
	a := models.App{
		ID: models.NewID("app"), OrgID: orgID, Enabled: true, Actions: map[string]models.AppAction{},
		SignatureHeader: models.DefaultAppSignatureHeader, TimeoutMS: models.DefaultAppTimeoutMS,
		CreatedAt: now, UpdatedAt: now,
	}
	if in.Name == nil {
		return models.App{}, models.Invalid("name", "is required")
	}
	if in.URL == nil {
		return models.App{}, models.Invalid("url", "is required")
	}
	if err := s.applyApp(ctx, &a, in); err != nil {
		return models.App{}, err
	}
	a.Secret = models.NewSecret(signing.NewSecret(models.AppSigningScheme))
	return a, s.st.CreateApp(ctx, &a)
}

// UpdateApp applies a patch, writing only the columns it carries, and
// answers the stored row (with any concurrent change). The secret is never
// written by an edit, so an edit cannot undo a rotation.
func (s *Apps) UpdateApp(ctx context.Context, orgID, id string, in AppInput) (models.App, error) {
	a, err := s.st.GetApp(ctx, orgID, id)
	if err != nil {
		return a, err
	}
	if err := s.applyApp(ctx, &a, in); err != nil {
		return models.App{}, err
	}
	if cols := patchedAppColumns(in); len(cols) > 0 {
		if err := s.st.UpdateAppColumns(ctx, &a, cols...); err != nil {
			return models.App{}, err
		}
	}
	return s.st.GetApp(ctx, orgID, id)
}

// patchedAppColumns names the columns a patch sets: the fields it carries.
func patchedAppColumns(in AppInput) []string {
	var cols []string
	for _, f := range []struct {
		set bool
		col string
	}{
		{in.Name != nil, "name"}, {in.URL != nil, "url"}, {in.Enabled != nil, "enabled"},
		{in.Actions != nil, "actions"}, {in.SignatureHeader != nil, "signature_header"},
		{in.TimeoutMS != nil, "timeout_ms"},
	} {
		if f.set {
			cols = append(cols, f.col)
		}
	}
	return cols
}

func (s *Apps) applyApp(ctx context.Context, a *models.App, in AppInput) error {
	if in.Name != nil {
		if n := utf8.RuneCountInString(*in.Name); n == 0 || n > maxAppNameLen || strings.TrimSpace(*in.Name) == "" {
			return models.Invalid("name", "must be 1 to 200 characters, not blank")
		}
		a.Name = *in.Name
	}
	if in.URL != nil {
		if err := s.urls.ValidateURL(ctx, "url", *in.URL); err != nil {
			return err
		}
		a.URL = *in.URL
	}
	if in.Enabled != nil {
		a.Enabled = *in.Enabled
	}
	if in.Actions != nil {
		acts, err := validActions(ctx, *in.Actions)
		if err != nil {
			return err
		}
		a.Actions = acts
	}
	if in.SignatureHeader != nil {
		if err := validHeaderName("signature_header", *in.SignatureHeader); err != nil {
			return err
		}
		a.SignatureHeader = *in.SignatureHeader
	}
	if in.TimeoutMS != nil {
		if *in.TimeoutMS < models.MinAppTimeoutMS || *in.TimeoutMS > models.MaxAppTimeoutMS {
			return models.Invalid("timeout_ms", "must be between 100 and 5000")
		}
		a.TimeoutMS = *in.TimeoutMS
	}
	return nil
}

// GetApp loads an app; its secret stays sealed.
func (s *Apps) GetApp(ctx context.Context, orgID, id string) (models.App, error) {
	return s.st.GetApp(ctx, orgID, id)
}

// ListApps lists the org's apps.
func (s *Apps) ListApps(ctx context.Context, orgID string) ([]models.App, error) {
	return s.st.ListApps(ctx, orgID)
}

// DeleteApp removes an app.
func (s *Apps) DeleteApp(ctx context.Context, orgID, id string) error {
	return s.st.DeleteApp(ctx, orgID, id)
}

// AppSecret is the app's current signing secret in clear, for the secret
// route ("visible when editing", like an endpoint's).
func (s *Apps) AppSecret(ctx context.Context, orgID, id string) (string, error) {
	a, err := s.st.GetApp(ctx, orgID, id)
	if err != nil {
		return "", err
	}
	return a.Secret.Reveal()
}

// RotateAppSecret replaces the secret at once (a base64hex receiver
// compares one value, so there is no overlap) and returns the new one in
// clear, to show. Only the secret column is written.
func (s *Apps) RotateAppSecret(ctx context.Context, orgID, id string) (string, error) {
	plain := signing.NewSecret(models.AppSigningScheme)
	if err := s.st.RotateAppSecret(ctx, orgID, id, plain); err != nil {
		return "", err
	}
	return plain, nil
}

// EgressInfo is what GET /v1/egress-ips answers: the configured source
// addresses and whether a proxy carries the calls (never its URL, which
// may hold credentials).
type EgressInfo struct {
	EgressIPs []string `json:"egress_ips"`
	Proxy     bool     `json:"proxy"`
}

// Egress answers the egress settings.
func (s *Apps) Egress() EgressInfo {
	out := EgressInfo{EgressIPs: make([]string, 0, len(s.set.EgressIPs)), Proxy: s.set.Proxy}
	for _, p := range s.set.EgressIPs {
		if p.IsSingleIP() {
			out.EgressIPs = append(out.EgressIPs, p.Addr().String())
		} else {
			out.EgressIPs = append(out.EgressIPs, p.String())
		}
	}
	return out
}
