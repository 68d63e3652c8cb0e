package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// Test mode: one round trip with the saved configuration answers the
// parsed reply, the raw status, a validation error when the reply breaks
// a rule, and timings; the request is signed like a real one.
func TestChatBackendTestMode(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	b.answer = func(_ int, req chatRequest, w http.ResponseWriter, _ *http.Request) {
		if req.Message.Text == "bad" {
			writeJSON(w, 200, map[string]any{"messages": []map[string]any{{"type": "image", "url": "javascript:alert(1)"}}})
			return
		}
		writeJSON(w, 200, map[string]any{"reply": "pong", "context": req.Conversation.Context})
	}
	p.configureChat(b, nil)
	type testResp struct {
		HTTPStatus      int             `json:"http_status"`
		Reply           json.RawMessage `json:"reply"`
		ValidationError string          `json:"validation_error"`
		DurationMS      float64         `json:"duration_ms"`
		TotalMS         float64         `json:"total_ms"`
	}
	var ok testResp
	if code := p.call("POST", "/v1/chat-backend/test", map[string]any{"text": "ping", "context": map[string]any{"step": 2}}, &ok); code != 200 {
		t.Fatalf("test: %d", code)
	}
	if ok.HTTPStatus != 200 || !strings.Contains(string(ok.Reply), `"text":"pong"`) || !strings.Contains(string(ok.Reply), `"step":2`) ||
		ok.ValidationError != "" || ok.DurationMS <= 0 || ok.TotalMS < ok.DurationMS {
		t.Fatalf("test answer: %+v (reply %s)", ok, ok.Reply)
	}
	if c := b.got()[0]; !c.sigValid || c.header.Get("Idempotency-Key") == "" {
		t.Fatalf("test request not signed like a real one: %+v", c.header)
	}
	var bad testResp
	p.call("POST", "/v1/chat-backend/test", map[string]any{"text": "bad"}, &bad)
	if bad.HTTPStatus != 200 || string(bad.Reply) != "null" || !strings.Contains(bad.ValidationError, "/messages/0/url") {
		t.Fatalf("invalid reply: %+v", bad)
	}
	var e apiError
	if code := p.call("POST", "/v1/chat-backend/test", map[string]any{"text": "x", "context": []int{1}}, &e); code != 400 || e.Error.Field != "context" {
		t.Fatalf("context not an object: %d %+v", code, e)
	}
}

// A visitor message committed but never handed to its workflow (a crash
// between the commit and the Update-with-Start) is relayed by the
// sweeper, once.
func TestSweepRelaysStrandedChatMessages(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	p.configureChat(b, nil)
	at := store.Now().Add(-2 * time.Hour)
	conv := models.Conversation{ID: models.NewID("conv"), OrgID: p.OrgID, NextSeq: 1, Rev: 1, CreatedAt: at}
	ticket := models.Ticket{ID: models.NewID("tkt"), OrgID: p.OrgID, ConversationID: conv.ID, Status: "open", CreatedAt: at}
	msg := models.Message{ID: models.NewID("msg"), OrgID: p.OrgID, ConversationID: conv.ID, Sender: "visitor", Text: "lost?",
		Seq: 1, Rev: 1, RelayStatus: models.RelayQueued, CreatedAt: at}
	msg.ClientID = msg.ID
	if err := p.App.Store.CreateConversationWithMessage(t.Context(), &conv, &ticket, &msg, nil, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := p.App.Services.Sweeper.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep relayed %d (%v), want 1", n, err)
	}
	eventually(t, "the stranded message is answered", func() bool {
		tr := p.transcript(conv.ID)
		return len(tr.Messages) == 2 && tr.Messages[1].Text == "echo: lost?"
	})
	if n, err := p.App.Services.Sweeper.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("second sweep relayed %d (%v)", n, err)
	}
	if calls := b.got(); len(calls) != 1 || calls[0].req.Message.ID != msg.ID {
		t.Fatalf("backend calls: %d", len(calls))
	}
}

// The Backend Connect profile rides along as sender.profile once the
// lookup has succeeded.
func TestChatRequestCarriesTheProfile(t *testing.T) {
	p := newPlatform(t)
	p.configure(newLookupReceiver(t, "X-Switchboard-Signature"), nil)
	b := newChatBackend(t)
	p.configureChat(b, nil)
	_, open := p.say(map[string]any{"visitor_id": "user_9", "text": "hi"})
	p.waitCustomer(open.ConversationID, models.ProfileOK)
	p.say(map[string]any{"conversation_id": open.ConversationID, "text": "and now?"})
	calls := b.got()
	var prof struct {
		Name   string         `json:"name"`
		Plan   string         `json:"plan"`
		Fields map[string]any `json:"fields"`
	}
	if err := json.Unmarshal(calls[len(calls)-1].req.Sender.Profile, &prof); err != nil || prof.Name != "Ada Lovelace" || prof.Plan != "pro" || prof.Fields["region"] != "eu" {
		t.Fatalf("sender.profile: %s", calls[len(calls)-1].req.Sender.Profile)
	}
}

// Per client IP, every widget route is limited before authentication.
func TestChatRateLimitPerIP(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.WidgetRatePerIP, cfg.WidgetBurstPerIP = 0.1, 3
	p := &platform{harness.New(t, cfg)}
	codes := []int{}
	for range 4 {
		code, _, _ := p.widgetCallToken("sb_pk_wrong", p.OrgID, "", "", `{"text":"hi"}`)
		codes = append(codes, code)
	}
	if codes[0] != http.StatusUnauthorized || codes[2] != http.StatusUnauthorized || codes[3] != http.StatusTooManyRequests {
		t.Fatalf("statuses %v: the burst of 3 gets the key check, the 4th is limited", codes)
	}
}

// Upload size and count limits.
func TestChatUploadLimits(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.UploadMaxBytes, cfg.UploadsPerConversation = 1024, 2
	cfg.UploadDir = t.TempDir()
	p := &platform{harness.New(t, cfg)}
	_, a := p.say(map[string]any{"text": "hi"})
	text := []byte(strings.Repeat("plain text line\n", 100)) // 1,600 bytes
	if code, _ := p.upload(t, a.ConversationID, a.ConversationToken, "big.txt", text); code != http.StatusBadRequest {
		t.Fatalf("over UPLOAD_MAX_BYTES: %d", code)
	}
	for i := range 2 {
		if code, f := p.upload(t, a.ConversationID, a.ConversationToken, "s.txt", text[:500]); code != http.StatusCreated || f.ContentType != "text/plain" {
			t.Fatalf("upload %d: %d %+v", i, code, f)
		}
	}
	if code, _ := p.upload(t, a.ConversationID, a.ConversationToken, "third.txt", text[:10]); code != http.StatusConflict {
		t.Fatalf("over UPLOADS_PER_CONVERSATION: %d", code)
	}
	if n := p.countRows("chat_files"); n != 2 {
		t.Fatalf("%d file rows", n)
	}
}
