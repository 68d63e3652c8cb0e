package widgetui_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/internal/browsertest"
	"github.com/switchboardhq/switchboard/internal/harness"
)

var temporalServer *testsuite.DevServer

func TestMain(m *testing.M) {
	harness.RunWithTemporal(m, "widgetui", func(s *testsuite.DevServer) { temporalServer = s })
}

// chatBackend is the org's chat backend in the browser test: it checks
// the platform's signature and answers by the visitor's text.
type chatBackend struct {
	t       *testing.T
	mu      sync.Mutex
	secret  string
	texts   []string
	files   []string // attachment names, as "text:name"
	convs   map[string]bool
	release chan struct{} // closed by the test: the rest of "stream"
}

func (b *chatBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	b.mu.Lock()
	secret := b.secret
	b.mu.Unlock()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	if secret == "" || !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(r.Header.Get("X-Switchboard-Signature"))) {
		b.t.Errorf("chat backend: bad signature on %s", body)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var req struct {
		Message struct {
			Text        string
			Attachments []struct{ URL, Name string }
		}
		Conversation struct{ ID string }
	}
	if err := json.Unmarshal(body, &req); err != nil {
		b.t.Errorf("chat backend: %v", err)
	}
	b.mu.Lock()
	b.texts = append(b.texts, req.Message.Text)
	b.convs[req.Conversation.ID] = true
	for _, a := range req.Message.Attachments {
		if !strings.Contains(a.URL, "/v1/files/") {
			b.t.Errorf("attachment %q has no signed link: %q", a.Name, a.URL)
		}
		b.files = append(b.files, req.Message.Text+":"+a.Name)
	}
	b.mu.Unlock()
	switch req.Message.Text {
	case "card":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"messages":[{"type":"text","text":"Pick a plan:"},{"type":"card","title":"Plan A","subtitle":"The first plan",
			"buttons":[{"label":"Pick A","value":"a"},{"label":"Read more","url":"https://example.com/plans"}]}],
			"quick_replies":[{"label":"Say hi","value":"hi"},{"label":"Stream","value":"stream"}]}`)
	case "stream":
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: {\"delta\":\"First chunk. \"}\n\n")
		w.(http.Flusher).Flush()
		select { // the page must show the first chunk before the rest exists
		case <-b.release:
		case <-time.After(30 * time.Second):
		}
		for _, d := range []string{"Second chunk. ", "Done."} {
			fmt.Fprintf(w, "data: {\"delta\":%q}\n\n", d)
			w.(http.Flusher).Flush()
		}
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]string{"reply": "echo: " + req.Message.Text})
	}
}

// newBrowser is a fresh Chromium (browsertest.New closes it gracefully
// before its profile directory is removed).
func newBrowser(t *testing.T) context.Context { return browsertest.New(t) }

// in is a node of the widget's shadow DOM, as a chromedp JS path.
func in(sel string) string {
	return `document.querySelector("#switchboard-widget").shadowRoot.querySelector(` + jsString(sel) + `)`
}

// shows is a JS condition: some element under sel has text containing s.
func shows(sel, s string) string {
	return `(() => { const r = document.querySelector("#switchboard-widget"); if (!r) return false;
		return [...r.shadowRoot.querySelectorAll(` + jsString(sel) + `)].some(e => e.textContent.includes(` + jsString(s) + `)); })()`
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func waitFor(cond string) chromedp.Action {
	var ok bool
	return chromedp.Poll(cond, &ok, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))
}

// send types text and presses Enter, the keyboard path.
func send(text string) chromedp.Action {
	return chromedp.SendKeys(in("textarea"), text+kb.Enter, chromedp.ByJSPath)
}

// sendClick types text and clicks Send. (Besides the mouse path: the
// key events chromedp sends for Enter also insert a newline a real
// keyboard would not, once the widget has taken the message.)
func sendClick(text string) chromedp.Action {
	return chromedp.Tasks{
		chromedp.SendKeys(in("textarea"), text, chromedp.ByJSPath),
		chromedp.Click(in("button.send"), chromedp.ByJSPath),
	}
}

func TestWidgetInTheBrowser(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.UploadDir = t.TempDir() // not .data/ under the package
	p := harness.New(t, cfg)
	backend := &chatBackend{t: t, convs: map[string]bool{}, release: make(chan struct{})}
	bsrv := httptest.NewServer(backend)
	t.Cleanup(bsrv.Close)
	var saved struct{ Secret string }
	if code := p.Call(http.MethodPut, "/v1/chat-backend", map[string]any{"url": bsrv.URL + "/chat"}, &saved); code != http.StatusCreated || saved.Secret == "" {
		t.Fatalf("PUT /v1/chat-backend = %d %+v", code, saved)
	}
	backend.mu.Lock()
	backend.secret = saved.Secret
	backend.mu.Unlock()
	// Browsers send Origin on every POST, same-origin ones too, and the
	// widget route checks it: the demo page's own origin must be listed.
	if code := p.Call(http.MethodPatch, "/v1/org", map[string]any{"cors_origins": []string{p.URL}}, nil); code != http.StatusOK {
		t.Fatalf("PATCH /v1/org = %d", code)
	}

	ctx := newBrowser(t)
	demo := p.URL + "/demo?" + url.Values{"org": {p.OrgID}, "key": {p.PubKey}, "visitor": {"v1"}}.Encode()
	browsertest.Run(t, ctx, "open the widget",
		chromedp.Navigate(demo),
		chromedp.WaitVisible(in(".launcher"), chromedp.ByJSPath),
		chromedp.Click(in(".launcher"), chromedp.ByJSPath),
		chromedp.WaitVisible(in("textarea"), chromedp.ByJSPath))

	browsertest.Run(t, ctx, "hello", send("hello"), waitFor(shows(".msg.bot", "echo: hello")))

	browsertest.Run(t, ctx, "first chunk", sendClick("stream"), waitFor(shows(".msg.bot.streaming", "First chunk.")))
	var early bool
	browsertest.Run(t, ctx, "rest held back", chromedp.Evaluate(shows(".msg.bot", "Second chunk."), &early))
	if early {
		t.Fatal("the rest of the stream showed before the backend sent it")
	}
	browsertest.Screenshot(t, ctx, "streaming")
	close(backend.release)
	browsertest.Run(t, ctx, "whole stream",
		waitFor(shows(".msg.bot", "First chunk. Second chunk. Done.")),
		waitFor(`!`+in(".msg.bot.streaming")))

	browsertest.Run(t, ctx, "card", sendClick("card"),
		waitFor(shows(".card h3", "Plan A")),
		waitFor(shows(".quick .qr", "Say hi")))
	browsertest.Screenshot(t, ctx, "card")
	var link struct{ Href, Target, Rel string }
	browsertest.Run(t, ctx, "url button", chromedp.Evaluate(`(() => { const a = `+in(`.card a.btn`)+`; return {href: a.href, target: a.target, rel: a.rel}; })()`, &link))
	if link.Href != "https://example.com/plans" || link.Target != "_blank" || !strings.Contains(link.Rel, "noopener") {
		t.Fatalf("url button: %+v", link)
	}
	browsertest.Run(t, ctx, "pick A",
		chromedp.Click(`[...`+in(`.card`)+`.querySelectorAll("button.btn")].find(b => b.textContent === "Pick A")`, chromedp.ByJSPath),
		waitFor(shows(".msg.bot", "echo: a")),
		waitFor(`!`+in(".quick:not([hidden])")))

	// Files go up first, then the message that carries their IDs.
	note := filepath.Join(t.TempDir(), "note.txt")
	if err := os.WriteFile(note, []byte("plain text notes\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	browsertest.Run(t, ctx, "upload",
		chromedp.SetUploadFiles(in(`input[type=file]`), []string{note}, chromedp.ByJSPath),
		waitFor(shows(".chips .chip", "note.txt")),
		sendClick("see file"),
		waitFor(shows(".msg.visitor .attachments", "note.txt")),
		waitFor(shows(".msg.bot", "echo: see file")))

	// A reload resumes the conversation from localStorage and replays it.
	browsertest.Run(t, ctx, "reload",
		chromedp.Reload(),
		chromedp.WaitVisible(in(".launcher"), chromedp.ByJSPath),
		chromedp.Click(in(".launcher"), chromedp.ByJSPath),
		waitFor(shows(".msg.bot", "echo: hello")),
		waitFor(shows(".msg.bot", "First chunk. Second chunk. Done.")),
		waitFor(shows(".card h3", "Plan A")),
		waitFor(shows(".msg.bot", "echo: see file")))
	var order []string
	browsertest.Run(t, ctx, "transcript", chromedp.Evaluate(`[...`+in(`.log`)+`.querySelectorAll(".msg")].map(m => m.className.split(" ")[1] + ":" + m.textContent.replace(/^(You|Bot|Agent): /, "").trim())`, &order))
	want := []string{"visitor:hello", "bot:echo: hello", "visitor:stream", "bot:First chunk. Second chunk. Done.",
		"visitor:card", "bot:Pick a plan:", "bot:Plan AThe first planPick ARead more", "visitor:a", "bot:echo: a",
		"visitor:see file\U0001F4CE note.txt", "bot:echo: see file"}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Fatalf("transcript after reload:\n got %q\nwant %q", order, want)
	}
	browsertest.Screenshot(t, ctx, "reloaded")

	// The phone layout: the panel fills a 360 px screen.
	var width float64
	browsertest.Run(t, ctx, "phone",
		chromedp.EmulateViewport(360, 740),
		chromedp.Evaluate(in(".panel")+`.getBoundingClientRect().width`, &width))
	if width != 360 {
		t.Fatalf("panel on a 360 px phone is %v px wide", width)
	}
	browsertest.Screenshot(t, ctx, "phone")

	backend.mu.Lock()
	defer backend.mu.Unlock()
	if got := strings.Join(backend.files, ","); got != "see file:note.txt" {
		t.Fatalf("the backend got attachments %q", got)
	}
	if got := strings.Join(backend.texts, ","); got != "hello,stream,card,a,see file" {
		t.Fatalf("the backend got %q (each message once, in order)", got)
	}
	if len(backend.convs) != 1 {
		t.Fatalf("the messages went to %d conversations", len(backend.convs))
	}
}
