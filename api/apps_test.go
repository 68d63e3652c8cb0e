package api

import (
	"bytes"
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

// appsAPI is the API over SQLite with two orgs: a (secret and public key)
// and b, so cross-org access can be checked.
type appsAPI struct {
	h             http.Handler
	keyA, pubA, b string
}

func newAppsAPI(t *testing.T, adjust func(*config.Config)) appsAPI {
	t.Helper()
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxBodyBytes = 64 << 10
	if adjust != nil {
		adjust(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: storetest.SQLite(t), Log: log}, cfg)
	a, err := svc.Orgs.CreateOrg(t.Context(), "a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Orgs.CreateOrg(t.Context(), "b")
	if err != nil {
		t.Fatal(err)
	}
	return appsAPI{h: contractChecked(t, New(svc, SettingsFrom(cfg), log)), keyA: a.SecretKey, pubA: a.PublicKey, b: b.SecretKey}
}

type appAnswer struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	URL             string `json:"url"`
	Enabled         bool   `json:"enabled"`
	SignatureHeader string `json:"signature_header"`
	SigningScheme   string `json:"signing_scheme"`
	TimeoutMS       int    `json:"timeout_ms"`
	Secret          string `json:"secret"`
	Actions         map[string]struct {
		Enabled    bool              `json:"enabled"`
		Attributes map[string]string `json:"attributes"`
		Criteria   string            `json:"criteria"`
	} `json:"actions"`
}

func decodeApp(t *testing.T, raw []byte) appAnswer {
	t.Helper()
	var a appAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %s: %v", raw, err)
	}
	return a
}

const appBody = `{"name":"Klaviyo sync","url":"https://app.example/hook","actions":{
	"referral_create":{"attributes":{"source":"talkable","email_up":"{{ advocate_email | upcase }}"}},
	"send_reward":{"enabled":false,"criteria":"{% if click_reward_verified %}true{% endif %}"}}}`

