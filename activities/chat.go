package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/switchboardhq/switchboard/chatreply"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/store"
)

// chatStreamLimit is how long a streamed reply may keep streaming after
// its headers arrived within the budget: model answers take a while.
const chatStreamLimit = 45 * time.Second

// ChatLoad reads a conversation's relay state for a fresh run.
func (a *Activities) ChatLoad(ctx context.Context, in contracts.ChatLoadInput) (contracts.ChatResume, error) {
	conv, err := a.Store.ConversationByID(ctx, in.ConversationID)
	if err != nil {
		return contracts.ChatResume{}, fmt.Errorf("load conversation: %w", err)
	}
	return contracts.ChatResume{RelayedSeq: conv.RelayedSeq, Context: conv.Context}, nil
}

// ChatStoredTurn answers a message whose turn an earlier run finished.
func (a *Activities) ChatStoredTurn(ctx context.Context, in contracts.ChatStoredInput) (contracts.ChatTurnResult, error) {
	t, err := a.Store.GetTurn(ctx, in.MessageID)
	if errors.Is(err, models.ErrNotFound) {
		return contracts.ChatTurnResult{MessageID: in.MessageID, Status: contracts.ChatNoReply, Error: "the message was never relayed"}, nil
	}
	if err != nil {
		return contracts.ChatTurnResult{}, err
	}
	return turnResult(t), nil
}

func turnResult(t models.ChatTurn) contracts.ChatTurnResult {
	return contracts.ChatTurnResult{MessageID: t.ID, Status: t.Status, Reply: t.Reply, Fallback: t.Fallback, Error: t.Error}
}

// chatTurn is one relay attempt's loaded state.
type chatTurn struct {
	conv models.Conversation
	msg  models.Message
	cfg  models.ChatBackend
	turn models.ChatTurn
}

