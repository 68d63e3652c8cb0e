package console_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// profileEndpoint is a customer's Backend Connect backend on loopback: it
// verifies the hex HMAC-SHA256 of the body with the secret the console
// showed, and answers the profile named by name.
type profileEndpoint struct {
	*httptest.Server
	mu     sync.Mutex
	secret string
	name   string
}

func newProfileEndpoint(t *testing.T) *profileEndpoint {
	pe := &profileEndpoint{name: "Ada Lovelace"}
	pe.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		pe.mu.Lock()
		secret, name := pe.secret, pe.name
		pe.mu.Unlock()
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		if secret == "" || !hmac.Equal([]byte(r.Header.Get("X-Switchboard-Signature")), []byte(hex.EncodeToString(mac.Sum(nil)))) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"name": name, "email": "ada@example.com", "plan": "pro", "fields": map[string]any{"seats": 12}})
	}))
	t.Cleanup(pe.Close)
	return pe
}

func (pe *profileEndpoint) set(secret, name string) {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	if secret != "" {
		pe.secret = secret
	}
	pe.name = name
}

// cardShows waits until the customer card names name.
func cardShows(name string) chromedp.Action {
	return chromedp.Poll(`(document.querySelector("#customer-card .cust-name") || {}).textContent === `+jsString(name), nil,
		chromedp.WithPollingTimeout(30*time.Second))
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (b *browser) noSecretShown(when string) {
	b.t.Helper()
	var none bool
	b.eval(`document.getElementById("secret-value") === null`, &none)
	if !none {
		b.t.Fatalf("%s: the secret is shown again", when)
	}
}

func TestConsoleBrowserBackendConnectAndTicket(t *testing.T) {
	b := newBrowser(t)
	pe := newProfileEndpoint(t)
	b.signIn()

	// First save: the secret is shown once, not after a reload.
	b.open("/console/backend-connect", "backend_connect")
	b.noSecretShown("before the first save")
	b.run("fill Backend Connect", chromedp.SendKeys("#url", pe.URL+"/lookup", chromedp.ByQuery))
	b.click(`form.card button[type="submit"]`, "backend_connect")
	first := b.text("#secret-value")
	if !strings.HasPrefix(first, "sbsec_") {
		t.Fatalf("first save shows %q, want the new secret", first)
	}
	b.shot("backend-connect-secret")
	b.reload("backend_connect")
	b.noSecretShown("reload after the first save")

	// Rotate: a new secret, once.
	b.eval(`window.confirm = () => true`, nil)
	b.click(`form[action="/console/backend-connect/rotate"] button`, "backend_connect")
	second := b.text("#secret-value")
	if !strings.HasPrefix(second, "sbsec_") || second == first {
		t.Fatalf("rotate shows %q (first was %q), want a new secret", second, first)
	}
	b.reload("backend_connect")
	b.noSecretShown("reload after rotate")
	b.open("/console/backend-connect", "backend_connect")
	b.noSecretShown("a fresh load after rotate")
	b.shot("backend-connect")
	// The endpoint trusts only the secret the console showed last.
	pe.set(second, "Ada Lovelace")

	// A visitor opens a conversation through the widget API.
	req, _ := http.NewRequestWithContext(t.Context(), "POST", b.p.URL+"/v1/widget/messages",
		strings.NewReader(`{"visitor_id":"vis_42","text":"Hello, where is my order?"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Switchboard-Key", b.p.PubKey)
	req.Header.Set("X-Switchboard-Org", b.p.OrgID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var opened struct {
		ConversationID string `json:"conversation_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&opened)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || opened.ConversationID == "" {
		t.Fatalf("POST /v1/widget/messages: %d %+v", resp.StatusCode, opened)
	}

	b.open("/console/tickets", "tickets")
	b.run("open by ID", chromedp.SendKeys("#conv-id", opened.ConversationID, chromedp.ByQuery))
	b.click(`form[action="/console/tickets"] button`, "ticket")
	b.run("first-message lookup on the card", cardShows("Ada Lovelace"))
	if m := b.text(`#messages li`); !strings.Contains(m, "Hello, where is my order?") {
		t.Fatalf("transcript: %q", m)
	}

	// Refresh: the profile changed; the card updates in place over the
	// stream (the page is not reloaded: the marker survives).
	pe.set("", "Grace Hopper")
	b.eval(`window.__mark = 42`, nil)
	b.run("refresh", chromedp.Click("#refresh", chromedp.ByQuery), cardShows("Grace Hopper"))
	var mark int
	b.eval(`window.__mark`, &mark)
	if mark != 42 {
		t.Fatal("Refresh reloaded the page instead of updating the card live")
	}
	b.run("refresh status", chromedp.Poll(`document.getElementById("refresh-status").textContent === "Refreshed."`, nil,
		chromedp.WithPollingTimeout(30*time.Second)))

	// A lookup started elsewhere (the API) reaches the open page too.
	pe.set("", "Katherine Johnson")
	if code := b.p.Call("POST", "/v1/conversations/"+opened.ConversationID+"/customer/refresh", nil, nil); code != http.StatusOK {
		t.Fatalf("API refresh: %d", code)
	}
	b.run("pushed card", cardShows("Katherine Johnson"))

	// An operator reply lands in the transcript.
	b.run("reply", chromedp.SendKeys("#reply", "Let me check that for you.", chromedp.ByQuery))
	b.click(`form[action$="/messages"] button`, "ticket")
	if m := b.text(`#messages li:last-child`); !strings.Contains(m, "operator") || !strings.Contains(m, "Let me check that for you.") {
		t.Fatalf("operator message: %q", m)
	}
	b.run("card after reload", cardShows("Katherine Johnson"))
	b.shot("ticket")
}

func TestConsoleBrowserAppsAndChatBackend(t *testing.T) {
	b := newBrowser(t)
	app, _ := receiver(t)
	var (
		mu   sync.Mutex
		auth string
	)
	chat := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct {
			Message struct{ Text string } `json:"message"`
		}
		_ = json.NewDecoder(r.Body).Decode(&in)
		mu.Lock()
		auth = r.Header.Get("Authorization")
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"reply": "echo: " + in.Message.Text})
	}))
	t.Cleanup(chat.Close)
	b.signIn()

	// A Custom App with referral_create on and one custom attribute.
	b.open("/console/apps/new", "app")
	act := "#action-referral_create "
	b.run("fill the app form",
		chromedp.SendKeys("#name", "Referral CRM", chromedp.ByQuery),
		chromedp.SendKeys("#url", app.URL+"/actions", chromedp.ByQuery),
		chromedp.Click(act+"> summary", chromedp.ByQuery),
		chromedp.Click("#act-referral_create", chromedp.ByQuery),
		chromedp.SendKeys(act+`input[name="attr.referral_create.name"]`, "advocate_upper", chromedp.ByQuery),
		chromedp.SendKeys(act+`input[name="attr.referral_create.value"]`, "{{ advocate_email | upcase }}", chromedp.ByQuery),
		chromedp.Click(act+"details.vars > summary", chromedp.ByQuery),
		chromedp.WaitVisible(act+"details.vars table", chromedp.ByQuery))
	if v := b.text(act + "details.vars table"); !strings.Contains(v, "advocate_email") {
		t.Fatalf("available variables: %q", v)
	}
	b.shot("app-new")
	b.click(`form[action="/console/apps"] .actions button`, "app")
	if n := b.text("p.notice"); n != "Created." {
		t.Fatalf("after create: %q", n)
	}

	// Send sample payload: the outcome, with the attribute rendered.
	b.run("pick the action", chromedp.SetValue("#sample-action", "referral_create", chromedp.ByQuery))
	b.click(`form[action$="/sample"] button`, "app")
	out := b.text("#sample-outcome")
	if !strings.Contains(out, "Delivered") || !strings.Contains(out, "HTTP 200") || !strings.Contains(out, "ADVOCATE@EXAMPLE.COM") {
		t.Fatalf("sample outcome: %q", out)
	}
	b.shot("app")
	b.open("/console/apps", "apps")
	b.shot("apps")

	// Chat backend: bearer auth with a write-only token, the secret once,
	// then Test mode.
	b.open("/console/chat-backend", "chat_backend")
	b.run("fill the chat backend",
		chromedp.SendKeys("#url", chat.URL+"/chat", chromedp.ByQuery),
		chromedp.SetValue("#auth_type", "bearer", chromedp.ByQuery),
		chromedp.SendKeys("#auth_token", "tok_123", chromedp.ByQuery))
	b.click(`form[action="/console/chat-backend"] .actions button`, "chat_backend")
	if s := b.text("#secret-value"); !strings.HasPrefix(s, "sbsec_") {
		t.Fatalf("first save shows %q, want the signing secret", s)
	}
	var token string
	b.eval(`document.getElementById("auth_token").value`, &token)
	if token != "" {
		t.Fatalf("the token field is pre-filled with %q", token)
	}
	b.open("/console/chat-backend", "chat_backend")
	b.noSecretShown("a fresh load")
	if h := b.text("#token-help"); !strings.Contains(h, "A token is set") {
		t.Fatalf("token hint: %q", h)
	}
	b.run("test text", chromedp.SetValue("#test-text", "ping", chromedp.ByQuery))
	b.click(`form[action="/console/chat-backend/test"] button`, "chat_backend")
	if out := b.text("#chat-test-outcome"); !strings.Contains(out, "HTTP 200") || !strings.Contains(out, "echo: ping") || !strings.Contains(out, "Total") {
		t.Fatalf("test outcome: %q", out)
	}
	mu.Lock()
	gotAuth := auth
	mu.Unlock()
	if gotAuth != "Bearer tok_123" {
		t.Fatalf("the chat backend got Authorization %q", gotAuth)
	}
	b.shot("chat-backend")
}