func TestAppCRUDShowsTheSecretOnCreateOnly(t *testing.T) {
	api := newAppsAPI(t, nil)
	h, key := api.h, api.keyA
	status, _, raw := do(t, h, key, "POST", "/v1/apps", appBody)
	if status != http.StatusCreated {
		t.Fatalf("create: %d %s", status, raw)
	}
	a := decodeApp(t, raw)
	ref, reward := a.Actions["referral_create"], a.Actions["send_reward"]
	if !strings.HasPrefix(a.Secret, "sbsec_") || !a.Enabled || a.Name != "Klaviyo sync" || a.SignatureHeader != "X-Switchboard-Signature" ||
		a.TimeoutMS != 1000 || a.SigningScheme != "hmac-sha256-base64hex" || len(a.Actions) != 2 ||
		!ref.Enabled || ref.Attributes["email_up"] != "{{ advocate_email | upcase }}" || reward.Enabled ||
		reward.Criteria != "{% if click_reward_verified %}true{% endif %}" || len(reward.Attributes) != 0 {
		t.Fatalf("create answer: %s", raw)
	}
	for _, path := range []string{"/v1/apps/" + a.ID, "/v1/apps"} {
		status, _, raw := do(t, h, key, "GET", path, "")
		if status != http.StatusOK || !bytes.Contains(raw, []byte(a.ID)) || bytes.Contains(raw, []byte(a.Secret)) || bytes.Contains(raw, []byte(`"secret"`)) {
			t.Fatalf("GET %s: %d %s", path, status, raw)
		}
	}
	if _, _, raw := do(t, h, key, "GET", "/v1/apps/"+a.ID+"/secret", ""); !bytes.Contains(raw, []byte(`"secret":"`+a.Secret+`"`)) {
		t.Fatalf("secret route: %s", raw)
	}

	// Rotation answers a new secret, which the secret route then shows.
	status, _, raw = do(t, h, key, "POST", "/v1/apps/"+a.ID+"/secret/rotate", "")
	rotated := decodeApp(t, raw).Secret
	if status != http.StatusOK || rotated == a.Secret || !strings.HasPrefix(rotated, "sbsec_") {
		t.Fatalf("rotate: %d %s", status, raw)
	}
	if _, _, raw := do(t, h, key, "GET", "/v1/apps/"+a.ID+"/secret", ""); !bytes.Contains(raw, []byte(rotated)) {
		t.Fatalf("secret route after rotate: %s", raw)
	}
	if status, e, _ := do(t, h, key, "POST", "/v1/apps/"+a.ID+"/secret/rotate", `{"overlap":"1h"}`); status != 400 || e.Error.Code != "unknown_field" {
		t.Fatalf("rotate with an option: %d %s", status, e.Error.Code)
	}

	// A patch writes only what it carries and never shows the secret.
	status, _, raw = do(t, h, key, "PATCH", "/v1/apps/"+a.ID, `{"name":"renamed","signature_header":"x-talkable-signature","timeout_ms":5000,"enabled":false}`)
	p := decodeApp(t, raw)
	if status != 200 || p.Name != "renamed" || p.SignatureHeader != "x-talkable-signature" || p.TimeoutMS != 5000 || p.Enabled ||
		p.URL != a.URL || len(p.Actions) != 2 || p.Actions["referral_create"].Attributes["source"] != "talkable" || p.Secret != "" {
		t.Fatalf("patch: %d %s", status, raw)
	}
	// Actions is one document: a patch that carries it replaces it.
	status, _, raw = do(t, h, key, "PATCH", "/v1/apps/"+a.ID, `{"actions":{"click_reward_verification":{}}}`)
	p = decodeApp(t, raw)
	if status != 200 || len(p.Actions) != 1 || !p.Actions["click_reward_verification"].Enabled || p.Name != "renamed" {
		t.Fatalf("patch actions: %d %s", status, raw)
	}
	if _, _, raw := do(t, h, key, "GET", "/v1/apps/"+a.ID+"/secret", ""); !bytes.Contains(raw, []byte(rotated)) {
		t.Fatalf("a patch changed the secret: %s", raw)
	}

	if status, _, _ := do(t, h, key, "DELETE", "/v1/apps/"+a.ID, ""); status != http.StatusNoContent {
		t.Fatalf("delete: %d", status)
	}
	for _, r := range [][2]string{{"DELETE", ""}, {"GET", ""}, {"GET", "/secret"}, {"POST", "/secret/rotate"}} {
		if status, e, _ := do(t, h, key, r[0], "/v1/apps/"+a.ID+r[1], ""); status != 404 || e.Error.Code != "not_found" {
			t.Fatalf("%s after delete: %d", r, status)
		}
	}
}

