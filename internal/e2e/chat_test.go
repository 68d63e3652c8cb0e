package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Three messages: each reply comes back in the widget's POST answer, the
// request is signed (checked independently), carries the auth header and
// Idempotency-Key = message id, and the context the backend returned on
// turn n is what it receives on turn n+1.
func TestChatRelayContextRoundTrip(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	b.answer = func(n int, req chatRequest, w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, 200, map[string]any{"reply": fmt.Sprintf("turn %d: %s", n, req.Message.Text), "context": map[string]any{"turn": n}})
	}
	cfg := p.configureChat(b, map[string]any{"auth": map[string]any{"type": "bearer", "token": "relay-token-123"}})
	if !cfg.Auth.TokenSet || cfg.Auth.Type != "bearer" {
		t.Fatalf("config: %+v", cfg)
	}
	code, first := p.say(map[string]any{"visitor_id": "v1", "text": "one", "metadata": map[string]any{"page_url": "https://shop.example/p", "locale": "fr"}})
	if code != http.StatusCreated || first.ReplyStatus != "replied" || first.text() != "turn 1: one" || first.ConversationToken == "" {
		t.Fatalf("first message: %d %+v", code, first)
	}
	for i, text := range []string{"two", "three"} {
		code, a := p.say(map[string]any{"conversation_id": first.ConversationID, "text": text})
		if want := fmt.Sprintf("turn %d: %s", i+2, text); code != http.StatusCreated || a.text() != want {
			t.Fatalf("message %q: %d %+v, want reply %q", text, code, a, want)
		}
	}
	calls := b.got()
	if len(calls) != 3 {
		t.Fatalf("backend calls: %d", len(calls))
	}
	for i, c := range calls {
		if !c.sigValid {
			t.Errorf("call %d: signature does not verify", i+1)
		}
		if c.header.Get("Authorization") != "Bearer relay-token-123" {
			t.Errorf("call %d: Authorization = %q", i+1, c.header.Get("Authorization"))
		}
		if c.header.Get("Idempotency-Key") != c.req.Message.ID || c.req.Message.ID == "" {
			t.Errorf("call %d: Idempotency-Key %q, message id %q", i+1, c.header.Get("Idempotency-Key"), c.req.Message.ID)
		}
		if c.req.Conversation.ID != first.ConversationID || c.req.Conversation.VisitorID != "v1" || c.req.Sender.VisitorID != "v1" {
			t.Errorf("call %d: conversation %+v", i+1, c.req.Conversation)
		}
	}
	if string(calls[0].req.Conversation.Context) != "null" {
		t.Errorf("first turn context: %s, want null", calls[0].req.Conversation.Context)
	}
	for i := 1; i < 3; i++ {
		var ctx map[string]int
		if err := json.Unmarshal(calls[i].req.Conversation.Context, &ctx); err != nil || ctx["turn"] != i {
			t.Errorf("turn %d context: %s, want {\"turn\":%d}", i+1, calls[i].req.Conversation.Context, i)
		}
	}
	if calls[0].req.Metadata["page_url"] != "https://shop.example/p" || calls[0].req.Metadata["locale"] != "fr" {
		t.Errorf("metadata: %+v", calls[0].req.Metadata)
	}
	tr := p.transcript(first.ConversationID)
	var bots, visitors int
	for _, m := range tr.Messages {
		switch m.Sender {
		case "bot":
			bots++
		case "visitor":
			visitors++
			if m.Turn == nil || m.Turn.Status != "replied" || len(m.Turn.Attempts) != 1 || m.Turn.WorkflowID != "conversation-"+first.ConversationID {
				t.Errorf("visitor message turn: %+v", m.Turn)
			} else if h := m.Turn.Attempts[0].RequestHeaders["Authorization"]; h == "Bearer relay-token-123" || h == "" {
				t.Errorf("stored attempt headers must redact the auth token, got %q", h)
			}
		}
	}
	if bots != 3 || visitors != 3 {
		t.Fatalf("transcript: %d bot, %d visitor messages", bots, visitors)
	}
	var ctx map[string]int
	if err := json.Unmarshal(tr.Context, &ctx); err != nil || ctx["turn"] != 3 {
		t.Fatalf("stored context: %s", tr.Context)
	}
}

// The same client message_id posted twice reaches the backend once and
// gets the same reply; reusing it for another text is a conflict.
func TestChatDuplicateMessageRelayedOnce(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	p.configureChat(b, nil)
	_, open := p.say(map[string]any{"text": "hello"})
	body := map[string]any{"conversation_id": open.ConversationID, "message_id": "client-42", "text": "where is my order?"}
	code1, a1 := p.say(body)
	code2, a2 := p.say(body)
	if code1 != http.StatusCreated || code2 != http.StatusOK || !a2.Duplicate {
		t.Fatalf("statuses %d, %d (duplicate %v)", code1, code2, a2.Duplicate)
	}
	if a1.MessageID != a2.MessageID || a1.text() == "" || a1.text() != a2.text() || a2.ClientMessageID != "client-42" {
		t.Fatalf("answers differ: %+v vs %+v", a1, a2)
	}
	if n := len(b.got()); n != 2 {
		t.Fatalf("backend calls: %d, want 2 (hello + one for the repeated message)", n)
	}
	body["text"] = "something else"
	if code, a := p.say(body); code != http.StatusConflict || a.Error.Code != "conflict" {
		t.Fatalf("reused message_id: %d %+v", code, a)
	}
}

// Five messages posted at once reach the backend one at a time, in the
// order the platform numbered them, each answered with its own reply.
func TestChatConcurrentMessagesInOrder(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	b.answer = func(n int, req chatRequest, w http.ResponseWriter, _ *http.Request) {
		time.Sleep(time.Duration(5-n%5) * 20 * time.Millisecond) // uneven: a parallel relay would reorder
		writeJSON(w, 200, map[string]any{"reply": "re: " + req.Message.Text})
	}
	p.configureChat(b, nil)
	_, open := p.say(map[string]any{"text": "start"})
	var wg sync.WaitGroup
	answers := make([]chatAnswer, 5)
	for i := range 5 {
		wg.Go(func() {
			_, answers[i] = p.say(map[string]any{"conversation_id": open.ConversationID, "text": fmt.Sprintf("m%d", i)})
		})
	}
	wg.Wait()
	for i, a := range answers {
		if want := fmt.Sprintf("re: m%d", i); a.text() != want {
			t.Errorf("message %d: reply %q, want %q (%+v)", i, a.text(), want, a)
		}
	}
	if m := b.maxIn.Load(); m != 1 {
		t.Fatalf("backend saw %d calls of one conversation at once", m)
	}
	// The backend's order is the platform's order (the transcript's).
	var order []string
	for _, m := range p.transcript(open.ConversationID).Messages {
		if m.Sender == "visitor" {
			order = append(order, m.Text)
		}
	}
	calls := b.got()
	if len(calls) != len(order) {
		t.Fatalf("%d calls for %d messages", len(calls), len(order))
	}
	for i, c := range calls {
		if c.req.Message.Text != order[i] {
			t.Fatalf("call %d carried %q, transcript order says %q (calls %v)", i, c.req.Message.Text, order[i], order)
		}
	}
}
