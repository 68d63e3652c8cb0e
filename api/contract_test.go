package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// The contract is loaded once per test binary: it is embedded and fixed.
var contract = sync.OnceValues(func() (routers.Router, error) {
	// The reference page and the customer stream are text; the filter
	// decodes only JSON unless told how to read other types.
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(openapi3.NewLoader().Context); err != nil {
		return nil, err
	}
	return gorillamux.NewRouter(doc)
})

func TestOpenAPIDocumentIsValid(t *testing.T) {
	if _, err := contract(); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
}

// contractChecked wraps the API so every request a test makes and every
// answer it gets are validated against openapi.json; a mismatch fails the
// test. A request the contract refuses must get a documented 4xx error
// answer: the API may not accept what the contract says is invalid.
func contractChecked(t *testing.T, h http.Handler) http.Handler {
	t.Helper()
	router, err := contract()
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Outside the contract on purpose: Prometheus' own format, and
		// the browser's CORS preflight, which carries no API semantics.
		if r.URL.Path == "/metrics" || r.Method == http.MethodOptions {
			h.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		checkExchange(t, router, r, body, rec)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// reporter is the part of *testing.T the check uses, so the check itself
// can be tested with a recorder of its complaints.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
}

func checkExchange(t reporter, router routers.Router, r *http.Request, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	vr := r.Clone(r.Context())
	vr.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) > 0 && vr.Header.Get("Content-Type") == "" {
		// The API reads every body as JSON whatever its Content-Type
		// (decode); the contract names it application/json.
		vr.Header.Set("Content-Type", "application/json")
	}
	route, params, err := router.FindRoute(vr)
	if err != nil {
		// Not a documented operation: only the API's own 404/405 answer
		// is acceptable, never a handler's.
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("contract: %s %s is not documented but got %d", r.Method, r.URL.Path, rec.Code)
		}
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: opts}
	reqErr := openapi3filter.ValidateRequest(r.Context(), in)
	if reqErr != nil && (rec.Code < 400 || rec.Code >= 500) {
		t.Errorf("contract: %s %s violates the contract (%v) but the API answered %d", r.Method, r.URL.Path, reqErr, rec.Code)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: opts,
	}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		t.Errorf("contract: %s %s answered %d %.300s, which the contract does not allow: %v",
			r.Method, r.URL.Path, rec.Code, rec.Body.String(), err)
	}
}

// complaints records what checkExchange reports.
type complaints []string

func (c *complaints) Helper() {}
func (c *complaints) Errorf(format string, args ...any) {
	*c = append(*c, fmt.Sprintf(format, args...))
}

// The check must catch a wrong answer, an undocumented status and an
// invalid request the API accepted; and pass a right exchange.
func TestContractCheckCatchesMismatches(t *testing.T) {
	router, err := contract()
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
		checkExchange(&got, router, req, []byte(tc.reqBody), rec)
		if (len(got) > 0) != tc.wantComplaint {
			t.Errorf("%s: complaints %q, want a complaint: %v", tc.name, got, tc.wantComplaint)
		}
	}
}
