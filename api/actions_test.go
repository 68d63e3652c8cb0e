package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSendActionBadInput: every malformed action request is a 4xx JSON
// error with its code, and none stores anything: each carries the
// idempotency key "k1", which a valid request afterwards finds unused.
func TestSendActionBadInput(t *testing.T) {
	h, key := newTestAPI(t)
	deep := `{"variables":` + strings.Repeat(`{"a":`, 40) + `1` + strings.Repeat(`}`, 40) + `,"idempotency_key":"k1"}`
	cases := []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"unknown action", "/v1/actions/referral_delete", `{"variables":{},"idempotency_key":"k1"}`, 400, "unknown_action"},
		{"synchronous action", "/v1/actions/click_reward_verification", `{"variables":{},"idempotency_key":"k1"}`, 400, "unsupported_action"},
		{"variables an array", "/v1/actions/referral_create", `{"variables":[1],"idempotency_key":"k1"}`, 400, "invalid_request"},
		{"variables a string", "/v1/actions/referral_create", `{"variables":"x","idempotency_key":"k1"}`, 400, "invalid_request"},
		{"platform variable", "/v1/actions/referral_create", `{"variables":{"click_reward_verified":true},"idempotency_key":"k1"}`, 400, "invalid_request"},
		{"unknown verification", "/v1/actions/send_reward", `{"variables":{},"verification_id":"ver_1","idempotency_key":"k1"}`, 400, "invalid_request"},
		{"long idempotency key", "/v1/actions/referral_create", `{"variables":{},"idempotency_key":"` + strings.Repeat("k", 201) + `"}`, 400, "invalid_request"},
		{"unknown field", "/v1/actions/referral_create", `{"variabels":{},"idempotency_key":"k1"}`, 400, "unknown_field"},
		{"malformed JSON", "/v1/actions/referral_create", `{"variables":`, 400, "invalid_json"},
		{"too deep", "/v1/actions/referral_create", deep, 400, "json_too_deep"},
		{"number out of range", "/v1/actions/referral_create", `{"variables":{"n":1e400},"idempotency_key":"k1"}`, 400, "number_out_of_range"},
		{"NUL in a variable", "/v1/actions/referral_create", `{"variables":{"s":"a\u0000b"},"idempotency_key":"k1"}`, 400, "invalid_text"},
		{"wrong method", "/v1/actions/referral_create", ``, 405, "method_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			method := "POST"
			if tc.status == 405 {
				method = "GET"
			}
			status, e, raw := do(t, h, key, method, tc.path, tc.body)
			if status != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Fatalf("got %d %s, want %d %s", status, raw, tc.status, tc.code)
			}
		})
	}
	if status, e, _ := do(t, h, "", "POST", "/v1/actions/referral_create", `{"variables":{}}`); status != 401 || e.Error.Code != "unauthorized" {
		t.Fatalf("no key: %d %+v", status, e)
	}

	// With no app enabling it, a valid action is accepted and goes nowhere;
	// "k1" was never stored by the refusals above.
	var first, again struct {
		ID         string            `json:"id"`
		Action     string            `json:"action"`
		Variables  map[string]string `json:"variables"`
		Deliveries []json.RawMessage `json:"deliveries"`
	}
	body := `{"variables":{"advocate_email":"a@example.com"},"idempotency_key":"k1"}`
	status, _, raw := do(t, h, key, "POST", "/v1/actions/referral_create", body)
	if err := json.Unmarshal(raw, &first); err != nil || status != 202 || first.Action != "referral_create" ||
		first.Variables["advocate_email"] != "a@example.com" || first.Deliveries == nil || len(first.Deliveries) != 0 {
		t.Fatalf("valid action: %d %s", status, raw)
	}
	status, _, raw = do(t, h, key, "POST", "/v1/actions/referral_create", body)
	if err := json.Unmarshal(raw, &again); err != nil || status != 200 || again.ID != first.ID {
		t.Fatalf("repeated key: %d %s", status, raw)
	}
	// Another action under the same key is a conflict, not the first answer.
	if status, e, _ := do(t, h, key, "POST", "/v1/actions/sync_signups", body); status != 409 || e.Error.Code == "" {
		t.Fatalf("key reused by another action: %d %+v", status, e)
	}
}
