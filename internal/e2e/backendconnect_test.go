package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/models"
)

// lookupRequest is one customer lookup as the customer's backend saw it.
type lookupRequest struct {
	Header http.Header
	Body   []byte
	// SigValid says whether the signature verified with the receiver's
	// secret at the time.
	SigValid bool
}

// lookupReceiver is a customer backend: it verifies the hex HMAC-SHA256 of
// the raw body with crypto/hmac (not the project's signing package), and
// answers what answer says. Until a secret is set it rejects everything.
type lookupReceiver struct {
	*httptest.Server
	mu     sync.Mutex
	header string
	secret string
	got    []lookupRequest
	// answer writes the reply to the n-th request (1-based); the default
	// answers a fixed profile.
	answer func(n int, req lookupRequest, w http.ResponseWriter, r *http.Request)
}

var adaProfile = `{"name":"Ada Lovelace","email":"ada@example.com","plan":"pro","fields":{"seats":12,"vip":true,"region":"eu"}}`

func newLookupReceiver(t *testing.T, header string) *lookupReceiver {
	lr := &lookupReceiver{header: header, answer: func(_ int, req lookupRequest, w http.ResponseWriter, _ *http.Request) {
		if !req.SigValid {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, adaProfile)
	}}
	lr.Server = httptest.NewServer(http.HandlerFunc(lr.serve)) // 127.0.0.1
	t.Cleanup(lr.Close)
	return lr
}

func (lr *lookupReceiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	lr.mu.Lock()
	req := lookupRequest{Header: r.Header.Clone(), Body: body, SigValid: hexHMACValid(lr.secret, r.Header.Get(lr.header), body)}
	lr.got = append(lr.got, req)
	n, answer := len(lr.got), lr.answer
	lr.mu.Unlock()
	answer(n, req, w, r)
}

func (lr *lookupReceiver) setSecret(s string) { lr.mu.Lock(); lr.secret = s; lr.mu.Unlock() }

func (lr *lookupReceiver) requests() []lookupRequest {
	lr.mu.Lock()
	defer lr.mu.Unlock()
	return append([]lookupRequest(nil), lr.got...)
}

