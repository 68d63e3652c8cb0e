package store

import (
	"context"

	"github.com/switchboardhq/switchboard/models"
)

// GetCustomerProfile loads the profile of an org's conversation or returns
// models.ErrNotFound when no lookup was ever planned for it.
func (s *Store) GetCustomerProfile(ctx context.Context, orgID, conversationID string) (models.CustomerProfile, error) {
	return first[models.CustomerProfile](ctx, s.db, "org_id = ? AND conversation_id = ?", orgID, conversationID)
}
