package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// GetDelivery loads an org's delivery.
func (s *Store) GetDelivery(ctx context.Context, orgID, id string) (models.Delivery, error) {
	return first[models.Delivery](ctx, s.db, "org_id = ? AND id = ?", orgID, id)
}

// DeliveryByID loads a delivery regardless of org, for activities.
func (s *Store) DeliveryByID(ctx context.Context, id string) (models.Delivery, error) {
	return first[models.Delivery](ctx, s.db, "id = ?", id)
}

// DeliveryFilter narrows ListDeliveries. Zero fields do not filter.
type DeliveryFilter struct {
	OrgID     string
	WebhookID string
	AppID     string
	EventType string
	Status    models.DeliveryStatus
	Since     time.Time
	Until     time.Time
	Limit     int
	// Cursor is the opaque NextCursor of the previous page.
	Cursor string
}

// ErrBadCursor means the cursor was not produced by ListDeliveries.
var ErrBadCursor = models.Invalid("cursor", "malformed pagination cursor")

// errBadStatusFilter refuses a status filter that no delivery can have,
// which would otherwise quietly list nothing.
var errBadStatusFilter = models.Invalid("status", "must be "+models.JoinStatuses(models.DeliveryStatuses))

// ListDeliveries returns one page, newest first, and the cursor of the next
// page ("" on the last). Keyset pagination on (created_at, id) stays fast
// and stable while new deliveries arrive.
func (s *Store) ListDeliveries(ctx context.Context, f DeliveryFilter) ([]models.Delivery, string, error) {
	q := s.db.WithContext(ctx).Where("org_id = ?", f.OrgID)
	if f.WebhookID != "" {
		q = q.Where("webhook_id = ?", f.WebhookID)
	}
	if f.AppID != "" {
		q = q.Where("app_id = ?", f.AppID)
	}
	if f.EventType != "" {
		q = q.Where("event_type = ?", f.EventType)
	}
	if f.Status != "" {
		if !f.Status.Valid() {
			return nil, "", errBadStatusFilter
		}
		q = q.Where("status = ?", f.Status)
	}
	if !f.Since.IsZero() {
		q = q.Where("created_at >= ?", f.Since.UTC())
	}
	if !f.Until.IsZero() {
		q = q.Where("created_at < ?", f.Until.UTC())
	}
	if f.Cursor != "" {
		at, id, err := decodeCursor(f.Cursor)
		if err != nil {
			return nil, "", ErrBadCursor
		}
		q = q.Where("created_at < ? OR (created_at = ? AND id < ?)", at, at, id)
	}
	var out []models.Delivery
	if err := q.Order("created_at DESC, id DESC").Limit(f.Limit + 1).Find(&out).Error; err != nil {
		return nil, "", translate(err)
	}
	next := ""
	if len(out) > f.Limit {
		out = out[:f.Limit]
		last := out[len(out)-1]
		next = encodeCursor(last.CreatedAt, last.ID)
	}
	return out, next, nil
}

func encodeCursor(t time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(t.UnixMicro(), 10) + "|" + id))
}

func decodeCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", err
	}
	micros, id, ok := strings.Cut(string(b), "|")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || err != nil || id == "" {
		return time.Time{}, "", fmt.Errorf("bad cursor")
	}
	return time.UnixMicro(n).UTC(), id, nil
}

// DeliveryUpdate is the delivery state after an attempt.
type DeliveryUpdate struct {
	Status         models.DeliveryStatus
	LastStatusCode int
	LastError      string
	NextAttemptAt  *time.Time
	Completed      bool
	// WebhookID, when set, is the endpoint whose health the attempt
	// updates: a success ends its failing streak, a failure extends it.
	WebhookID string
	Healthy   bool
	// Clean says the attempt read the endpoint without a failing streak.
	// A success then writes nothing to the endpoint: a failure another
	// attempt recorded since overlapped this one, and ordering it after
	// this success is as true as ordering it before.
	Clean bool
}

