package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/chatreply"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/service"
)

var chatLimits = chatLimitView{MaxReplyBytes: chatreply.MaxBodyBytes, MaxTextChars: chatreply.MaxTextRunes,
	MaxMessages: chatreply.MaxMessages, MaxItems: chatreply.MaxItems}

// chatHandlers serve the operators' side of a conversation.
type chatHandlers struct{ svc *service.Chats }

type transcriptView struct {
	ConversationID string              `json:"conversation_id"`
	VisitorID      string              `json:"visitor_id,omitempty"`
	WorkflowID     string              `json:"workflow_id"`
	Ticket         ticketView          `json:"ticket"`
	Messages       []transcriptMessage `json:"messages"`
	Context        json.RawMessage     `json:"context"`
}

type ticketView struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	NeedsHuman    bool   `json:"needs_human"`
	HandoffReason string `json:"handoff_reason,omitempty"`
}

type transcriptMessage struct {
	chatMessageView
	Turn *turnView `json:"turn,omitempty"`
}

// turnView is the relay of one visitor message: outcome, attempts, and
// the workflow run to open in the Temporal Web UI.
type turnView struct {
	Status      string        `json:"status"`
	HTTPStatus  int           `json:"http_status,omitempty"`
	Error       string        `json:"error,omitempty"`
	Fallback    bool          `json:"fallback"`
	Action      string        `json:"action,omitempty"`
	DurationMS  int64         `json:"duration_ms"`
	WorkflowID  string        `json:"workflow_id"`
	RunID       string        `json:"run_id,omitempty"`
	Attempts    []attemptView `json:"attempts"`
	CompletedAt *time.Time    `json:"completed_at,omitempty"`
}

func (s chatHandlers) listMessages(c *gin.Context) error {
	t, err := s.svc.GetTranscript(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	v := transcriptView{ConversationID: t.Conversation.ID, VisitorID: t.Conversation.VisitorID,
		WorkflowID: contracts.ConversationWorkflowID(t.Conversation.ID), Messages: []transcriptMessage{},
		Ticket: ticketView{ID: t.Ticket.ID, Status: t.Ticket.Status, NeedsHuman: t.Ticket.NeedsHuman, HandoffReason: t.Ticket.HandoffReason}}
	v.Context = json.RawMessage("null")
	if t.Conversation.Context != "" && json.Valid([]byte(t.Conversation.Context)) {
		v.Context = json.RawMessage(t.Conversation.Context)
	}
	for _, m := range t.Messages {
		tm := transcriptMessage{chatMessageView: viewChatMessage(m)}
		if turn, ok := t.Turns[m.ID]; ok {
			tv := &turnView{Status: turn.Status, HTTPStatus: turn.HTTPStatus, Error: turn.Error, Fallback: turn.Fallback,
				Action: turn.Action, DurationMS: turn.DurationMS, WorkflowID: v.WorkflowID, RunID: turn.RunID,
				CompletedAt: turn.CompletedAt, Attempts: viewAttempts(t.Attempts[m.ID])}
			tm.Turn = tv
		}
		v.Messages = append(v.Messages, tm)
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// postMessage adds an operator message, or the chat backend's later reply
// to a message it answered 202.
func (s chatHandlers) postMessage(c *gin.Context) error {
	var in service.ConversationMessageInput
	if err := decode(c, &in); err != nil {
		return err
	}
	msgs, err := s.svc.PostConversationMessage(c.Request.Context(), principal(c).OrgID, c.Param("id"), in)
	if err != nil {
		return err
	}
	out := make([]chatMessageView, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, viewChatMessage(m))
	}
	c.JSON(http.StatusCreated, gin.H{"messages": out})
	return nil
}
