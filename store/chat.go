package store

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboardhq/switchboard/models"
)

// GetChatBackend loads the org's chat backend configuration, secrets
// sealed until Reveal, or returns models.ErrNotFound.
func (s *Store) GetChatBackend(ctx context.Context, orgID string) (models.ChatBackend, error) {
	return first[models.ChatBackend](ctx, s.db, "org_id = ?", orgID)
}

// chatSettingsColumns are what a save of the settings writes: never the
// signing secret (first save and rotation only) and never the auth token
// (SetChatAuthToken), so a save racing a rotation cannot undo it.
var chatSettingsColumns = []string{"url", "enabled", "timeout_millis", "auth_type", "auth_header", "signing",
	"signature_header", "fallback_reply", "handoff_on_failure", "updated_at"}

// SaveChatBackend creates or updates the org's configuration; on return c
// holds the stored row (so c.Secret is the secret really in force when
// two first saves raced).
func (s *Store) SaveChatBackend(ctx context.Context, c *models.ChatBackend) error {
	now := Now()
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	c.UpdatedAt = now
	row := *c
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "org_id"}},
			DoUpdates: clause.AssignmentColumns(chatSettingsColumns),
		}).Create(&row).Error
		if err != nil {
			return err
		}
		return tx.Where("org_id = ?", c.OrgID).Take(c).Error
	}))
}

// SetChatAuthToken replaces (or, with "", clears) the outbound auth token.
func (s *Store) SetChatAuthToken(ctx context.Context, orgID, token string) error {
	return s.setChatColumn(ctx, orgID, "auth_token", token)
}

// SetChatBackendSecret replaces the signing secret (rotation).
func (s *Store) SetChatBackendSecret(ctx context.Context, orgID, secret string) error {
	return s.setChatColumn(ctx, orgID, "secret", secret)
}

func (s *Store) setChatColumn(ctx context.Context, orgID, column, plain string) error {
	sealed := ""
	if plain != "" {
		sealed = s.ring.Seal(plain)
	}
	res := s.db.WithContext(ctx).Table("chat_backends").Where("org_id = ?", orgID).
		Updates(map[string]any{column: sealed, "updated_at": Now()})
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// bumpConversation increments the conversation's revision (and, for a
// visitor message, its sequence) and returns the new values. The UPDATE
// takes the row lock, so concurrent messages of one conversation commit
// one after the other and numbers are never reused or out of order.
func bumpConversation(tx *gorm.DB, orgID, convID string, visitor bool) (seq, rev int64, err error) {
	set := "rev = rev + 1"
	if visitor {
		set += ", next_seq = next_seq + 1"
	}
	var out struct{ NextSeq, Rev int64 }
	res := tx.Raw("UPDATE conversations SET "+set+" WHERE org_id = ? AND id = ? RETURNING next_seq, rev", orgID, convID).Scan(&out)
	if res.Error != nil {
		return 0, 0, res.Error
	}
	if res.RowsAffected == 0 {
		return 0, 0, models.ErrNotFound
	}
	if visitor {
		seq = out.NextSeq
	}
	return seq, out.Rev, nil
}

// errDuplicateMessage rolls back a visitor message whose client ID the
// conversation already holds.
var errDuplicateMessage = errors.New("duplicate message")

// AddVisitorMessage appends a visitor message, numbering it (Seq, Rev).
// When the conversation already has a message with m.ClientID nothing is
// written and that message is returned with duplicate true. It returns
// models.ErrNotFound when the conversation does not exist. Files named in
// m.Attachments are linked to the message.
func (s *Store) AddVisitorMessage(ctx context.Context, m *models.Message) (existing models.Message, duplicate bool, err error) {
	if m.ClientID == "" {
		m.ClientID = m.ID // no client ID: the message is its own
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		seq, rev, err := bumpConversation(tx, m.OrgID, m.ConversationID, true)
		if err != nil {
			return err
		}
		// Stamped under the row lock, so the transcript's time order is
		// the relay's Seq order.
		m.CreatedAt = Now()
		m.UpdatedAt = m.CreatedAt
		// After the row lock: a concurrent twin has committed by now.
		err = tx.Where("conversation_id = ? AND client_id = ?", m.ConversationID, m.ClientID).Take(&existing).Error
		if err == nil {
			return errDuplicateMessage
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		m.Seq, m.Rev = seq, rev
		if err := tx.Create(m).Error; err != nil {
			return err
		}
		return linkFiles(tx, m)
	})
	if errors.Is(err, errDuplicateMessage) {
		return existing, true, nil
	}
	return models.Message{}, false, translate(err)
}

func linkFiles(tx *gorm.DB, m *models.Message) error {
	if len(m.Attachments) == 0 {
		return nil
	}
	return tx.Model(&models.ChatFile{}).Where("conversation_id = ? AND id IN ?", m.ConversationID, m.Attachments).
		Update("message_id", m.ID).Error
}

// AddChatMessage appends a bot or operator message (no Seq), numbering
// its revision.
func (s *Store) AddChatMessage(ctx context.Context, m *models.Message) error {
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return insertChatMessage(tx, m)
	}))
}