// hexHMACValid checks a seed-000 signature: lowercase hex of HMAC-SHA256
// over the raw body, keyed with the secret string.
func hexHMACValid(secret, sig string, body []byte) bool {
	if secret == "" || sig == "" {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal([]byte(sig), []byte(hex.EncodeToString(mac.Sum(nil))))
}

type backendConnectResp struct {
	URL             string `json:"url"`
	UserTokenField  string `json:"user_token_field"`
	SignatureHeader string `json:"signature_header"`
	Enabled         bool   `json:"enabled"`
	Secret          string `json:"secret"`
}

// configure saves the Backend Connect configuration and hands the receiver
// the secret shown by the first save.
func (p *platform) configure(lr *lookupReceiver, extra map[string]any) backendConnectResp {
	p.T().Helper()
	body := map[string]any{"url": lr.URL}
	for k, v := range extra {
		body[k] = v
	}
	var cfg backendConnectResp
	if code := p.call("PUT", "/v1/backend-connect", body, &cfg); code != http.StatusCreated {
		p.T().Fatalf("first PUT /v1/backend-connect: %d, want 201", code)
	}
	if !strings.HasPrefix(cfg.Secret, "sbsec_") {
		p.T().Fatalf("first save must show the new secret once, got %+v", cfg)
	}
	lr.setSecret(cfg.Secret)
	return cfg
}

type messageResp struct {
	ConversationID string `json:"conversation_id"`
	MessageID      string `json:"message_id"`
	TicketID       string `json:"ticket_id"`
	LookupID       string `json:"lookup_id"`
}

// widgetCall posts to the widget API the way the browser widget does.
func (p *platform) widgetCall(key, org, origin, body string) (int, http.Header, []byte) {
	p.T().Helper()
	req, err := http.NewRequestWithContext(p.T().Context(), "POST", p.URL+"/v1/widget/messages", strings.NewReader(body))
	if err != nil {
		p.T().Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("X-Switchboard-Key", key)
	}
	if org != "" {
		req.Header.Set("X-Switchboard-Org", org)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.T().Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// message posts a widget message with the public key and expects 201.
func (p *platform) message(body map[string]any) messageResp {
	p.T().Helper()
	raw, _ := json.Marshal(body)
	code, _, out := p.widgetCall(p.PubKey, p.OrgID, "", string(raw))
	if code != http.StatusCreated {
		p.T().Fatalf("POST /v1/widget/messages: %d %s", code, out)
	}
	var m messageResp
	if err := json.Unmarshal(out, &m); err != nil {
		p.T().Fatal(err)
	}
	return m
}

type customerResp struct {
	ConversationID string `json:"conversation_id"`
	VisitorID      string `json:"visitor_id"`
	Status         string `json:"status"`
	Profile        *struct {
		Name   string         `json:"name"`
		Email  string         `json:"email"`
		Plan   string         `json:"plan"`
		Fields map[string]any `json:"fields"`
	} `json:"profile"`
	FetchedAt *time.Time `json:"fetched_at"`
	Error     string     `json:"error"`
	Lookup    lookupResp `json:"lookup"`
}

type lookupResp struct {
	ID         string `json:"id"`
	Trigger    string `json:"trigger"`
	Status     string `json:"status"`
	Attempts   int    `json:"attempts"`
	Error      string `json:"error"`
	WorkflowID string `json:"workflow_id"`
}

type lookupDetail struct {
	Lookup   lookupResp `json:"lookup"`
	Attempts []struct {
		Number         int               `json:"number"`
		ResponseStatus int               `json:"response_status"`
		RequestHeaders map[string]string `json:"request_headers"`
		Error          string            `json:"error"`
	} `json:"attempts"`
}

func (p *platform) customer(convID string) customerResp {
	p.T().Helper()
	var c customerResp
	if code := p.call("GET", "/v1/conversations/"+convID+"/customer", nil, &c); code != http.StatusOK {
		p.T().Fatalf("GET customer: %d", code)
	}
	return c
}

func (p *platform) waitCustomer(convID, status string) customerResp {
	p.T().Helper()
	var c customerResp
	eventually(p.T(), "customer of "+convID+" to be "+status, func() bool {
		c = p.customer(convID)
		return c.Status == status
	})
	return c
}

func (p *platform) lookup(id string) lookupDetail {
	p.T().Helper()
	var d lookupDetail
	if code := p.call("GET", "/v1/lookups/"+id, nil, &d); code != http.StatusOK {
		p.T().Fatalf("GET lookup: %d", code)
	}
	return d
}

// countRows counts an org's rows in a table, straight from PostgreSQL.
func (p *platform) countRows(table string) int {
	p.T().Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.App.Cfg.DatabaseURL)
	if err != nil {
		p.T().Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+pgx.Identifier{table}.Sanitize()+" WHERE org_id = $1", p.OrgID).Scan(&n); err != nil {
		p.T().Fatal(err)
	}
	return n
}

// quiet asserts the receiver stays at n requests for a while.
func quiet(t *testing.T, lr *lookupReceiver, n int) {
	t.Helper()
	time.Sleep(700 * time.Millisecond)
	if got := len(lr.requests()); got != n {
		t.Fatalf("customer backend got %d requests, want %d", got, n)
	}
}

func TestBackendConnectFirstMessageLooksUpTheVisitor(t *testing.T) {
	p := newPlatform(t)
	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	cfg := p.configure(lr, nil)
	if cfg.UserTokenField != "userToken" || cfg.SignatureHeader != "X-Switchboard-Signature" || !cfg.Enabled {
		t.Fatalf("defaults: %+v", cfg)
	}
	// The secret is never readable again: not by GET, not by a later PUT.
	var got map[string]any
	if code := p.call("GET", "/v1/backend-connect", nil, &got); code != http.StatusOK || got["secret"] != nil || got["url"] != lr.URL {
		t.Fatalf("GET /v1/backend-connect: %d %v", code, got)
	}
	got = nil
	if code := p.call("PUT", "/v1/backend-connect", map[string]any{"url": lr.URL, "enabled": true}, &got); code != http.StatusOK || got["secret"] != nil {
		t.Fatalf("second PUT: %d %v", code, got)
	}

	start := time.Now()
	m := p.message(map[string]any{"visitor_id": "user_42", "text": "Hi, my invoice is wrong"})
	if m.ConversationID == "" || m.MessageID == "" || m.TicketID == "" || m.LookupID == "" {
		t.Fatalf("first message answer: %+v", m)
	}
	t.Logf("first message answered in %v", time.Since(start))

	c := p.waitCustomer(m.ConversationID, "ok")
	if c.Profile == nil || c.Profile.Name != "Ada Lovelace" || c.Profile.Email != "ada@example.com" || c.Profile.Plan != "pro" ||
		c.Profile.Fields["seats"] != float64(12) || c.Profile.Fields["vip"] != true || c.FetchedAt == nil || c.VisitorID != "user_42" {
		t.Fatalf("customer: %+v profile %+v", c, c.Profile)
	}
	reqs := lr.requests()
	if len(reqs) != 1 || !reqs[0].SigValid {
		t.Fatalf("backend requests: %d, first signature valid: %v", len(reqs), len(reqs) > 0 && reqs[0].SigValid)
	}
	if string(reqs[0].Body) != `{"userToken":"user_42"}` {
		t.Fatalf("lookup body %s", reqs[0].Body)
	}

	// A later message never fires a lookup, even with a visitor ID.
	m2 := p.message(map[string]any{"conversation_id": m.ConversationID, "visitor_id": "user_42", "text": "hello?"})
	if m2.ConversationID != m.ConversationID || m2.LookupID != "" || m2.TicketID != "" {
		t.Fatalf("second message answer: %+v", m2)
	}
	quiet(t, lr, 1)

	var list struct{ Data []lookupResp }
	if code := p.call("GET", "/v1/conversations/"+m.ConversationID+"/lookups", nil, &list); code != http.StatusOK ||
		len(list.Data) != 1 || list.Data[0].ID != m.LookupID || list.Data[0].Trigger != "first_message" || list.Data[0].Status != "ok" {
		t.Fatalf("lookups: %d %+v", code, list)
	}
	d := p.lookup(m.LookupID)
	if d.Lookup.Attempts != 1 || len(d.Attempts) != 1 || d.Attempts[0].ResponseStatus != 200 {
		t.Fatalf("lookup detail: %+v", d)
	}
	var hist struct {
		WorkflowID string `json:"workflow_id"`
		Events     []struct{ Type string }
	}
	// The profile is stored before the workflow records its completion.
	eventually(t, "the lookup workflow to complete", func() bool {
		if code := p.call("GET", "/v1/lookups/"+m.LookupID+"/history", nil, &hist); code != http.StatusOK {
			t.Fatalf("history: %d %+v", code, hist)
		}
		return len(hist.Events) > 0 && hist.Events[len(hist.Events)-1].Type == "WorkflowExecutionCompleted"
	})
	raw, _ := json.Marshal(hist)
	if bytes.Contains(raw, []byte(cfg.Secret)) || bytes.Contains(raw, []byte("user_42")) {
		t.Fatal("workflow history carries the secret or the visitor ID")
	}
}

func TestBackendConnectNoVisitorIDOrDisabledMakesNoCall(t *testing.T) {
	p := newPlatform(t)
	lr := newLookupReceiver(t, "X-Switchboard-Signature")

	// Not configured at all: a visitor ID is stored, nothing fires.
	m0 := p.message(map[string]any{"visitor_id": "user_1", "text": "hi"})
	if c := p.customer(m0.ConversationID); m0.LookupID != "" || c.Status != "skipped" || c.Profile != nil {
		t.Fatalf("unconfigured: %+v %+v", m0, c)
	}
	if code := p.call("POST", "/v1/conversations/"+m0.ConversationID+"/customer/refresh", nil, nil); code != http.StatusConflict {
		t.Fatalf("refresh while unconfigured: %d, want 409", code)
	}

	p.configure(lr, nil)
	m := p.message(map[string]any{"text": "no visitor here"})
	if m.LookupID != "" {
		t.Fatalf("a lookup started without a visitor ID: %+v", m)
	}
	if c := p.customer(m.ConversationID); c.Status != "skipped" {
		t.Fatalf("customer without visitor: %+v", c)
	}
	var e apiError
	if code := p.call("POST", "/v1/conversations/"+m.ConversationID+"/customer/refresh", nil, &e); code != http.StatusConflict || e.Error.Code != "conflict" {
		t.Fatalf("refresh without visitor ID: %d %+v", code, e)
	}

	if code := p.call("PUT", "/v1/backend-connect", map[string]any{"url": lr.URL, "enabled": false}, nil); code != http.StatusOK {
		t.Fatalf("disable: %d", code)
	}
	m2 := p.message(map[string]any{"visitor_id": "user_2", "text": "disabled"})
	if m2.LookupID != "" {
		t.Fatalf("a lookup started while disabled: %+v", m2)
	}
	if code := p.call("POST", "/v1/conversations/"+m2.ConversationID+"/customer/refresh", nil, nil); code != http.StatusConflict {
		t.Fatalf("refresh while disabled: %d, want 409", code)
	}
	quiet(t, lr, 0)
	var list struct{ Data []lookupResp }
	if p.call("GET", "/v1/conversations/"+m2.ConversationID+"/lookups", nil, &list); len(list.Data) != 0 {
		t.Fatalf("lookups: %+v", list)
	}
}

type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Field   string `json:"field"`
	} `json:"error"`
}

