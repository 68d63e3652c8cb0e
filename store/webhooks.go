package store

import (
	"context"
	"slices"

	"github.com/switchboardhq/switchboard/models"
)

// CreateWebhook inserts an endpoint; w keeps its clear secret.
func (s *Store) CreateWebhook(ctx context.Context, w *models.Webhook) error {
	row := *w
	row.Secret = s.seal(w.Secret)
	return translate(s.db.WithContext(ctx).Create(&row).Error)
}

// GetWebhook loads an endpoint of the org.
func (s *Store) GetWebhook(ctx context.Context, orgID, id string) (models.Webhook, error) {
	return s.oneWebhook(first[models.Webhook](ctx, s.db, "org_id = ? AND id = ?", orgID, id))
}

// WebhookByID loads an endpoint regardless of org; activities use it, having
// got the ID from a delivery that is already org-scoped.
func (s *Store) WebhookByID(ctx context.Context, id string) (models.Webhook, error) {
	return s.oneWebhook(first[models.Webhook](ctx, s.db, "id = ?", id))
}

func (s *Store) oneWebhook(w models.Webhook, err error) (models.Webhook, error) {
	if err != nil {
		return w, err
	}
	ws := []models.Webhook{w}
	err = s.unsealWebhooks(ws)
	return ws[0], err
}

// ListWebhooks lists the org's endpoints, newest first.
func (s *Store) ListWebhooks(ctx context.Context, orgID string) ([]models.Webhook, error) {
	var out []models.Webhook
	if err := s.db.WithContext(ctx).Where("org_id = ?", orgID).Order("created_at DESC, id DESC").Find(&out).Error; err != nil {
		return nil, translate(err)
	}
	return out, s.unsealWebhooks(out)
}

// SaveWebhook writes every field of an existing endpoint.
func (s *Store) SaveWebhook(ctx context.Context, w *models.Webhook) error {
	w.UpdatedAt = Now()
	row := *w
	row.Secret = s.seal(w.Secret)
	res := s.db.WithContext(ctx).Model(&row).Where("org_id = ?", w.OrgID).Select("*").Updates(&row)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// UpdateWebhookColumns writes only the named columns of an existing
// endpoint (and updated_at), scoped by org and ID. A PATCH must not write
// back what it did not change: a read-modify-write of every column would
// undo a concurrent 410 deactivation (DeactivateWebhook) or secret rotation
// that landed between its read and its write.
func (s *Store) UpdateWebhookColumns(ctx context.Context, w *models.Webhook, cols ...string) error {
	w.UpdatedAt = Now()
	row := *w
	if slices.Contains(cols, "secret") {
		row.Secret = s.seal(w.Secret)
	}
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

// ActiveSubscribers lists the org's active endpoints that subscribe to
// eventType. Subscriptions are a JSON list, so the match happens in Go; an
// org has few endpoints.
func (s *Store) ActiveSubscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error) {
	var all []models.Webhook
	if err := s.db.WithContext(ctx).Where("org_id = ? AND active = ?", orgID, true).
		Order("created_at, id").Find(&all).Error; err != nil {
		return nil, translate(err)
	}
	out := all[:0]
	for _, w := range all {
		if w.Subscribes(eventType) {
			out = append(out, w)
		}
	}
	return out, s.unsealWebhooks(out)
}
