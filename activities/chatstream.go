package activities

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/chatreply"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/store"
)

// chatChunkEvery is how often a streaming message's text is written
// after its first chunk: every chunk is a database write and a push to
// the widget, and a model emits tokens far faster than people read.
const chatChunkEvery = 50 * time.Millisecond

// chatStreamer relays a text/event-stream reply: the first chunk creates
// the bot message at once (the visitor sees the answer start), later
// ones update it at most every chatChunkEvery.
type chatStreamer struct {
	a     *Activities
	t     chatTurn
	ctx   context.Context
	s     *chatreply.Stream
	msg   *models.Message
	sb    strings.Builder
	last  time.Time
	dirty bool
	err   error // a stream the parser refused
}

func (c *chatStreamer) text() string { return c.sb.String() }

func (c *chatStreamer) consume(r io.Reader) error {
	c.s = chatreply.NewStream(r)
	ctx := c.ctx
	for {
		delta, err := c.s.Next()
		if err == io.EOF {
			return c.flush(ctx)
		}
		if err != nil {
			c.err = err
			_ = c.flush(ctx)
			return err
		}
		c.sb.WriteString(delta)
		c.dirty = true
		if c.msg == nil || time.Since(c.last) >= chatChunkEvery {
			if err := c.flush(ctx); err != nil {
				return err
			}
		}
	}
}

// flush writes the text so far.
func (c *chatStreamer) flush(ctx context.Context) error {
	if !c.dirty {
		return nil
	}
	c.dirty, c.last = false, time.Now()
	var err error
	if c.msg == nil {
		c.msg = &models.Message{ID: models.NewID("msg"), OrgID: c.t.conv.OrgID, ConversationID: c.t.conv.ID,
			Sender: models.SenderBot, Text: c.sb.String(), InReplyTo: c.t.msg.ID, Status: models.MessageStreaming}
		err = c.a.Store.AddChatMessage(ctx, c.msg)
	} else {
		err = c.a.Store.UpdateStreamingMessage(ctx, c.msg.OrgID, c.msg.ConversationID, c.msg.ID, c.sb.String(), models.MessageStreaming, "")
	}
	if err != nil {
		return err
	}
	c.a.chatChanged(c.t.conv.ID)
	return nil
}

// finishStream stores the complete reply of a stream: the streamed
// message becomes its first text message; a broken stream keeps what
// arrived (marked incomplete) and shows the fallback after it.
func (a *Activities) finishStream(ctx context.Context, c *chatStreamer, o outbound.Result, out store.TurnOutcome) (contracts.ChatRelayResult, error) {
	var final chatreply.Reply
	err := c.err
	if err == nil && o.Fail != outbound.FailNone {
		err = errString(o.Error)
	}
	if err == nil && c.s != nil {
		final, err = c.s.Final()
	}
	if err != nil {
		if c.msg != nil {
			if werr := a.Store.UpdateStreamingMessage(ctx, c.msg.OrgID, c.msg.ConversationID, c.msg.ID, c.text(), models.MessageIncomplete, ""); werr != nil {
				return contracts.ChatRelayResult{}, werr
			}
		}
		out.Error = "streamed reply failed: " + err.Error()
		return a.fallback(ctx, c.t, out)
	}
	out.Status = models.RelayReplied
	rest := final.Messages
	if c.msg != nil && len(rest) > 0 && rest[0].Type == "text" {
		raw, _ := json.Marshal(rest[0])
		if err := a.Store.UpdateStreamingMessage(ctx, c.msg.OrgID, c.msg.ConversationID, c.msg.ID, rest[0].Text, models.MessageComplete, string(raw)); err != nil {
			return contracts.ChatRelayResult{}, err
		}
		rest = rest[1:]
	}
	for _, m := range rest {
		out.Messages = append(out.Messages, botMessage(c.t, m))
	}
	return a.finishTurnWith(ctx, c.t, final, out)
}

type errString string

func (e errString) Error() string { return string(e) }