func TestBackendConnectTimeoutRetriesOnceThenFails(t *testing.T) {
	// The documented 5 s timeout, against a backend that sleeps past it.
	p := newPlatform(t)
	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	lr.answer = func(_ int, _ lookupRequest, w http.ResponseWriter, r *http.Request) {
		select { // past the 5 s timeout; the client hanging up ends it early
		case <-time.After(6 * time.Second):
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, adaProfile)
	}
	p.configure(lr, nil)

	m := p.message(map[string]any{"visitor_id": "slow_user", "text": "anyone?"})
	// The lookup cannot end before two 5 s attempts have timed out, so a
	// pending profile proves the message was answered without waiting.
	if c := p.customer(m.ConversationID); c.Status != "pending" {
		t.Fatalf("the message answer waited for the lookup: customer is %q", c.Status)
	}
	c := p.waitCustomer(m.ConversationID, "failed")
	if c.Profile != nil || c.Error == "" {
		t.Fatalf("failed customer: %+v", c)
	}
	d := p.lookup(m.LookupID)
	if d.Lookup.Status != "failed" || d.Lookup.Attempts != 2 || len(d.Attempts) != 2 {
		t.Fatalf("lookup: %+v", d)
	}
	quiet(t, lr, 2) // exactly two attempts, then silence
}

