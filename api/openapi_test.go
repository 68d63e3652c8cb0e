package api

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// ginParam matches a Gin path parameter (":id"), which OpenAPI writes "{id}".
var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

func TestOpenAPIDocumentsExactlyTheRouteTable(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			if method == "parameters" {
				continue
			}
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	var s Server
	inTable := map[string]bool{}
	for _, rt := range s.routes() {
		key := rt.method + " " + ginParam.ReplaceAllString(rt.path, "{$1}")
		inTable[key] = true
		if !documented[key] {
			t.Errorf("route %s is not in openapi.json", key)
		}
	}
	for key := range documented {
		if !inTable[key] {
			t.Errorf("openapi.json documents %s, which is not in the route table", key)
		}
	}
	if len(inTable) == 0 {
		t.Fatal("empty route table")
	}
}

func TestOpenAPIAndDocsAreServedWithoutAKey(t *testing.T) {
	h, _ := newTestAPI(t)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) || !strings.Contains(rec.Body.String(), `"openapi"`) {
		t.Fatalf("GET /openapi.json = %d %.100s", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/docs", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(rec.Body.String(), "<code>/v1/webhooks/{id}/secret/rotate</code>") ||
		!strings.Contains(rec.Body.String(), `<h3 id="Webhook">Webhook</h3>`) ||
		!strings.Contains(rec.Body.String(), "<code>201 Webhook</code>") {
		t.Fatalf("GET /docs = %d %.200s", rec.Code, rec.Body.String())
	}
}