// RecordAttempt stores an attempt and the delivery's new state atomically
// (one round trip on PostgreSQL, see atomically). Re-running it for the
// same attempt number overwrites the earlier row, so a retried activity
// cannot leave duplicates. The attempt's generated ID is not read back.
func (s *Store) RecordAttempt(ctx context.Context, a *models.Attempt, u DeliveryUpdate) error {
	fields := map[string]any{
		"status": u.Status, "attempts": gorm.Expr("CASE WHEN attempts < ? THEN ? ELSE attempts END", a.Number, a.Number),
		"last_status_code": u.LastStatusCode, "last_error": u.LastError,
		"next_attempt_at": u.NextAttemptAt, "updated_at": Now(),
	}
	if u.Completed {
		fields["completed_at"] = Now()
	}
	writes := []write{upsertAttemptWrite(a), func(tx *gorm.DB) *gorm.DB {
		return tx.Model(&models.Delivery{}).Where("id = ?", a.ParentID).Updates(fields)
	}}
	// A success on an endpoint without a streak has nothing to end.
	if u.WebhookID != "" && !(u.Healthy && u.Clean) {
		writes = append(writes, healthWrite(u.WebhookID, u.Healthy))
	}
	return s.atomically(ctx, writes...)
}

// SetDeliveryStatus changes only the status, e.g. to cancelled or back to
// pending when an operator re-drives a finished delivery.
func (s *Store) SetDeliveryStatus(ctx context.Context, id string, status models.DeliveryStatus, completed bool) error {
	fields := map[string]any{"status": status, "updated_at": Now(), "next_attempt_at": nil}
	if completed {
		fields["completed_at"] = Now()
	} else {
		fields["completed_at"] = nil
	}
	return translate(s.db.WithContext(ctx).Model(&models.Delivery{}).Where("id = ?", id).Updates(fields).Error)
}

// Undispatched lists pending deliveries created before olderThan that have
// made no attempt and were not swept yet: candidates whose workflow may
// never have started because the process died between commit and start.
func (s *Store) Undispatched(ctx context.Context, olderThan time.Time, limit int) ([]models.Delivery, error) {
	var out []models.Delivery
	err := s.db.WithContext(ctx).Where("status = ? AND attempts = 0 AND swept_at IS NULL AND created_at < ?", models.StatusPending, olderThan).
		Order("created_at").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// MarkSwept records that the sweeper handed these deliveries to Temporal,
// so Undispatched skips them from now on.
func (s *Store) MarkSwept(ctx context.Context, ids []string) error {
	return s.markSwept(ctx, &models.Delivery{}, ids)
}

// DeliveryToSend is what an attempt reads before it sends: the delivery,
// its event and, for an endpoint's delivery, the endpoint (nil when it was
// deleted, and for an app's delivery).
type DeliveryToSend struct {
	Delivery models.Delivery
	Event    models.Event
	Webhook  *models.Webhook
}

// deliveryJoined is a delivery row joined with its event's and endpoint's.
type deliveryJoined struct {
	models.Delivery
	Event   models.Event    `gorm:"foreignKey:EventID"`
	Webhook *models.Webhook `gorm:"foreignKey:WebhookID"`
}

func (deliveryJoined) TableName() string { return "deliveries" }

// DeliveryToSendByID loads a delivery with its event and endpoint in one
// query: every attempt starts with it, and three reads cost the attempt
// two more round trips to the database and both processes their CPU.
func (s *Store) DeliveryToSendByID(ctx context.Context, id string) (DeliveryToSend, error) {
	var row deliveryJoined
	err := s.db.WithContext(ctx).Joins("Event").Joins("Webhook").Where("deliveries.id = ?", id).Take(&row).Error
	if err != nil {
		return DeliveryToSend{}, translate(err)
	}
	if row.Event.ID == "" {
		return DeliveryToSend{}, models.ErrNotFound // the event is gone (erased rows stay; retention deletes both)
	}
	if row.Webhook != nil && row.Webhook.ID == "" {
		row.Webhook = nil
	}
	return DeliveryToSend{Delivery: row.Delivery, Event: row.Event, Webhook: row.Webhook}, nil
}