func insertChatMessage(tx *gorm.DB, m *models.Message) error {
	_, rev, err := bumpConversation(tx, m.OrgID, m.ConversationID, false)
	if err != nil {
		return err
	}
	if m.CreatedAt.IsZero() {
		m.CreatedAt = Now()
	}
	if m.ClientID == "" {
		m.ClientID = m.ID
	}
	m.Rev, m.UpdatedAt = rev, m.CreatedAt
	return tx.Create(m).Error
}

// UpdateStreamingMessage writes a streamed bot message's text so far and
// status (and, when set, its rich content), with a new revision so event
// streams send the change.
func (s *Store) UpdateStreamingMessage(ctx context.Context, orgID, convID, msgID, text, status, content string) error {
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, rev, err := bumpConversation(tx, orgID, convID, false)
		if err != nil {
			return err
		}
		set := map[string]any{"text": text, "status": status, "rev": rev, "updated_at": Now()}
		if content != "" {
			set["content"] = content
		}
		return tx.Model(&models.Message{}).Where("id = ? AND conversation_id = ?", msgID, convID).Updates(set).Error
	}))
}

// MessagesSince returns the conversation's messages changed after rev, in
// revision order, at most limit.
func (s *Store) MessagesSince(ctx context.Context, convID string, rev int64, limit int) ([]models.Message, error) {
	var out []models.Message
	err := s.db.WithContext(ctx).Where("conversation_id = ? AND rev > ?", convID, rev).
		Order("rev").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// ListMessages returns a conversation's transcript in the order written.
func (s *Store) ListMessages(ctx context.Context, orgID, convID string, limit int) ([]models.Message, error) {
	var out []models.Message
	err := s.db.WithContext(ctx).Where("org_id = ? AND conversation_id = ?", orgID, convID).
		Order("created_at, seq, id").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// GetMessage loads one message of a conversation.
func (s *Store) GetMessage(ctx context.Context, convID, id string) (models.Message, error) {
	return first[models.Message](ctx, s.db, "conversation_id = ? AND id = ?", convID, id)
}

// VisitorMessageBySeq loads the conversation's visitor message numbered seq.
func (s *Store) VisitorMessageBySeq(ctx context.Context, convID string, seq int64) (models.Message, error) {
	return first[models.Message](ctx, s.db, "conversation_id = ? AND seq = ?", convID, seq)
}

// SetConversationToken stores the hash of a conversation's token.
func (s *Store) SetConversationToken(ctx context.Context, orgID, convID, hash string) error {
	res := s.db.WithContext(ctx).Model(&models.Conversation{}).Where("org_id = ? AND id = ?", orgID, convID).
		Update("token_hash", hash)
	if res.Error == nil && res.RowsAffected == 0 {
		return models.ErrNotFound
	}
	return translate(res.Error)
}

// ConversationByID loads a conversation whatever its org (the relay's
// activities hold only its ID).
func (s *Store) ConversationByID(ctx context.Context, id string) (models.Conversation, error) {
	return first[models.Conversation](ctx, s.db, "id = ?", id)
}

// CreateFile records an upload of an existing conversation.
func (s *Store) CreateFile(ctx context.Context, f *models.ChatFile) error {
	if f.CreatedAt.IsZero() {
		f.CreatedAt = Now()
	}
	return translate(s.db.WithContext(ctx).Create(f).Error)
}

// GetFile loads an upload by ID.
func (s *Store) GetFile(ctx context.Context, id string) (models.ChatFile, error) {
	return first[models.ChatFile](ctx, s.db, "id = ?", id)
}

// FilesByIDs returns the conversation's uploads among ids, in ids' order;
// IDs of other conversations are left out.
func (s *Store) FilesByIDs(ctx context.Context, convID string, ids []string) ([]models.ChatFile, error) {
	var rows []models.ChatFile
	if err := s.db.WithContext(ctx).Where("conversation_id = ? AND id IN ?", convID, ids).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	byID := map[string]models.ChatFile{}
	for _, f := range rows {
		byID[f.ID] = f
	}
	out := make([]models.ChatFile, 0, len(rows))
	for _, id := range ids {
		if f, ok := byID[id]; ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// CountFiles counts a conversation's uploads.
func (s *Store) CountFiles(ctx context.Context, convID string) (int64, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&models.ChatFile{}).Where("conversation_id = ?", convID).Count(&n).Error
	return n, translate(err)
}

// TicketRow is one line of the operators' ticket list.
type TicketRow struct {
	ConversationID string
	VisitorID      string
	TicketStatus   string
	NeedsHuman     bool
	CreatedAt      time.Time
}

// ListTickets returns the org's latest conversations with their tickets,
// those flagged for a human first.
func (s *Store) ListTickets(ctx context.Context, orgID string, limit int) ([]TicketRow, error) {
	var out []TicketRow
	err := s.db.WithContext(ctx).Table("conversations AS c").
		Select("c.id AS conversation_id, c.visitor_id, t.status AS ticket_status, t.needs_human, c.created_at").
		Joins("JOIN tickets t ON t.conversation_id = c.id").Where("c.org_id = ?", orgID).
		Order("t.needs_human DESC, c.created_at DESC").Limit(limit).Scan(&out).Error
	return out, translate(err)
}
