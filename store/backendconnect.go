package store

import (
	"time"

	"context"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboardhq/switchboard/models"
)

// maxErrorText is the size of every error column (varchar(1000)).
const maxErrorText = 1000

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

// CreateConversationWithMessage stores a widget message and everything it
// opens in one transaction, so a crash can never leave a ticket without its
// message or a pending profile without its lookup. conv and ticket are nil
// when the conversation already exists; profile is nil unless a lookup will
// run (status pending) or was skipped (status skipped); lookup is nil unless
// one starts. A conversation, ticket or lookup that already exists yields
// models.ErrConflict. An existing profile keeps its customer data: only its
// status, error and visitor ID are overwritten. Zero timestamps are set to
// Now().
func (s *Store) CreateConversationWithMessage(ctx context.Context, conv *models.Conversation, ticket *models.Ticket,
	msg *models.Message, profile *models.CustomerProfile, lookup *models.Lookup) error {
	now := Now()
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if conv != nil {
			if conv.CreatedAt.IsZero() {
				conv.CreatedAt = now
			}
			if err := tx.Create(conv).Error; err != nil {
				return err
			}
		}
		if ticket != nil {
			if ticket.CreatedAt.IsZero() {
				ticket.CreatedAt = now
			}
			if err := tx.Create(ticket).Error; err != nil {
				return err
			}
		}
		if msg != nil {
			if msg.CreatedAt.IsZero() {
				msg.CreatedAt = now
			}
			if err := tx.Create(msg).Error; err != nil {
				return err
			}
		}
		if profile != nil {
			profile.UpdatedAt = now
			profile.Error = clip(profile.Error, maxErrorText)
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "conversation_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"visitor_id", "status", "error", "updated_at"}),
			}).Create(profile).Error
			if err != nil {
				return err
			}
		}
		if lookup != nil {
			if lookup.CreatedAt.IsZero() {
				lookup.CreatedAt = now
			}
			if err := tx.Create(lookup).Error; err != nil {
				return err
			}
		}
		return nil
	}))
}

// GetConversation loads an org's conversation or returns models.ErrNotFound.
func (s *Store) GetConversation(ctx context.Context, orgID, id string) (models.Conversation, error) {
	return first[models.Conversation](ctx, s.db, "org_id = ? AND id = ?", orgID, id)
}

// AddMessage appends a message to an existing conversation of the same org.
// It returns models.ErrNotFound when that conversation does not exist.
func (s *Store) AddMessage(ctx context.Context, m *models.Message) error {
	if m.CreatedAt.IsZero() {
		m.CreatedAt = Now()
	}
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&models.Conversation{}).Where("org_id = ? AND id = ?", m.OrgID, m.ConversationID).
			Count(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return models.ErrNotFound
		}
		return tx.Create(m).Error
	}))
}

// GetCustomerProfile loads the profile of an org's conversation or returns
// models.ErrNotFound when no lookup was ever planned for it.
func (s *Store) GetCustomerProfile(ctx context.Context, orgID, conversationID string) (models.CustomerProfile, error) {
	return first[models.CustomerProfile](ctx, s.db, "org_id = ? AND conversation_id = ?", orgID, conversationID)
}

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
		l.Status = models.ProfilePending
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
func (s *Store) RecordLookupAttempt(ctx context.Context, a *models.Attempt, status string) error {
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
// completion time and error, and the conversation's profile, in one
// transaction. When profile is non-nil its name, email, plan and fields
// replace the stored ones and its FetchedAt (Now() when nil) becomes the
// fetch time. When profile is nil only the profile's status and error
// change: an operator keeps the last good customer data when a refresh
// fails. The profile row is created when missing; its org, conversation and
// visitor always come from the lookup, whatever profile says. It returns
// models.ErrNotFound when the lookup does not exist.
func (s *Store) FinishLookup(ctx context.Context, lookupID string, profile *models.CustomerProfile, status, errText string) error {
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
			Status: status, Error: errText, UpdatedAt: now,
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

// clip shortens s to at most n characters without splitting a UTF-8
// sequence, so it fits a varchar(n) column on PostgreSQL.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// StrandedLookups lists pending lookups created before olderThan that have
// made no attempt and were not swept yet: their workflow may never have
// started because the process died between the commit and the start.
func (s *Store) StrandedLookups(ctx context.Context, olderThan time.Time, limit int) ([]models.Lookup, error) {
	var out []models.Lookup
	err := s.db.WithContext(ctx).Where("status = ? AND attempts = 0 AND completed_at IS NULL AND swept_at IS NULL AND created_at < ?", models.ProfilePending, olderThan).
		Order("created_at").Limit(limit).Find(&out).Error
	return out, translate(err)
}
