package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound/signing"
	"github.com/switchboardhq/switchboard/store"
)

// webhookStore is what Webhooks reads and writes.
type webhookStore interface {
	CreateWebhook(ctx context.Context, w *models.Webhook) error
	GetWebhook(ctx context.Context, orgID, id string) (models.Webhook, error)
	ListWebhooks(ctx context.Context, orgID string) ([]models.Webhook, error)
	UpdateWebhookColumns(ctx context.Context, w *models.Webhook, cols ...string) error
	RotateWebhookSecret(ctx context.Context, orgID, id, scheme, secret string, keepOldUntil *time.Time) error
	DeleteWebhook(ctx context.Context, orgID, id string) error
}

// Webhooks owns the customer endpoints: their settings, signing secrets
// and Test sends.
type Webhooks struct {
	st   webhookStore
	tc   client.Client
	urls *urlChecker
	set  DeliverySettings
	// enabling sends an endpoint's skipped deliveries (enable.go).
	health  healthStore
	starter *deliveryStarter
}

// DefaultSignatureHeader is the HMAC schemes' header unless an endpoint
// names another (seed 003 uses "TinyTalk-Signature", seed 001
// "x-talkable-signature").
const DefaultSignatureHeader = "Switchboard-Signature"

// Sources an endpoint can come from; integrations mark theirs (seed 003).
var sources = []string{"api", "dashboard", "zapier", "pabbly"}

// WebhookInput creates or patches an endpoint; nil fields are left alone on
// a patch and take their defaults on create.
type WebhookInput struct {
	URL             *string            `json:"url"`
	Description     *string            `json:"description"`
	EventTypes      *[]string          `json:"event_types"`
	Active          *bool              `json:"active"`
	Source          *string            `json:"source"`
	SigningScheme   *string            `json:"signing_scheme"`
	SignatureHeader *string            `json:"signature_header"`
	RetrySchedule   *[]models.Duration `json:"retry_schedule"`
	// RateLimit (deliveries per second, 0 for none) and FIFO route the
	// endpoint's deliveries through its queue (workflows/queue.go).
	RateLimit *float64 `json:"rate_limit"`
	FIFO      *bool    `json:"fifo"`
}

// CreateWebhook validates and stores a new endpoint with a fresh secret.
func (s *Webhooks) CreateWebhook(ctx context.Context, orgID string, in WebhookInput) (models.Webhook, error) {
	now := store.Now()
	w := models.Webhook{
		ID: models.NewID("wh"), OrgID: orgID, Active: true, Source: "api",
		SigningScheme: signing.HexHMAC, SignatureHeader: DefaultSignatureHeader,
		CreatedAt: now, UpdatedAt: now,
	}
	if in.URL == nil {
		return models.Webhook{}, models.Invalid("url", "is required")
	}
	if in.EventTypes == nil {
		return models.Webhook{}, models.Invalid("event_types", "is required")
	}
	if err := s.applyWebhook(ctx, &w, in); err != nil {
		return models.Webhook{}, err
	}
	w.Secret = models.NewSecret(signing.NewSecret(w.SigningScheme))
	return w, s.st.CreateWebhook(ctx, &w)
}

// UpdateWebhook applies a patch. Switching between the HMAC schemes and
// Standard Webhooks changes the secret format, so that issues a new secret;
// changed reports it so the caller can show it.
func (s *Webhooks) UpdateWebhook(ctx context.Context, orgID, id string, in WebhookInput) (w models.Webhook, newSecret bool, err error) {
	w, err = s.st.GetWebhook(ctx, orgID, id)
	if err != nil {
		return w, false, err
	}
	wasSW := w.SigningScheme == signing.StandardWebhooks
	if err := s.applyWebhook(ctx, &w, in); err != nil {
		return models.Webhook{}, false, err
	}
	cols := patchedColumns(in)
	if in.Active != nil && *in.Active {
		w.DisabledReason = ""
		cols = append(cols, "disabled_reason")
	}
	// Only the columns the request changes are written, so a 410 that
	// deactivated the endpoint since the read above stays in force.
	if err := s.st.UpdateWebhookColumns(ctx, &w, cols...); err != nil {
		return models.Webhook{}, false, err
	}
	// Secrets are never written by an edit (it cannot undo a rotation): a
	// scheme switch replaces the secret through the rotation path.
	if newSecret = wasSW != (w.SigningScheme == signing.StandardWebhooks); newSecret {
		plain := signing.NewSecret(w.SigningScheme)
		if err := s.st.RotateWebhookSecret(ctx, orgID, id, w.SigningScheme, plain, nil); err != nil {
			return models.Webhook{}, false, err
		}
	}
	// Answer with the stored row: it includes concurrent changes.
	w, err = s.st.GetWebhook(ctx, orgID, id)
	return w, newSecret, err
}

// patchedColumns names the columns a patch sets: the fields it carries.
func patchedColumns(in WebhookInput) []string {
	var cols []string
	for _, f := range []struct {
		set bool
		col string
	}{
		{in.URL != nil, "url"}, {in.Description != nil, "description"}, {in.EventTypes != nil, "event_types"},
		{in.Active != nil, "active"}, {in.Source != nil, "source"}, {in.SigningScheme != nil, "signing_scheme"},
		{in.SignatureHeader != nil, "signature_header"}, {in.RetrySchedule != nil, "retry_schedule"},
		{in.RateLimit != nil, "rate_limit"}, {in.FIFO != nil, "fifo"},
	} {
		if f.set {
			cols = append(cols, f.col)
		}
	}
	return cols
}

