package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// ListOrgs returns every org (the retention purge walks them).
func (s *Store) ListOrgs(ctx context.Context) ([]models.Org, error) {
	var out []models.Org
	err := s.db.WithContext(ctx).Order("id").Find(&out).Error
	return out, translate(err)
}

// SetOrgRetention sets an org's retention in days.
func (s *Store) SetOrgRetention(ctx context.Context, orgID string, days int) error {
	res := s.db.WithContext(ctx).Model(&models.Org{}).Where("id = ?", orgID).Update("retention_days", days)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// PurgeBatch deletes up to limit of the org's events created before
// cutoff with their deliveries and those deliveries' attempts, in one
// short transaction (small batches: no long locks on hot tables). It
// returns how many events it deleted; fewer than limit means done.
func (s *Store) PurgeBatch(ctx context.Context, orgID string, cutoff time.Time, limit int) (int, error) {
	n := 0
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var ids []string
		if err := tx.Model(&models.Event{}).Where("org_id = ? AND created_at < ?", orgID, cutoff).
			Order("created_at").Limit(limit).Pluck("id", &ids).Error; err != nil {
			return err
		}
		if len(ids) == 0 {
			return nil
		}
		deliveries := tx.Model(&models.Delivery{}).Select("id").Where("event_id IN ?", ids)
		if err := tx.Where("parent_id IN (?)", deliveries).Delete(&models.Attempt{}).Error; err != nil {
			return err
		}
		if err := tx.Where("event_id IN ?", ids).Delete(&models.Delivery{}).Error; err != nil {
			return err
		}
		res := tx.Where("id IN ?", ids).Delete(&models.Event{})
		n = int(res.RowsAffected)
		return res.Error
	})
	return n, translate(err)
}

// EraseEvent empties an event's payload (its one copy: deliveries and
// attempts keep metadata only, and workflow history never held it) and
// stamps ErasedAt. It returns the event as erased.
func (s *Store) EraseEvent(ctx context.Context, orgID, id string) (models.Event, error) {
	res := s.db.WithContext(ctx).Model(&models.Event{}).Where("org_id = ? AND id = ?", orgID, id).
		Updates(map[string]any{"data": "{}", "erased_at": Now()})
	if res.Error != nil {
		return models.Event{}, translate(res.Error)
	}
	if res.RowsAffected == 0 {
		return models.Event{}, models.ErrNotFound
	}
	return first[models.Event](ctx, s.db, "id = ?", id)
}
