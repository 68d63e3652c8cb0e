package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Every status the product doc lists, against a real receiver: what the
// visitor sees and how many times the backend is asked.
func TestChatStatusPaths(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	// Each case's answers, by the text of the message.
	script := map[string][]func(w http.ResponseWriter){}
	reply := func(text string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) { writeJSON(w, 200, map[string]any{"reply": text}) }
	}
	status := func(code int, h ...string) func(http.ResponseWriter) {
		return func(w http.ResponseWriter) {
			for i := 0; i+1 < len(h); i += 2 {
				w.Header().Set(h[i], h[i+1])
			}
			writeJSON(w, code, map[string]any{"error": "nope"})
		}
	}
	script["s204"] = []func(http.ResponseWriter){func(w http.ResponseWriter) { w.WriteHeader(204) }}
	script["s202"] = []func(http.ResponseWriter){func(w http.ResponseWriter) { w.WriteHeader(202) }}
	for _, c := range []int{400, 401, 403, 404} {
		script[http.StatusText(c)] = []func(http.ResponseWriter){status(c)}
	}
	script["s429"] = []func(http.ResponseWriter){status(429, "Retry-After", "1"), reply("after 429")}
	script["s503"] = []func(http.ResponseWriter){status(503, "Retry-After", "1"), reply("after 503")}
	script["s500"] = []func(http.ResponseWriter){status(500), reply("after 500")}
	script["s500x2"] = []func(http.ResponseWriter){status(500), status(500), reply("never")}
	script["s429long"] = []func(http.ResponseWriter){status(429, "Retry-After", "60"), reply("never")}
	script["html"] = []func(http.ResponseWriter){func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html><body>oops</body></html>")
	}}
	script["slow"] = []func(http.ResponseWriter){func(w http.ResponseWriter) { time.Sleep(3 * time.Second); reply("late")(w) }}
	seen := map[string]int{}
	b.answer = func(_ int, req chatRequest, w http.ResponseWriter, _ *http.Request) {
		b.mu.Lock()
		seen[req.Message.Text]++
		n := seen[req.Message.Text]
		b.mu.Unlock()
		steps := script[req.Message.Text]
		if n > len(steps) {
			reply("extra call")(w)
			return
		}
		steps[n-1](w)
	}
	p.configureChat(b, map[string]any{"timeout_ms": 2000, "fallback_reply": "Our bot is away.", "handoff_on_failure": true})
	for _, tc := range []struct {
		text, status, reply string
		calls               int
	}{
		{"s204", "no_reply", "", 1},
		{"s202", "later", "", 1},
		{"Bad Request", "failed", "Our bot is away.", 1},
		{"Unauthorized", "failed", "Our bot is away.", 1},
		{"Forbidden", "failed", "Our bot is away.", 1},
		{"Not Found", "failed", "Our bot is away.", 1},
		{"s429", "replied", "after 429", 2},
		{"s503", "replied", "after 503", 2},
		{"s500", "replied", "after 500", 2},
		{"s500x2", "failed", "Our bot is away.", 2},
		{"s429long", "failed", "Our bot is away.", 1},
		{"html", "failed", "Our bot is away.", 1},
		{"slow", "failed", "Our bot is away.", 1},
	} {
		t.Run(tc.text, func(t *testing.T) {
			_, open := p.say(map[string]any{"text": tc.text})
			if open.ReplyStatus != tc.status || open.text() != tc.reply {
				t.Fatalf("answer %+v (reply %q), want %s %q", open, open.text(), tc.status, tc.reply)
			}
			if tc.status == "failed" && (open.Reply == nil || !open.Reply.Fallback) {
				t.Fatalf("a fallback must say so: %+v", open.Reply)
			}
			b.mu.Lock()
			calls := seen[tc.text]
			b.mu.Unlock()
			if calls != tc.calls {
				t.Fatalf("backend asked %d times, want %d", calls, tc.calls)
			}
			tr := p.transcript(open.ConversationID)
			turn := tr.Messages[0].Turn
			if turn == nil || turn.Status != tc.status || len(turn.Attempts) != tc.calls {
				t.Fatalf("turn: %+v", turn)
			}
			if tc.status == "failed" {
				if turn.Error == "" || !tr.Ticket.NeedsHuman || !strings.Contains(tr.Ticket.HandoffReason, "chat backend") {
					t.Fatalf("a failure must be recorded and flag the ticket (handoff_on_failure): turn %+v ticket %+v", turn, tr.Ticket)
				}
			} else if tr.Ticket.NeedsHuman {
				t.Fatalf("ticket flagged for %s", tc.status)
			}
		})
	}
}

