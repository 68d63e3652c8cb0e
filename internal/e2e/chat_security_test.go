package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/enums/v1"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
)

// A conversation is private to its visitor: posting into it and reading
// its events need its token besides the public key; the secret key
// (server side) needs none.
func TestChatConversationTokenEnforced(t *testing.T) {
	p := newPlatform(t)
	b := newChatBackend(t)
	p.configureChat(b, nil)
	_, a := p.say(map[string]any{"text": "mine"})
	_, other := p.say(map[string]any{"text": "someone else"})
	body := `{"conversation_id":"` + a.ConversationID + `","text":"intruder"}`
	for name, token := range map[string]string{"none": "", "wrong": "nottherightone", "another conversation's": other.ConversationToken} {
		code, _, raw := p.widgetCallToken(p.PubKey, p.OrgID, "", token, body)
		if code != http.StatusForbidden || !bytes.Contains(raw, []byte(`"forbidden"`)) {
			t.Errorf("%s token: %d %s", name, code, raw)
		}
	}
	if code, _, raw := p.widgetCallToken(p.Key, p.OrgID, "", "", body); code != http.StatusCreated {
		t.Errorf("secret key without token: %d %s", code, raw)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", p.URL+"/v1/widget/conversations/"+a.ConversationID+"/events", nil)
	req.Header.Set("X-Switchboard-Key", p.PubKey)
	req.Header.Set("X-Switchboard-Org", p.OrgID)
	req.Header.Set("X-Switchboard-Conversation-Token", other.ConversationToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("events with another conversation's token: %d", resp.StatusCode)
	}
	if n := len(b.got()); n != 3 {
		t.Fatalf("backend calls %d: refused posts must not be relayed", n)
	}
}

// Per-conversation rate limit: beyond the burst, 429 with Retry-After,
// and nothing stored or relayed.
func TestChatRateLimit(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.WidgetRatePerConv, cfg.WidgetBurstPerConv = 0.2, 2
	p := &platform{harness.New(t, cfg)}
	b := newChatBackend(t)
	p.configureChat(b, nil)
	_, open := p.say(map[string]any{"text": "hi"})
	for i := range 2 {
		if code, a := p.say(map[string]any{"conversation_id": open.ConversationID, "text": "again"}); code != http.StatusCreated {
			t.Fatalf("message %d within the burst: %d %+v", i, code, a)
		}
	}
	raw, _ := json.Marshal(map[string]any{"conversation_id": open.ConversationID, "text": "too fast"})
	code, h, out := p.widgetCall(p.PubKey, p.OrgID, "", string(raw))
	if code != http.StatusTooManyRequests || h.Get("Retry-After") == "" || !bytes.Contains(out, []byte("rate_limited")) {
		t.Fatalf("over the limit: %d %v %s", code, h, out)
	}
	if n := len(b.got()); n != 3 {
		t.Fatalf("backend calls: %d, want 3", n)
	}
}

// Uploads: the type comes from the content, the backend gets a signed
// link that works, expires, and cannot be bent to another file; files of
// another conversation cannot be attached.
func TestChatFiles(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.FileURLTTL = 2 * time.Second
	cfg.UploadDir = t.TempDir()
	p := &platform{harness.New(t, cfg)}
	b := newChatBackend(t)
	p.configureChat(b, nil)
	_, a := p.say(map[string]any{"text": "hi"})
	_, other := p.say(map[string]any{"text": "other"})
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"), bytes.Repeat([]byte{0}, 64)...)
	code, f := p.upload(t, a.ConversationID, a.ConversationToken, "../../etc/passwd.png", png)
	if code != http.StatusCreated || f.ContentType != "image/png" || f.Size != int64(len(png)) || strings.Contains(f.Name, "/") {
		t.Fatalf("upload: %d %+v", code, f)
	}
	if code, e := p.upload(t, a.ConversationID, a.ConversationToken, "cat.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`)); code != http.StatusBadRequest || e.ID != "" {
		t.Fatalf("svg named .png: %d %+v", code, e)
	}
	if code, _ := p.upload(t, a.ConversationID, other.ConversationToken, "x.png", png); code != http.StatusForbidden {
		t.Fatalf("upload with another conversation's token: %d", code)
	}
	_, o := p.upload(t, other.ConversationID, other.ConversationToken, "o.png", png)
	if code, ans := p.say(map[string]any{"conversation_id": a.ConversationID, "text": "theirs", "attachments": []string{o.ID}}); code != http.StatusBadRequest {
		t.Fatalf("attaching another conversation's file: %d %+v", code, ans)
	}
	if code, ans := p.say(map[string]any{"conversation_id": a.ConversationID, "text": "see file", "attachments": []string{f.ID}}); code != http.StatusCreated || ans.ReplyStatus != "replied" {
		t.Fatalf("message with attachment: %d %+v", code, ans)
	}
	calls := b.got()
	att := calls[len(calls)-1].req.Message.Attachments
	if len(att) != 1 || att[0].ContentType != "image/png" || att[0].Size != int64(len(png)) {
		t.Fatalf("attachments sent: %+v", att)
	}
	link, err := url.Parse(att[0].URL)
	if err != nil || link.Query().Get("sig") == "" {
		t.Fatalf("link %q", att[0].URL)
	}
	// The link names PUBLIC_URL's host; this test's server has its own.
	get := func(path, query string) (int, http.Header, []byte) {
		resp, err := http.Get(p.URL + path + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, body
	}
	code, h, body := get(link.Path, link.RawQuery)
	if code != http.StatusOK || !bytes.Equal(body, png) || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("signed link: %d %v", code, h)
	}
	if code, _, _ := get("/v1/files/"+o.ID, link.RawQuery); code != http.StatusForbidden {
		t.Fatalf("the signature of one file opened another: %d", code)
	}
	q := link.Query()
	q.Set("expires", "9999999999")
	if code, _, _ := get(link.Path, q.Encode()); code != http.StatusForbidden {
		t.Fatalf("a stretched expiry was accepted: %d", code)
	}
	time.Sleep(3 * time.Second) // FILE_URL_TTL is 2s
	if code, _, _ := get(link.Path, link.RawQuery); code != http.StatusForbidden {
		t.Fatalf("an expired link still works: %d", code)
	}
}

type fileResp struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func (p *platform) upload(t *testing.T, convID, token, name string, content []byte) (int, fileResp) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("conversation_id", convID)
	fw, _ := mw.CreateFormFile("file", name)
	_, _ = fw.Write(content)
	_ = mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", p.URL+"/v1/widget/files", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Switchboard-Key", p.PubKey)
	req.Header.Set("X-Switchboard-Org", p.OrgID)
	req.Header.Set("X-Switchboard-Conversation-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var f fileResp
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &f)
	return resp.StatusCode, f
}

