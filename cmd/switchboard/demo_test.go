package main

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/chatreply"
)

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func demoPost(t *testing.T, h http.Handler, path, sig string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if sig != "" {
		r.Header.Set("X-Switchboard-Signature", sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func chatBody(text string, turns int) []byte {
	b, _ := json.Marshal(map[string]any{"message": map[string]any{"id": "msg_1", "text": text},
		"conversation": map[string]any{"id": "conv_1", "context": map[string]int{"turns": turns}}})
	return b
}

// Unsigned or wrongly signed requests are refused, on both endpoints.
func TestDemoBackendRequiresTheSignature(t *testing.T) {
	d := &demoBackend{}
	d.setSecrets("chat-secret", "profile-secret")
	h := d.handler()
	body := chatBody("hello", 0)
	for _, tc := range []struct{ path, sig string }{
		{"/chat", ""},
		{"/chat", sign("wrong", body)},
		{"/chat", sign("profile-secret", body)},
		{"/profile", ""},
		{"/profile", sign("chat-secret", body)},
	} {
		if w := demoPost(t, h, tc.path, tc.sig, body); w.Code != http.StatusUnauthorized {
			t.Errorf("%s with signature %q = %d, want 401", tc.path, tc.sig, w.Code)
		}
	}
	// Before dev hands over the secrets nothing is accepted.
	if w := demoPost(t, (&demoBackend{}).handler(), "/chat", sign("", body), body); w.Code != http.StatusUnauthorized {
		t.Errorf("without secrets = %d, want 401", w.Code)
	}
}

// Every answer is a reply the platform accepts (chatreply parses it as
// the relay does).
func TestDemoBackendAnswers(t *testing.T) {
	d := &demoBackend{chunkEvery: 10 * time.Millisecond}
	d.setSecrets("chat-secret", "profile-secret")
	h := d.handler()
	ask := func(text string) (*httptest.ResponseRecorder, chatreply.Reply) {
		body := chatBody(text, 2)
		w := demoPost(t, h, "/chat", sign("chat-secret", body), body)
		if w.Code != http.StatusOK {
			t.Fatalf("%q = %d %s", text, w.Code, w.Body)
		}
		if chatreply.IsEventStream(w.Header().Get("Content-Type")) {
			return w, chatreply.Reply{}
		}
		r, err := chatreply.Parse(w.Body.Bytes(), w.Header().Get("Content-Type"))
		if err != nil {
			t.Fatalf("%q: the platform would refuse %s: %v", text, w.Body, err)
		}
		return w, r
	}

	_, simple := ask("hello there")
	if len(simple.Messages) != 1 || simple.Messages[0].Text != "You said: hello there" || string(simple.Context) != `{"turns":3}` {
		t.Fatalf("simple reply: %+v context %s", simple, simple.Context)
	}

	_, card := ask("show me a Card")
	var c *chatreply.Message
	for i := range card.Messages {
		if card.Messages[i].Type == chatreply.TypeCard {
			c = &card.Messages[i]
		}
	}
	if c == nil || len(c.Buttons) < 2 || c.Buttons[0].Value == "" || !strings.HasPrefix(c.Buttons[1].URL, "https://") || len(card.QuickReplies) == 0 {
		t.Fatalf("card reply: %+v", card)
	}

	w, _ := ask("stream please")
	if !chatreply.IsEventStream(w.Header().Get("Content-Type")) {
		t.Fatalf("stream reply is %q", w.Header().Get("Content-Type"))
	}
	if n := strings.Count(w.Body.String(), `data: {"delta":`); n < 3 || !strings.HasSuffix(w.Body.String(), "data: [DONE]\n\n") {
		t.Fatalf("stream body (%d chunks): %q", n, w.Body)
	}
	s := chatreply.NewStream(bytes.NewReader(w.Body.Bytes()))
	var text strings.Builder
	for {
		delta, err := s.Next()
		if err != nil {
			break
		}
		text.WriteString(delta)
	}
	if final, err := s.Final(); err != nil || text.String() != strings.Join(demoChunks, "") || len(final.Messages) != 1 {
		t.Fatalf("stream: %q %+v %v", text.String(), final, err)
	}
}

func TestDemoBackendProfile(t *testing.T) {
	d := &demoBackend{}
	d.setSecrets("chat-secret", "profile-secret")
	body := []byte(`{"userToken":"demo-visitor"}`)
	w := demoPost(t, d.handler(), "/profile", sign("profile-secret", body), body)
	var p map[string]string
	if w.Code != http.StatusOK || json.Unmarshal(w.Body.Bytes(), &p) != nil || p["name"] != "Demo Visitor" || p["email"] != "demo@example.com" || p["plan"] != "pro" {
		t.Fatalf("profile = %d %s", w.Code, w.Body)
	}
}

func TestDevOrigin(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "http://127.0.0.1:8080",
		":8080":          "http://127.0.0.1:8080",
		"0.0.0.0:9000":   "http://127.0.0.1:9000",
		"localhost:8080": "http://localhost:8080",
	} {
		if got := devOrigin(addr); got != want {
			t.Errorf("devOrigin(%q) = %q, want %q", addr, got, want)
		}
	}
}
