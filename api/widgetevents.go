package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// chatMessageView is a message as the widget and operators see it.
type chatMessageView struct {
	ID          string          `json:"id"`
	Sender      string          `json:"sender"`
	Text        string          `json:"text"`
	Content     json.RawMessage `json:"content"`
	Status      string          `json:"status,omitempty"`
	InReplyTo   string          `json:"in_reply_to,omitempty"`
	ClientID    string          `json:"client_message_id,omitempty"`
	Attachments []string        `json:"attachments"`
	RelayStatus string          `json:"relay_status,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
}

func viewChatMessage(m models.Message) chatMessageView {
	v := chatMessageView{ID: m.ID, Sender: m.Sender, Text: m.Text, Content: json.RawMessage("null"), Status: m.Status,
		InReplyTo: m.InReplyTo, Attachments: m.Attachments, RelayStatus: m.RelayStatus, CreatedAt: m.CreatedAt}
	if m.Content != "" && json.Valid([]byte(m.Content)) {
		v.Content = json.RawMessage(m.Content)
	}
	if m.Sender == models.SenderVisitor {
		v.ClientID = m.ClientID
	}
	if v.Attachments == nil {
		v.Attachments = []string{}
	}
	return v
}

// chatStream is one event stream's cursor: the last revision sent, and
// how much of each streaming message the widget already has.
type chatStream struct {
	c        *gin.Context
	rev      int64
	sent     map[string]int // streaming message ID → bytes of text sent
	visitors map[string]bool
}

// conversationEvents streams a conversation to the widget as Server-Sent
// Events: "message" (visitor, bot and operator messages; a streamed bot
// message again when complete), "chunk" (text a streaming bot message
// gained), "typing" (the backend is being asked) and "reply" (a turn's
// quick replies and action). Each event's id is the conversation
// revision, so a reconnecting EventSource (Last-Event-ID) or ?after=
// resumes without gaps; after=0 replays the conversation.
func (s widgetHandlers) conversationEvents(c *gin.Context) error {
	ctx := c.Request.Context()
	orgID, convID := principal(c).OrgID, c.Param("id")
	after := c.Query("after")
	if after == "" {
		after = c.GetHeader("Last-Event-ID")
	}
	var rev int64
	if after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 0 {
			return &Error{Status: http.StatusBadRequest, Code: "invalid_request", Message: "after must be a revision number (an event id)"}
		}
		rev = n
	}
	notify, cancel, err := s.svc.SubscribeConversation(ctx, orgID, convID, caller(c))
	if err != nil {
		return err
	}
	defer cancel()
	changes, err := s.svc.ChangesSince(ctx, convID, rev)
	if err != nil {
		return err // nothing written yet: a JSON error
	}
	startStream(c)
	st := &chatStream{c: c, rev: rev, sent: map[string]int{}, visitors: map[string]bool{}}
	if _, err := fmt.Fprint(c.Writer, ": connected\n\n"); err != nil {
		return nil
	}
	tick := time.NewTicker(sseKeepalive)
	defer tick.Stop()
	for {
		if st.send(changes) != nil {
			return nil
		}
		c.Writer.Flush()
		if len(changes) == service.ChangesPage {
			// A full page: more are waiting; read on before sleeping.
			if changes, err = s.svc.ChangesSince(ctx, convID, st.rev); err != nil {
				return nil
			}
			continue
		}
		if !awaitStream(c, notify, tick.C, s.svc.ShuttingDown()) {
			return nil
		}
		if changes, err = s.svc.ChangesSince(ctx, convID, st.rev); err != nil {
			return nil // the client reconnects with Last-Event-ID
		}
	}
}

func (st *chatStream) send(changes []service.ChatChange) error {
	for _, ch := range changes {
		m := ch.Message
		st.rev = max(st.rev, m.Rev)
		if err := st.sendOne(m, ch.Turn); err != nil {
			return err
		}
	}
	return nil
}

func (st *chatStream) sendOne(m models.Message, turn *models.ChatTurn) error {
	if m.Sender == models.SenderVisitor {
		if !st.visitors[m.ID] {
			// First sight (its rev may already be a later relay state).
			st.visitors[m.ID] = true
			if err := st.event("message", m.Rev, viewChatMessage(m)); err != nil {
				return err
			}
		}
		switch {
		case m.RelayStatus == models.RelaySending:
			return st.event("typing", m.Rev, gin.H{"active": true, "in_reply_to": m.ID})
		case turn != nil:
			r := service.WidgetReplyOf(*turn)
			if r == nil {
				return nil
			}
			return st.event("reply", m.Rev, gin.H{"in_reply_to": m.ID, "status": turn.Status, "quick_replies": r.QuickReplies,
				"action": r.Action, "fallback": r.Fallback})
		case m.RelayStatus == models.RelayNoReply || m.RelayStatus == models.RelayLater:
			return st.event("typing", m.Rev, gin.H{"active": false, "in_reply_to": m.ID})
		}
		return nil
	}
	sent, seen := st.sent[m.ID]
	if m.Status == models.MessageStreaming && seen && len(m.Text) >= sent {
		delta := m.Text[sent:]
		st.sent[m.ID] = len(m.Text)
		if delta == "" {
			return nil
		}
		return st.event("chunk", m.Rev, gin.H{"message_id": m.ID, "delta": delta})
	}
	if m.Status == models.MessageStreaming {
		st.sent[m.ID] = len(m.Text)
	} else {
		delete(st.sent, m.ID)
	}
	return st.event("message", m.Rev, viewChatMessage(m))
}

func (st *chatStream) event(name string, rev int64, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(st.c.Writer, "id: %d\nevent: %s\ndata: %s\n\n", rev, name, data)
	return err
}
