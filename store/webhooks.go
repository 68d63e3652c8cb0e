package store

import (
	"context"
	"slices"
	"time"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// CreateWebhook inserts an endpoint; the Secret serializer seals its secret.
func (s *Store) CreateWebhook(ctx context.Context, w *models.Webhook) error {
	return translate(s.db.WithContext(ctx).Create(w).Error)
}

// GetWebhook loads an endpoint of the org. Its secrets stay sealed until
// someone calls Reveal.
func (s *Store) GetWebhook(ctx context.Context, orgID, id string) (models.Webhook, error) {
	return first[models.Webhook](ctx, s.db, "org_id = ? AND id = ?", orgID, id)
}

// WebhookByID loads an endpoint regardless of org; activities use it, having
// got the ID from a delivery that is already org-scoped.
func (s *Store) WebhookByID(ctx context.Context, id string) (models.Webhook, error) {
	return first[models.Webhook](ctx, s.db, "id = ?", id)
}

// ListWebhooks lists the org's endpoints, newest first.
func (s *Store) ListWebhooks(ctx context.Context, orgID string) ([]models.Webhook, error) {
	var out []models.Webhook
	if err := s.db.WithContext(ctx).Where("org_id = ?", orgID).Order("created_at DESC, id DESC").Find(&out).Error; err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// secretColumnsOfWebhook are written only by RotateWebhookSecret, so an
// edit that read the row before a rotation cannot write the old secret back.
var secretColumnsOfWebhook = []string{"secret", "previous_secret", "previous_secret_expires_at"}

// SaveWebhook writes every field of an existing endpoint except its
// secrets (see RotateWebhookSecret).
func (s *Store) SaveWebhook(ctx context.Context, w *models.Webhook) error {
	w.UpdatedAt = Now()
	res := s.db.WithContext(ctx).Model(w).Where("org_id = ?", w.OrgID).Select("*").
		Omit(secretColumnsOfWebhook...).Updates(w)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// RotateWebhookSecret replaces the endpoint's secret, writing only the
// secret columns. With a non-nil keepOldUntil the replaced secret stays
// valid until then (it is copied in SQL, still sealed, never opened);
// otherwise any previous secret is dropped. scheme guards against a
// concurrent scheme change: the rotation applies only while the endpoint
// still has it, else models.ErrConflict.
func (s *Store) RotateWebhookSecret(ctx context.Context, orgID, id, scheme, secret string, keepOldUntil *time.Time) error {
	set := map[string]any{
		"secret":     s.ring.Seal(secret),
		"updated_at": Now(),
	}
	if keepOldUntil != nil {
		set["previous_secret"] = gorm.Expr("secret")
		set["previous_secret_expires_at"] = *keepOldUntil
	} else {
		set["previous_secret"] = ""
		set["previous_secret_expires_at"] = nil
	}
	// Table, not Model: the values are already in their stored form.
	res := s.db.WithContext(ctx).Table("webhooks").
		Where("org_id = ? AND id = ? AND signing_scheme = ?", orgID, id, scheme).Updates(set)
	if res.Error != nil {
		return translate(res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.GetWebhook(ctx, orgID, id); err != nil {
			return err
		}
		return &models.ConflictError{Message: "the endpoint's signing scheme changed during the rotation; try again"}
	}
	return nil
}

// UpdateWebhookColumns writes only the named columns of an existing
// endpoint (and updated_at), scoped by org and ID. A PATCH must not write
// back what it did not change: a read-modify-write of every column would
// undo a concurrent 410 deactivation (DeactivateWebhook) or secret rotation
// that landed between its read and its write.
func (s *Store) UpdateWebhookColumns(ctx context.Context, w *models.Webhook, cols ...string) error {
	// Secrets change only through RotateWebhookSecret, which writes them
	// already sealed; a Select here would let a stale copy overwrite them.
	cols = slices.DeleteFunc(slices.Clone(cols), func(c string) bool {
		return c == "secret" || c == "previous_secret" || c == "previous_secret_expires_at"
	})
	w.UpdatedAt = Now()
	row := *w
	sel := append(slices.Clone(cols), "updated_at")
	res := s.db.WithContext(ctx).Model(&row).Where("org_id = ?", w.OrgID).Select(sel).Updates(&row)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// DeleteWebhook removes an endpoint; its past deliveries stay for history.
func (s *Store) DeleteWebhook(ctx context.Context, orgID, id string) error {
	res := s.db.WithContext(ctx).Where("org_id = ? AND id = ?", orgID, id).Delete(&models.Webhook{})
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// DeactivateWebhook turns an endpoint off and records why (e.g. 410 Gone).
func (s *Store) DeactivateWebhook(ctx context.Context, id, reason string) error {
	return translate(s.db.WithContext(ctx).Model(&models.Webhook{}).Where("id = ?", id).
		Updates(map[string]any{"active": false, "disabled_reason": reason, "updated_at": Now()}).Error)
}

// Subscribers lists the org's endpoints, active or not, that subscribe to
// eventType, in creation order. Subscriptions are a JSON list, so the
// match happens in Go; an org has few endpoints. Secrets are not opened:
// ingest does not sign.
func (s *Store) Subscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error) {
	var all []models.Webhook
	if err := s.db.WithContext(ctx).Where("org_id = ?", orgID).Order("created_at, id").Find(&all).Error; err != nil {
		return nil, translate(err)
	}
	out := all[:0]
	for _, w := range all {
		if w.Subscribes(eventType) {
			out = append(out, w)
		}
	}
	return out, nil
}

// ActiveSubscribers is Subscribers without the inactive endpoints.
func (s *Store) ActiveSubscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error) {
	subs, err := s.Subscribers(ctx, orgID, eventType)
	out := subs[:0]
	for _, w := range subs {
		if w.Active {
			out = append(out, w)
		}
	}
	return out, err
}
