package store

import (
	"context"
	"slices"

	"github.com/switchboardhq/switchboard/models"
)

// CreateApp inserts a Custom App; the Secret serializer seals its secret.
func (s *Store) CreateApp(ctx context.Context, a *models.App) error {
	return translate(s.db.WithContext(ctx).Create(a).Error)
}

// GetApp loads an app of the org; its secret stays sealed until Reveal.
func (s *Store) GetApp(ctx context.Context, orgID, id string) (models.App, error) {
	return first[models.App](ctx, s.db, "org_id = ? AND id = ?", orgID, id)
}

// AppByID loads an app regardless of org, for activities that got the ID
// from an org-scoped row.
func (s *Store) AppByID(ctx context.Context, id string) (models.App, error) {
	return first[models.App](ctx, s.db, "id = ?", id)
}

// ListApps lists the org's apps, newest first.
func (s *Store) ListApps(ctx context.Context, orgID string) ([]models.App, error) {
	var out []models.App
	if err := s.db.WithContext(ctx).Where("org_id = ?", orgID).Order("created_at DESC, id DESC").Find(&out).Error; err != nil {
		return nil, translate(err)
	}
	return out, nil
}

// UpdateAppColumns writes only the named columns of an existing app (and
// updated_at), scoped by org and ID, so a PATCH cannot write back what it
// did not change: neither a concurrent edit of another field nor a secret
// rotation that landed between its read and its write.
func (s *Store) UpdateAppColumns(ctx context.Context, a *models.App, cols ...string) error {
	// The secret changes only through RotateAppSecret.
	cols = slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c == "secret" })
	a.UpdatedAt = Now()
	row := *a
	sel := append(cols, "updated_at")
	res := s.db.WithContext(ctx).Model(&row).Where("org_id = ?", a.OrgID).Select(sel).Updates(&row)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// RotateAppSecret replaces the app's secret, writing only that column (and
// updated_at), sealed here because Table skips the serializer.
func (s *Store) RotateAppSecret(ctx context.Context, orgID, id, secret string) error {
	res := s.db.WithContext(ctx).Table("apps").Where("org_id = ? AND id = ?", orgID, id).
		Updates(map[string]any{"secret": s.ring.Seal(secret), "updated_at": Now()})
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// DeleteApp removes an app.
func (s *Store) DeleteApp(ctx context.Context, orgID, id string) error {
	res := s.db.WithContext(ctx).Where("org_id = ? AND id = ?", orgID, id).Delete(&models.App{})
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// AppsWithAction lists the org's enabled apps that enable action, oldest
// first. Actions are a JSON column, so the match happens in Go; an org has
// few apps. Secrets stay sealed: ingest does not sign.
func (s *Store) AppsWithAction(ctx context.Context, orgID, action string) ([]models.App, error) {
	var all []models.App
	if err := s.db.WithContext(ctx).Where("org_id = ? AND enabled = ?", orgID, true).
		Order("created_at, id").Find(&all).Error; err != nil {
		return nil, translate(err)
	}
	return slices.DeleteFunc(all, func(a models.App) bool { return !a.Actions[action].Enabled }), nil
}