func (s *Webhooks) applyWebhook(ctx context.Context, w *models.Webhook, in WebhookInput) error {
	if in.URL != nil {
		if err := s.urls.ValidateURL(ctx, "url", *in.URL); err != nil {
			return err
		}
		w.URL = *in.URL
	}
	if in.Description != nil {
		if len(*in.Description) > 1000 {
			return models.Invalid("description", "must be at most 1000 characters")
		}
		w.Description = *in.Description
	}
	if in.EventTypes != nil {
		types, err := validEventTypes(*in.EventTypes)
		if err != nil {
			return err
		}
		w.EventTypes = types
	}
	if in.Active != nil {
		w.Active = *in.Active
	}
	if in.Source != nil {
		if !slices.Contains(sources, *in.Source) {
			return models.Invalid("source", "must be one of "+strings.Join(sources, ", "))
		}
		w.Source = *in.Source
	}
	if in.SigningScheme != nil {
		if !signing.Valid(*in.SigningScheme) {
			return models.Invalid("signing_scheme", "must be one of hmac-sha256-hex, hmac-sha256-base64hex, standard-webhooks")
		}
		w.SigningScheme = *in.SigningScheme
	}
	if in.SignatureHeader != nil {
		if err := validHeaderName("signature_header", *in.SignatureHeader); err != nil {
			return err
		}
		w.SignatureHeader = *in.SignatureHeader
	}
	if in.RetrySchedule != nil {
		if err := validSchedule(*in.RetrySchedule); err != nil {
			return err
		}
		w.RetrySchedule = *in.RetrySchedule
	}
	if in.RateLimit != nil {
		if *in.RateLimit < 0 || *in.RateLimit > maxRateLimit {
			return models.Invalid("rate_limit", "must be from 0 (no limit) to 1000 deliveries per second")
		}
		w.RateLimit = *in.RateLimit
	}
	if in.FIFO != nil {
		w.FIFO = *in.FIFO
	}
	return nil
}

// maxRateLimit is the highest per-endpoint rate a queue paces.
const maxRateLimit = 1000

func validEventTypes(in []string) ([]string, error) {
	if len(in) == 0 {
		return nil, models.Invalid("event_types", "must name at least one event type")
	}
	var out []string
	for _, t := range in {
		if _, ok := catalog.Lookup(t); !ok {
			return nil, models.Invalid("event_types", "unknown event type "+quote(t))
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}

// Schedules are bounded so a typo cannot keep a delivery alive for months.
const (
	maxScheduleLen   = 20
	maxScheduleDelay = 7 * 24 * time.Hour
)

func validSchedule(in []models.Duration) error {
	if len(in) > maxScheduleLen {
		return models.Invalid("retry_schedule", "must have at most 20 entries")
	}
	for _, d := range in {
		if d < 0 || time.Duration(d) > maxScheduleDelay {
			return models.Invalid("retry_schedule", "each delay must be between 0s and 168h")
		}
	}
	return nil
}

func quote(s string) string {
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return `"` + s + `"`
}

// GetWebhook loads an endpoint.
func (s *Webhooks) GetWebhook(ctx context.Context, orgID, id string) (models.Webhook, error) {
	return s.st.GetWebhook(ctx, orgID, id)
}

// ListWebhooks lists the org's endpoints.
func (s *Webhooks) ListWebhooks(ctx context.Context, orgID string) ([]models.Webhook, error) {
	return s.st.ListWebhooks(ctx, orgID)
}

// DeleteWebhook removes an endpoint; pending retries to it then fail as
// "endpoint was deleted".
func (s *Webhooks) DeleteWebhook(ctx context.Context, orgID, id string) error {
	return s.st.DeleteWebhook(ctx, orgID, id)
}

// MaxSecretOverlap bounds how long a replaced Standard Webhooks secret
// stays valid, so a forgotten rotation cannot keep an old secret alive.
const MaxSecretOverlap = 7 * 24 * time.Hour

// RotateWebhookSecret replaces the endpoint's secret and returns the
// endpoint with the new one (clear, to show once). With overlap > 0
// (Standard Webhooks only) deliveries carry both signatures until the
// overlap ends; the hex schemes rotate at once, since their receivers
// compare a single value. Only the secret columns are written.
func (s *Webhooks) RotateWebhookSecret(ctx context.Context, orgID, id string, overlap time.Duration) (models.Webhook, error) {
	if overlap < 0 || overlap > MaxSecretOverlap {
		return models.Webhook{}, models.Invalid("overlap", "must be between 0s and 168h")
	}
	w, err := s.st.GetWebhook(ctx, orgID, id)
	if err != nil {
		return w, err
	}
	if overlap > 0 && w.SigningScheme != signing.StandardWebhooks {
		return models.Webhook{}, models.Invalid("overlap", "is supported for the standard-webhooks scheme only; "+
			w.SigningScheme+" endpoints rotate at once because their receivers compare one signature")
	}
	plain := signing.NewSecret(w.SigningScheme)
	var until *time.Time
	if overlap > 0 {
		t := store.Now().Add(overlap)
		until = &t
	}
	if err := s.st.RotateWebhookSecret(ctx, orgID, id, w.SigningScheme, plain, until); err != nil {
		return models.Webhook{}, err
	}
	if until == nil {
		w.PreviousSecret = models.Secret{}
	} else {
		w.PreviousSecret = w.Secret
	}
	w.Secret, w.PreviousSecretExpiresAt = models.NewSecret(plain), until
	return w, nil
}
