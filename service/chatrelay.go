package service

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/chatreply"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// ChatSettings govern the chat relay.
type ChatSettings struct {
	TaskQueue string
	// Idle is how long a conversation's workflow run waits for the next
	// message before completing (zero: contracts.DefaultChatIdle).
	Idle time.Duration
	// TurnsPerRun is how many messages a run relays before continuing as
	// new (zero: contracts.DefaultChatTurnsPerRun).
	TurnsPerRun int
}

// chatRelay hands visitor messages to their conversation's workflow.
type chatRelay struct {
	tc  client.Client
	set ChatSettings
}

// relayAcceptTimeout bounds the Update-with-Start call itself (until the
// workflow accepted the message); waiting for the reply is separate.
const relayAcceptTimeout = 10 * time.Second

// send relays msg: an Update-with-Start on the conversation's workflow
// (started if it is not running) whose update ID is the message ID, so
// sending the same message again joins the same update. It waits up to
// wait for the turn's result; done is false when the reply comes later
// (over the event stream).
func (r *chatRelay) send(ctx context.Context, orgID string, msg models.Message, wait time.Duration) (res contracts.ChatTurnResult, done bool, err error) {
	start := r.tc.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       contracts.ConversationWorkflowID(msg.ConversationID),
		TaskQueue:                r.set.TaskQueue,
		StaticSummary:            "chat relay of conversation " + msg.ConversationID,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		TypedSearchAttributes:    temporal.NewSearchAttributes(contracts.AttrOrg.ValueSet(orgID)),
	}, contracts.ConversationWorkflow, contracts.ConversationWorkflowInput{
		ConversationID: msg.ConversationID, Idle: r.set.Idle, TurnsPerRun: r.set.TurnsPerRun})
	actx, cancel := withDeadline(ctx, relayAcceptTimeout)
	defer cancel()
	handle, err := r.tc.UpdateWithStartWorkflow(actx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: msg.ID, UpdateName: contracts.UpdateChatMessage, WaitForStage: client.WorkflowUpdateStageAccepted,
			Args: []any{contracts.ChatMessageUpdate{MessageID: msg.ID, Seq: msg.Seq}},
		},
	})
	if err != nil {
		return res, false, temporalErr(err)
	}
	gctx, cancelGet := withDeadline(ctx, wait)
	defer cancelGet()
	if err := handle.Get(gctx, &res); err != nil {
		if gctx.Err() != nil && ctx.Err() == nil {
			return res, false, nil // still relaying: the reply comes over the stream
		}
		return res, false, temporalErr(err)
	}
	return res, true, nil
}

// chatTester runs the chat backend's Test mode as a ChatTest workflow.
type chatTester struct {
	tc  client.Client
	set ChatSettings
}

// ChatTestInput is a Test-mode message.
type ChatTestInput struct {
	Text    string          `json:"text"`
	Context json.RawMessage `json:"context"`
}

// ChatTest is the Test answer: the parsed reply, the raw status, the
// validation error if any, and timings.
type ChatTest struct {
	HTTPStatus      int             `json:"http_status"`
	Reply           json.RawMessage `json:"reply"`
	Streamed        bool            `json:"streamed"`
	ValidationError string          `json:"validation_error,omitempty"`
	Error           string          `json:"error,omitempty"`
	DurationMS      float64         `json:"duration_ms"`
	FirstByteMS     float64         `json:"first_byte_ms"`
	TotalMS         float64         `json:"total_ms"`
}

// TestChatBackend sends one message with the saved configuration.
func (s *ChatBackend) TestChatBackend(ctx context.Context, orgID string, in ChatTestInput) (ChatTest, error) {
	if err := validChatText("text", in.Text); err != nil {
		return ChatTest{}, err
	}
	var context string
	if len(in.Context) > 0 && string(in.Context) != "null" {
		var obj map[string]any
		if len(in.Context) > chatreply.MaxContextBytes || json.Unmarshal(in.Context, &obj) != nil || obj == nil {
			return ChatTest{}, models.Invalid("context", "must be a JSON object of at most 16 KiB")
		}
		context = string(in.Context)
	}
	if _, err := s.st.GetChatBackend(ctx, orgID); err != nil {
		return ChatTest{}, err
	}
	begin := time.Now()
	id := models.NewID("ctst")
	wctx, cancel := withDeadline(ctx, 80*time.Second)
	defer cancel()
	run, err := s.test.tc.ExecuteWorkflow(wctx, client.StartWorkflowOptions{
		ID: contracts.ChatTestWorkflowID(id), TaskQueue: s.test.set.TaskQueue, EnableEagerStart: true,
		StaticSummary: "chat backend test",
	}, contracts.ChatTestWorkflow, contracts.ChatTestInput{OrgID: orgID, RequestID: id, Text: in.Text, Context: context})
	if err != nil {
		return ChatTest{}, temporalErr(err)
	}
	var res contracts.ChatTestResult
	if err := run.Get(wctx, &res); err != nil {
		return ChatTest{}, temporalErr(err)
	}
	out := ChatTest{HTTPStatus: res.HTTPStatus, Streamed: res.Streamed, ValidationError: res.ValidationError, Error: res.Error,
		DurationMS: float64(res.DurationMicros) / 1000, FirstByteMS: float64(res.FirstByteMicros) / 1000,
		TotalMS: float64(time.Since(begin).Microseconds()) / 1000, Reply: json.RawMessage("null")}
	if res.Reply != "" {
		out.Reply = json.RawMessage(res.Reply)
	}
	return out, nil
}

// validChatText bounds an operator's or a test's text like a bot's
// (chatreply.MaxTextRunes).
func validChatText(field, s string) error {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > chatreply.MaxTextRunes || !plainText(s) {
		return models.Invalid(field, "must be 1 to 4096 characters of text")
	}
	return nil
}
