package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

// Bad input to the synchronous Custom App routes is a 4xx JSON error and
// is refused before any workflow would start (this API has no Temporal
// client: reaching one would panic into a 500).
func TestAppSyncBadInput(t *testing.T) {
	api := newAppsAPI(t, nil)
	_, _, raw := do(t, api.h, api.keyA, "POST", "/v1/apps", appBody)
	a := decodeApp(t, raw)
	sample := "/v1/apps/" + a.ID + "/actions/referral_create/sample"
	for _, tc := range []struct {
		key, method, path, body string
		status                  int
		code                    string
	}{
		{api.keyA, "POST", sample, `{"dry_run":true}`, 400, "unknown_field"},
		{api.keyA, "POST", sample, `[]`, 400, "invalid_json"},
		{api.keyA, "POST", "/v1/apps/" + a.ID + "/actions/nope/sample", "", 400, "unknown_action"},
		{api.keyA, "POST", "/v1/apps/app_nope/actions/referral_create/sample", "", 404, "not_found"},
		{api.b, "POST", sample, "", 404, "not_found"},
		{api.pubA, "POST", sample, "", 403, "forbidden"},
		{api.keyA, "POST", "/v1/rewards/verify-click", ``, 400, "invalid_json"},
		{api.keyA, "POST", "/v1/rewards/verify-click", `[]`, 400, "invalid_json"},
		{api.keyA, "POST", "/v1/rewards/verify-click", `null`, 400, "invalid_json"},
		{api.keyA, "POST", "/v1/rewards/verify-click", `{}`, 400, "invalid_request"},
		{api.keyA, "POST", "/v1/rewards/verify-click", `{"email":7}`, 400, "invalid_request"},
		{api.keyA, "POST", "/v1/rewards/verify-click", `{"email":"a@b.example","site_id":[1]}`, 400, "invalid_request"},
		{api.keyA, "POST", "/v1/rewards/verify-click", `{"email":"a@b.example"} {}`, 400, "invalid_json"},
		{api.pubA, "POST", "/v1/rewards/verify-click", `{"email":"a@b.example"}`, 403, "forbidden"},
		{api.keyA, "GET", "/v1/rewards/verifications/cvf_nope", "", 404, "not_found"},
		{api.keyA, "GET", "/v1/rewards/verifications/cvf_nope/history", "", 404, "not_found"},
	} {
		status, e, raw := do(t, api.h, tc.key, tc.method, tc.path, tc.body)
		if status != tc.status || e.Error.Code != tc.code || e.Error.Message == "" {
			t.Errorf("%s %s %s: %d %s, want %d %s", tc.method, tc.path, tc.body, status, raw, tc.status, tc.code)
		}
	}
}

// A verification (here with no app to ask, so no workflow) is the org's
// own: another org gets 404 for it and its history.
func TestVerificationsAreScopedToTheOrg(t *testing.T) {
	api := newAppsAPI(t, nil)
	status, _, raw := do(t, api.h, api.keyA, "POST", "/v1/rewards/verify-click", `{"email":"a@shop.example","site_id":"1","referral":{"status":"ok"}}`)
	var d struct {
		Verified       bool   `json:"verified"`
		Reason         string `json:"reason"`
		VerificationID string `json:"verification_id"`
		Apps           []any  `json:"apps"`
	}
	if err := json.Unmarshal(raw, &d); status != http.StatusOK || err != nil || !d.Verified || d.Reason != "no_apps" || d.Apps == nil {
		t.Fatalf("verify: %d %s", status, raw)
	}
	path := "/v1/rewards/verifications/" + d.VerificationID
	if status, _, raw := do(t, api.h, api.keyA, "GET", path, ""); status != 200 ||
		!bytes.Contains(raw, []byte(`"reason":"no_apps"`)) || !bytes.Contains(raw, []byte(`"email":"a@shop.example"`)) {
		t.Fatalf("get: %d %s", status, raw)
	}
	for _, p := range []string{path, path + "/history"} {
		if status, e, _ := do(t, api.h, api.b, "GET", p, ""); status != 404 || e.Error.Code != "not_found" {
			t.Errorf("other org GET %s: %d", p, status)
		}
	}
}
