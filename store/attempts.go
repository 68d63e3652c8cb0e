package store

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboardhq/switchboard/models"
)

// Attempts lists the attempts of a delivery or lookup in order.
func (s *Store) Attempts(ctx context.Context, parentID string) ([]models.Attempt, error) {
	var out []models.Attempt
	err := s.db.WithContext(ctx).Where("parent_id = ?", parentID).Order("number").Find(&out).Error
	return out, translate(err)
}

// upsertAttempt inserts an attempt or overwrites the row with the same
// parent and number, so a retried activity cannot leave duplicates.
func upsertAttempt(tx *gorm.DB, a *models.Attempt) error { return upsertAttemptWrite(a)(tx).Error }

// upsertAttemptWrite is upsertAttempt as one write of an atomic group.
func upsertAttemptWrite(a *models.Attempt) write {
	return func(tx *gorm.DB) *gorm.DB {
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "parent_id"}, {Name: "number"}},
			DoUpdates: clause.AssignmentColumns([]string{"url", "request_headers", "response_status", "response_body", "duration_micros", "error", "missing_variables", "created_at"}),
		}).Create(a)
	}
}
