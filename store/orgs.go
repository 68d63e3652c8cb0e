package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// CreateOrg inserts an org together with its keys, atomically.
func (s *Store) CreateOrg(ctx context.Context, org *models.Org, keys ...*models.APIKey) error {
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(org).Error; err != nil {
			return err
		}
		for _, k := range keys {
			if err := tx.Create(k).Error; err != nil {
				return err
			}
		}
		return nil
	}))
}

// keyWithOrg is an API key row joined with its org's.
type keyWithOrg struct {
	models.APIKey
	Org models.Org `gorm:"foreignKey:OrgID"`
}

func (keyWithOrg) TableName() string { return "api_keys" }

// KeyByHash finds the key with this hash and its org. Every API request
// authenticates with it, so it is one joined query, not two.
func (s *Store) KeyByHash(ctx context.Context, hash string) (models.APIKey, models.Org, error) {
	var row keyWithOrg
	err := s.db.WithContext(ctx).Joins("Org").Where("api_keys.hash = ?", hash).Take(&row).Error
	if err != nil {
		return models.APIKey{}, models.Org{}, translate(err)
	}
	return row.APIKey, row.Org, nil
}

// GetOrg loads an org.
func (s *Store) GetOrg(ctx context.Context, id string) (models.Org, error) {
	return first[models.Org](ctx, s.db, "id = ?", id)
}

// SetOrgCORSOrigins replaces the browser origins allowed for the widget API.
func (s *Store) SetOrgCORSOrigins(ctx context.Context, id string, origins []string) error {
	// Updates with a struct (not Update with a raw slice) so the column's
	// JSON serializer encodes the list; Select writes it even when empty.
	res := s.db.WithContext(ctx).Model(&models.Org{ID: id}).Select("cors_origins").Updates(&models.Org{CORSOrigins: origins})
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}
