package api

import (
	"bytes"
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

// newTestAPI serves the API over a SQLite store with no Temporal client:
// enough for every route that validates input and writes only the store.
func newTestAPI(t *testing.T) (http.Handler, string) {
	t.Helper()
	st := storetest.SQLite(t)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxBodyBytes = 4096
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: st, Log: log}, cfg)
	org, err := svc.Orgs.CreateOrg(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return contractChecked(t, New(svc, SettingsFrom(cfg), log)), org.SecretKey
}

type apiErr struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func do(t *testing.T, h http.Handler, key, method, path, body string) (int, apiErr, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var e apiErr
	_ = json.Unmarshal(rec.Body.Bytes(), &e)
	return rec.Code, e, rec.Body.Bytes()
}

func TestBadInputGetsAJSONErrorAndLeavesNothing(t *testing.T) {
	h, key := newTestAPI(t)
	big := `{"url":"https://example.com","event_types":["contact.created"],"description":"` + strings.Repeat("x", 5000) + `"}`
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed JSON", "POST", "/v1/webhooks", `{"url":`, 400, "invalid_json"},
		{"not an object", "POST", "/v1/webhooks", `[1]`, 400, "invalid_json"},
		{"empty body", "POST", "/v1/webhooks", ``, 400, "invalid_json"},
		{"trailing data", "POST", "/v1/webhooks", `{"url":"https://a.example","event_types":["contact.created"]} {}`, 400, "invalid_json"},
		{"oversized body", "POST", "/v1/webhooks", big, 413, "payload_too_large"},
		{"unknown field", "POST", "/v1/webhooks", `{"url":"https://a.example","evnt_types":["contact.created"]}`, 400, "unknown_field"},
		{"wrong type", "POST", "/v1/webhooks", `{"url":5,"event_types":["contact.created"]}`, 400, "invalid_json"},
		{"plain http refused", "POST", "/v1/webhooks", `{"url":"http://a.example","event_types":["contact.created"]}`, 400, "invalid_request"},
		{"relative URL", "POST", "/v1/webhooks", `{"url":"/hook","event_types":["contact.created"]}`, 400, "invalid_request"},
		{"ftp URL", "POST", "/v1/webhooks", `{"url":"ftp://a.example/x","event_types":["contact.created"]}`, 400, "invalid_request"},
		{"credentials in URL", "POST", "/v1/webhooks", `{"url":"https://u:p@a.example","event_types":["contact.created"]}`, 400, "invalid_request"},
		{"unknown event type", "POST", "/v1/webhooks", `{"url":"https://a.example","event_types":["contact.deleted"]}`, 400, "invalid_request"},
		{"no event types", "POST", "/v1/webhooks", `{"url":"https://a.example","event_types":[]}`, 400, "invalid_request"},
		{"bad scheme", "POST", "/v1/webhooks", `{"url":"https://a.example","event_types":["contact.created"],"signing_scheme":"md5"}`, 400, "invalid_request"},
		{"bad header name", "POST", "/v1/webhooks", `{"url":"https://a.example","event_types":["contact.created"],"signature_header":"a b"}`, 400, "invalid_request"},
		{"bad duration", "POST", "/v1/webhooks", `{"url":"https://a.example","event_types":["contact.created"],"retry_schedule":["soon"]}`, 400, "invalid_request"},
		{"unitless duration", "POST", "/v1/webhooks", `{"url":"https://a.example","event_types":["contact.created"],"retry_schedule":[5]}`, 400, "invalid_request"},
		{"bad source", "POST", "/v1/webhooks", `{"url":"https://a.example","event_types":["contact.created"],"source":"ifttt"}`, 400, "invalid_request"},
		{"unknown event", "POST", "/v1/events", `{"type":"contact.deleted","data":{}}`, 400, "unknown_event_type"},
		{"schema violation", "POST", "/v1/events", `{"type":"contact.created","data":{"contact":{}}}`, 400, "schema_violation"},
		{"missing data", "POST", "/v1/events", `{"type":"contact.created"}`, 400, "invalid_request"},
		{"unknown route", "GET", "/v1/nope", ``, 404, "not_found"},
		{"wrong method", "PUT", "/v1/events", `{}`, 405, "method_not_allowed"},
		{"missing webhook", "GET", "/v1/webhooks/wh_missing", ``, 404, "not_found"},
		{"bad limit", "GET", "/v1/deliveries?limit=0", ``, 400, "invalid_request"},
		{"bad cursor", "GET", "/v1/deliveries?cursor=bm90IGEgY3Vyc29y", ``, 400, "invalid_request"},
		{"bad time", "GET", "/v1/deliveries?since=yesterday", ``, 400, "invalid_request"},
		{"unknown status", "GET", "/v1/deliveries?status=done", ``, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, e, raw := do(t, h, key, tc.method, tc.path, tc.body)
			if status != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("got %d %s, want %d %s", status, raw, tc.status, tc.code)
			}
		})
	}
	// Nothing was created by any of the failures above.
	_, _, raw := do(t, h, key, "GET", "/v1/webhooks", "")
	if !bytes.Equal(bytes.TrimSpace(raw), []byte(`{"data":[]}`)) {
		t.Fatalf("failed requests left state behind: %s", raw)
	}
}

