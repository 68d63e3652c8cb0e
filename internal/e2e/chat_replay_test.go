package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/worker"
)

// TestChatHistoriesReplay runs a conversation through every relay path
// (reply, 429 retry, 500 twice then fallback, 202, a repeated message, a
// stream) with continue-as-new after two messages and a short idle, and
// a Test-mode round trip; it replays each run's history with the current
// code and, with SWITCHBOARD_WRITE_REPLAY_TESTDATA=1, records them into
// workflows/testdata (never replacing a recorded file).
func TestChatHistoriesReplay(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.ChatTurnsPerRun = 3
	cfg.ChatIdle = 2 * time.Second
	p := &platform{harness.New(t, cfg)}
	b := newChatBackend(t)
	b.answer = func(n int, req chatRequest, w http.ResponseWriter, _ *http.Request) {
		switch {
		case req.Message.Text == "rate" && n == 2:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(429)
		case req.Message.Text == "broken":
			w.WriteHeader(500)
		case req.Message.Text == "later":
			w.WriteHeader(202)
		case req.Message.Text == "stream":
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = fmt.Fprint(w, "data: {\"delta\":\"str\"}\n\ndata: {\"delta\":\"eamed\"}\n\ndata: [DONE]\n\n")
		default:
			writeJSON(w, 200, map[string]any{"reply": "re: " + req.Message.Text, "context": map[string]int{"n": n}})
		}
	}
	p.configureChat(b, map[string]any{"timeout_ms": 5000})
	_, open := p.say(map[string]any{"text": "hello"})
	conv := open.ConversationID
	for _, text := range []string{"rate", "broken", "later", "stream"} {
		p.say(map[string]any{"conversation_id": conv, "text": text})
	}
	p.say(map[string]any{"conversation_id": conv, "message_id": "dup-1", "text": "twice"})
	p.say(map[string]any{"conversation_id": conv, "message_id": "dup-1", "text": "twice"})
	var test struct {
		HTTPStatus int `json:"http_status"`
	}
	if code := p.call("POST", "/v1/chat-backend/test", map[string]any{"text": "ping"}, &test); code != 200 || test.HTTPStatus != 200 {
		t.Fatalf("test mode: %d %+v", code, test)
	}
	// Runs by their turns' run IDs: the first run continued as new.
	runIDs := []string{}
	for _, m := range p.transcript(conv).Messages {
		if m.Turn != nil && (len(runIDs) == 0 || runIDs[len(runIDs)-1] != m.Turn.RunID) {
			runIDs = append(runIDs, m.Turn.RunID)
		}
	}
	if len(runIDs) < 2 {
		t.Fatalf("expected a continue-as-new, runs %v", runIDs)
	}
	wid := "conversation-" + conv
	runs := map[string]*historypb.History{
		"conversation_continued_as_new": runHistory(t, p, wid, runIDs[0]),
		"conversation_idle_completed":   runHistory(t, p, wid, runIDs[len(runIDs)-1]),
	}
	// The Test-mode run's ID is internal to the API: find it by type.
	var testRun *historypb.History
	harness.Eventually(t, "the ChatTest run is listed", func() bool {
		resp, err := p.App.Temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{Query: "WorkflowType = 'ChatTest'"})
		if err != nil || len(resp.Executions) == 0 {
			return false
		}
		e := resp.Executions[0].Execution
		testRun = runHistory(t, p, e.WorkflowId, e.RunId)
		return true
	})
	runs["chat_test"] = testRun
	for name, hist := range runs {
		recordHistory(t, name, hist)
	}
}

// recordHistory replays hist with the current code and, with
// SWITCHBOARD_WRITE_REPLAY_TESTDATA=1, writes it to workflows/testdata
// (never replacing a recorded file).
func recordHistory(t *testing.T, name string, hist *historypb.History) {
	t.Helper()
	replayer := sdkworker.NewWorkflowReplayer()
	worker.Register(replayerRegistry{replayer}, nil)
	if err := replayer.ReplayWorkflowHistory(nil, hist); err != nil {
		t.Fatalf("%s does not replay: %v", name, err)
	}
	path := filepath.Join(testenv.RepoRoot(), "workflows", "testdata", name+".json")
	if _, err := os.Stat(path); writeTestdata && errors.Is(err, fs.ErrNotExist) {
		raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// runHistory waits for one run to close and returns its history.
func runHistory(t *testing.T, p *platform, workflowID, runID string) *historypb.History {
	t.Helper()
	_ = p.App.Temporal.GetWorkflow(t.Context(), workflowID, runID).Get(t.Context(), nil)
	it := p.App.Temporal.GetWorkflowHistory(t.Context(), workflowID, runID, false, 0)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	return hist
}