func TestAppBadInputIsRefusedAndLeavesNothing(t *testing.T) {
	api := newAppsAPI(t, nil)
	long := func(n int) string { return strings.Repeat("é", n) } // characters, not bytes, count
	attrs := map[string]string{}
	for i := range 51 {
		attrs["a"+strings.Repeat("x", i)] = "v"
	}
	many, _ := json.Marshal(map[string]any{"name": "n", "url": "https://app.example/", "actions": map[string]any{"event": map[string]any{"attributes": attrs}}})
	withAttr := func(name, value string) string {
		b, _ := json.Marshal(map[string]any{"name": "n", "url": "https://app.example/", "actions": map[string]any{"event": map[string]any{"attributes": map[string]string{name: value}}}})
		return string(b)
	}
	cases := []struct{ name, body, code string }{
		{"no name", `{"url":"https://app.example/"}`, "invalid_request"},
		{"no url", `{"name":"n"}`, "invalid_request"},
		{"empty name", `{"name":"","url":"https://app.example/"}`, "invalid_request"},
		{"blank name", `{"name":"   ","url":"https://app.example/"}`, "invalid_request"},
		{"name of 201 characters", `{"name":"` + long(201) + `","url":"https://app.example/"}`, "invalid_request"},
		{"plain http", `{"name":"n","url":"http://app.example/"}`, "invalid_request"},
		{"relative url", `{"name":"n","url":"/hook"}`, "invalid_request"},
		{"credentials in url", `{"name":"n","url":"https://u:p@app.example/"}`, "invalid_request"},
		{"loopback url", `{"name":"n","url":"https://127.0.0.1/"}`, "url_not_allowed"},
		{"unknown action", `{"name":"n","url":"https://app.example/","actions":{"referral_delete":{}}}`, "invalid_request"},
		{"action not an object", `{"name":"n","url":"https://app.example/","actions":{"event":true}}`, "invalid_request"},
		{"null action", `{"name":"n","url":"https://app.example/","actions":{"event":null}}`, "invalid_request"},
		{"unknown action field", `{"name":"n","url":"https://app.example/","actions":{"event":{"enabeld":false}}}`, "unknown_field"},
		{"attribute not a string", `{"name":"n","url":"https://app.example/","actions":{"event":{"attributes":{"a":1}}}}`, "invalid_request"},
		{"empty attribute name", withAttr("", "v"), "invalid_request"},
		{"attribute name of 65 characters", withAttr(long(65), "v"), "invalid_request"},
		{"51 attributes", string(many), "invalid_request"},
		{"attribute over 4 KiB", withAttr("a", long(2049)), "invalid_request"},
		{"criteria over 4 KiB", `{"name":"n","url":"https://app.example/","actions":{"event":{"criteria":"` + long(2049) + `"}}}`, "invalid_request"},
		{"loop in an attribute", withAttr("a", "{% for x in friends %}{{ x }}{% endfor %}"), "invalid_template"},
		{"include in criteria", `{"name":"n","url":"https://app.example/","actions":{"send_reward":{"criteria":"{% include 'x' %}"}}}`, "invalid_template"},
		{"unknown filter", withAttr("a", "{{ advocate_email | shout }}"), "invalid_template"},
		{"unclosed tag", withAttr("a", "{% if x %}yes"), "invalid_template"},
		{"timeout 99", `{"name":"n","url":"https://app.example/","timeout_ms":99}`, "invalid_request"},
		{"timeout 5001", `{"name":"n","url":"https://app.example/","timeout_ms":5001}`, "invalid_request"},
		{"timeout not a number", `{"name":"n","url":"https://app.example/","timeout_ms":"1s"}`, "invalid_json"},
		{"header with a space", `{"name":"n","url":"https://app.example/","signature_header":"a b"}`, "invalid_request"},
		{"reserved header", `{"name":"n","url":"https://app.example/","signature_header":"Content-Type"}`, "invalid_request"},
		{"unknown field", `{"name":"n","url":"https://app.example/","secret":"mine"}`, "unknown_field"},
	}
	for _, tc := range cases {
		status, e, raw := do(t, api.h, api.keyA, "POST", "/v1/apps", tc.body)
		if status != http.StatusBadRequest || e.Error.Code != tc.code || e.Error.Message == "" {
			t.Errorf("%s: %d %.300s, want 400 %s", tc.name, status, raw, tc.code)
		}
	}
	// The boundaries themselves are accepted.
	ok := withAttr(long(64), long(2048))
	if status, _, raw := do(t, api.h, api.keyA, "POST", "/v1/apps", ok); status != http.StatusCreated {
		t.Fatalf("64-character name, 4096-byte source: %d %.300s", status, raw)
	}
	_, _, raw := do(t, api.h, api.keyA, "POST", "/v1/apps", `{"name":"`+long(200)+`","url":"https://app.example/","timeout_ms":100}`)
	id := decodeApp(t, raw).ID
	for _, tc := range cases[2:] { // the first two are fields only a create requires
		status, e, raw := do(t, api.h, api.keyA, "PATCH", "/v1/apps/"+id, tc.body)
		if status != http.StatusBadRequest || e.Error.Code != tc.code {
			t.Errorf("PATCH %s: %d %.300s, want 400 %s", tc.name, status, raw, tc.code)
		}
	}
	_, _, raw = do(t, api.h, api.keyA, "GET", "/v1/apps", "")
	var list struct{ Data []appAnswer }
	_ = json.Unmarshal(raw, &list)
	if len(list.Data) != 2 {
		t.Fatalf("refused requests left state behind: %s", raw)
	}
	for _, a := range list.Data {
		if a.ID == id && (a.Name != long(200) || a.URL != "https://app.example/" || a.TimeoutMS != 100 || len(a.Actions) != 0) {
			t.Fatalf("refused patches changed the app: %+v", a)
		}
	}
}

