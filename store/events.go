package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// IngestResult is what CreateEvent did.
type IngestResult struct {
	Event      models.Event
	Deliveries []models.Delivery
	// Duplicate is true when the idempotency key matched an earlier event,
	// which is returned instead and nothing new was written.
	Duplicate bool
}

// CreateEvent stores an event and its deliveries in one transaction, which
// is what makes the fan-out durable: once this commits, the sweeper will
// start every delivery's workflow even if the caller dies right after.
// When ev carries an idempotency key seen within window, the earlier event
// and its deliveries are returned and nothing is written.
func (s *Store) CreateEvent(ctx context.Context, ev *models.Event, deliveries []models.Delivery, window time.Duration) (IngestResult, error) {
	res, err := s.createEvent(ctx, ev, deliveries, window)
	if errors.Is(err, models.ErrConflict) && ev.IdempotencyKey != nil {
		// A concurrent request with the same key won the insert: return its event.
		res, err = s.eventByKey(ctx, ev.OrgID, *ev.IdempotencyKey)
		res.Duplicate = true
	}
	return res, err
}

func (s *Store) createEvent(ctx context.Context, ev *models.Event, deliveries []models.Delivery, window time.Duration) (IngestResult, error) {
	if ev.IdempotencyKey == nil {
		// Nothing to read first: the event and its deliveries in one
		// atomic write (one round trip on PostgreSQL).
		writes := []write{func(tx *gorm.DB) *gorm.DB { return tx.Create(ev) }}
		if len(deliveries) > 0 {
			writes = append(writes, func(tx *gorm.DB) *gorm.DB { return tx.Create(&deliveries) })
		}
		if err := s.atomically(ctx, writes...); err != nil {
			return IngestResult{}, err
		}
		return IngestResult{Event: *ev, Deliveries: deliveries}, nil
	}
	var out IngestResult
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Release the key if its event is older than the window.
		if err := tx.Model(&models.Event{}).
			Where("org_id = ? AND idempotency_key = ? AND created_at < ?", ev.OrgID, *ev.IdempotencyKey, Now().Add(-window)).
			Update("idempotency_key", nil).Error; err != nil {
			return err
		}
		var prior models.Event
		err := tx.Where("org_id = ? AND idempotency_key = ?", ev.OrgID, *ev.IdempotencyKey).Take(&prior).Error
		if err == nil {
			out.Event, out.Duplicate = prior, true
			return tx.Where("event_id = ?", prior.ID).Order("created_at, id").Find(&out.Deliveries).Error
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		if err := tx.Create(ev).Error; err != nil {
			return err
		}
		if len(deliveries) > 0 {
			if err := tx.Create(&deliveries).Error; err != nil {
				return err
			}
		}
		out.Event, out.Deliveries = *ev, deliveries
		return nil
	})
	return out, translate(err)
}

func (s *Store) eventByKey(ctx context.Context, orgID, key string) (IngestResult, error) {
	ev, err := first[models.Event](ctx, s.db, "org_id = ? AND idempotency_key = ?", orgID, key)
	if err != nil {
		return IngestResult{}, err
	}
	var ds []models.Delivery
	err = s.db.WithContext(ctx).Where("event_id = ?", ev.ID).Order("created_at, id").Find(&ds).Error
	return IngestResult{Event: ev, Deliveries: ds}, translate(err)
}

// GetEvent loads an org's event with its deliveries.
func (s *Store) GetEvent(ctx context.Context, orgID, id string) (models.Event, []models.Delivery, error) {
	ev, err := first[models.Event](ctx, s.db, "org_id = ? AND id = ?", orgID, id)
	if err != nil {
		return ev, nil, err
	}
	var ds []models.Delivery
	err = s.db.WithContext(ctx).Where("event_id = ?", id).Order("created_at, id").Find(&ds).Error
	return ev, ds, translate(err)
}
