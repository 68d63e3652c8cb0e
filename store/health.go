package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// healthWrite updates an endpoint's failing streak in the attempt's
// atomic write. Only the health columns are written; a success touches the
// row only when a streak is open, so a healthy endpoint's deliveries do
// not contend on its row.
func healthWrite(webhookID string, healthy bool) write {
	return func(tx *gorm.DB) *gorm.DB {
		q := tx.Model(&models.Webhook{}).Where("id = ?", webhookID)
		if healthy {
			return q.Where("failed_attempts > 0 OR failing_since IS NOT NULL").
				Updates(map[string]any{"failing_since": nil, "failed_attempts": 0, "failing_notified_at": nil})
		}
		return q.Updates(map[string]any{
			"failing_since":   gorm.Expr("COALESCE(failing_since, ?)", Now()),
			"failed_attempts": gorm.Expr("failed_attempts + 1"),
		})
	}
}

// FailingEndpoints returns active endpoints whose failing streak began at
// or before since and has at least minAttempts failed attempts.
func (s *Store) FailingEndpoints(ctx context.Context, since time.Time, minAttempts, limit int) ([]models.Webhook, error) {
	var out []models.Webhook
	err := s.db.WithContext(ctx).Where("active = ? AND failing_since <= ? AND failed_attempts >= ?", true, since, minAttempts).
		Order("failing_since").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// UnwarnedFailingEndpoints returns active endpoints failing since at or
// before since that were not warned about (endpoint.failing) yet.
func (s *Store) UnwarnedFailingEndpoints(ctx context.Context, since time.Time, limit int) ([]models.Webhook, error) {
	var out []models.Webhook
	err := s.db.WithContext(ctx).Where("active = ? AND failing_since <= ? AND failing_notified_at IS NULL", true, since).
		Order("failing_since").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// MarkFailingWarned records that endpoint.failing was sent for the current
// streak; false when another check did it first (send nothing then).
func (s *Store) MarkFailingWarned(ctx context.Context, id string) (bool, error) {
	res := s.db.WithContext(ctx).Model(&models.Webhook{}).Where("id = ? AND failing_notified_at IS NULL AND failing_since IS NOT NULL", id).
		Update("failing_notified_at", Now())
	return res.RowsAffected == 1, translate(res.Error)
}

// DisableFailingEndpoint turns off an endpoint that still meets the
// auto-disable rule (the check and the write are one statement, so a
// success since the read keeps it on); false when it no longer does.
func (s *Store) DisableFailingEndpoint(ctx context.Context, id string, since time.Time, minAttempts int, reason string) (bool, error) {
	res := s.db.WithContext(ctx).Model(&models.Webhook{}).
		Where("id = ? AND active = ? AND failing_since <= ? AND failed_attempts >= ?", id, true, since, minAttempts).
		Updates(map[string]any{"active": false, "disabled_reason": clip(reason, 200), "updated_at": Now()})
	return res.RowsAffected == 1, translate(res.Error)
}

// EnableWebhook turns an endpoint on and starts its health afresh.
func (s *Store) EnableWebhook(ctx context.Context, orgID, id string) error {
	res := s.db.WithContext(ctx).Model(&models.Webhook{}).Where("org_id = ? AND id = ?", orgID, id).
		Updates(map[string]any{"active": true, "disabled_reason": "", "failing_since": nil, "failed_attempts": 0,
			"failing_notified_at": nil, "updated_at": Now()})
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// ReviveSkipped turns up to limit of an endpoint's skipped deliveries
// back to pending and returns them (oldest first) to be started; the
// rest stay pending for the sweeper.
func (s *Store) ReviveSkipped(ctx context.Context, webhookID string, limit int) (revived []models.Delivery, total int64, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.Delivery{}).Where("webhook_id = ? AND status = ?", webhookID, models.StatusSkipped).
			Updates(map[string]any{"status": models.StatusPending, "updated_at": Now()})
		if res.Error != nil {
			return res.Error
		}
		total = res.RowsAffected
		return tx.Where("webhook_id = ? AND status = ? AND attempts = 0 AND swept_at IS NULL", webhookID, models.StatusPending).
			Order("created_at, id").Limit(limit).Find(&revived).Error
	})
	return revived, total, translate(err)
}

// QueuedDeliveries returns an endpoint's deliveries waiting for their
// first attempt, in ingest order, after the cursor (afterAt, afterID) and
// created before `before` (rows younger than that may still be committing
// from another process, with an earlier time than a row already seen).
func (s *Store) QueuedDeliveries(ctx context.Context, webhookID string, afterAt time.Time, afterID string, before time.Time, limit int) ([]models.Delivery, error) {
	var out []models.Delivery
	q := s.db.WithContext(ctx).Where("webhook_id = ? AND status = ? AND attempts = 0 AND created_at < ?", webhookID, models.StatusPending, before)
	if !afterAt.IsZero() {
		q = q.Where("created_at > ? OR (created_at = ? AND id > ?)", afterAt, afterAt, afterID)
	}
	err := q.Order("created_at, id").Limit(limit).Find(&out).Error
	return out, translate(err)
}