// A 202 means the backend answers later through the API (secret key);
// that reply reaches the widget's event stream and the transcript, once.
func TestChatLaterReply(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	b.answer = func(_ int, _ chatRequest, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(202) }
	p.configureChat(b, nil)
	_, open := p.say(map[string]any{"text": "long question"})
	if open.ReplyStatus != "later" || open.Reply != nil {
		t.Fatalf("answer: %+v", open)
	}
	events := p.watchChat(open.ConversationID, open.ConversationToken, "")
	if ev := nextEvent(t, events, "message"); !strings.Contains(ev.Data, `"sender":"visitor"`) {
		t.Fatalf("first event: %+v", ev)
	}
	later := map[string]any{"in_reply_to": open.MessageID, "reply": map[string]any{
		"messages":      []map[string]any{{"type": "text", "text": "Here is your answer"}},
		"quick_replies": []map[string]any{{"label": "Thanks", "value": "thanks"}},
	}}
	var out struct {
		Messages []struct{ ID, Sender, Text string } `json:"messages"`
	}
	if code := p.call("POST", "/v1/conversations/"+open.ConversationID+"/messages", later, &out); code != http.StatusCreated ||
		len(out.Messages) != 1 || out.Messages[0].Sender != "bot" {
		t.Fatalf("later reply: %d %+v", code, out)
	}
	if ev := nextEvent(t, events, "message"); !strings.Contains(ev.Data, "Here is your answer") {
		t.Fatalf("the widget did not get the later reply: %+v", ev)
	}
	if ev := nextEvent(t, events, "reply"); !strings.Contains(ev.Data, `"value":"thanks"`) {
		t.Fatalf("reply event: %+v", ev)
	}
	var e apiError
	if code := p.call("POST", "/v1/conversations/"+open.ConversationID+"/messages", later, &e); code != http.StatusConflict {
		t.Fatalf("a second later reply: %d %+v", code, e)
	}
	bad := map[string]any{"in_reply_to": open.MessageID, "reply": map[string]any{"reply": "<b>x</b>", "color": "red"}}
	if code := p.call("POST", "/v1/conversations/"+open.ConversationID+"/messages", bad, &e); code != http.StatusBadRequest && code != http.StatusConflict {
		t.Fatalf("invalid later reply: %d", code)
	}
	tr := p.transcript(open.ConversationID)
	if len(tr.Messages) != 2 || tr.Messages[0].Turn == nil || tr.Messages[0].Turn.Status != "replied" || tr.Messages[1].InReplyTo != open.MessageID {
		t.Fatalf("transcript: %+v", tr.Messages)
	}
	// Operators post too; the widget sees their messages.
	if code := p.call("POST", "/v1/conversations/"+open.ConversationID+"/messages", map[string]any{"text": "Hi, Sam here"}, nil); code != http.StatusCreated {
		t.Fatalf("operator message: %d", code)
	}
	if ev := nextEvent(t, events, "message"); !strings.Contains(ev.Data, `"sender":"operator"`) {
		t.Fatalf("operator event: %+v", ev)
	}
}

// Rich replies are validated strictly: a rule broken shows the fallback
// and records why; a valid rich reply is normalised for the widget.
func TestChatRichReplyValidation(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	replies := map[string]string{
		"ok":       `{"messages":[{"type":"text","text":"Pick one"},{"type":"card","title":"Plan","image_url":"https://cdn.example/p.png","buttons":[{"label":"Buy","url":"https://shop.example/buy"},{"label":"Info","value":"info"}]}],"quick_replies":[{"label":"Yes","value":"yes"}],"action":"handoff"}`,
		"http":     `{"messages":[{"type":"image","url":"http://cdn.example/p.png"}]}`,
		"long":     `{"reply":"` + strings.Repeat("é", 4097) + `"}`,
		"eleven":   `{"messages":[` + strings.TrimSuffix(strings.Repeat(`{"type":"text","text":"x"},`, 11), ",") + `]}`,
		"unknown":  `{"reply":"hi","colour":"red"}`,
		"badtype":  `{"messages":[{"type":"video","url":"https://x.example/v"}]}`,
		"notjson":  `hello there`,
		"tooLarge": `{"reply":"` + strings.Repeat("a", 70<<10) + `"}`,
	}
	b.answer = func(_ int, req chatRequest, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, replies[req.Message.Text])
	}
	p.configureChat(b, nil)
	_, ok := p.say(map[string]any{"text": "ok"})
	if ok.ReplyStatus != "replied" || ok.Reply == nil || len(ok.Reply.Messages) != 2 || ok.Reply.Messages[1].Title != "Plan" ||
		len(ok.Reply.QuickReplies) != 1 || ok.Reply.Action != "handoff" {
		t.Fatalf("rich reply: %+v", ok.Reply)
	}
	if tr := p.transcript(ok.ConversationID); !tr.Ticket.NeedsHuman {
		t.Fatal("action handoff must flag the ticket")
	}
	for _, name := range []string{"http", "long", "eleven", "unknown", "badtype", "notjson", "tooLarge"} {
		_, a := p.say(map[string]any{"text": name})
		if a.ReplyStatus != "failed" || a.Reply == nil || !a.Reply.Fallback {
			t.Errorf("%s: %+v", name, a)
			continue
		}
		turn := p.transcript(a.ConversationID).Messages[0].Turn
		if turn == nil || !strings.Contains(turn.Error, "invalid reply") {
			t.Errorf("%s: error not recorded: %+v", name, turn)
		}
	}
}
