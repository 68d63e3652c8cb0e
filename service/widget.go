package service

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"unicode/utf8"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// widgetStore is what Widget reads and writes.
type widgetStore interface {
	backendConnectReader
	GetChatBackend(ctx context.Context, orgID string) (models.ChatBackend, error)
	GetConversation(ctx context.Context, orgID, id string) (models.Conversation, error)
	AddVisitorMessage(ctx context.Context, m *models.Message) (models.Message, bool, error)
	CreateConversationWithMessage(ctx context.Context, conv *models.Conversation, ticket *models.Ticket,
		msg *models.Message, profile *models.CustomerProfile, lookup *models.Lookup) error
	FilesByIDs(ctx context.Context, convID string, ids []string) ([]models.ChatFile, error)
	GetTurn(ctx context.Context, id string) (models.ChatTurn, error)
	MessagesSince(ctx context.Context, convID string, rev int64, limit int) ([]models.Message, error)
	TurnsByIDs(ctx context.Context, ids []string) (map[string]models.ChatTurn, error)
}

// Widget owns what the chat widget does: visitor messages (which open
// conversations, start their customer lookup and are relayed to the chat
// backend), uploads and the conversation's event stream.
type Widget struct {
	st      widgetStore
	lookups *lookupStarter
	relay   *chatRelay
	hub     hubSubscriber
	log     *slog.Logger
}

// Widget message limits.
const (
	maxMessageText = 10000
	maxVisitorID   = 200 // the column size
	maxClientID    = 100
	maxAttachments = 5
)

// TicketStatusOpen is a new conversation's ticket status.
const TicketStatusOpen = "open"

// WidgetCaller is who posts: a browser holding the conversation's token,
// or a server holding the org's secret key (Trusted), which needs none.
type WidgetCaller struct {
	Token   string
	Trusted bool
}

// WidgetMetadata describes the visitor's page; it is passed to the chat
// backend as is.
type WidgetMetadata struct {
	PageURL   string `json:"page_url"`
	Locale    string `json:"locale"`
	UserAgent string `json:"user_agent"`
}

// WidgetMessageInput is one message posted by the chat widget. Without a
// conversation ID it opens a new conversation (and ticket) and the answer
// carries its token; VisitorID is the customer's own user identifier and
// only counts on that first message. MessageID is the widget's own ID for
// the message: posting it again (a retry) stores and relays it once.
type WidgetMessageInput struct {
	ConversationID string          `json:"conversation_id"`
	MessageID      string          `json:"message_id"`
	VisitorID      string          `json:"visitor_id"`
	Text           string          `json:"text"`
	Attachments    []string        `json:"attachments"`
	Metadata       *WidgetMetadata `json:"metadata"`
}

// WidgetMessageResult is what the widget learns. LookupID is set when the
// message opened a conversation whose customer lookup was started;
// ConversationToken only on the message that opened the conversation.
// Reply is the bot's answer when it came within the chat backend's
// timeout; ReplyStatus says what happened otherwise ("pending": it comes
// over the event stream).
type WidgetMessageResult struct {
	ConversationID    string       `json:"conversation_id"`
	ConversationToken string       `json:"conversation_token,omitempty"`
	MessageID         string       `json:"message_id"`
	ClientMessageID   string       `json:"client_message_id"`
	TicketID          string       `json:"ticket_id,omitempty"`
	LookupID          string       `json:"lookup_id,omitempty"`
	Duplicate         bool         `json:"duplicate"`
	ReplyStatus       string       `json:"reply_status"`
	Reply             *WidgetReply `json:"reply"`
	Created           bool         `json:"-"`
}

// PostWidgetMessage stores a visitor's message and, when the org's chat
// backend is enabled, relays it and waits (up to the backend's timeout)
// for the reply. The first message of a conversation creates it with its
// ticket and, when it carries a visitor ID and Backend Connect is
// enabled, starts a customer lookup without waiting for it.
func (s *Widget) PostWidgetMessage(ctx context.Context, orgID string, caller WidgetCaller, in WidgetMessageInput) (WidgetMessageResult, error) {
	if err := validWidgetMessage(in); err != nil {
		return WidgetMessageResult{}, err
	}
	chat, err := s.st.GetChatBackend(ctx, orgID)
	relay := err == nil && chat.Enabled
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return WidgetMessageResult{}, err
	}
	now := store.Now()
	msg := &models.Message{ID: models.NewID("msg"), OrgID: orgID, Sender: models.SenderVisitor, Text: in.Text,
		ClientID: in.MessageID, Attachments: in.Attachments, Status: models.MessageComplete, CreatedAt: now}
	if msg.ClientID == "" {
		msg.ClientID = msg.ID
	}
	if in.Metadata != nil {
		msg.Metadata = map[string]string{"page_url": in.Metadata.PageURL, "locale": in.Metadata.Locale, "user_agent": in.Metadata.UserAgent}
	}
	if relay {
		msg.RelayStatus = models.RelayQueued
	}
	var res WidgetMessageResult
	if in.ConversationID != "" {
		res, err = s.addMessage(ctx, orgID, caller, in, msg)
	} else {
		if len(in.Attachments) > 0 {
			return WidgetMessageResult{}, models.Invalid("attachments", "files are uploaded into an existing conversation")
		}
		res, err = s.openConversation(ctx, orgID, in, msg)
	}
	if err != nil {
		return WidgetMessageResult{}, err
	}
	res.ReplyStatus = "disabled"
	if relay {
		return s.relayReply(ctx, orgID, *msg, chat, res)
	}
	return res, nil
}