func TestBackendConnectServerErrorThenSuccess(t *testing.T) {
	p := newPlatform(t)
	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	lr.answer = func(n int, req lookupRequest, w http.ResponseWriter, _ *http.Request) {
		if n == 1 || !req.SigValid {
			http.Error(w, "try again", http.StatusInternalServerError)
			return
		}
		_, _ = io.WriteString(w, adaProfile)
	}
	p.configure(lr, nil)
	m := p.message(map[string]any{"visitor_id": "user_7", "text": "hi"})
	c := p.waitCustomer(m.ConversationID, "ok")
	if c.Profile == nil || c.Profile.Name != "Ada Lovelace" {
		t.Fatalf("customer: %+v", c)
	}
	d := p.lookup(m.LookupID)
	if d.Lookup.Attempts != 2 || len(d.Attempts) != 2 || d.Attempts[0].ResponseStatus != 500 || d.Attempts[1].ResponseStatus != 200 {
		t.Fatalf("lookup: %+v", d)
	}
}

func TestBackendConnectInvalidRepliesAreRejected(t *testing.T) {
	p := newPlatform(t)
	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	replies := map[string]string{
		"html":  "<!doctype html><html><body>Login</body></html>",
		"array": `[{"name":"Ada"}]`,
	}
	lr.answer = func(_ int, req lookupRequest, w http.ResponseWriter, _ *http.Request) {
		var in struct{ UserToken string }
		_ = json.Unmarshal(req.Body, &in)
		_, _ = io.WriteString(w, replies[in.UserToken])
	}
	p.configure(lr, nil)
	for visitor := range replies {
		t.Run(visitor, func(t *testing.T) {
			m := p.message(map[string]any{"visitor_id": visitor, "text": "hi"})
			c := p.waitCustomer(m.ConversationID, "failed")
			if c.Profile != nil || c.FetchedAt != nil || !strings.Contains(c.Error, "invalid reply") {
				t.Fatalf("customer: %+v", c)
			}
			d := p.lookup(m.LookupID)
			if d.Lookup.Status != "failed" || len(d.Attempts) != 2 || d.Attempts[1].ResponseStatus != 200 ||
				!strings.Contains(d.Attempts[1].Error, "invalid reply") {
				t.Fatalf("lookup: %+v", d)
			}
		})
	}
}

