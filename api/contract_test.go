package api

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/internal/contracttest"
)

// The contract is loaded once per test binary: it is embedded and fixed.
var contract = sync.OnceValues(func() (*contracttest.Contract, error) {
	return contracttest.Load(openAPIDoc)
})

func TestOpenAPIDocumentIsValid(t *testing.T) {
	if _, err := contract(); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
}

// contractChecked wraps the API so every request a test makes and every
// answer it gets are validated against openapi.json; a mismatch fails the
// test (contracttest.Wrap).
func contractChecked(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	c, err := contract()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return c.Wrap(t, h)
}

// complaints records what the check reports.
type complaints []string

func (c *complaints) Helper() {}
func (c *complaints) Errorf(format string, args ...any) {
	*c = append(*c, fmt.Sprintf(format, args...))
}
func (c *complaints) Fatalf(format string, args ...any) { c.Errorf(format, args...) }

// The check must catch a wrong answer, an undocumented status and an
// invalid request the API accepted; and pass a right exchange.
func TestContractCheckCatchesMismatches(t *testing.T) {
	c, err := contract()
	if err != nil {
		t.Fatal(err)
	}
	okWebhook := `{"id":"wh_1","url":"https://a.example","description":"","event_types":["contact.created"],"active":true,` +
		`"source":"custom","signing_scheme":"standard-webhooks","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`
	cases := []struct {
		name, method, path, reqBody string
		status                      int
		respBody                    string
		wantComplaint               bool
	}{
		{"right answer", "GET", "/v1/webhooks/wh_1", "", 200, okWebhook, false},
		{"documented error", "GET", "/v1/webhooks/wh_1", "", 404, `{"error":{"code":"not_found","message":"resource not found"}}`, false},
		{"answer missing a required field", "GET", "/v1/webhooks/wh_1", "", 200, `{"id":"wh_1"}`, true},
		{"answer with a wrong type", "GET", "/v1/webhooks/wh_1", "", 200, strings.Replace(okWebhook, `"active":true`, `"active":"yes"`, 1), true},
		{"undocumented status", "GET", "/v1/webhooks/wh_1", "", 418, `{"error":{"code":"teapot","message":"x"}}`, true},
		{"error not in the error shape", "GET", "/v1/webhooks/wh_1", "", 404, `{"message":"nope"}`, true},
		{"invalid request accepted", "POST", "/v1/webhooks", `{"url":5}`, 201, okWebhook, true},
		{"invalid request refused", "POST", "/v1/webhooks", `{"url":5}`, 400, `{"error":{"code":"invalid_json","message":"m"}}`, false},
		{"undocumented route answered", "GET", "/v1/nothing", "", 200, `{}`, true},
	}
	for _, tc := range cases {
		req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.reqBody))
		rec := httptest.NewRecorder()
		rec.Header().Set("Content-Type", "application/json")
		rec.WriteHeader(tc.status)
		rec.WriteString(tc.respBody)
		var got complaints
		c.Check(&got, req, []byte(tc.reqBody), rec)
		if (len(got) > 0) != tc.wantComplaint {
			t.Errorf("%s: complaints %q, want a complaint: %v", tc.name, got, tc.wantComplaint)
		}
	}
}
