package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/switchboardhq/switchboard/models"
)

// GetTurn loads the relay turn of a visitor message.
func (s *Store) GetTurn(ctx context.Context, id string) (models.ChatTurn, error) {
	return first[models.ChatTurn](ctx, s.db, "id = ?", id)
}

// TurnsByIDs loads the turns of the given visitor messages, by ID.
func (s *Store) TurnsByIDs(ctx context.Context, ids []string) (map[string]models.ChatTurn, error) {
	out := map[string]models.ChatTurn{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []models.ChatTurn
	if err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	for _, t := range rows {
		out[t.ID] = t
	}
	return out, nil
}

// ListTurns returns a conversation's relay turns in order.
func (s *Store) ListTurns(ctx context.Context, orgID, convID string) ([]models.ChatTurn, error) {
	var out []models.ChatTurn
	err := s.db.WithContext(ctx).Where("org_id = ? AND conversation_id = ?", orgID, convID).Order("seq").Find(&out).Error
	return out, translate(err)
}

// AttemptsFor returns the attempts of several parents (turns), by parent.
func (s *Store) AttemptsFor(ctx context.Context, parentIDs []string) (map[string][]models.Attempt, error) {
	out := map[string][]models.Attempt{}
	if len(parentIDs) == 0 {
		return out, nil
	}
	var rows []models.Attempt
	if err := s.db.WithContext(ctx).Where("parent_id IN ?", parentIDs).Order("parent_id, number").Find(&rows).Error; err != nil {
		return nil, translate(err)
	}
	for _, a := range rows {
		out[a.ParentID] = append(out[a.ParentID], a)
	}
	return out, nil
}

// StartTurn records that a visitor message is being relayed: the turn row
// (created on the first attempt) and the message's relay status, with a
// new revision so the widget shows "typing".
func (s *Store) StartTurn(ctx context.Context, t *models.ChatTurn) error {
	now := Now()
	if t.CreatedAt.IsZero() {
		t.CreatedAt = now
	}
	t.UpdatedAt = now
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "id"}},
			DoUpdates: clause.AssignmentColumns([]string{"status", "run_id", "updated_at"}),
		}).Create(t).Error
		if err != nil {
			return err
		}
		return setRelayStatus(tx, t.OrgID, t.ConversationID, t.ID, t.Status)
	}))
}

func setRelayStatus(tx *gorm.DB, orgID, convID, msgID, status string) error {
	_, rev, err := bumpConversation(tx, orgID, convID, false)
	if err != nil {
		return err
	}
	return tx.Model(&models.Message{}).Where("id = ?", msgID).
		Updates(map[string]any{"relay_status": status, "rev": rev, "updated_at": Now()}).Error
}

// RecordChatAttempt stores one request of a turn and counts it.
func (s *Store) RecordChatAttempt(ctx context.Context, a *models.Attempt) error {
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(a).Error; err != nil {
			return err
		}
		return tx.Model(&models.ChatTurn{}).Where("id = ?", a.ParentID).
			Updates(map[string]any{"attempts": a.Number, "http_status": a.ResponseStatus, "updated_at": Now()}).Error
	}))
}

// TurnOutcome is what FinishTurn writes.
type TurnOutcome struct {
	Status     string
	HTTPStatus int
	Error      string
	Reply      string
	Fallback   bool
	Action     string
	Duration   time.Duration
	// Messages are the bot messages shown (nil for none).
	Messages []*models.Message
	// Context replaces the conversation's context when non-nil.
	Context *string
	// Handoff, when set, flags the ticket for a human with this reason.
	Handoff string
	// Seq advances the conversation's relayed watermark (0: leave it).
	Seq int64
}

// FinishTurn stores a turn's outcome in one transaction: the bot
// messages, the turn, the visitor message's relay status, the
// conversation's context and relay watermark, and the ticket's handoff
// flag. A turn that is already done is left alone and models.ErrConflict
// returned, so a late reply can never overwrite an answer.
func (s *Store) FinishTurn(ctx context.Context, t models.ChatTurn, o TurnOutcome) error {
	now := Now()
	return translate(s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&models.ChatTurn{}).Where("id = ? AND status NOT IN ?", t.ID,
			[]string{models.RelayReplied, models.RelayNoReply, models.RelayFailed}).
			Updates(map[string]any{
				"status": o.Status, "http_status": o.HTTPStatus, "error": clip(o.Error, maxErrorText),
				"reply": o.Reply, "fallback": o.Fallback, "action": o.Action,
				"duration_ms": o.Duration.Milliseconds(), "completed_at": now, "updated_at": now,
			})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return models.ErrConflict
		}
		for i, m := range o.Messages {
			// Distinct timestamps keep the messages of one reply in order.
			m.CreatedAt = now.Add(time.Duration(i) * time.Microsecond)
			if err := insertChatMessage(tx, m); err != nil {
				return err
			}
		}
		if err := setRelayStatus(tx, t.OrgID, t.ConversationID, t.ID, o.Status); err != nil {
			return err
		}
		conv := map[string]any{}
		if o.Context != nil {
			conv["context"] = *o.Context
		}
		if o.Seq > 0 {
			conv["relayed_seq"] = gorm.Expr("CASE WHEN relayed_seq < ? THEN ? ELSE relayed_seq END", o.Seq, o.Seq)
		}
		if len(conv) > 0 {
			if err := tx.Model(&models.Conversation{}).Where("id = ?", t.ConversationID).Updates(conv).Error; err != nil {
				return err
			}
		}
		if o.Handoff != "" {
			return tx.Model(&models.Ticket{}).Where("conversation_id = ?", t.ConversationID).
				Updates(map[string]any{"needs_human": true, "handoff_reason": clip(o.Handoff, maxErrorText)}).Error
		}
		return nil
	}))
}

// StrandedChatMessages returns visitor messages still queued for the relay
// and older than olderThan: their Update-with-Start never reached
// Temporal (a crash between commit and start). The sweeper sends them.
func (s *Store) StrandedChatMessages(ctx context.Context, olderThan time.Time, limit int) ([]models.Message, error) {
	var out []models.Message
	err := s.db.WithContext(ctx).Where("relay_status = ? AND created_at < ?", models.RelayQueued, olderThan).
		Order("created_at").Limit(limit).Find(&out).Error
	return out, translate(err)
}

// GetTicket loads a conversation's ticket.
func (s *Store) GetTicket(ctx context.Context, convID string) (models.Ticket, error) {
	return first[models.Ticket](ctx, s.db, "conversation_id = ?", convID)
}