func TestBackendConnectRefreshAndSecretRotation(t *testing.T) {
	p := newPlatform(t)
	lr := newLookupReceiver(t, "X-Acme-Sig")
	var served int
	var mu sync.Mutex
	lr.answer = func(_ int, req lookupRequest, w http.ResponseWriter, _ *http.Request) {
		if !req.SigValid {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		served++
		n := served
		mu.Unlock()
		_, _ = io.WriteString(w, `{"name":"Grace","plan":"plan-`+string(rune('0'+n))+`"}`)
	}
	cfg := p.configure(lr, map[string]any{"user_token_field": "uid", "signature_header": "X-Acme-Sig"})
	oldSecret := cfg.Secret

	m := p.message(map[string]any{"visitor_id": "u-1", "text": "hi"})
	if c := p.waitCustomer(m.ConversationID, "ok"); c.Profile.Plan != "plan-1" {
		t.Fatalf("first lookup: %+v", c.Profile)
	}
	if body := string(lr.requests()[0].Body); body != `{"uid":"u-1"}` {
		t.Fatalf("custom user token field: %s", body)
	}

	// A refresh answers synchronously with the fresh profile.
	var r customerResp
	if code := p.call("POST", "/v1/conversations/"+m.ConversationID+"/customer/refresh", nil, &r); code != http.StatusOK {
		t.Fatalf("refresh: %d", code)
	}
	if r.Status != "ok" || r.Profile == nil || r.Profile.Plan != "plan-2" || r.Lookup.Trigger != "refresh" || r.Lookup.Status != "ok" {
		t.Fatalf("refresh answer: %+v", r)
	}

	// Rotation: the next lookup is signed with the new secret at once, so
	// a backend still holding the old one rejects it.
	var rot struct{ Secret string }
	if code := p.call("POST", "/v1/backend-connect/secret/rotate", nil, &rot); code != http.StatusOK || rot.Secret == "" || rot.Secret == oldSecret {
		t.Fatalf("rotate: %d %+v", code, rot)
	}
	r = customerResp{}
	if code := p.call("POST", "/v1/conversations/"+m.ConversationID+"/customer/refresh", nil, &r); code != http.StatusOK {
		t.Fatalf("refresh after rotation: %d", code)
	}
	if r.Status != "failed" || !strings.Contains(r.Error, "401") || r.Profile == nil || r.Profile.Plan != "plan-2" {
		t.Fatalf("refresh with the backend on the old secret: %+v (the last good profile must be kept)", r)
	}
	reqs := lr.requests()
	last := reqs[len(reqs)-1]
	sig := last.Header.Get("X-Acme-Sig")
	if hexHMACValid(oldSecret, sig, last.Body) || !hexHMACValid(rot.Secret, sig, last.Body) {
		t.Fatal("after rotation the signature must verify with the new secret only")
	}

	lr.setSecret(rot.Secret)
	r = customerResp{}
	if code := p.call("POST", "/v1/conversations/"+m.ConversationID+"/customer/refresh", nil, &r); code != http.StatusOK ||
		r.Status != "ok" || r.Profile.Plan != "plan-3" {
		t.Fatalf("refresh with the new secret: %d %+v", code, r)
	}
	var list struct{ Data []lookupResp }
	if p.call("GET", "/v1/conversations/"+m.ConversationID+"/lookups", nil, &list); len(list.Data) != 4 {
		t.Fatalf("lookups: %+v", list)
	}
	// The secret never shows again.
	var got map[string]any
	if p.call("GET", "/v1/backend-connect", nil, &got); got["secret"] != nil {
		t.Fatalf("GET shows the secret: %v", got)
	}
}

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

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", p.URL+"/v1/conversations/"+m.ConversationID+"/customer/events", nil)
	req.Header.Set("Authorization", "Bearer "+p.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan customerResp, 10)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && name == "profile":
				var c customerResp
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &c)
				events <- c
			}
		}
	}()
	next := func(within time.Duration) customerResp {
		t.Helper()
		select {
		case c, ok := <-events:
			if !ok {
				t.Fatal("event stream ended")
			}
			return c
		case <-time.After(within):
			t.Fatalf("no profile event within %v", within)
		}
		return customerResp{}
	}
	if first := next(5 * time.Second); first.Status != "pending" || first.ConversationID != m.ConversationID {
		t.Fatalf("initial event: %+v", first)
	}
	close(release)
	// Well inside the 15 s keepalive: this is the push, not the poll.
	c := next(5 * time.Second)
	if c.Status != "ok" || c.Profile == nil || c.Profile.Name != "Ada Lovelace" {
		t.Fatalf("pushed event: %+v", c)
	}
}

func TestWidgetKeysAndCORS(t *testing.T) {
	p := newPlatform(t)
	o, err := p.App.Service.CreateOrg(t.Context(), "other")
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
		Status: models.ProfilePending, CreatedAt: at}
	if err := p.App.Store.CreateConversationWithMessage(t.Context(), &conv, &ticket, &msg, &profile, &lookup); err != nil {
		t.Fatal(err)
	}
	if n, err := p.App.Service.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep started %d (%v), want 1", n, err)
	}
	c := p.waitCustomer(conv.ID, models.ProfileOK)
	if c.Profile == nil || c.Profile.Name != "Ada Lovelace" {
		t.Fatalf("customer: %+v", c)
	}
	if reqs := lr.requests(); len(reqs) != 1 || !reqs[0].SigValid {
		t.Fatalf("backend requests: %+v", reqs)
	}
	if n, err := p.App.Service.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("second sweep started %d (%v)", n, err)
	}
}
