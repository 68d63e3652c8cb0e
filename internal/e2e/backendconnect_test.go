package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

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
