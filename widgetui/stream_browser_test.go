package widgetui_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/browsertest"
	"github.com/switchboardhq/switchboard/widgetui"
)

// fakeWidgetAPI plays the platform's widget routes with scripted
// answers, to drive what a real platform rarely does on cue: a stream
// that breaks, an event sent twice, a POST that fails and is retried.
type fakeWidgetAPI struct {
	t      *testing.T
	widget http.Handler
	mu     sync.Mutex
	afters []string // ?after= of each events request
	posts  []string // message_id of each POST
	posted chan map[string]any
}

func (f *fakeWidgetAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/page":
		// A customer page that resumes a stored conversation.
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<!doctype html><body><script>
			localStorage.setItem("switchboard:conversation:org_f", JSON.stringify({conversation_id: "conv_f", conversation_token: "tok_f", visitor_id: "v"}));
			window.SwitchboardConfig = {orgId: "org_f", apiKey: "sb_pk_f", visitorId: "v"};
			</script><script src="/widget.js"></script></body>`)
	case r.URL.Path == "/v1/widget/conversations/conv_f/events":
		f.events(w, r)
	case r.URL.Path == "/v1/widget/messages":
		var in map[string]any
		body, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(body, &in)
		f.mu.Lock()
		f.posts = append(f.posts, fmt.Sprint(in["message_id"]))
		first := len(f.posts) == 1
		f.mu.Unlock()
		if first { // lost on the way: the widget must retry, same ID
			http.Error(w, `{"error":{"code":"unavailable","message":"try again"}}`, http.StatusServiceUnavailable)
			return
		}
		f.posted <- in
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"conversation_id":"conv_f","message_id":"msg_v2","client_message_id":%q,"duplicate":false,"reply_status":"pending","reply":null}`, in["message_id"])
	default:
		f.widget.ServeHTTP(w, r)
	}
}

func sse(w http.ResponseWriter, id int, name string, v any) {
	b, _ := json.Marshal(v)
	fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", id, name, b)
	w.(http.Flusher).Flush()
}

func (f *fakeWidgetAPI) events(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Switchboard-Conversation-Token") != "tok_f" || r.Header.Get("X-Switchboard-Key") != "sb_pk_f" {
		f.t.Errorf("events request without the key and token: %v", r.Header)
	}
	f.mu.Lock()
	f.afters = append(f.afters, r.URL.Query().Get("after"))
	n := len(f.afters)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "text/event-stream")
	msg := func(id, sender, text, client, at string) map[string]any {
		return map[string]any{"id": id, "sender": sender, "text": text, "content": nil, "client_message_id": client,
			"attachments": []string{}, "created_at": at}
	}
	switch n {
	case 1: // the replay, then the connection breaks mid-conversation
		sse(w, 1, "message", msg("msg_v1", "visitor", "hi", "c1", "2025-01-01T10:00:00Z"))
		sse(w, 2, "message", msg("msg_b1", "bot", "first reply", "", "2025-01-01T10:00:01Z"))
		fmt.Fprint(w, "id: 3\nevent: message\ndata: {\"id\":\"msg_b") // cut inside an event
	case 2: // resumed: the last whole event again (a repeat must not add a row), then news
		sse(w, 2, "message", msg("msg_b1", "bot", "first reply", "", "2025-01-01T10:00:01Z"))
		sse(w, 3, "message", msg("msg_b2", "bot", "second reply", "", "2025-01-01T10:00:02Z"))
		select {
		case in := <-f.posted: // the visitor's message, as the platform streams it
			sse(w, 4, "message", msg("msg_v2", "visitor", fmt.Sprint(in["text"]), fmt.Sprint(in["message_id"]), "2025-01-01T10:00:03Z"))
			sse(w, 5, "message", msg("msg_b3", "bot", "third reply", "", "2025-01-01T10:00:04Z"))
		case <-r.Context().Done():
		}
		<-r.Context().Done()
	default:
		<-r.Context().Done()
	}
}

func TestWidgetResumesItsStreamAndDeduplicates(t *testing.T) {
	f := &fakeWidgetAPI{t: t, widget: widgetui.New(config.Config{}), posted: make(chan map[string]any, 1)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	ctx := newBrowser(t)
	browsertest.Run(t, ctx, "resume",
		chromedp.Navigate(srv.URL+"/page"),
		chromedp.WaitVisible(in(".launcher"), chromedp.ByJSPath),
		chromedp.Click(in(".launcher"), chromedp.ByJSPath),
		waitFor(shows(".msg.bot", "second reply")))
	browsertest.Run(t, ctx, "send", sendClick("once"), waitFor(shows(".msg.bot", "third reply")))
	var rows []string
	browsertest.Run(t, ctx, "rows", chromedp.Evaluate(`[...`+in(`.log`)+`.querySelectorAll(".msg")].map(m => m.className + "=" + m.textContent)`, &rows))
	want := []string{"msg visitor=You: hi", "msg bot=Bot: first reply", "msg bot=Bot: second reply", "msg visitor=You: once", "msg bot=Bot: third reply"}
	if strings.Join(rows, "|") != strings.Join(want, "|") {
		t.Fatalf("rows:\n got %q\nwant %q", rows, want)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.afters) < 2 || f.afters[0] != "0" || f.afters[1] != "2" {
		t.Fatalf("events requests after=%q, want 0 then 2 (the last whole event)", f.afters)
	}
	if len(f.posts) != 2 || f.posts[0] != f.posts[1] || f.posts[0] == "" {
		t.Fatalf("the retried POST must repeat its message_id: %q", f.posts)
	}
}