// ChatRelay makes one attempt at relaying visitor message Seq: load it and
// the org's chat backend, POST the signed request, validate the reply and
// store the outcome. A 429/503, a 500 or a network error is recorded as an
// attempt and handed back for the workflow to retry within the budget;
// every other answer finishes the turn here. A turn finished earlier is
// answered from storage without sending (a retried activity, a message
// relayed again after continue-as-new).
func (a *Activities) ChatRelay(ctx context.Context, in contracts.ChatRelayInput) (contracts.ChatRelayResult, error) {
	conv, err := a.Store.ConversationByID(ctx, in.ConversationID)
	if err != nil {
		return contracts.ChatRelayResult{}, fmt.Errorf("load conversation: %w", err)
	}
	msg, err := a.Store.VisitorMessageBySeq(ctx, conv.ID, in.Seq)
	if errors.Is(err, models.ErrNotFound) {
		// A number with no message (cannot happen: Seq is allocated in the
		// message's transaction) is skipped, not retried for ever.
		return contracts.ChatRelayResult{Outcome: contracts.RelayDone, Turn: contracts.ChatTurnResult{Status: contracts.ChatNoReply, Error: "no such message"}}, nil
	}
	if err != nil {
		return contracts.ChatRelayResult{}, fmt.Errorf("load message: %w", err)
	}
	t := chatTurn{conv: conv, msg: msg}
	done := contracts.ChatRelayResult{Outcome: contracts.RelayDone, MessageID: msg.ID}
	if prev, err := a.Store.GetTurn(ctx, msg.ID); err == nil && (prev.Done() || prev.Status == models.RelayLater) {
		done.Turn = turnResult(prev)
		return done, nil
	} else if err != nil && !errors.Is(err, models.ErrNotFound) {
		return contracts.ChatRelayResult{}, err
	}
	t.cfg, err = a.Store.GetChatBackend(ctx, conv.OrgID)
	if errors.Is(err, models.ErrNotFound) || err == nil && !t.cfg.Enabled {
		t.turn = models.ChatTurn{ID: msg.ID, OrgID: conv.OrgID, ConversationID: conv.ID, Seq: msg.Seq}
		return a.finishTurn(ctx, t, store.TurnOutcome{Status: models.RelayNoReply, Error: "the chat backend is disabled", Seq: msg.Seq})
	}
	if err != nil {
		return contracts.ChatRelayResult{}, fmt.Errorf("load chat backend: %w", err)
	}
	t.turn = models.ChatTurn{ID: msg.ID, OrgID: conv.OrgID, ConversationID: conv.ID, Seq: msg.Seq,
		Status: models.RelaySending, RunID: activity.GetInfo(ctx).WorkflowExecution.RunID}
	if err := a.Store.StartTurn(ctx, &t.turn); err != nil {
		return contracts.ChatRelayResult{}, fmt.Errorf("start turn: %w", err)
	}
	a.chatChanged(conv.ID)

	body, err := a.chatBody(ctx, conv, msg, in.Context)
	if err != nil {
		return contracts.ChatRelayResult{}, err
	}
	target, err := chatTarget(t.cfg)
	if err != nil {
		return contracts.ChatRelayResult{}, err
	}
	budget := t.cfg.Timeout()
	timeout := budget
	if in.Remaining > 0 && in.Remaining < timeout {
		timeout = in.Remaining
	}
	stream := &chatStreamer{a: a, t: t, ctx: ctx}
	o := a.Outbound.Do(ctx, outbound.Request{
		Target: target, Kind: "chat", MessageID: msg.ID, Body: body, Timeout: timeout,
		ResponseLimit: chatreply.MaxBodyBytes + 1, Consume: stream.consume, ConsumeIf: chatreply.IsEventStream,
		StreamTimeout: chatStreamLimit,
	})
	rec := o.Attempt(msg.ID, in.Attempt, a.Now(), a.Settings.ResponseBodyLimit)
	if o.Streamed {
		rec.ResponseBody = outbound.StorableText([]byte(stream.text()), a.Settings.ResponseBodyLimit)
	}
	if err := a.Store.RecordChatAttempt(ctx, &rec); err != nil {
		return contracts.ChatRelayResult{}, fmt.Errorf("record attempt: %w", err)
	}
	retry := contracts.ChatRelayResult{MessageID: msg.ID, Budget: budget, Error: o.Error, HTTPStatus: o.Status, RetryAfter: o.RetryAfter}
	outcome := store.TurnOutcome{HTTPStatus: o.Status, Duration: o.Duration, Seq: msg.Seq}
	switch {
	case o.Streamed:
		return a.finishStream(ctx, stream, o, outcome)
	case o.Status == http.StatusTooManyRequests || o.Status == http.StatusServiceUnavailable:
		retry.Outcome = contracts.RelayRateLimited
		return retry, nil
	case o.Fail == outbound.FailTimeout:
		outcome.Error = "the chat backend did not answer within " + timeout.String()
		return a.fallback(ctx, t, outcome)
	case o.Fail == outbound.FailNetwork || o.Status >= 500:
		retry.Outcome = contracts.RelayServerError
		return retry, nil
	case !o.OK():
		outcome.Error = o.Error
		return a.fallback(ctx, t, outcome)
	case o.Status == http.StatusNoContent:
		outcome.Status = models.RelayNoReply
		return a.finishTurn(ctx, t, outcome)
	case o.Status == http.StatusAccepted:
		// The backend answers later with POST /v1/conversations/{id}/messages.
		outcome.Status = models.RelayLater
		return a.finishTurn(ctx, t, outcome)
	}
	if o.Truncated {
		outcome.Error = fmt.Sprintf("invalid reply: larger than %d KiB", chatreply.MaxBodyBytes>>10)
		return a.fallback(ctx, t, outcome)
	}
	reply, err := chatreply.Parse(o.Body, o.ContentType)
	if err != nil {
		outcome.Error = "invalid reply: " + err.Error()
		return a.fallback(ctx, t, outcome)
	}
	outcome.Status = models.RelayReplied
	return a.finishReply(ctx, t, reply, outcome)
}

