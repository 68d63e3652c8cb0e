package api

import (
	"encoding/json"
	"testing"
)

// Replay routes refuse bad and foreign input with a JSON error before
// anything is created or started (the API here has no Temporal client).
func TestReplayRoutesRefuseBadInput(t *testing.T) {
	a := newChatAPI(t)
	cases := []chatCase{
		{"public key", "POST", "/v1/replays", `{}`, "public", "", 401, "unauthorized", ""},
		{"unknown delivery", "POST", "/v1/deliveries/dlv_nope/replay", ``, "secret", "", 404, "not_found", ""},
		{"unknown event", "POST", "/v1/events/evt_nope/replay", `{}`, "secret", "", 404, "not_found", ""},
		{"bad event target", "POST", "/v1/events/evt_nope/replay", `{"target":"all"}`, "secret", "", 400, "invalid_request", "target"},
		{"bad status", "POST", "/v1/replays", `{"status":"exploded"}`, "secret", "", 400, "invalid_request", "status"},
		{"bad target", "POST", "/v1/replays", `{"target":"mars"}`, "secret", "", 400, "invalid_request", "target"},
		{"since after until", "POST", "/v1/replays", `{"since":"2026-02-01T00:00:00Z","until":"2026-01-01T00:00:00Z"}`, "secret", "", 400, "invalid_request", "until"},
		{"since not a time", "POST", "/v1/replays", `{"since":"yesterday"}`, "secret", "", 400, "", ""},
		{"another org's endpoint", "POST", "/v1/replays", `{"webhook_id":"wh_nope"}`, "secret", "", 400, "invalid_request", "webhook_id"},
		{"unknown field", "POST", "/v1/replays", `{"status":"failed","dry_run":true}`, "secret", "", 400, "unknown_field", ""},
		{"unknown replay", "GET", "/v1/replays/rpl_nope", ``, "secret", "", 404, "not_found", ""},
		{"another org's replay", "POST", "/v1/replays/rpl_nope/pause", ``, "other", "", 404, "not_found", ""},
		{"enable unknown endpoint", "POST", "/v1/webhooks/wh_nope/enable", `{"replay_skipped":true}`, "secret", "", 404, "not_found", ""},
		{"enable with a wrong type", "POST", "/v1/webhooks/wh_nope/enable", `{"replay_skipped":"yes"}`, "secret", "", 400, "invalid_json", ""},
		{"enable with the public key", "POST", "/v1/webhooks/wh_nope/enable", ``, "public", "", 401, "unauthorized", ""},
		{"erase unknown event", "DELETE", "/v1/events/evt_nope", ``, "secret", "", 404, "not_found", ""},
		{"erase with the public key", "DELETE", "/v1/events/evt_nope", ``, "public", "", 401, "unauthorized", ""},
		{"retention out of range", "PATCH", "/v1/org", `{"retention_days":99999}`, "secret", "", 400, "invalid_request", "retention_days"},
		{"retention wrong type", "PATCH", "/v1/org", `{"retention_days":"30d"}`, "secret", "", 400, "invalid_json", ""},
		{"operational event ingest", "POST", "/v1/events", `{"type":"delivery.exhausted","data":{"delivery":{"id":"d","event_id":"e","event_type":"t"}}}`, "secret", "", 400, "reserved_event_type", "type"},
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
