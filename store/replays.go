package store

import (
	"context"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// CreateDeliveries stores new deliveries of existing events (replays).
func (s *Store) CreateDeliveries(ctx context.Context, ds []models.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	return translate(s.db.WithContext(ctx).Create(&ds).Error)
}

// replayScope is the deliveries a bulk replay covers: its filter, and only
// deliveries created before it (never its own replays, nor later traffic).
func replayScope(tx *gorm.DB, r models.Replay) *gorm.DB {
	q := tx.Model(&models.Delivery{}).Where("org_id = ? AND created_at < ?", r.OrgID, r.CreatedAt)
	if r.Status != "" {
		q = q.Where("status = ?", r.Status)
	}
	if r.WebhookID != "" {
		q = q.Where("webhook_id = ?", r.WebhookID)
	}
	if r.EventType != "" {
		q = q.Where("event_type = ?", r.EventType)
	}
	if r.Since != nil {
		q = q.Where("created_at >= ?", r.Since.UTC())
	}
	if r.Until != nil {
		q = q.Where("created_at < ?", r.Until.UTC())
	}
	return q
}

// CreateReplay stores a bulk replay with the count of what it covers.
func (s *Store) CreateReplay(ctx context.Context, r *models.Replay) error {
	now := Now()
	r.CreatedAt, r.UpdatedAt = now, now
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := replayScope(tx, *r).Count(&n).Error; err != nil {
			return err
		}
		r.Total = int(n)
		return tx.Create(r).Error
	}))
}

// GetReplay loads an org's bulk replay.
func (s *Store) GetReplay(ctx context.Context, orgID, id string) (models.Replay, error) {
	return first[models.Replay](ctx, s.db, "org_id = ? AND id = ?", orgID, id)
}

// ReplayByID loads a bulk replay whatever its org (activities).
func (s *Store) ReplayByID(ctx context.Context, id string) (models.Replay, error) {
	return first[models.Replay](ctx, s.db, "id = ?", id)
}

// ReplayTargets gives, for one delivery to replay, the deliveries to
// create (nil: nothing to replay it to). The store calls it inside the
// page's transaction.
type ReplayTargets func(ctx context.Context, tx ReplayReader, d models.Delivery) ([]models.Delivery, error)

// ReplayReader is what a ReplayTargets may read inside the transaction.
type ReplayReader interface {
	ActiveSubscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error)
	ReplayedEvent(ctx context.Context, replayID, eventID string) (bool, error)
	WebhookExists(ctx context.Context, id string) (bool, error)
}

type txReader struct {
	s  *Store
	tx *gorm.DB
}

func (r txReader) ActiveSubscribers(ctx context.Context, orgID, eventType string) ([]models.Webhook, error) {
	return (&Store{db: r.tx, dialect: r.s.dialect, ring: r.s.ring}).ActiveSubscribers(ctx, orgID, eventType)
}

func (r txReader) ReplayedEvent(ctx context.Context, replayID, eventID string) (bool, error) {
	var n int64
	err := r.tx.WithContext(ctx).Model(&models.Delivery{}).Where("replay_id = ? AND event_id = ?", replayID, eventID).Count(&n).Error
	return n > 0, err
}

func (r txReader) WebhookExists(ctx context.Context, id string) (bool, error) {
	var n int64
	err := r.tx.WithContext(ctx).Model(&models.Webhook{}).Where("id = ?", id).Count(&n).Error
	return n > 0, err
}

// ReplayPage replays the next page (at most limit) of a bulk replay's
// deliveries after its cursor: in one transaction it creates their replay
// deliveries and advances the cursor and counters, so a page retried
// after a crash is never replayed twice. It returns the created
// deliveries (to start) and whether the replay has covered everything.
func (s *Store) ReplayPage(ctx context.Context, replayID string, limit int, targets ReplayTargets) (created []models.Delivery, finished bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var r models.Replay
		if err := tx.Where("id = ?", replayID).Take(&r).Error; err != nil {
			return err
		}
		q := replayScope(tx, r)
		if r.CursorAt != nil {
			q = q.Where("created_at > ? OR (created_at = ? AND id > ?)", *r.CursorAt, *r.CursorAt, r.CursorID)
		}
		var page []models.Delivery
		if err := q.Order("created_at, id").Limit(limit).Find(&page).Error; err != nil {
			return err
		}
		skipped := 0
		for _, d := range page {
			ds, err := targets(ctx, txReader{s, tx}, d)
			if err != nil {
				return err
			}
			if len(ds) == 0 {
				skipped++
				continue
			}
			if err := tx.Create(&ds).Error; err != nil {
				return err
			}
			created = append(created, ds...)
		}
		finished = len(page) < limit
		set := map[string]any{"done": gorm.Expr("done + ?", len(page)-skipped), "skipped": gorm.Expr("skipped + ?", skipped), "updated_at": Now()}
		if len(page) > 0 {
			last := page[len(page)-1]
			set["cursor_at"], set["cursor_id"] = last.CreatedAt, last.ID
		}
		return tx.Model(&models.Replay{}).Where("id = ?", replayID).Updates(set).Error
	})
	return created, finished, translate(err)
}

// SetReplayState records a bulk replay's state (completed and cancelled
// also stamp completed_at).
func (s *Store) SetReplayState(ctx context.Context, id, state string) error {
	set := map[string]any{"state": state, "updated_at": Now()}
	if state == models.ReplayCompleted || state == models.ReplayCancelled {
		set["completed_at"] = Now()
	}
	return translate(s.db.WithContext(ctx).Model(&models.Replay{}).Where("id = ?", id).Updates(set).Error)
}

// ReplayOutcomes counts a bulk replay's deliveries by status.
func (s *Store) ReplayOutcomes(ctx context.Context, id string) (map[models.DeliveryStatus]int, error) {
	var rows []struct {
		Status models.DeliveryStatus
		N      int
	}
	err := s.db.WithContext(ctx).Model(&models.Delivery{}).Select("status, count(*) AS n").
		Where("replay_id = ?", id).Group("status").Scan(&rows).Error
	out := map[models.DeliveryStatus]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, translate(err)
}

// ListReplays returns an org's bulk replays, newest first.
func (s *Store) ListReplays(ctx context.Context, orgID string, limit int) ([]models.Replay, error) {
	var out []models.Replay
	err := s.db.WithContext(ctx).Where("org_id = ?", orgID).Order("created_at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, translate(err)
}