func validWidgetMessage(in WidgetMessageInput) error {
	if strings.TrimSpace(in.Text) == "" {
		return models.Invalid("text", "is required")
	}
	if utf8.RuneCountInString(in.Text) > maxMessageText || !plainText(in.Text) {
		return models.Invalid("text", "must be valid text of at most 10000 characters")
	}
	if len(in.VisitorID) > maxVisitorID || !plainText(in.VisitorID) {
		return models.Invalid("visitor_id", "must be valid text of at most 200 bytes")
	}
	if in.MessageID != "" && (len(in.MessageID) > maxClientID || !idChars(in.MessageID)) {
		return models.Invalid("message_id", "must be 1 to 100 letters, digits or -_.:")
	}
	if len(in.Attachments) > maxAttachments {
		return models.Invalid("attachments", "at most 5 files per message")
	}
	for _, id := range in.Attachments {
		if len(id) > 40 || !idChars(id) {
			return models.Invalid("attachments", "must be file IDs from POST /v1/widget/files")
		}
	}
	if m := in.Metadata; m != nil {
		if len(m.PageURL) > 2048 || len(m.Locale) > 35 || len(m.UserAgent) > 512 ||
			!plainText(m.PageURL) || !plainText(m.Locale) || !plainText(m.UserAgent) {
			return models.Invalid("metadata", "page_url (2048), locale (35) and user_agent (512 bytes) must be short text")
		}
	}
	return nil
}

func idChars(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:", c)) {
			return false
		}
	}
	return s != ""
}

// addMessage appends to an existing conversation the caller may post to.
func (s *Widget) addMessage(ctx context.Context, orgID string, caller WidgetCaller, in WidgetMessageInput, msg *models.Message) (WidgetMessageResult, error) {
	if _, err := s.conversation(ctx, orgID, in.ConversationID, caller); err != nil {
		return WidgetMessageResult{}, err
	}
	msg.ConversationID = in.ConversationID
	if len(in.Attachments) > 0 {
		files, err := s.st.FilesByIDs(ctx, in.ConversationID, in.Attachments)
		if err != nil {
			return WidgetMessageResult{}, err
		}
		if len(files) != len(in.Attachments) {
			return WidgetMessageResult{}, models.Invalid("attachments", "every file must be uploaded into this conversation first")
		}
	}
	existing, dup, err := s.st.AddVisitorMessage(ctx, msg)
	if err != nil {
		return WidgetMessageResult{}, err
	}
	if dup {
		if existing.Text != msg.Text {
			return WidgetMessageResult{}, &models.ConflictError{Message: "message_id was already used for a different message in this conversation"}
		}
		*msg = existing
	}
	return WidgetMessageResult{ConversationID: in.ConversationID, MessageID: msg.ID, ClientMessageID: msg.ClientID, Duplicate: dup}, nil
}

// conversation loads a conversation the caller may use: a trusted caller
// any of the org's, a browser only with the conversation's token. A wrong
// token and an unknown conversation get the same answer.
func (s *Widget) conversation(ctx context.Context, orgID, id string, caller WidgetCaller) (models.Conversation, error) {
	conv, err := s.st.GetConversation(ctx, orgID, id)
	if err != nil {
		return conv, err
	}
	if caller.Trusted {
		return conv, nil
	}
	if conv.TokenHash == "" || caller.Token == "" ||
		subtle.ConstantTimeCompare([]byte(hashToken(caller.Token)), []byte(conv.TokenHash)) != 1 {
		return models.Conversation{}, errConversationToken
	}
	return conv, nil
}

// errConversationToken answers a browser without the conversation's token.
var errConversationToken = &models.ForbiddenError{Message: "this conversation needs its conversation_token (header X-Switchboard-Conversation-Token)"}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
