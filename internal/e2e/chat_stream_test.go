package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// A backend that streams (text/event-stream, OpenAI chunk shape) has its
// chunks relayed to the widget's event stream while the stream is still
// open; the final message is stored complete and is the POST's reply.
func TestChatStreamingRelay(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	release := make(chan struct{})
	b.answer = func(n int, req chatRequest, w http.ResponseWriter, r *http.Request) {
		if req.Message.Text == "hello" {
			writeJSON(w, 200, map[string]any{"reply": "hi"})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		fl := w.(http.Flusher)
		_, _ = fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n")
		_, _ = fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":\"Hello\"}}]}\n\n")
		fl.Flush()
		select { // the rest only once the widget has seen the first chunk
		case <-release:
		case <-time.After(20 * time.Second):
		case <-r.Context().Done():
			return
		}
		for _, part := range []string{", world", "!"} {
			_, _ = fmt.Fprintf(w, "data: {\"choices\":[{\"delta\":{\"content\":%q}}]}\n\n", part)
			fl.Flush()
		}
		_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	}
	p.configureChat(b, nil)
	_, open := p.say(map[string]any{"text": "hello"})
	events := p.watchChat(open.ConversationID, open.ConversationToken, "")

	done := make(chan chatAnswer, 1)
	go func() {
		_, a := p.say(map[string]any{"conversation_id": open.ConversationID, "text": "stream please"})
		done <- a
	}()
	nextEvent(t, events, "typing")
	var first sseEvent
	for first = nextEvent(t, events, "message"); !strings.Contains(first.Data, `"status":"streaming"`); first = nextEvent(t, events, "message") {
	}
	if !strings.Contains(first.Data, `"text":"Hello"`) {
		t.Fatalf("first streamed event: %s", first.Data)
	}
	select {
	case a := <-done:
		t.Fatalf("the POST answered before the stream ended: %+v", a)
	default:
	}
	close(release)
	var text strings.Builder
	text.WriteString("Hello")
	for !strings.HasSuffix(text.String(), "!") {
		ev := <-events
		switch ev.Event {
		case "chunk":
			var d struct{ Delta string }
			mustJSON(t, ev.Data, &d)
			text.WriteString(d.Delta)
		case "message":
			if strings.Contains(ev.Data, `"status":"complete"`) && strings.Contains(ev.Data, "Hello, world!") {
				text.Reset()
				text.WriteString("Hello, world!")
			}
		}
	}
	if text.String() != "Hello, world!" {
		t.Fatalf("widget assembled %q", text.String())
	}
	a := <-done
	if a.ReplyStatus != "replied" || a.text() != "Hello, world!" {
		t.Fatalf("POST answer: %+v", a)
	}
	var bot []string
	for _, m := range p.transcript(open.ConversationID).Messages {
		if m.Sender == "bot" {
			bot = append(bot, m.Text+"/"+m.Status)
		}
	}
	if len(bot) != 2 || bot[1] != "Hello, world!/complete" {
		t.Fatalf("stored bot messages: %v", bot)
	}
}
