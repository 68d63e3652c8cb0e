package e2e

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// chatRequest is the relay's request as the chat backend reads it (issue 8).
type chatRequest struct {
	Message struct {
		ID          string `json:"id"`
		Text        string `json:"text"`
		Attachments []struct {
			URL         string `json:"url"`
			Name        string `json:"name"`
			ContentType string `json:"content_type"`
			Size        int64  `json:"size"`
		} `json:"attachments"`
	} `json:"message"`
	Conversation struct {
		ID        string          `json:"id"`
		VisitorID string          `json:"visitor_id"`
		Context   json.RawMessage `json:"context"`
	} `json:"conversation"`
	Sender struct {
		VisitorID string          `json:"visitor_id"`
		Profile   json.RawMessage `json:"profile"`
	} `json:"sender"`
	Metadata map[string]string `json:"metadata"`
}

type chatCall struct {
	req      chatRequest
	header   http.Header
	sigValid bool
}

// chatBackend is a customer's chat webhook on loopback. It checks the
// signature as the docs tell customers to (hexHMACValid, written from
// the docs), records every call, and counts calls in flight so tests can
// prove the relay never sends two of one conversation at once.
type chatBackend struct {
	*httptest.Server
	mu       sync.Mutex
	secret   string
	calls    []chatCall
	inFlight atomic.Int32
	maxIn    atomic.Int32
	// answer writes the reply to the n-th call (1-based).
	answer func(n int, req chatRequest, w http.ResponseWriter, r *http.Request)
}

func newChatBackend(t *testing.T) *chatBackend {
	b := &chatBackend{answer: func(_ int, req chatRequest, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"reply": "echo: " + req.Message.Text})
	}}
	b.Server = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.Close)
	return b
}

