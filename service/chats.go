package service

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/switchboardhq/switchboard/chatreply"
	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// chatsStore is what Chats reads and writes.
type chatsStore interface {
	GetConversation(ctx context.Context, orgID, id string) (models.Conversation, error)
	ListMessages(ctx context.Context, orgID, convID string, limit int) ([]models.Message, error)
	ListTurns(ctx context.Context, orgID, convID string) ([]models.ChatTurn, error)
	AttemptsFor(ctx context.Context, parentIDs []string) (map[string][]models.Attempt, error)
	AddChatMessage(ctx context.Context, m *models.Message) error
	GetMessage(ctx context.Context, convID, id string) (models.Message, error)
	GetTurn(ctx context.Context, id string) (models.ChatTurn, error)
	GetTicket(ctx context.Context, convID string) (models.Ticket, error)
	FinishTurn(ctx context.Context, t models.ChatTurn, o store.TurnOutcome) error
	ListTickets(ctx context.Context, orgID string, limit int) ([]store.TicketRow, error)
}

// Chats is the operators' side of the chat relay: the transcript with
// each bot turn's attempts, operator messages, and the chat backend's
// later replies (after it answered 202).
type Chats struct {
	st  chatsStore
	hub *live.Hub
}

// maxTranscript bounds one transcript read.
const maxTranscript = 1000

// Transcript is a conversation's messages, turns and ticket.
type Transcript struct {
	Conversation models.Conversation
	Ticket       models.Ticket
	Messages     []models.Message
	Turns        map[string]models.ChatTurn  // by visitor message ID
	Attempts     map[string][]models.Attempt // by turn ID
}

// GetTranscript loads a conversation's transcript.
func (s *Chats) GetTranscript(ctx context.Context, orgID, convID string) (Transcript, error) {
	conv, err := s.st.GetConversation(ctx, orgID, convID)
	if err != nil {
		return Transcript{}, err
	}
	out := Transcript{Conversation: conv, Turns: map[string]models.ChatTurn{}}
	if out.Ticket, err = s.st.GetTicket(ctx, convID); err != nil {
		return Transcript{}, err
	}
	if out.Messages, err = s.st.ListMessages(ctx, orgID, convID, maxTranscript); err != nil {
		return Transcript{}, err
	}
	turns, err := s.st.ListTurns(ctx, orgID, convID)
	if err != nil {
		return Transcript{}, err
	}
	ids := make([]string, 0, len(turns))
	for _, t := range turns {
		out.Turns[t.ID] = t
		ids = append(ids, t.ID)
	}
	out.Attempts, err = s.st.AttemptsFor(ctx, ids)
	return out, err
}

// ConversationMessageInput is an operator's message ({"text"}) or the chat
// backend's later reply to a message it answered 202 ({"in_reply_to",
// "reply"}, reply being exactly what the webhook would have answered).
type ConversationMessageInput struct {
	Text      string          `json:"text"`
	InReplyTo string          `json:"in_reply_to"`
	Reply     json.RawMessage `json:"reply"`
}

// PostConversationMessage adds an operator message or a later bot reply
// and pushes it to the widget. It returns the messages written.
func (s *Chats) PostConversationMessage(ctx context.Context, orgID, convID string, in ConversationMessageInput) ([]models.Message, error) {
	conv, err := s.st.GetConversation(ctx, orgID, convID)
	if err != nil {
		return nil, err
	}
	if in.InReplyTo == "" {
		if len(in.Reply) > 0 {
			return nil, models.Invalid("in_reply_to", "is required with reply")
		}
		if err := validChatText("text", in.Text); err != nil {
			return nil, err
		}
		m := &models.Message{ID: models.NewID("msg"), OrgID: orgID, ConversationID: convID, Sender: models.SenderOperator,
			Text: in.Text, Status: models.MessageComplete}
		if err := s.st.AddChatMessage(ctx, m); err != nil {
			return nil, err
		}
		s.hub.Publish(live.Chat(convID))
		return []models.Message{*m}, nil
	}
	return s.laterReply(ctx, conv, in)
}

// laterReply stores the reply to a message the backend answered 202.
func (s *Chats) laterReply(ctx context.Context, conv models.Conversation, in ConversationMessageInput) ([]models.Message, error) {
	if in.Text != "" {
		return nil, models.Invalid("text", "a later reply carries reply, not text")
	}
	if len(in.Reply) == 0 {
		return nil, models.Invalid("reply", "is required with in_reply_to")
	}
	visitor, err := s.st.GetMessage(ctx, conv.ID, in.InReplyTo)
	if err != nil || visitor.Sender != models.SenderVisitor {
		return nil, models.Invalid("in_reply_to", "must be a visitor message of this conversation")
	}
	turn, err := s.st.GetTurn(ctx, visitor.ID)
	if err != nil || turn.Status != models.RelayLater {
		return nil, &models.ConflictError{Message: "the chat backend did not defer this message (202), or it was answered already"}
	}
	reply, err := chatreply.Parse(in.Reply, "application/json")
	if err != nil {
		return nil, &models.ValidationError{Code: "invalid_reply", Field: "reply", Message: err.Error()}
	}
	raw, _ := json.Marshal(reply) // plain structs
	o := store.TurnOutcome{Status: models.RelayReplied, HTTPStatus: turn.HTTPStatus, Reply: string(raw), Action: reply.Action}
	if reply.Context != nil {
		c := string(reply.Context)
		o.Context = &c
	}
	if reply.Action == "handoff" {
		o.Handoff = "the chat backend handed the conversation to a human"
	}
	for _, m := range reply.Messages {
		mraw, _ := json.Marshal(m)
		o.Messages = append(o.Messages, &models.Message{ID: models.NewID("msg"), OrgID: conv.OrgID, ConversationID: conv.ID,
			Sender: models.SenderBot, Text: strings.TrimSpace(m.Text + " " + m.Title), Content: string(mraw), InReplyTo: visitor.ID, Status: models.MessageComplete})
	}
	if err := s.st.FinishTurn(ctx, turn, o); err != nil {
		return nil, err
	}
	s.hub.Publish(live.Chat(conv.ID))
	out := make([]models.Message, 0, len(o.Messages))
	for _, m := range o.Messages {
		out = append(out, *m)
	}
	return out, nil
}

// ListTickets returns the org's latest 100 conversations with their
// tickets, those flagged for a human first.
func (s *Chats) ListTickets(ctx context.Context, orgID string) ([]store.TicketRow, error) {
	return s.st.ListTickets(ctx, orgID, 100)
}
