package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
)

func TestCustomerEventsPushProfile(t *testing.T) {
	p := newPlatform(t)
	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	release := make(chan struct{})
	lr.answer = func(_ int, _ lookupRequest, w http.ResponseWriter, r *http.Request) {
		select { // hold the lookup until the operator is watching
		case <-release:
		case <-time.After(20 * time.Second):
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, adaProfile)
	}
	p.configure(lr, nil)
	m := p.message(map[string]any{"visitor_id": "user_9", "text": "hi"})

	next := p.watchCustomer(m.ConversationID)
	if first, _ := next(); first.Status != "pending" || first.ConversationID != m.ConversationID {
		t.Fatalf("initial event: %+v", first)
	}
	close(release)
	c, polled := next()
	if c.Status != "ok" || c.Profile == nil || c.Profile.Name != "Ada Lovelace" {
		t.Fatalf("pushed event: %+v", c)
	}
	if polled {
		t.Fatal("the profile came with a keepalive re-read, not as a push")
	}
}

// TestCustomerEventsPushAcrossProcesses runs the API without a worker and
// the worker in a second process on the same PostgreSQL database: the
// lookup finishes in the worker process, and the API's stream still gets
// the profile as a push (PostgreSQL notification), not at a keepalive.
func TestCustomerEventsPushAcrossProcesses(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	p := &platform{harness.Start(t, cfg, app.Parts{API: true})}
	harness.Start(t, cfg, app.Parts{Worker: true})

	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	release := make(chan struct{})
	ok := lr.answer
	lr.answer = func(n int, req lookupRequest, w http.ResponseWriter, r *http.Request) {
		select { // hold the lookup until the operator is watching
		case <-release:
		case <-r.Context().Done():
		}
		ok(n, req, w, r)
	}
	p.configure(lr, nil)
	m := p.message(map[string]any{"visitor_id": "split_user", "text": "hi"})
	next := p.watchCustomer(m.ConversationID)
	if first, _ := next(); first.Status != "pending" {
		t.Fatalf("initial event: %+v", first)
	}
	close(release)
	c, polled := next()
	if c.Status != "ok" || c.Profile == nil {
		t.Fatalf("pushed event: %+v", c)
	}
	if polled {
		t.Fatal("the profile came with a keepalive re-read, not as a cross-process push")
	}
}

// watchCustomer opens the customer event stream and returns a function
// that waits for the next profile event (30 s at most: a hang guard, not a
// speed check) and says whether a keepalive came before it, which would
// mean the profile was found by the periodic re-read instead of pushed.
func (p *platform) watchCustomer(convID string) func() (customerResp, bool) {
	t := p.T()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", p.URL+"/v1/conversations/"+convID+"/customer/events", nil)
	req.Header.Set("Authorization", "Bearer "+p.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	type item struct {
		c      customerResp
		polled bool
	}
	events := make(chan item, 10)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var name string
		keepalive := false
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, ": keepalive"):
				keepalive = true
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && name == "profile":
				var c customerResp
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &c)
				events <- item{c, keepalive}
				keepalive = false
			}
		}
	}()
	return func() (customerResp, bool) {
		t.Helper()
		select {
		case it, ok := <-events:
			if !ok {
				t.Fatal("event stream ended")
			}
			return it.c, it.polled
		case <-time.After(30 * time.Second):
			t.Fatal("no profile event")
		}
		return customerResp{}, false
	}
}

