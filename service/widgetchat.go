package service

import (
	"context"
	"encoding/json"
	"time"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/models"
)

// hubSubscriber is the part of the live hub the event stream needs.
type hubSubscriber interface {
	Subscribe(t live.Topic) (<-chan struct{}, func())
	Done() <-chan struct{}
}

// WidgetReply is a bot answer as the widget renders it: the normalised
// rich reply (chatreply.Reply) without the backend's context.
type WidgetReply struct {
	Messages     json.RawMessage `json:"messages"`
	QuickReplies json.RawMessage `json:"quick_replies"`
	Action       string          `json:"action,omitempty"`
	Fallback     bool            `json:"fallback"`
}

// widgetReply extracts what the widget shows from a stored reply.
func widgetReply(raw string, fallback bool) *WidgetReply {
	if raw == "" {
		return nil
	}
	var r struct {
		Messages     json.RawMessage `json:"messages"`
		QuickReplies json.RawMessage `json:"quick_replies"`
		Action       string          `json:"action"`
	}
	if json.Unmarshal([]byte(raw), &r) != nil {
		return nil
	}
	out := &WidgetReply{Messages: r.Messages, QuickReplies: r.QuickReplies, Action: r.Action, Fallback: fallback}
	if len(out.Messages) == 0 || string(out.Messages) == "null" {
		out.Messages = json.RawMessage("[]")
	}
	if len(out.QuickReplies) == 0 || string(out.QuickReplies) == "null" {
		out.QuickReplies = json.RawMessage("[]")
	}
	return out
}

// openConversation creates the conversation with its token, ticket,
// first message and (when Backend Connect can run) customer lookup.
func (s *Widget) openConversation(ctx context.Context, orgID string, in WidgetMessageInput, msg *models.Message) (WidgetMessageResult, error) {
	token := models.RandomToken(24)
	conv := &models.Conversation{ID: models.NewID("conv"), OrgID: orgID, VisitorID: in.VisitorID, TokenHash: hashToken(token),
		NextSeq: 1, Rev: 1, CreatedAt: msg.CreatedAt}
	ticket := &models.Ticket{ID: models.NewID("tkt"), OrgID: orgID, ConversationID: conv.ID, Status: TicketStatusOpen, CreatedAt: msg.CreatedAt}
	msg.ConversationID, msg.Seq, msg.Rev, msg.UpdatedAt = conv.ID, 1, 1, msg.CreatedAt
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
			lookup = &models.Lookup{ID: models.NewID("lkp"), OrgID: orgID, ConversationID: conv.ID,
				Trigger: models.TriggerFirstMessage, Status: models.LookupPending, CreatedAt: msg.CreatedAt}
		}
	}
	if err := s.st.CreateConversationWithMessage(ctx, conv, ticket, msg, profile, lookup); err != nil {
		return WidgetMessageResult{}, err
	}
	res := WidgetMessageResult{ConversationID: conv.ID, ConversationToken: token, MessageID: msg.ID,
		ClientMessageID: msg.ClientID, TicketID: ticket.ID, Created: true}
	if lookup != nil {
		res.LookupID = lookup.ID
		// The message is committed whatever happens to the start; the
		// visitor must never wait for, or fail because of, the lookup.
		if _, err := s.lookups.start(context.WithoutCancel(ctx), *lookup); err != nil {
			s.lookups.failUnstarted(ctx, *lookup, err)
		}
	}
	return res, nil
}

// replyGrace is what the widget's POST waits beyond the backend's
// timeout: the relay's own bookkeeping after the last byte.
const replyGrace = 2 * time.Second

// relayReply relays the stored message and puts the reply in the answer
// when it comes in time. A relay that cannot start leaves the message
// queued for the sweeper: the visitor's message is never lost.
func (s *Widget) relayReply(ctx context.Context, orgID string, msg models.Message, chat models.ChatBackend, res WidgetMessageResult) (WidgetMessageResult, error) {
	res.ReplyStatus = "pending"
	if msg.RelayStatus != models.RelayQueued && msg.RelayStatus != models.RelaySending {
		// A repeated message whose turn is over: answer what is stored.
		if t, err := s.st.GetTurn(ctx, msg.ID); err == nil {
			res.ReplyStatus, res.Reply = t.Status, widgetReply(t.Reply, t.Fallback)
			return res, nil
		}
	}
	turn, done, err := s.relay.send(ctx, orgID, msg, chat.Timeout()+replyGrace)
	if err != nil {
		// Stored and queued: the sweeper relays it; the widget hears the
		// reply over the event stream.
		s.log.Warn("chat relay could not reach the conversation workflow; the sweeper retries", "message", msg.ID, "err", err)
		return res, nil
	}
	if done {
		res.ReplyStatus, res.Reply = turn.Status, widgetReply(turn.Reply, turn.Fallback)
	}
	return res, nil
}

// SubscribeConversation checks the caller may read the conversation and
// notifies on the returned channel whenever its messages may have
// changed, until cancel is called. Subscribe before the first read.
func (s *Widget) SubscribeConversation(ctx context.Context, orgID, convID string, caller WidgetCaller) (<-chan struct{}, func(), error) {
	if _, err := s.conversation(ctx, orgID, convID, caller); err != nil {
		return nil, nil, err
	}
	ch, cancel := s.hub.Subscribe(live.Chat(convID))
	return ch, cancel, nil
}

// ShuttingDown is closed when the server shuts down.
func (s *Widget) ShuttingDown() <-chan struct{} { return s.hub.Done() }

// ChatChange is one message changed after the stream's cursor, with the
// turn of a visitor message whose relay finished.
type ChatChange struct {
	Message models.Message
	Turn    *models.ChatTurn
}

// ChangesPage is the most changes ChangesSince returns at once.
const ChangesPage = 200

// ChangesSince returns the conversation's message changes after rev, at
// most ChangesPage.
func (s *Widget) ChangesSince(ctx context.Context, convID string, rev int64) ([]ChatChange, error) {
	msgs, err := s.st.MessagesSince(ctx, convID, rev, ChangesPage)
	if err != nil {
		return nil, err
	}
	// The turns of the page's answered visitor messages, in one read.
	var answered []string
	for _, m := range msgs {
		if m.Sender == models.SenderVisitor && (m.RelayStatus == contracts.ChatReplied || m.RelayStatus == contracts.ChatFailed) {
			answered = append(answered, m.ID)
		}
	}
	turns, err := s.st.TurnsByIDs(ctx, answered)
	if err != nil {
		return nil, err
	}
	out := make([]ChatChange, 0, len(msgs))
	for _, m := range msgs {
		ch := ChatChange{Message: m}
		if t, ok := turns[m.ID]; ok {
			ch.Turn = &t
		}
		out = append(out, ch)
	}
	return out, nil
}

// WidgetReplyOf is the widget's form of a turn's stored reply.
func WidgetReplyOf(t models.ChatTurn) *WidgetReply { return widgetReply(t.Reply, t.Fallback) }
