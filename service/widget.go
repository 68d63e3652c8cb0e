package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// widgetStore is what Widget reads and writes.
type widgetStore interface {
	backendConnectReader
	AddMessage(ctx context.Context, m *models.Message) error
	CreateConversationWithMessage(ctx context.Context, conv *models.Conversation, ticket *models.Ticket,
		msg *models.Message, profile *models.CustomerProfile, lookup *models.Lookup) error
}

// Widget owns what the chat widget posts: visitor messages, which open
// conversations and start their customer lookup.
type Widget struct {
	st      widgetStore
	lookups *lookupStarter
}

// Widget message limits.
const (
	maxMessageText = 10000
	maxVisitorID   = 200 // the column size
)

// Message senders and ticket statuses.
const (
	SenderVisitor    = "visitor"
	TicketStatusOpen = "open"
)

// WidgetMessageInput is one message posted by the chat widget. Without a
// conversation ID it opens a new conversation (and ticket); VisitorID is the
// customer's own user identifier (e.g. their logged-in user's ID) and only
// counts on that first message: a conversation's visitor never changes.
type WidgetMessageInput struct {
	ConversationID string `json:"conversation_id"`
	VisitorID      string `json:"visitor_id"`
	Text           string `json:"text"`
}

// WidgetMessageResult is what the widget learns. LookupID is set when the
// message opened a conversation whose customer lookup was started.
type WidgetMessageResult struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	TicketID       string `json:"ticket_id,omitempty"`
	LookupID       string `json:"lookup_id,omitempty"`
	Created        bool   `json:"-"`
}

// PostWidgetMessage stores a visitor's message. The first message of a
// conversation creates it with its ticket and, when it carries a visitor ID
// and Backend Connect is enabled, starts a customer lookup without waiting
// for it: the operator's panel fills in when the lookup finishes. Later
// messages never start a lookup.
func (s *Widget) PostWidgetMessage(ctx context.Context, orgID string, in WidgetMessageInput) (WidgetMessageResult, error) {
	if strings.TrimSpace(in.Text) == "" {
		return WidgetMessageResult{}, models.Invalid("text", "is required")
	}
	if utf8.RuneCountInString(in.Text) > maxMessageText || !utf8.ValidString(in.Text) || strings.ContainsRune(in.Text, 0) {
		return WidgetMessageResult{}, models.Invalid("text", "must be valid text of at most 10000 characters")
	}
	if len(in.VisitorID) > maxVisitorID || !utf8.ValidString(in.VisitorID) || strings.ContainsRune(in.VisitorID, 0) {
		return WidgetMessageResult{}, models.Invalid("visitor_id", "must be valid text of at most 200 bytes")
	}
	now := store.Now()
	msg := &models.Message{ID: models.NewID("msg"), OrgID: orgID, Sender: SenderVisitor, Text: in.Text, CreatedAt: now}

	if in.ConversationID != "" {
		// A later message: never a lookup, whatever it carries.
		msg.ConversationID = in.ConversationID
		if err := s.st.AddMessage(ctx, msg); err != nil {
			return WidgetMessageResult{}, err
		}
		return WidgetMessageResult{ConversationID: in.ConversationID, MessageID: msg.ID}, nil
	}

	conv := &models.Conversation{ID: models.NewID("conv"), OrgID: orgID, VisitorID: in.VisitorID, CreatedAt: now}
	ticket := &models.Ticket{ID: models.NewID("tkt"), OrgID: orgID, ConversationID: conv.ID, Status: TicketStatusOpen, CreatedAt: now}
	msg.ConversationID = conv.ID
	profile := &models.CustomerProfile{ConversationID: conv.ID, OrgID: orgID, VisitorID: in.VisitorID, Status: models.ProfileSkipped}
	var lookup *models.Lookup
	if in.VisitorID == "" {
		profile.Error = "the conversation has no visitor ID"
	} else {
		_, why, err := backendConnectActive(ctx, s.st, orgID)
		if err != nil {
			return WidgetMessageResult{}, err
		}
		if why != "" {
			profile.Error = why
		} else {
			profile.Status = models.ProfilePending
			lookup = &models.Lookup{
				ID: models.NewID("lkp"), OrgID: orgID, ConversationID: conv.ID,
				Trigger: models.TriggerFirstMessage, Status: models.LookupPending, CreatedAt: now,
			}
		}
	}
	if err := s.st.CreateConversationWithMessage(ctx, conv, ticket, msg, profile, lookup); err != nil {
		return WidgetMessageResult{}, err
	}
	res := WidgetMessageResult{ConversationID: conv.ID, MessageID: msg.ID, TicketID: ticket.ID, Created: true}
	if lookup != nil {
		res.LookupID = lookup.ID
		// The message is committed whatever happens to the start; the
		// visitor must never wait for, or fail because of, the lookup.
		// The start is one RPC (the first workflow task is handed to this
		// process's worker by eager start); the result is not awaited.
		if _, err := s.lookups.start(context.WithoutCancel(ctx), *lookup); err != nil {
			s.lookups.failUnstarted(ctx, *lookup, err)
		}
	}
	return res, nil
}