// The outbound auth token is write-only: sent to the backend, never in
// logs, API answers, stored attempts or Temporal history.
func TestChatAuthTokenNeverLeaks(t *testing.T) {
	var logs lockedLog
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := &platform{harness.StartLogged(t, harness.Config(t, temporalServer), app.Parts{API: true, Worker: true}, log)}
	b := newChatBackend(t)
	const token = "tok-SUPERSECRET-9f8e7d"
	b.answer = func(n int, _ chatRequest, w http.ResponseWriter, _ *http.Request) {
		if n == 1 {
			writeJSON(w, 500, map[string]any{"echo": token}) // a backend echoing it back
			return
		}
		writeJSON(w, 200, map[string]any{"reply": "ok"})
	}
	cfgResp := p.configureChat(b, map[string]any{"auth": map[string]any{"type": "api_key", "header": "X-Api-Key", "token": token}})
	_, a := p.say(map[string]any{"text": "hi"})
	if a.ReplyStatus != "replied" || b.got()[0].header.Get("X-Api-Key") != token {
		t.Fatalf("relay: %+v, header %q", a, b.got()[0].header.Get("X-Api-Key"))
	}
	var got json.RawMessage
	p.call("GET", "/v1/chat-backend", nil, &got)
	tr, _ := json.Marshal(p.transcript(a.ConversationID))
	put, _ := json.Marshal(cfgResp)
	hist := workflowHistoryText(t, p, "conversation-"+a.ConversationID)
	for where, text := range map[string]string{"GET /v1/chat-backend": string(got), "PUT answer": string(put),
		"transcript": string(tr), "logs": logs.String(), "Temporal history": hist} {
		if strings.Contains(text, token) {
			t.Errorf("the auth token appears in %s", where)
		}
	}
	if !strings.Contains(hist, "ChatRelay") {
		t.Fatalf("history was not read: %.200s", hist)
	}
}

// workflowHistoryText is every event of a workflow's runs as JSON text.
func workflowHistoryText(t *testing.T, p *platform, workflowID string) string {
	t.Helper()
	it := p.App.Temporal.GetWorkflowHistory(t.Context(), workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var sb strings.Builder
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		sb.WriteString(ev.String()) // payload bytes printed as text
		sb.WriteByte('\n')
	}
	return sb.String()
}
