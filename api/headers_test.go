package api

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestSignatureHeaderRefusesReservedNames: a signature header the platform
// sets itself (Idempotency-Key would replace the delivery id) or that steers
// the transport (Host makes the signature vanish) is refused on both routes
// that accept one, with a message naming why.
func TestSignatureHeaderRefusesReservedNames(t *testing.T) {
	h, key := newTestAPI(t)
	routes := []struct{ method, path, body string }{
		{"POST", "/v1/webhooks", `{"url":"https://a.example","event_types":["contact.created"],"signature_header":%q}`},
		{"PUT", "/v1/backend-connect", `{"url":"https://a.example","signature_header":%q}`},
	}
	cases := []struct{ header, why string }{
		{"Host", "transport"}, {"content-length", "transport"}, {"Content-Type", "platform"},
		{"Transfer-Encoding", "transport"}, {"Connection", "transport"}, {"IDEMPOTENCY-KEY", "delivery id"},
		{"User-Agent", "platform"}, {"Authorization", "credentials"}, {"Proxy-Authorization", "transport"},
		{"webhook-signature", "Standard Webhooks"}, {"Webhook-Id", "Standard Webhooks"}, {"Expect", "transport"},
		{"TE", "transport"}, {"Upgrade", "transport"}, {"Trailer", "transport"}, {"Keep-Alive", "transport"},
		{"a b", "valid HTTP header name"}, {"X-Sig\r\nHost", "valid HTTP header name"}, {"", "1 to 100"},
	}
	for _, rt := range routes {
		for _, tc := range cases {
			body := strings.Replace(rt.body, "%q", jsonString(tc.header), 1)
			status, e, raw := do(t, h, key, rt.method, rt.path, body)
			if status != 400 || e.Error.Code != "invalid_request" || !strings.Contains(e.Error.Message, tc.why) ||
				!strings.Contains(e.Error.Message, "signature_header") {
				t.Errorf("%s %s signature_header=%q: got %d %s, want 400 naming %q", rt.method, rt.path, tc.header, status, raw, tc.why)
			}
		}
	}
	for _, ok := range []string{"X-Switchboard-Signature", "TinyTalk-Signature", "x-talkable-signature"} {
		body := strings.Replace(routes[0].body, "%q", jsonString(ok), 1)
		if status, _, raw := do(t, h, key, "POST", "/v1/webhooks", body); status != 201 {
			t.Errorf("signature_header=%q refused: %d %s", ok, status, raw)
		}
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
