package store

import (
	"context"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboardhq/switchboard/models"
)

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
			if msg.ClientID == "" {
				msg.ClientID = msg.ID // unique per conversation
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