func TestAppsAreScopedToTheOrgAndTheSecretKey(t *testing.T) {
	api := newAppsAPI(t, nil)
	_, _, raw := do(t, api.h, api.keyA, "POST", "/v1/apps", appBody)
	a := decodeApp(t, raw)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/v1/apps/" + a.ID, ""}, {"PATCH", "/v1/apps/" + a.ID, `{"name":"taken"}`},
		{"DELETE", "/v1/apps/" + a.ID, ""}, {"GET", "/v1/apps/" + a.ID + "/secret", ""},
		{"POST", "/v1/apps/" + a.ID + "/secret/rotate", ""},
	} {
		if status, e, raw := do(t, api.h, api.b, r.method, r.path, r.body); status != http.StatusNotFound || e.Error.Code != "not_found" || bytes.Contains(raw, []byte(a.Secret)) {
			t.Errorf("other org %s %s: %d %s", r.method, r.path, status, raw)
		}
		if status, e, _ := do(t, api.h, api.pubA, r.method, r.path, r.body); status != http.StatusForbidden || e.Error.Code == "" {
			t.Errorf("public key %s %s: %d", r.method, r.path, status)
		}
	}
	for _, path := range []string{"/v1/apps", "/v1/egress-ips"} {
		if status, _, _ := do(t, api.h, api.pubA, "GET", path, ""); status != http.StatusForbidden {
			t.Errorf("public key GET %s: %d", path, status)
		}
	}
	if status, _, raw := do(t, api.h, api.pubA, "POST", "/v1/apps", appBody); status != http.StatusForbidden {
		t.Errorf("public key create: %d %s", status, raw)
	}
	if _, _, raw := do(t, api.h, api.b, "GET", "/v1/apps", ""); !bytes.Equal(bytes.TrimSpace(raw), []byte(`{"data":[]}`)) {
		t.Fatalf("org b lists org a's app: %s", raw)
	}
	// Nothing the other org or the public key tried changed the app.
	_, _, raw = do(t, api.h, api.keyA, "GET", "/v1/apps/"+a.ID, "")
	if got := decodeApp(t, raw); got.Name != a.Name {
		t.Fatalf("app changed: %s", raw)
	}
	if _, _, raw := do(t, api.h, api.keyA, "GET", "/v1/apps/"+a.ID+"/secret", ""); !bytes.Contains(raw, []byte(a.Secret)) {
		t.Fatalf("secret changed: %s", raw)
	}
}

func TestEgressIPsNeverShowTheProxy(t *testing.T) {
	const proxy = "http://egress-user:pr0xy-pass@127.0.0.1:3128"
	api := newAppsAPI(t, func(c *config.Config) {
		c.EgressIPs = []string{"203.0.113.7", "198.51.100.0/28", "2001:db8::1"}
		c.OutboundProxy = proxy
	})
	status, _, raw := do(t, api.h, api.keyA, "GET", "/v1/egress-ips", "")
	want := `{"egress_ips":["203.0.113.7","198.51.100.0/28","2001:db8::1"],"proxy":true}`
	if status != 200 || string(bytes.TrimSpace(raw)) != want {
		t.Fatalf("egress: %d %s, want %s", status, raw, want)
	}
	for _, part := range []string{"pr0xy-pass", "egress-user", "3128"} {
		if bytes.Contains(raw, []byte(part)) {
			t.Fatalf("the answer shows the proxy: %s", raw)
		}
	}

	bare := newAppsAPI(t, nil)
	status, _, raw = do(t, bare.h, bare.keyA, "GET", "/v1/egress-ips", "")
	if status != 200 || string(bytes.TrimSpace(raw)) != `{"egress_ips":[],"proxy":false}` {
		t.Fatalf("egress without settings: %d %s", status, raw)
	}
}