// ChatGiveUp shows the fallback for a message whose attempts ran out.
func (a *Activities) ChatGiveUp(ctx context.Context, in contracts.ChatGiveUpInput) (contracts.ChatRelayResult, error) {
	conv, err := a.Store.ConversationByID(ctx, in.ConversationID)
	if err != nil {
		return contracts.ChatRelayResult{}, fmt.Errorf("load conversation: %w", err)
	}
	msg, err := a.Store.VisitorMessageBySeq(ctx, conv.ID, in.Seq)
	if err != nil {
		return contracts.ChatRelayResult{}, fmt.Errorf("load message: %w", err)
	}
	t := chatTurn{conv: conv, msg: msg, turn: models.ChatTurn{ID: msg.ID, OrgID: conv.OrgID, ConversationID: conv.ID, Seq: msg.Seq}}
	if t.cfg, err = a.Store.GetChatBackend(ctx, conv.OrgID); err != nil && !errors.Is(err, models.ErrNotFound) {
		return contracts.ChatRelayResult{}, err
	}
	reason := in.Reason
	if reason == "" {
		reason = "the chat backend did not answer"
	}
	return a.fallback(ctx, t, store.TurnOutcome{HTTPStatus: in.HTTPStatus, Error: reason, Seq: msg.Seq})
}

// fallback finishes a turn with the configured fallback reply and, with
// handoff_on_failure, flags the ticket for a human.
func (a *Activities) fallback(ctx context.Context, t chatTurn, o store.TurnOutcome) (contracts.ChatRelayResult, error) {
	text := orDefault(t.cfg.FallbackReply, models.DefaultChatFallbackReply)
	o.Status, o.Fallback = models.RelayFailed, true
	if t.cfg.HandoffOnFailure {
		o.Handoff = "the chat backend failed: " + o.Error
	}
	return a.finishReply(ctx, t, chatreply.TextReply(text), o)
}

// finishReply stores a reply's messages, its context and its action.
func (a *Activities) finishReply(ctx context.Context, t chatTurn, r chatreply.Reply, o store.TurnOutcome) (contracts.ChatRelayResult, error) {
	for _, m := range r.Messages {
		o.Messages = append(o.Messages, botMessage(t, m))
	}
	return a.finishTurnWith(ctx, t, r, o)
}

func (a *Activities) finishTurnWith(ctx context.Context, t chatTurn, r chatreply.Reply, o store.TurnOutcome) (contracts.ChatRelayResult, error) {
	raw, err := json.Marshal(r)
	if err != nil {
		return contracts.ChatRelayResult{}, err
	}
	o.Reply, o.Action = string(raw), r.Action
	if r.Action == "handoff" && o.Handoff == "" {
		o.Handoff = "the chat backend handed the conversation to a human"
	}
	if r.Context != nil {
		c := string(r.Context)
		o.Context = &c
	}
	return a.finishTurn(ctx, t, o)
}

func (a *Activities) finishTurn(ctx context.Context, t chatTurn, o store.TurnOutcome) (contracts.ChatRelayResult, error) {
	err := a.Store.FinishTurn(ctx, t.turn, o)
	if errors.Is(err, models.ErrConflict) {
		// Finished meanwhile (a retried activity): answer what is stored.
		prev, gerr := a.Store.GetTurn(ctx, t.turn.ID)
		if gerr != nil {
			return contracts.ChatRelayResult{}, gerr
		}
		return contracts.ChatRelayResult{Outcome: contracts.RelayDone, MessageID: t.turn.ID, Turn: turnResult(prev)}, nil
	}
	if err != nil {
		return contracts.ChatRelayResult{}, fmt.Errorf("finish turn: %w", err)
	}
	a.chatChanged(t.conv.ID)
	res := contracts.ChatRelayResult{Outcome: contracts.RelayDone, MessageID: t.turn.ID, HTTPStatus: o.HTTPStatus,
		Turn: contracts.ChatTurnResult{MessageID: t.turn.ID, Status: o.Status, Reply: o.Reply, Fallback: o.Fallback, Error: o.Error}}
	if o.Context != nil {
		res.Context, res.ContextSet = *o.Context, true
	}
	return res, nil
}

// botMessage is the row of one reply message: Text is what a plain
// transcript shows, Content the rich form.
func botMessage(t chatTurn, m chatreply.Message) *models.Message {
	raw, _ := json.Marshal(m) // plain structs: cannot fail
	text := m.Text
	if text == "" {
		text = m.Title
	}
	return &models.Message{ID: models.NewID("msg"), OrgID: t.conv.OrgID, ConversationID: t.conv.ID,
		Sender: models.SenderBot, Text: text, Content: string(raw), InReplyTo: t.msg.ID, Status: models.MessageComplete}
}

func (a *Activities) chatChanged(conversationID string) {
	if a.OnChatChanged != nil {
		a.OnChatChanged(conversationID)
	}
}
