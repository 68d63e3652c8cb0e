package store

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboardhq/switchboard/models"
)

// GetBackendConnect loads the org's Backend Connect configuration, secret
// included (sealed until Reveal), or returns models.ErrNotFound when the org never configured it.
func (s *Store) GetBackendConnect(ctx context.Context, orgID string) (models.BackendConnect, error) {
	return first[models.BackendConnect](ctx, s.db, "org_id = ?", orgID)
}

// SaveBackendConnect creates or updates the org's configuration. An update
// writes the URL, user token field, signature header and enabled flag but
// never the secret, which only the first save and SetBackendConnectSecret
// write. On return c holds the stored row, so c.Secret is the secret that is
// really in force even when two first saves raced and the other one won.
func (s *Store) SaveBackendConnect(ctx context.Context, c *models.BackendConnect) error {
	now := Now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.UpdatedAt = now
	row := *c
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "org_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"url", "user_token_field", "signature_header", "enabled", "updated_at"}),
		}).Create(&row).Error
		if err != nil {
			return err
		}
		return tx.Where("org_id = ?", c.OrgID).Take(c).Error
	})
	return translate(err)
}

// SetBackendConnectSecret replaces the org's signing secret (rotation). It
// returns models.ErrNotFound when the org has no configuration.
func (s *Store) SetBackendConnectSecret(ctx context.Context, orgID, secret string) error {
	// Only the secret columns are written, so a concurrent save of the
	// settings cannot undo a rotation (nor the reverse).
	res := s.db.WithContext(ctx).Table("backend_connects").Where("org_id = ?", orgID).
		Updates(map[string]any{"secret": s.ring.Seal(secret), "updated_at": Now()})
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}