// Internal destinations are refused for apps as for webhooks, on create
// and on patch, through the same guard (test resolver, no real lookup).
func TestAppInternalURLsAreRefused(t *testing.T) {
	zone := zoneResolver{"internal.customer-corp.com": "10.0.0.5", "public.customer-corp.com": "93.184.215.14"}
	h, key := newGuardedAPI(t, zone)
	for _, u := range []string{"https://10.0.0.5/x", "https://169.254.169.254/", "https://[::1]/", "https://internal.customer-corp.com/hook", "https://0x7f.1/"} {
		body, _ := json.Marshal(map[string]any{"name": "n", "url": u})
		if status, e, raw := do(t, h, key, "POST", "/v1/apps", string(body)); status != 400 || e.Error.Code != "url_not_allowed" {
			t.Errorf("create %s: %d %s", u, status, raw)
		}
	}
	status, _, raw := do(t, h, key, "POST", "/v1/apps", `{"name":"n","url":"https://public.customer-corp.com/hook"}`)
	if status != http.StatusCreated {
		t.Fatalf("public URL: %d %s", status, raw)
	}
	id := decodeApp(t, raw).ID
	status, e, _ := do(t, h, key, "PATCH", "/v1/apps/"+id, `{"url":"https://internal.customer-corp.com/hook"}`)
	if status != 400 || e.Error.Code != "url_not_allowed" ||
		e.Error.Message != "url: 10.0.0.5 is in a private network (10.0.0.0/8); allow it with SWITCHBOARD_OUTBOUND_ALLOW_CIDRS" {
		t.Fatalf("patch to an internal URL: %d %+v", status, e)
	}
	if _, _, raw := do(t, h, key, "GET", "/v1/apps/"+id, ""); !bytes.Contains(raw, []byte("public.customer-corp.com")) {
		t.Fatalf("refused patch changed the URL: %s", raw)
	}
}

// The secret key authenticates before the body is read, for apps too.
func TestAppRoutesNeedAKey(t *testing.T) {
	api := newAppsAPI(t, nil)
	req := httptest.NewRequest("POST", "/v1/apps", strings.NewReader(appBody))
	rec := httptest.NewRecorder()
	api.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("no key: %d %s", rec.Code, rec.Body.String())
	}
}

// The catalog lists the doc's 13 actions with their default payloads and
// variables, and a template refused at save time says where it went wrong.
func TestAppActionCatalogAndTemplateErrors(t *testing.T) {
	api := newAppsAPI(t, nil)
	status, _, raw := do(t, api.h, api.keyA, "GET", "/v1/apps/actions", "")
	var cat struct {
		Data []struct {
			ID             string          `json:"id"`
			Description    string          `json:"description"`
			DefaultPayload json.RawMessage `json:"default_payload"`
			Variables      []struct {
				Name string `json:"name"`
			} `json:"variables"`
		}
	}
	if err := json.Unmarshal(raw, &cat); status != http.StatusOK || err != nil || len(cat.Data) != 13 {
		t.Fatalf("catalog: %d %v %.300s", status, err, raw)
	}
	for _, a := range cat.Data {
		if a.ID == "" || a.Description == "" || !json.Valid(a.DefaultPayload) || len(a.Variables) == 0 {
			t.Errorf("catalog entry incomplete: %+v", a)
		}
	}
	if status, _, _ := do(t, api.h, api.pubA, "GET", "/v1/apps/actions", ""); status != http.StatusForbidden {
		t.Fatalf("public key on the catalog: %d", status)
	}
	body := `{"name":"n","url":"https://app.example/","actions":{"referral_create":{"attributes":{"x":"ok\n{% for f in friends %}{% endfor %}"}}}}`
	status, e, raw := do(t, api.h, api.keyA, "POST", "/v1/apps", body)
	if status != http.StatusBadRequest || e.Error.Code != "invalid_template" || !strings.Contains(e.Error.Message, "line 2, column 1") {
		t.Fatalf("loop template: %d %s", status, raw)
	}
	good := `{"name":"n","url":"https://app.example/","actions":{"send_reward":{"criteria":"{% if click_reward_verified %}true{% endif %}","attributes":{"email":"{{ advocate_email | upcase }}"}}}}`
	if status, _, raw := do(t, api.h, api.keyA, "POST", "/v1/apps", good); status != http.StatusCreated {
		t.Fatalf("valid Liquid refused: %d %s", status, raw)
	}
}
