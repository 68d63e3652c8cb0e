// Package contracttest checks HTTP exchanges against Switchboard's OpenAPI
// document (api/openapi.json) with kin-openapi, so tests fail when the API
// and its contract drift. Only tests import it.
package contracttest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// Reporter is the part of *testing.T the check uses, so the check itself
// can be tested with a recorder of its complaints.
type Reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
}

// The filter decodes only JSON unless told how to read other types; the
// reference page and the customer stream are text.
var registerDecoders = sync.OnceFunc(func() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
	openapi3filter.RegisterBodyDecoder("text/event-stream", openapi3filter.PlainBodyDecoder)
	// Uploaded files served through signed links.
	for _, t := range []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"} {
		openapi3filter.RegisterBodyDecoder(t, openapi3filter.FileBodyDecoder)
	}
})

// Contract is a loaded, validated document ready to match requests.
type Contract struct{ router routers.Router }

// Load parses and validates doc.
func Load(doc []byte) (*Contract, error) {
	registerDecoders()
	loader := openapi3.NewLoader()
	d, err := loader.LoadFromData(doc)
	if err != nil {
		return nil, err
	}
	if err := d.Validate(loader.Context); err != nil {
		return nil, err
	}
	r, err := gorillamux.NewRouter(d)
	if err != nil {
		return nil, err
	}
	return &Contract{router: r}, nil
}

// FromServer loads the document h serves at GET /openapi.json: the binary's
// embedded copy, the one its clients read.
func FromServer(t Reporter, h http.Handler) *Contract {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json = %d", rec.Code)
	}
	c, err := Load(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	return c
}

// Wrap returns h with every request and answer checked against c; a
// mismatch is reported to t. A request the contract refuses must get a
// documented 4xx error answer: the API may not accept what the contract
// says is invalid.
func (c *Contract) Wrap(t Reporter, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Outside the contract on purpose: Prometheus' own format, and
		// the browser's CORS preflight, which carries no API semantics.
		if r.URL.Path == "/metrics" || r.Method == http.MethodOptions || page(r.URL.Path) {
			h.ServeHTTP(w, r)
			return
		}
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if c.streams(r) {
			// A stream cannot be buffered without breaking it: only the
			// request is checked, the answer flows through.
			c.checkRequestOnly(t, r, body)
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		c.Check(t, r, body, rec)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// validationRequest is a copy of r for the filter, with the body restored
// and the JSON content type the API assumes made explicit.
func validationRequest(r *http.Request, body []byte) *http.Request {
	vr := r.Clone(r.Context())
	vr.Body = io.NopCloser(bytes.NewReader(body))
	if len(body) > 0 && vr.Header.Get("Content-Type") == "" {
		// The API reads every body as JSON whatever its Content-Type
		// (api decode); the contract names it application/json.
		vr.Header.Set("Content-Type", "application/json")
	}
	if vr.URL.Host == "" {
		vr.URL.Host = vr.Host
	}
	return vr
}

// streams says whether r's operation answers an event stream.
func (c *Contract) streams(r *http.Request) bool {
	route, _, err := c.router.FindRoute(validationRequest(r, nil))
	if err != nil || route.Operation == nil || route.Operation.Responses == nil {
		return false
	}
	ok := route.Operation.Responses.Status(http.StatusOK)
	return ok != nil && ok.Value != nil && ok.Value.Content.Get("text/event-stream") != nil
}

var options = &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}

func (c *Contract) checkRequestOnly(t Reporter, r *http.Request, body []byte) {
	t.Helper()
	vr := validationRequest(r, body)
	route, params, err := c.router.FindRoute(vr)
	if err != nil {
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: options}
	if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
		t.Errorf("contract: %s %s violates the contract: %v", r.Method, r.URL.Path, err)
	}
}

// Check validates one exchange: r with its body, and the answer in rec.
func (c *Contract) Check(t Reporter, r *http.Request, body []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	vr := validationRequest(r, body)
	route, params, err := c.router.FindRoute(vr)
	if err != nil {
		// Not a documented operation: only the API's own 404/405 answer
		// is acceptable, never a handler's.
		if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("contract: %s %s is not documented but got %d", r.Method, r.URL.Path, rec.Code)
		}
		return
	}
	in := &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route, Options: options}
	reqErr := openapi3filter.ValidateRequest(r.Context(), in)
	if reqErr != nil && (rec.Code < 400 || rec.Code >= 500) {
		t.Errorf("contract: %s %s violates the contract (%v) but the API answered %d", r.Method, r.URL.Path, reqErr, rec.Code)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), Options: options,
	}
	if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
		t.Errorf("contract: %s %s answered %d %s, which the contract does not allow: %v",
			r.Method, r.URL.Path, rec.Code, clip(rec.Body.String()), err)
	}
}

// clip keeps a failure message readable; the answer is test data.
func clip(s string) string {
	const max = 300
	if len(s) > max {
		return fmt.Sprintf("%s...(%d bytes)", s[:max], len(s))
	}
	return s
}

// page reports the console's and the widget's pages: HTML and scripts
// served beside the API, not operations of its contract.
func page(path string) bool {
	return path == "/console" || strings.HasPrefix(path, "/console/") || path == "/widget.js" ||
		strings.HasPrefix(path, "/widget/") || path == "/demo"
}