func TestWidgetKeysAndCORS(t *testing.T) {
	p := newPlatform(t)
	o, err := p.App.Services.Orgs.CreateOrg(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	other := struct{ OrgID, PubKey string }{o.Org.ID, o.PublicKey}
	body := `{"visitor_id":"v1","text":"hello"}`

	// The public key is for widget messages only.
	var e apiError
	for _, rt := range []struct{ method, path string }{
		{"GET", "/v1/backend-connect"}, {"PUT", "/v1/backend-connect"}, {"POST", "/v1/backend-connect/secret/rotate"},
		{"GET", "/v1/org"}, {"PATCH", "/v1/org"}, {"GET", "/v1/webhooks"},
	} {
		if code := p.callWith(p.PubKey, rt.method, rt.path, map[string]any{}, &e); code != http.StatusForbidden {
			t.Fatalf("public key on %s %s: %d, want 403", rt.method, rt.path, code)
		}
	}
	m := p.message(map[string]any{"text": "hi", "visitor_id": "v0"})
	for _, path := range []string{"/customer", "/customer/events", "/lookups"} {
		if code := p.callWith(p.PubKey, "GET", "/v1/conversations/"+m.ConversationID+path, nil, nil); code != http.StatusForbidden {
			t.Fatalf("public key on %s: %d, want 403", path, code)
		}
	}
	if code := p.callWith(p.PubKey, "POST", "/v1/conversations/"+m.ConversationID+"/customer/refresh", nil, nil); code != http.StatusForbidden {
		t.Fatalf("public key on refresh: %d, want 403", code)
	}

	// The org header must name the key's org.
	if code, _, _ := p.widgetCall(p.PubKey, "", "", body); code != http.StatusUnauthorized {
		t.Fatalf("no org header: %d, want 401", code)
	}
	if code, _, _ := p.widgetCall(p.PubKey, other.OrgID, "", body); code != http.StatusUnauthorized {
		t.Fatalf("another org's ID: %d, want 401", code)
	}
	if code, _, _ := p.widgetCall(other.PubKey, p.OrgID, "", body); code != http.StatusUnauthorized {
		t.Fatalf("another org's key: %d, want 401", code)
	}
	// A conversation of this org cannot be written with another org's key.
	cross, _ := json.Marshal(map[string]any{"conversation_id": m.ConversationID, "text": "x"})
	if code, _, _ := p.widgetCall(other.PubKey, other.OrgID, "", string(cross)); code != http.StatusNotFound {
		t.Fatalf("another org's conversation: %d, want 404", code)
	}
	// Design choice: the secret key is accepted on the widget route too
	// (server-side widgets, imports); it can do everything the public key can.
	if code, _, _ := p.widgetCall(p.Key, p.OrgID, "", body); code != http.StatusCreated {
		t.Fatalf("secret key on the widget route: %d, want 201", code)
	}

	// CORS: no origins listed yet, so a browser origin is refused before
	// anything is stored.
	before := p.countRows("messages")
	code, _, raw := p.widgetCall(p.PubKey, p.OrgID, "https://app.example.com", body)
	if code != http.StatusForbidden || !bytes.Contains(raw, []byte("origin_not_allowed")) {
		t.Fatalf("unlisted origin: %d %s", code, raw)
	}
	if n := p.countRows("messages"); n != before {
		t.Fatalf("a refused origin stored a message: %d -> %d", before, n)
	}

	for _, bad := range []string{"https://app.example.com/", "app.example.com", "ftp://x.example", "https://a.example/path", "https://u:p@a.example", "HTTPS://A.EXAMPLE"} {
		e = apiError{}
		if code := p.call("PATCH", "/v1/org", map[string]any{"cors_origins": []string{bad}}, &e); code != http.StatusBadRequest || e.Error.Field != "cors_origins" {
			t.Fatalf("origin %q: %d %+v", bad, code, e)
		}
	}
	var org struct {
		ID          string   `json:"id"`
		CORSOrigins []string `json:"cors_origins"`
	}
	if code := p.call("PATCH", "/v1/org", map[string]any{"cors_origins": []string{"https://app.example.com", "http://localhost:3000"}}, &org); code != http.StatusOK ||
		org.ID != p.OrgID || len(org.CORSOrigins) != 2 {
		t.Fatalf("PATCH /v1/org: %d %+v", code, org)
	}
	org.CORSOrigins = nil
	if p.call("GET", "/v1/org", nil, &org); len(org.CORSOrigins) != 2 || org.CORSOrigins[0] != "https://app.example.com" {
		t.Fatalf("GET /v1/org: %+v", org)
	}
	code, h, raw := p.widgetCall(p.PubKey, p.OrgID, "https://app.example.com", body)
	if code != http.StatusCreated || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" {
		t.Fatalf("listed origin: %d %v %s", code, h, raw)
	}
	if code, _, _ := p.widgetCall(p.PubKey, p.OrgID, "https://evil.example", body); code != http.StatusForbidden {
		t.Fatalf("other origin: %d, want 403", code)
	}
	// The browser's preflight.
	req, _ := http.NewRequestWithContext(t.Context(), "OPTIONS", p.URL+"/v1/widget/messages", nil)
	req.Header.Set("Origin", "https://app.example.com")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Switchboard-Key") {
		t.Fatalf("preflight: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestBackendConnectBadInputLeavesNothing(t *testing.T) {
	p := newPlatform(t)
	for _, tc := range []struct {
		body  string
		code  string
		field string
	}{
		{`{"url":"ftp://backend.example/lookup"}`, "invalid_request", "url"},
		{`{"url":"not a url"}`, "invalid_request", "url"},
		{`{}`, "invalid_request", "url"},
		{`{"url":"http://127.0.0.1:1/x","signature_header":"bad header"}`, "invalid_request", "signature_header"},
		{`{"url":"http://127.0.0.1:1/x","user_token_field":""}`, "invalid_request", "user_token_field"},
		{`{"url":"http://127.0.0.1:1/x","secret":"mine"}`, "unknown_field", ""},
		{`{"url":"http://127.0.0.1:1/x","enabled":"yes"}`, "invalid_json", ""},
		{`[]`, "invalid_json", ""},
	} {
		var e apiError
		if code := p.call("PUT", "/v1/backend-connect", tc.body, &e); code != http.StatusBadRequest || e.Error.Code != tc.code || e.Error.Field != tc.field {
			t.Fatalf("PUT %s: %d %+v", tc.body, code, e)
		}
	}
	if code := p.call("GET", "/v1/backend-connect", nil, nil); code != http.StatusNotFound {
		t.Fatalf("a rejected PUT stored a configuration: GET %d", code)
	}
	if code := p.call("POST", "/v1/backend-connect/secret/rotate", nil, nil); code != http.StatusNotFound {
		t.Fatalf("rotate without configuration: %d, want 404", code)
	}

	for _, tc := range []struct {
		body, code, field string
		status            int
	}{
		{`{"visitor_id":"v"}`, "invalid_request", "text", 400},
		{`{"text":"   "}`, "invalid_request", "text", 400},
		{`{"text":"hi","visitor":"v"}`, "unknown_field", "", 400},
		{`{"text":"hi","visitor_id":"` + strings.Repeat("v", 201) + `"}`, "invalid_request", "visitor_id", 400},
		{`{"text":1}`, "invalid_json", "", 400},
		{`not json`, "invalid_json", "", 400},
		{`{"conversation_id":"conv_nope","text":"hi"}`, "not_found", "", 404},
	} {
		code, _, raw := p.widgetCall(p.PubKey, p.OrgID, "", tc.body)
		var e apiError
		_ = json.Unmarshal(raw, &e)
		if code != tc.status || e.Error.Code != tc.code || e.Error.Field != tc.field {
			t.Fatalf("widget %s: %d %s", tc.body, code, raw)
		}
	}
	for _, table := range []string{"conversations", "tickets", "messages", "customer_profiles", "lookups"} {
		if n := p.countRows(table); n != 0 {
			t.Fatalf("bad input left %d rows in %s", n, table)
		}
	}
	if code := p.call("GET", "/v1/conversations/conv_nope/customer", nil, nil); code != http.StatusNotFound {
		t.Fatalf("unknown conversation: %d", code)
	}
	if code := p.call("GET", "/v1/lookups/lkp_nope", nil, nil); code != http.StatusNotFound {
		t.Fatalf("unknown lookup: %d", code)
	}
}

// TestSweeperStartsStrandedLookups commits a first message and its lookup
// as the widget route does, but never starts the workflow, as if the
// process died right after the commit; the sweeper must run the lookup.
func TestSweeperStartsStrandedLookups(t *testing.T) {
	p := newPlatform(t)
	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	p.configure(lr, nil)
	at := time.Now().UTC().Add(-2 * time.Hour) // older than the harness's 1 h sweep interval
	conv := models.Conversation{ID: models.NewID("conv"), OrgID: p.OrgID, VisitorID: "stranded", CreatedAt: at}
	ticket := models.Ticket{ID: models.NewID("tkt"), OrgID: p.OrgID, ConversationID: conv.ID, Status: "open", CreatedAt: at}
	msg := models.Message{ID: models.NewID("msg"), OrgID: p.OrgID, ConversationID: conv.ID, Sender: "visitor", Text: "hi", CreatedAt: at}
	profile := models.CustomerProfile{ConversationID: conv.ID, OrgID: p.OrgID, VisitorID: conv.VisitorID, Status: models.ProfilePending}
	lookup := models.Lookup{ID: models.NewID("lkp"), OrgID: p.OrgID, ConversationID: conv.ID, Trigger: models.TriggerFirstMessage,
		Status: models.LookupPending, CreatedAt: at}
	if err := p.App.Store.CreateConversationWithMessage(t.Context(), &conv, &ticket, &msg, &profile, &lookup); err != nil {
		t.Fatal(err)
	}
	if n, err := p.App.Services.Sweeper.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep started %d (%v), want 1", n, err)
	}
	c := p.waitCustomer(conv.ID, models.ProfileOK)
	if c.Profile == nil || c.Profile.Name != "Ada Lovelace" {
		t.Fatalf("customer: %+v", c)
	}
	if reqs := lr.requests(); len(reqs) != 1 || !reqs[0].SigValid {
		t.Fatalf("backend requests: %+v", reqs)
	}
	if n, err := p.App.Services.Sweeper.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("second sweep started %d (%v)", n, err)
	}
}