func TestWebhookCRUDHidesTheSecret(t *testing.T) {
	h, key := newTestAPI(t)
	status, _, raw := do(t, h, key, "POST", "/v1/webhooks", `{"url":"https://a.example/hook","event_types":["contact.created","contact.created"],"description":"crm","source":"zapier"}`)
	if status != 201 {
		t.Fatalf("create: %d %s", status, raw)
	}
	var w struct {
		ID, Secret, Source, SignatureHeader string
		EventTypes                          []string `json:"event_types"`
		Active                              bool
	}
	_ = json.Unmarshal(raw, &w)
	if w.Secret == "" || !w.Active || w.Source != "zapier" || len(w.EventTypes) != 1 {
		t.Fatalf("create answer: %s", raw)
	}
	for _, path := range []string{"/v1/webhooks/" + w.ID, "/v1/webhooks"} {
		_, _, raw := do(t, h, key, "GET", path, "")
		if bytes.Contains(raw, []byte(w.Secret)) {
			t.Fatalf("%s shows the secret", path)
		}
	}
	_, _, raw = do(t, h, key, "GET", "/v1/webhooks/"+w.ID+"/secret", "")
	if !bytes.Contains(raw, []byte(w.Secret)) {
		t.Fatalf("secret route: %s", raw)
	}
	_, _, raw = do(t, h, key, "POST", "/v1/webhooks/"+w.ID+"/secret/rotate", "")
	if bytes.Contains(raw, []byte(w.Secret)) || !bytes.Contains(raw, []byte("sbsec_")) {
		t.Fatalf("rotate: %s", raw)
	}
	status, _, raw = do(t, h, key, "PATCH", "/v1/webhooks/"+w.ID, `{"active":false,"description":"off"}`)
	if status != 200 || !bytes.Contains(raw, []byte(`"active":false`)) || bytes.Contains(raw, []byte(`"secret"`)) {
		t.Fatalf("patch: %d %s", status, raw)
	}
	status, _, raw = do(t, h, key, "PATCH", "/v1/webhooks/"+w.ID, `{"signing_scheme":"standard-webhooks"}`)
	if status != 200 || !bytes.Contains(raw, []byte(`"secret":"whsec_`)) {
		t.Fatalf("scheme switch must issue a whsec_ secret: %d %s", status, raw)
	}
	if status, _, _ := do(t, h, key, "DELETE", "/v1/webhooks/"+w.ID, ""); status != 204 {
		t.Fatalf("delete: %d", status)
	}
	if status, _, _ := do(t, h, key, "DELETE", "/v1/webhooks/"+w.ID, ""); status != 404 {
		t.Fatalf("second delete: %d", status)
	}
}

func TestEventTypesCatalog(t *testing.T) {
	h, key := newTestAPI(t)
	status, _, raw := do(t, h, key, "GET", "/v1/event-types", "")
	for _, name := range []string{"contact.created", "message.created", "contact.lead.updated", "conversation.created", "takeover.request"} {
		if !bytes.Contains(raw, []byte(`"name":"`+name+`"`)) {
			t.Fatalf("catalog lacks %s: %d %s", name, status, raw)
		}
	}
	if !bytes.Contains(raw, []byte(`"schema"`)) || !bytes.Contains(raw, []byte(`"sample"`)) {
		t.Fatal("catalog entries lack schema or sample")
	}
}

func TestMetricsAreExported(t *testing.T) {
	h, key := newTestAPI(t)
	do(t, h, key, "GET", "/v1/webhooks", "")
	req := httptest.NewRequest("GET", "/metrics", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `switchboard_http_request_duration_seconds_count{method="GET",route="/v1/webhooks",status="200"}`) {
		t.Fatalf("metrics: %d %.300s", rec.Code, rec.Body.String())
	}
}