func (b *chatBackend) serve(w http.ResponseWriter, r *http.Request) {
	n := b.inFlight.Add(1)
	defer b.inFlight.Add(-1)
	for {
		m := b.maxIn.Load()
		if n <= m || b.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	body, _ := io.ReadAll(r.Body)
	var req chatRequest
	_ = json.Unmarshal(body, &req)
	b.mu.Lock()
	b.calls = append(b.calls, chatCall{req: req, header: r.Header.Clone(),
		sigValid: hexHMACValid(b.secret, r.Header.Get("X-Switchboard-Signature"), body)})
	count, answer := len(b.calls), b.answer
	b.mu.Unlock()
	answer(count, req, w, r)
}

func (b *chatBackend) got() []chatCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chatCall(nil), b.calls...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type chatBackendResp struct {
	URL       string `json:"url"`
	Enabled   bool   `json:"enabled"`
	TimeoutMS int    `json:"timeout_ms"`
	Auth      struct {
		Type     string `json:"type"`
		Header   string `json:"header"`
		TokenSet bool   `json:"token_set"`
	} `json:"auth"`
	Secret string `json:"secret"`
}

// configureChat saves the chat backend and hands the receiver its secret.
func (p *platform) configureChat(b *chatBackend, extra map[string]any) chatBackendResp {
	p.T().Helper()
	body := map[string]any{"url": b.URL}
	for k, v := range extra {
		body[k] = v
	}
	var cfg chatBackendResp
	if code := p.call("PUT", "/v1/chat-backend", body, &cfg); code != http.StatusCreated || cfg.Secret == "" {
		p.T().Fatalf("first PUT /v1/chat-backend: %d %+v", code, cfg)
	}
	b.mu.Lock()
	b.secret = cfg.Secret
	b.mu.Unlock()
	return cfg
}

// chatAnswer is the widget's view of a posted message.
type chatAnswer struct {
	ConversationID    string `json:"conversation_id"`
	ConversationToken string `json:"conversation_token"`
	MessageID         string `json:"message_id"`
	ClientMessageID   string `json:"client_message_id"`
	Duplicate         bool   `json:"duplicate"`
	ReplyStatus       string `json:"reply_status"`
	Reply             *struct {
		Messages []struct {
			Type  string `json:"type"`
			Text  string `json:"text"`
			Title string `json:"title"`
		} `json:"messages"`
		QuickReplies []struct{ Label, Value string } `json:"quick_replies"`
		Action       string                          `json:"action"`
		Fallback     bool                            `json:"fallback"`
	} `json:"reply"`
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (a chatAnswer) text() string {
	if a.Reply == nil || len(a.Reply.Messages) == 0 {
		return ""
	}
	return a.Reply.Messages[0].Text
}

// say posts a widget message (public key, with the conversation's token)
// and returns the status and answer.
func (p *platform) say(body map[string]any) (int, chatAnswer) {
	p.T().Helper()
	raw, _ := json.Marshal(body)
	code, _, out := p.widgetCall(p.PubKey, p.OrgID, "", string(raw))
	var a chatAnswer
	if err := json.Unmarshal(out, &a); err != nil {
		p.T().Fatalf("widget answer %d %q: %v", code, out, err)
	}
	return code, a
}

// transcript reads the operators' view of a conversation.
type transcriptResp struct {
	Ticket struct {
		NeedsHuman    bool   `json:"needs_human"`
		HandoffReason string `json:"handoff_reason"`
	} `json:"ticket"`
	Context  json.RawMessage `json:"context"`
	Messages []struct {
		ID        string          `json:"id"`
		Sender    string          `json:"sender"`
		Text      string          `json:"text"`
		Status    string          `json:"status"`
		InReplyTo string          `json:"in_reply_to"`
		Content   json.RawMessage `json:"content"`
		Turn      *struct {
			Status     string `json:"status"`
			HTTPStatus int    `json:"http_status"`
			Error      string `json:"error"`
			Fallback   bool   `json:"fallback"`
			WorkflowID string `json:"workflow_id"`
			RunID      string `json:"run_id"`
			Attempts   []struct {
				Number         int               `json:"number"`
				ResponseStatus int               `json:"response_status"`
				RequestHeaders map[string]string `json:"request_headers"`
				Error          string            `json:"error"`
			} `json:"attempts"`
		} `json:"turn"`
	} `json:"messages"`
}

func (p *platform) transcript(convID string) transcriptResp {
	p.T().Helper()
	var tr transcriptResp
	if code := p.call("GET", "/v1/conversations/"+convID+"/messages", nil, &tr); code != http.StatusOK {
		p.T().Fatalf("transcript: %d", code)
	}
	return tr
}

// sseEvent is one server-sent event.
type sseEvent struct {
	ID, Event, Data string
	At              time.Time
}

// watchChat opens the widget's event stream of a conversation and
// returns a channel of its events.
func (p *platform) watchChat(convID, token, after string) <-chan sseEvent {
	p.T().Helper()
	url := p.URL + "/v1/widget/conversations/" + convID + "/events"
	if after != "" {
		url += "?after=" + after
	}
	req, _ := http.NewRequestWithContext(p.T().Context(), "GET", url, nil)
	req.Header.Set("X-Switchboard-Key", p.PubKey)
	req.Header.Set("X-Switchboard-Org", p.OrgID)
	req.Header.Set("X-Switchboard-Conversation-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.T().Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		p.T().Fatalf("events: %d %s", resp.StatusCode, raw)
	}
	ch := make(chan sseEvent, 256)
	go func() {
		defer resp.Body.Close()
		defer close(ch)
		sc := bufio.NewScanner(resp.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Event != "" {
					ev.At = time.Now()
					ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = line[4:]
			case strings.HasPrefix(line, "event: "):
				ev.Event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.Data = line[6:]
			}
		}
	}()
	return ch
}

// nextEvent waits for the next event named name.
func nextEvent(t *testing.T, ch <-chan sseEvent, name string) sseEvent {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("event stream ended before a %q event", name)
			}
			if ev.Event == name {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %q event", name)
		}
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
}
