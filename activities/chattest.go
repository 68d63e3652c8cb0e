package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"go.temporal.io/sdk/activity"

	"github.com/switchboardhq/switchboard/chatreply"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/outbound"
)

// ChatTestSend sends a sample message with the org's chat backend
// configuration and reports the raw status, the parsed reply or why it
// was refused, and timings. Nothing is stored: it is the editor's Test.
func (a *Activities) ChatTestSend(ctx context.Context, in contracts.ChatTestInput) (contracts.ChatTestResult, error) {
	cfg, err := a.Store.GetChatBackend(ctx, in.OrgID)
	if err != nil {
		return contracts.ChatTestResult{}, fmt.Errorf("load chat backend: %w", err)
	}
	req := chatRequest{
		Message:      chatRequestMessage{ID: in.RequestID, Text: in.Text, Attachments: []chatAttachment{}},
		Conversation: chatRequestConv{ID: "conv_test", VisitorID: "visitor_test", Context: json.RawMessage("null")},
		Sender:       chatRequestSender{VisitorID: "visitor_test"},
		Metadata:     chatMetadata{PageURL: "", Locale: "en", UserAgent: "Switchboard test mode"},
	}
	if in.Context != "" {
		req.Conversation.Context = json.RawMessage(in.Context)
	}
	body, err := json.Marshal(req)
	if err != nil {
		return contracts.ChatTestResult{}, err
	}
	target, err := chatTarget(cfg)
	if err != nil {
		activity.GetLogger(ctx).Warn("chat test: a secret did not open", "org", in.OrgID, "error", err)
		return contracts.ChatTestResult{Error: "the chat backend's secrets could not be opened with the configured keys"}, nil
	}
	var stream *chatreply.Stream
	o := a.Outbound.Do(ctx, outbound.Request{
		Target: target, Kind: "chat_test", MessageID: in.RequestID, Body: body, Timeout: cfg.Timeout(),
		ResponseLimit: chatreply.MaxBodyBytes + 1, ConsumeIf: chatreply.IsEventStream, StreamTimeout: chatStreamLimit,
		Consume: func(r io.Reader) error {
			stream = chatreply.NewStream(r)
			for {
				if _, err := stream.Next(); err != nil {
					if err == io.EOF {
						return nil
					}
					return err
				}
			}
		},
	})
	res := contracts.ChatTestResult{HTTPStatus: o.Status, Streamed: o.Streamed, Error: o.Error,
		DurationMicros: o.Duration.Microseconds(), FirstByteMicros: o.FirstByte.Microseconds()}
	var reply chatreply.Reply
	switch {
	case o.Streamed && o.OK():
		reply, err = stream.Final()
	case o.Streamed:
		return res, nil
	case !o.OK() || o.Status == http.StatusNoContent || o.Status == http.StatusAccepted:
		return res, nil
	case o.Truncated:
		err = &chatreply.Error{Code: chatreply.CodeTooLarge, Message: fmt.Sprintf("the reply is larger than %d KiB", chatreply.MaxBodyBytes>>10)}
	default:
		reply, err = chatreply.Parse(o.Body, o.ContentType)
	}
	if err != nil {
		res.ValidationError = err.Error()
		return res, nil
	}
	raw, err := json.Marshal(reply)
	if err != nil {
		return res, err
	}
	res.Reply = string(raw)
	return res, nil
}
