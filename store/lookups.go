package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboardhq/switchboard/models"
)

// CreateLookup inserts a lookup (e.g. an operator's refresh) and marks the
// conversation's profile pending, creating the profile row when there is
// none yet. Previously fetched customer data is kept while the lookup runs.
// It returns models.ErrNotFound when the conversation does not exist in the
// lookup's org, and models.ErrConflict when the lookup ID is taken.
func (s *Store) CreateLookup(ctx context.Context, l *models.Lookup) error {
	now := Now()
	if l.CreatedAt.IsZero() {
		l.CreatedAt = now
	}
	if l.Status == "" {
		l.Status = models.LookupPending
	}
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		conv, err := first[models.Conversation](ctx, tx, "org_id = ? AND id = ?", l.OrgID, l.ConversationID)
		if err != nil {
			return err
		}
		if err := tx.Create(l).Error; err != nil {
			return err
		}
		p := &models.CustomerProfile{
			ConversationID: conv.ID, OrgID: conv.OrgID, VisitorID: conv.VisitorID,
			Status: models.ProfilePending, UpdatedAt: now,
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "conversation_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"status", "updated_at"}),
		}).Create(p).Error
	}))
}

// LookupByID loads a lookup regardless of org, for activities, or returns
// models.ErrNotFound.
func (s *Store) LookupByID(ctx context.Context, id string) (models.Lookup, error) {
	return first[models.Lookup](ctx, s.db, "id = ?", id)
}

// ListLookups lists the lookups of an org's conversation, newest first.
func (s *Store) ListLookups(ctx context.Context, orgID, conversationID string) ([]models.Lookup, error) {
	var out []models.Lookup
	err := s.db.WithContext(ctx).Where("org_id = ? AND conversation_id = ?", orgID, conversationID).
		Order("created_at DESC, id DESC").Find(&out).Error
	return out, translate(err)
}

// RecordLookupAttempt stores one attempt of a lookup (a.ParentID is the
// lookup ID) and the lookup's attempt count and status in one transaction.
// Re-running it for the same attempt number overwrites the earlier row, so
// a retried activity cannot leave duplicates. The status of a lookup that is
// already finished is left alone, so a late duplicate attempt cannot reopen
// it. It returns models.ErrNotFound when the lookup does not exist.
func (s *Store) RecordLookupAttempt(ctx context.Context, a *models.Attempt, status models.LookupStatus) error {
	if a.CreatedAt.IsZero() {
		a.CreatedAt = Now()
	}
	a.Error = clip(a.Error, maxErrorText)
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.Lookup{}).Where("id = ?", a.ParentID).Updates(map[string]any{
			"attempts": gorm.Expr("CASE WHEN attempts < ? THEN ? ELSE attempts END", a.Number, a.Number),
			"status":   gorm.Expr("CASE WHEN completed_at IS NULL THEN ? ELSE status END", status),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.ErrNotFound
		}
		return upsertAttempt(tx, a)
	}))
}

// FinishLookup records a lookup's final status (ok, failed or skipped),
// completion time and error, and the conversation's profile (which takes
// the status of the same name, see models.LookupStatus.Profile), in one
// transaction. When profile is non-nil its name, email, plan and fields
// replace the stored ones and its FetchedAt (Now() when nil) becomes the
// fetch time. When profile is nil only the profile's status and error
// change: an operator keeps the last good customer data when a refresh
// fails. The profile row is created when missing; its org, conversation and
// visitor always come from the lookup, whatever profile says. It returns
// models.ErrNotFound when the lookup does not exist.
func (s *Store) FinishLookup(ctx context.Context, lookupID string, profile *models.CustomerProfile, status models.LookupStatus, errText string) error {
	now := Now()
	errText = clip(errText, maxErrorText)
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		l, err := first[models.Lookup](ctx, tx, "id = ?", lookupID)
		if err != nil {
			return err
		}
		if err := tx.Model(&models.Lookup{}).Where("id = ?", lookupID).Updates(map[string]any{
			"status": status, "completed_at": now, "error": errText,
		}).Error; err != nil {
			return err
		}
		conv, err := first[models.Conversation](ctx, tx, "id = ?", l.ConversationID)
		if err != nil {
			return err
		}
		p := models.CustomerProfile{
			ConversationID: l.ConversationID, OrgID: l.OrgID, VisitorID: conv.VisitorID,
			Status: status.Profile(), Error: errText, UpdatedAt: now,
		}
		update := []string{"visitor_id", "status", "error", "updated_at"}
		if profile != nil {
			p.Name, p.Email, p.Plan, p.Fields = profile.Name, profile.Email, profile.Plan, profile.Fields
			p.FetchedAt = profile.FetchedAt
			if p.FetchedAt == nil {
				p.FetchedAt = &now
			}
			update = append(update, "name", "email", "plan", "fields", "fetched_at")
		}
		if err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "conversation_id"}},
			DoUpdates: clause.AssignmentColumns(update),
		}).Create(&p).Error; err != nil {
			return err
		}
		if profile != nil {
			*profile = p
		}
		return nil
	}))
}

// StrandedLookups lists pending lookups created before olderThan that have
// made no attempt and were not swept yet: their workflow may never have
// started because the process died between the commit and the start.
func (s *Store) StrandedLookups(ctx context.Context, olderThan time.Time, limit int) ([]models.Lookup, error) {
	var out []models.Lookup
	err := s.db.WithContext(ctx).Where("status = ? AND attempts = 0 AND completed_at IS NULL AND swept_at IS NULL AND created_at < ?", models.LookupPending, olderThan).
		Order("created_at").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// MarkLookupsSwept is MarkSwept for customer lookups (StrandedLookups).
func (s *Store) MarkLookupsSwept(ctx context.Context, ids []string) error {
	return s.markSwept(ctx, &models.Lookup{}, ids)
}
