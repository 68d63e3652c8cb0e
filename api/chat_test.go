package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/service"
)

// chatAPI serves the API without Temporal for two orgs: everything below
// must be refused before a workflow would start.
type chatAPI struct {
	h            http.Handler
	key, pub, id string // org A
	otherKey     string // org B's secret key
	otherConv    string // a conversation of org B
	conv, token  string // a conversation of org A and its token
}

func newChatAPI(t *testing.T) chatAPI {
	t.Helper()
	st := storetest.SQLite(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllowInsecureURLs = true
	cfg.OutboundAllowCIDRs = strings.Split(config.LoopbackCIDRs, ",")
	cfg.UploadDir = t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: st, Log: log}, cfg)
	ctx := context.Background()
	a, err := svc.Orgs.CreateOrg(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Orgs.CreateOrg(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	ma, err := svc.Widget.PostWidgetMessage(ctx, a.Org.ID, service.WidgetCaller{}, service.WidgetMessageInput{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	mb, err := svc.Widget.PostWidgetMessage(ctx, b.Org.ID, service.WidgetCaller{}, service.WidgetMessageInput{Text: "hi"})
	if err != nil {
		t.Fatal(err)
	}
	return chatAPI{h: contractChecked(t, New(svc, SettingsFrom(cfg), log)), key: a.SecretKey, pub: a.PublicKey, id: a.Org.ID,
		otherKey: b.SecretKey, otherConv: mb.ConversationID, conv: ma.ConversationID, token: ma.ConversationToken}
}

type chatCase struct {
	name, method, path, body string
	auth                     string // "secret", "public", "other", "none"
	token                    string
	status                   int
	code, field              string
}

func (a chatAPI) do(tc chatCase) *httptest.ResponseRecorder {
	req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
	req.Header.Set("Content-Type", "application/json")
	switch tc.auth {
	case "secret":
		req.Header.Set("Authorization", "Bearer "+a.key)
	case "other":
		req.Header.Set("Authorization", "Bearer "+a.otherKey)
	case "public":
		req.Header.Set(HeaderWidgetKey, a.pub)
		req.Header.Set(HeaderWidgetOrg, a.id)
	}
	if tc.token != "" {
		req.Header.Set(HeaderConversationToken, tc.token)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

// Hostile and wrong input on every chat route: the right status and a
// JSON error with its code (and field), never a 5xx.
func TestChatRoutesRefuseBadInput(t *testing.T) {
	a := newChatAPI(t)
	long := strings.Repeat("x", 5000)
	cases := []chatCase{
		{"config with the public key", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x"}`, "public", "", 401, "unauthorized", ""},
		{"config without key", "GET", "/v1/chat-backend", ``, "none", "", 401, "unauthorized", ""},
		{"config not set", "GET", "/v1/chat-backend", ``, "secret", "", 404, "not_found", ""},
		{"test before config", "POST", "/v1/chat-backend/test", `{"text":"hi"}`, "secret", "", 404, "not_found", ""},
		{"rotate before config", "POST", "/v1/chat-backend/secret/rotate", ``, "secret", "", 404, "not_found", ""},
		{"url missing", "PUT", "/v1/chat-backend", `{}`, "secret", "", 400, "invalid_request", "url"},
		{"url not http", "PUT", "/v1/chat-backend", `{"url":"ftp://127.0.0.1/x"}`, "secret", "", 400, "invalid_request", "url"},
		{"url private", "PUT", "/v1/chat-backend", `{"url":"http://10.0.0.1/x"}`, "secret", "", 400, "", "url"},
		{"url with credentials", "PUT", "/v1/chat-backend", `{"url":"http://u:p@127.0.0.1:9/x"}`, "secret", "", 400, "invalid_request", "url"},
		{"timeout too small", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","timeout_ms":0}`, "secret", "", 400, "invalid_request", "timeout_ms"},
		{"timeout too large", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","timeout_ms":30001}`, "secret", "", 400, "invalid_request", "timeout_ms"},
		{"timeout wrong type", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","timeout_ms":"10s"}`, "secret", "", 400, "invalid_json", ""},
		{"auth type unknown", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","auth":{"type":"oauth"}}`, "secret", "", 400, "invalid_request", "auth.type"},
		{"bearer without token", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","auth":{"type":"bearer"}}`, "secret", "", 400, "invalid_request", "auth.token"},
		{"token with a newline", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","auth":{"type":"bearer","token":"a\nX-Evil: 1"}}`, "secret", "", 400, "invalid_request", "auth.token"},
		{"basic without colon", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","auth":{"type":"basic","token":"user"}}`, "secret", "", 400, "invalid_request", "auth.token"},
		{"auth header reserved", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","auth":{"type":"api_key","header":"Content-Type","token":"t"}}`, "secret", "", 400, "invalid_request", "auth.header"},
		{"signature header reserved", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","signature_header":"Idempotency-Key"}`, "secret", "", 400, "invalid_request", "signature_header"},
		{"fallback too long", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","fallback_reply":"` + long + `"}`, "secret", "", 400, "invalid_request", "fallback_reply"},
		{"unknown field", "PUT", "/v1/chat-backend", `{"url":"http://127.0.0.1:9/x","retries":3}`, "secret", "", 400, "unknown_field", ""},
		{"transcript unknown", "GET", "/v1/conversations/conv_nope/messages", ``, "secret", "", 404, "not_found", ""},
		{"transcript of another org", "GET", "/v1/conversations/" + a.conv + "/messages", ``, "other", "", 404, "not_found", ""},
		{"operator text empty", "POST", "/v1/conversations/" + a.conv + "/messages", `{"text":""}`, "secret", "", 400, "invalid_request", "text"},
		{"operator text too long", "POST", "/v1/conversations/" + a.conv + "/messages", `{"text":"` + long + `"}`, "secret", "", 400, "invalid_request", "text"},
		{"operator post into another org's", "POST", "/v1/conversations/" + a.conv + "/messages", `{"text":"hi"}`, "other", "", 404, "not_found", ""},
		{"later reply to nothing", "POST", "/v1/conversations/" + a.conv + "/messages", `{"in_reply_to":"msg_nope","reply":{"reply":"x"}}`, "secret", "", 400, "invalid_request", "in_reply_to"},
		{"reply without in_reply_to", "POST", "/v1/conversations/" + a.conv + "/messages", `{"reply":{"reply":"x"}}`, "secret", "", 400, "invalid_request", "in_reply_to"},
		{"widget post without token", "POST", "/v1/widget/messages", `{"conversation_id":"` + a.conv + `","text":"hi"}`, "public", "", 403, "forbidden", ""},
		{"widget post into another org's", "POST", "/v1/widget/messages", `{"conversation_id":"` + a.otherConv + `","text":"hi"}`, "public", a.token, 404, "not_found", ""},
		{"message_id bad chars", "POST", "/v1/widget/messages", `{"conversation_id":"` + a.conv + `","message_id":"a b","text":"hi"}`, "public", a.token, 400, "invalid_request", "message_id"},
		{"message_id too long", "POST", "/v1/widget/messages", `{"message_id":"` + strings.Repeat("a", 101) + `","text":"hi"}`, "public", "", 400, "invalid_request", "message_id"},
		{"too many attachments", "POST", "/v1/widget/messages", `{"conversation_id":"` + a.conv + `","text":"hi","attachments":["a","b","c","d","e","f"]}`, "public", a.token, 400, "invalid_request", "attachments"},
		{"unknown attachment", "POST", "/v1/widget/messages", `{"conversation_id":"` + a.conv + `","text":"hi","attachments":["file_nope"]}`, "public", a.token, 400, "invalid_request", "attachments"},
		{"attachment on a new conversation", "POST", "/v1/widget/messages", `{"text":"hi","attachments":["file_x"]}`, "public", "", 400, "invalid_request", "attachments"},
		{"metadata too long", "POST", "/v1/widget/messages", `{"text":"hi","metadata":{"page_url":"` + long + `"}}`, "public", "", 400, "invalid_request", "metadata"},
		{"metadata unknown field", "POST", "/v1/widget/messages", `{"text":"hi","metadata":{"referrer":"x"}}`, "public", "", 400, "", ""},
		{"events without token", "GET", "/v1/widget/conversations/" + a.conv + "/events", ``, "public", "", 403, "forbidden", ""},
		{"events of another org's", "GET", "/v1/widget/conversations/" + a.otherConv + "/events", ``, "public", a.token, 404, "not_found", ""},
		{"events bad cursor", "GET", "/v1/widget/conversations/" + a.conv + "/events?after=-1", ``, "public", a.token, 400, "invalid_request", ""},
		{"upload not multipart", "POST", "/v1/widget/files", `{"file":"x"}`, "public", a.token, 400, "invalid_request", ""},
		{"file without signature", "GET", "/v1/files/file_x", ``, "none", "", 403, "forbidden", ""},
		{"file with a forged signature", "GET", "/v1/files/file_x?expires=9999999999&sig=00", ``, "none", "", 403, "forbidden", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := a.do(tc)
			var e struct {
				Error struct{ Code, Field, Message string } `json:"error"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Message == "" {
				t.Fatalf("%d, not a JSON error: %s", rec.Code, rec.Body.String())
			}
			if rec.Code != tc.status || tc.code != "" && e.Error.Code != tc.code || tc.field != "" && e.Error.Field != tc.field {
				t.Fatalf("got %d %s, want %d %s %s", rec.Code, rec.Body.String(), tc.status, tc.code, tc.field)
			}
		})
	}
}

// The auth token is write-only and the signing secret shown only on the
// first save: neither comes back from GET or a later PUT.
func TestChatBackendSecretsAreWriteOnly(t *testing.T) {
	a := newChatAPI(t)
	put := chatCase{method: "PUT", path: "/v1/chat-backend", auth: "secret",
		body: `{"url":"http://127.0.0.1:9/x","auth":{"type":"bearer","token":"tok-very-secret"}}`}
	first := a.do(put)
	var v struct {
		Secret string `json:"secret"`
		Auth   struct {
			Type     string `json:"type"`
			TokenSet bool   `json:"token_set"`
		} `json:"auth"`
	}
	if err := json.Unmarshal(first.Body.Bytes(), &v); err != nil || first.Code != 201 || v.Secret == "" || !v.Auth.TokenSet {
		t.Fatalf("first save: %d %s", first.Code, first.Body.String())
	}
	// A later save of the same type may omit the token: it is kept.
	put.body = `{"url":"http://127.0.0.1:9/y","auth":{"type":"bearer"}}`
	second := a.do(put)
	get := a.do(chatCase{method: "GET", path: "/v1/chat-backend", auth: "secret"})
	for name, rec := range map[string]*httptest.ResponseRecorder{"first PUT": first, "second PUT": second, "GET": get} {
		if strings.Contains(rec.Body.String(), "tok-very-secret") {
			t.Errorf("%s shows the auth token", name)
		}
	}
	if second.Code != 200 || strings.Contains(second.Body.String(), `"secret"`) || !strings.Contains(get.Body.String(), `"token_set":true`) {
		t.Fatalf("second save %d %s; get %s", second.Code, second.Body.String(), get.Body.String())
	}
	rot := a.do(chatCase{method: "POST", path: "/v1/chat-backend/secret/rotate", auth: "secret"})
	if rot.Code != 200 || !strings.Contains(rot.Body.String(), `"secret":"`) || strings.Contains(rot.Body.String(), v.Secret) {
		t.Fatalf("rotate: %d %s", rot.Code, rot.Body.String())
	}
}
