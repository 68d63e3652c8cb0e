package api

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/service"
)

// badTextAPI serves the API over a store (SQLite or PostgreSQL) with no
// Temporal client: every request below must be refused before a workflow
// would be started.
type badTextAPI struct {
	h                  http.Handler
	secret, pub, orgID string
}

func newBadTextAPI(t *testing.T, databaseURL, sqlitePath string) badTextAPI {
	t.Helper()
	st := storetest.Open(t, databaseURL, sqlitePath)
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: st, Log: log}, cfg)
	org, err := svc.Orgs.CreateOrg(context.Background(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return badTextAPI{h: contractChecked(t, New(svc, SettingsFrom(cfg), log)), secret: org.SecretKey, pub: org.PublicKey, orgID: org.Org.ID}
}

// send makes one request. rawPath is put on the wire as given (escapes
// such as %00 are decoded by the server, as for a real request).
func (a badTextAPI) send(method, rawPath, body string, header map[string]string, widgetRoute bool) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, rawPath, strings.NewReader(body))
	if widgetRoute {
		req.Header.Set(HeaderWidgetKey, a.pub)
		req.Header.Set(HeaderWidgetOrg, a.orgID)
	} else {
		req.Header.Set("Authorization", "Bearer "+a.secret)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	a.h.ServeHTTP(rec, req)
	return rec
}

// Bad text in every form the brief lists: a NUL and a byte that is not
// UTF-8, raw (path, query, headers) and escaped (JSON strings).
var (
	badRaw  = map[string]string{"NUL": "%00", "invalid UTF-8": "%FF", "NUL inside": "a%00b"}
	badHdr  = map[string]string{"NUL": "a\x00b", "invalid UTF-8": "a\xffb"}
	badJSON = map[string]string{
		"escaped NUL": `"a\u0000b"`, "invalid UTF-8": "\"a\xffb\"", "lone surrogate": `"a\ud800b"`,
		"lone low surrogate": `"\udc00"`,
	}
)

// TestBadTextIsRefusedOnEveryRoute iterates the route table itself, so a
// new route is covered without editing this test, on SQLite and on
// PostgreSQL (which cannot store NUL or invalid UTF-8 and answered 500).
func TestBadTextIsRefusedOnEveryRoute(t *testing.T) {
	// Methods, paths and access levels do not depend on the bound
	// services, so a zero Server yields the served table.
	routes := (&Server{}).routes()
	stores := map[string]func(t *testing.T) badTextAPI{
		"sqlite":   func(t *testing.T) badTextAPI { return newBadTextAPI(t, "", t.TempDir()+"/bad.db") },
		"postgres": func(t *testing.T) badTextAPI { return newBadTextAPI(t, testenv.Postgres(t), "") },
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			a := open(t)
			checked := 0
			for _, rt := range routes {
				w := rt.access == widget
				expect := func(what string, rec *httptest.ResponseRecorder) {
					t.Helper()
					checked++
					if rec.Code >= 500 || rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), `"code":"invalid_text"`) {
						t.Errorf("%s %s, %s: got %d %s, want 400 invalid_text", rt.method, rt.path, what, rec.Code, rec.Body.String())
					}
				}
				body := ""
				if rt.method != http.MethodGet && rt.method != http.MethodDelete {
					body = "{}"
				}
				// The path ID.
				if strings.Contains(rt.path, ":id") {
					for kind, v := range badRaw {
						expect("path id "+kind, a.send(rt.method, strings.Replace(rt.path, ":id", v, 1), body, nil, w))
					}
				}
				path := strings.Replace(rt.path, ":id", "x_1", 1)
				// A query parameter, read by the route or not.
				for kind, v := range badRaw {
					for _, param := range []string{"status", "cursor", "webhook_id", v} {
						expect("query "+param+" "+kind, a.send(rt.method, path+"?"+param+"="+v, body, nil, w))
					}
				}
				// Headers the API reads.
				for kind, v := range badHdr {
					for _, h := range readHeaders {
						if h == "Authorization" && w || h == HeaderWidgetKey && !w {
							continue // not the credential this route reads
						}
						expect("header "+h+" "+kind, a.send(rt.method, path, body, map[string]string{h: v}, w))
					}
				}
				// A JSON string field, for routes that read a body: as a
				// value and as a key, at the top and nested.
				if body == "" || !readsBody(a, rt.method, path, w) {
					for kind, v := range badJSON {
						rec := a.send(rt.method, path, `{"text":`+v+`}`, nil, w)
						if rec.Code >= 500 {
							t.Errorf("%s %s ignores its body, but bad JSON text (%s) gave %d %s", rt.method, rt.path, kind, rec.Code, rec.Body.String())
						}
					}
					continue
				}
				for kind, v := range badJSON {
					for _, doc := range []string{`{"text":` + v + `}`, `{` + v + `:1}`, `{"data":{"a":[` + v + `]}}`} {
						expect("JSON "+kind+" in "+doc, a.send(rt.method, path, doc, nil, w))
					}
				}
			}
			if checked < 10*len(routes) {
				t.Fatalf("only %d checks for %d routes", checked, len(routes))
			}
			t.Logf("%d hostile-text requests over %d routes, none answered 5xx", checked, len(routes))
		})
	}
}

// readsBody tells whether a route decodes its body: decode rejects an
// unknown field before the handler does anything else.
func readsBody(a badTextAPI, method, path string, w bool) bool {
	rec := a.send(method, path, `{"zz_not_a_field":1}`, nil, w)
	return strings.Contains(rec.Body.String(), `"code":"unknown_field"`)
}

// TestBadTextSpecificCases are the measured 500s of the issue and the
// paths that reach the database through a decoded value (a pagination
// cursor), where the store's translation is the safety net.
func TestBadTextSpecificCases(t *testing.T) {
	a := newBadTextAPI(t, testenv.Postgres(t), "")
	cursor := base64.RawURLEncoding.EncodeToString([]byte("1700000000000000|a\x00b"))
	cursorUTF := base64.RawURLEncoding.EncodeToString([]byte("1700000000000000|a\xffb"))
	cases := []struct {
		name, method, path, body string
		widget                   bool
	}{
		{"webhook id NUL", "GET", "/v1/webhooks/%00", "", false},
		{"status invalid UTF-8", "GET", "/v1/deliveries?status=%FF", "", false},
		{"idempotency key NUL", "POST", "/v1/events", `{"type":"contact.created","data":{"contact":{"id":"c"}},"idempotency_key":"a\u0000b"}`, false},
		{"event data NUL", "POST", "/v1/events", `{"type":"contact.created","data":{"contact":{"id":"a\u0000b"}}}`, false},
		{"widget conversation_id NUL", "POST", "/v1/widget/messages", `{"conversation_id":"a\u0000b","text":"hi"}`, true},
		{"cursor hiding NUL", "GET", "/v1/deliveries?cursor=" + cursor, "", false},
		{"cursor hiding invalid UTF-8", "GET", "/v1/deliveries?cursor=" + cursorUTF, "", false},
	}
	for _, tc := range cases {
		rec := a.send(tc.method, tc.path, tc.body, nil, tc.widget)
		if rec.Code != 400 || !strings.Contains(rec.Body.String(), `"code":"invalid_text"`) {
			t.Errorf("%s: got %d %s, want 400 invalid_text", tc.name, rec.Code, rec.Body.String())
		}
	}
}
