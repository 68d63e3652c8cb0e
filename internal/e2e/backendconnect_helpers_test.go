package e2e

import (
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
	ConversationID    string `json:"conversation_id"`
	ConversationToken string `json:"conversation_token"`
	MessageID         string `json:"message_id"`
	TicketID          string `json:"ticket_id"`
	LookupID          string `json:"lookup_id"`
}

// convTokens holds the token of every conversation a test opened, so
// helpers posting into it can send it as the widget does.
var convTokens sync.Map

func tokenOf(convID string) string {
	v, _ := convTokens.Load(convID)
	s, _ := v.(string)
	return s
}

// widgetCall posts to the widget API the way the browser widget does.
func (p *platform) widgetCall(key, org, origin, body string) (int, http.Header, []byte) {
	p.T().Helper()
	var in struct {
		ConversationID string `json:"conversation_id"`
	}
	_ = json.Unmarshal([]byte(body), &in)
	return p.widgetCallToken(key, org, origin, tokenOf(in.ConversationID), body)
}

// widgetCallToken is widgetCall with the conversation token given.
func (p *platform) widgetCallToken(key, org, origin, token, body string) (int, http.Header, []byte) {
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
	if token != "" {
		req.Header.Set("X-Switchboard-Conversation-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.T().Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var opened messageResp
	if json.Unmarshal(raw, &opened) == nil && opened.ConversationToken != "" {
		convTokens.Store(opened.ConversationID, opened.ConversationToken)
	}
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

func (p *platform) waitCustomer(convID string, status models.ProfileStatus) customerResp {
	p.T().Helper()
	var c customerResp
	eventually(p.T(), "customer of "+convID+" to be "+string(status), func() bool {
		c = p.customer(convID)
		return c.Status == string(status)
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
