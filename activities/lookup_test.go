package activities

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

type lookupReceiver struct {
	t      *testing.T
	srv    *httptest.Server
	header string // signature header it checks
	field  string // user token field it expects

	mu       sync.Mutex
	reply    http.HandlerFunc
	requests int
	bodies   []string
	badSig   int
}

func newLookupReceiver(t *testing.T, header, field string) *lookupReceiver {
	r := &lookupReceiver{t: t, header: header, field: field}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	if !strings.HasPrefix(r.srv.URL, "http://127.0.0.1:") {
		t.Fatalf("receiver must listen on 127.0.0.1, got %s", r.srv.URL)
	}
	return r
}

func (r *lookupReceiver) serve(w http.ResponseWriter, req *http.Request) {
	raw, _ := io.ReadAll(req.Body)
	mac := hmac.New(sha256.New, []byte(lookupTestSecret))
	mac.Write(raw)
	want := hex.EncodeToString(mac.Sum(nil))
	r.mu.Lock()
	r.requests++
	r.bodies = append(r.bodies, string(raw))
	reply := r.reply
	ok := hmac.Equal([]byte(req.Header.Get(r.header)), []byte(want)) &&
		req.Method == http.MethodPost && req.Header.Get("Content-Type") == "application/json" &&
		req.Header.Get("User-Agent") == "Switchboard-Test/1"
	if !ok {
		r.badSig++
	}
	r.mu.Unlock()
	if !ok {
		http.Error(w, `{"error":"Invalid signature"}`, http.StatusUnauthorized)
		return
	}
	var in map[string]string
	if err := json.Unmarshal(raw, &in); err != nil || len(in) != 1 || in[r.field] == "" {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if reply == nil {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"name":"Alice Johnson","email":"alice@example.com","plan":"pro","fields":{"mrr":149,"company":"Acme Inc"}}`)
		return
	}
	reply(w, req)
}

func (r *lookupReceiver) set(h http.HandlerFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reply = h
}

func (r *lookupReceiver) stats() (requests, badSig int, bodies []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests, r.badSig, append([]string(nil), r.bodies...)
}

// lookupEnv is a SQLite store, a receiver, and one conversation whose
// first message started a lookup.
type lookupEnv struct {
	t      *testing.T
	st     *store.Store
	acts   *Activities
	rcv    *lookupReceiver
	orgID  string
	convID string
	done   []string
	mu     sync.Mutex
}

func newLookupEnv(t *testing.T, header, field string) *lookupEnv {
	t.Helper()
	st := storetest.SQLite(t)
	e := &lookupEnv{t: t, st: st, rcv: newLookupReceiver(t, orDefault(header, "X-Switchboard-Signature"), orDefault(field, "userToken"))}
	e.acts = New(st, loopbackClient("Switchboard-Test/1"), Settings{LookupTimeout: 2 * time.Second, ResponseBodyLimit: 1024})
	e.acts.OnLookupDone = func(orgID, convID string) {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.done = append(e.done, orgID+"/"+convID)
	}
	e.orgID = models.NewID("org")
	cfg := models.BackendConnect{OrgID: e.orgID, URL: e.rcv.srv.URL + "/talki/customer", UserTokenField: field,
		SignatureHeader: header, Enabled: true, Secret: models.NewSecret(lookupTestSecret)}
	if err := st.SaveBackendConnect(t.Context(), &cfg); err != nil {
		t.Fatal(err)
	}
	conv := models.Conversation{ID: models.NewID("cnv"), OrgID: e.orgID, VisitorID: "user-42"}
	msg := models.Message{ID: models.NewID("msg"), OrgID: e.orgID, ConversationID: conv.ID, Sender: "visitor", Text: "hi"}
	if err := st.CreateConversationWithMessage(t.Context(), &conv, nil, &msg,
		&models.CustomerProfile{ConversationID: conv.ID, OrgID: e.orgID, VisitorID: conv.VisitorID, Status: models.ProfilePending}, nil); err != nil {
		t.Fatal(err)
	}
	e.convID = conv.ID
	return e
}

// newLookup starts a lookup the way an operator's refresh does.
func (e *lookupEnv) newLookup() string {
	e.t.Helper()
	l := models.Lookup{ID: models.NewID("lkp"), OrgID: e.orgID, ConversationID: e.convID, Trigger: models.TriggerRefresh}
	if err := e.st.CreateLookup(e.t.Context(), &l); err != nil {
		e.t.Fatal(err)
	}
	return l.ID
}

func (e *lookupEnv) run(lookupID string, attempt int, final bool) (contracts.LookupActivityResult, error) {
	return e.acts.Lookup(e.t.Context(), contracts.LookupActivityInput{LookupID: lookupID, Attempt: attempt, Final: final})
}

func (e *lookupEnv) profile() models.CustomerProfile {
	e.t.Helper()
	p, err := e.st.GetCustomerProfile(e.t.Context(), e.orgID, e.convID)
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *lookupEnv) lookup(id string) models.Lookup {
	e.t.Helper()
	l, err := e.st.LookupByID(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

func (e *lookupEnv) doneCalls() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.done)
}

// appError asserts err is a non-retryable ApplicationError of type typ that
// does not leak the secret.
func appError(t *testing.T, err error, typ string) *temporal.ApplicationError {
	t.Helper()
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != typ || !appErr.NonRetryable() {
		t.Fatalf("got %v, want non-retryable %s", err, typ)
	}
	if strings.Contains(err.Error(), lookupTestSecret) {
		t.Fatal("error leaks the secret")
	}
	return appErr
}

func (e *lookupEnv) assertNoSecretStored(lookupID string) {
	e.t.Helper()
	attempts, err := e.st.Attempts(e.t.Context(), lookupID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range attempts {
		b, _ := json.Marshal(a)
		if strings.Contains(string(b), lookupTestSecret) {
			e.t.Fatalf("attempt row leaks the secret: %s", b)
		}
	}
}

func TestLookupSuccess(t *testing.T) {
	e := newLookupEnv(t, "", "")
	id := e.newLookup()
	res, err := e.run(id, 1, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || res.DurationMicros <= 0 {
		t.Fatalf("result: %+v", res)
	}
	requests, badSig, bodies := e.rcv.stats()
	if requests != 1 || badSig != 0 || bodies[0] != `{"userToken":"user-42"}` {
		t.Fatalf("receiver saw %d requests, %d bad, bodies %q", requests, badSig, bodies)
	}
	p := e.profile()
	if p.Status != models.ProfileOK || p.Name != "Alice Johnson" || p.Email != "alice@example.com" || p.Plan != "pro" ||
		p.Fields["mrr"] != float64(149) || p.Fields["company"] != "Acme Inc" || p.FetchedAt == nil || p.Error != "" {
		t.Fatalf("profile: %+v", p)
	}
	l := e.lookup(id)
	if l.Status != models.LookupOK || l.Attempts != 1 || l.CompletedAt == nil {
		t.Fatalf("lookup: %+v", l)
	}
	attempts, _ := e.st.Attempts(t.Context(), id)
	if len(attempts) != 1 || attempts[0].ResponseStatus != 200 || !strings.Contains(attempts[0].ResponseBody, "Alice") ||
		len(attempts[0].RequestHeaders["X-Switchboard-Signature"]) != 64 || attempts[0].URL != e.rcv.srv.URL+"/talki/…" { // redacted past the first segment
		t.Fatalf("attempts: %+v", attempts)
	}
	e.assertNoSecretStored(id)
	if e.doneCalls() != 1 || e.done[0] != e.orgID+"/"+e.convID {
		t.Fatalf("OnLookupDone calls: %v", e.done)
	}
}

func TestLookupCustomFieldAndHeader(t *testing.T) {
	e := newLookupEnv(t, "X-Acme-Sig", "uid")
	id := e.newLookup()
	if _, err := e.run(id, 1, false); err != nil {
		t.Fatal(err)
	}
	if _, badSig, bodies := e.rcv.stats(); badSig != 0 || bodies[0] != `{"uid":"user-42"}` {
		t.Fatalf("bad signatures %d, bodies %q", badSig, bodies)
	}
}

func TestLookupHTTPFailureThenFinal(t *testing.T) {
	e := newLookupEnv(t, "", "")
	// A good profile from an earlier lookup.
	first := e.newLookup()
	if _, err := e.run(first, 1, false); err != nil {
		t.Fatal(err)
	}
	e.rcv.set(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	})
	id := e.newLookup()

	_, err := e.run(id, 1, false)
	appErr := appError(t, err, contracts.ErrTypeHTTP)
	if appErr.Message() != "HTTP 503" {
		t.Fatalf("message: %q", appErr.Message())
	}
	if l := e.lookup(id); l.Status != models.LookupRetrying || l.CompletedAt != nil || l.Attempts != 1 {
		t.Fatalf("lookup after a non-final failure: %+v", l)
	}
	if p := e.profile(); p.Status != models.ProfilePending || p.Name != "Alice Johnson" {
		t.Fatalf("profile after a non-final failure: %+v", p)
	}
	if e.doneCalls() != 1 {
		t.Fatalf("a non-final failure must not notify: %v", e.done)
	}

	_, err = e.run(id, 2, true)
	appError(t, err, contracts.ErrTypeHTTP)
	if l := e.lookup(id); l.Status != models.LookupFailed || l.CompletedAt == nil || l.Attempts != 2 || l.Error != "HTTP 503" {
		t.Fatalf("lookup after the final failure: %+v", l)
	}
	p := e.profile()
	if p.Status != models.ProfileFailed || p.Error != "HTTP 503" || p.Name != "Alice Johnson" || p.Plan != "pro" || p.Fields["company"] != "Acme Inc" {
		t.Fatalf("the failed refresh must keep the last good profile: %+v", p)
	}
	attempts, _ := e.st.Attempts(t.Context(), id)
	if len(attempts) != 2 || attempts[1].ResponseStatus != 503 || !strings.Contains(attempts[1].ResponseBody, "maintenance") {
		t.Fatalf("attempts: %+v", attempts)
	}
	e.assertNoSecretStored(id)
	if e.doneCalls() != 2 {
		t.Fatalf("the final failure must notify: %v", e.done)
	}
}

func TestLookupInvalidReplies(t *testing.T) {
	for _, tt := range []struct {
		name  string
		reply string
		want  string
	}{
		{"html", "<html>Oops</html>", "invalid reply: body is not a JSON object"},
		{"nested field", `{"fields":{"a":{"b":1}}}`, "invalid reply: fields.a must be"},
		{"too large", `{"name":"A","pad":"` + strings.Repeat("x", MaxLookupReply) + `"}`, "invalid reply: body is larger than 64 KiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newLookupEnv(t, "", "")
			e.rcv.set(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, tt.reply) })
			id := e.newLookup()
			_, err := e.run(id, 2, true)
			if appErr := appError(t, err, contracts.ErrTypeInvalidReply); appErr.Message() != tt.want && !strings.HasPrefix(appErr.Message(), tt.want) {
				t.Fatalf("message %q, want prefix %q", appErr.Message(), tt.want)
			}
			if p := e.profile(); p.Status != models.ProfileFailed || !strings.HasPrefix(p.Error, "invalid reply") {
				t.Fatalf("profile: %+v", p)
			}
			attempts, _ := e.st.Attempts(t.Context(), id)
			if len(attempts) != 1 || attempts[0].ResponseStatus != 200 || len(attempts[0].ResponseBody) > 1024 {
				t.Fatalf("attempt: status %d, %d body bytes", attempts[0].ResponseStatus, len(attempts[0].ResponseBody))
			}
		})
	}
}

func TestLookupExactly64KiBIsAccepted(t *testing.T) {
	e := newLookupEnv(t, "", "")
	prefix, suffix := `{"name":"A","pad":"`, `"}`
	body := prefix + strings.Repeat("x", MaxLookupReply-len(prefix)-len(suffix)) + suffix
	e.rcv.set(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, body) })
	if _, err := e.run(e.newLookup(), 1, false); err != nil {
		t.Fatalf("a %d-byte reply must be accepted: %v", len(body), err)
	}
}

func TestLookupTimeout(t *testing.T) {
	e := newLookupEnv(t, "", "")
	e.acts.Settings.LookupTimeout = 200 * time.Millisecond
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	e.rcv.set(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	// The receiver only returns when released at cleanup, so reaching the
	// check below at all means the client gave up: the timeout fired.
	_, err := e.run(e.newLookup(), 1, false)
	if appErr := appError(t, err, contracts.ErrTypeHTTP); !strings.HasPrefix(appErr.Message(), "timeout after") {
		t.Fatalf("message: %q", appErr.Message())
	}
}

func TestLookupConnectionRefused(t *testing.T) {
	e := newLookupEnv(t, "", "")
	cfg, _ := e.st.GetBackendConnect(t.Context(), e.orgID)
	e.rcv.srv.Close() // nothing listens on that 127.0.0.1 port any more
	cfg.URL = e.rcv.srv.URL
	if err := e.st.SaveBackendConnect(t.Context(), &cfg); err != nil {
		t.Fatal(err)
	}
	_, err := e.run(e.newLookup(), 1, false)
	appError(t, err, contracts.ErrTypeHTTP)
}

func TestLookupSkippedWhenUnavailable(t *testing.T) {
	e := newLookupEnv(t, "", "")
	cfg, _ := e.st.GetBackendConnect(t.Context(), e.orgID)
	cfg.Enabled = false
	if err := e.st.SaveBackendConnect(t.Context(), &cfg); err != nil {
		t.Fatal(err)
	}
	id := e.newLookup()
	_, err := e.run(id, 1, false)
	appError(t, err, contracts.ErrTypeEndpointUnavailable)
	if requests, _, _ := e.rcv.stats(); requests != 0 {
		t.Fatalf("a disabled configuration must not be called: %d requests", requests)
	}
	if l := e.lookup(id); l.Status != models.LookupSkipped || l.CompletedAt == nil || l.Attempts != 0 {
		t.Fatalf("lookup: %+v", l)
	}
	if p := e.profile(); p.Status != models.ProfileSkipped || p.Error != "Backend Connect is disabled" {
		t.Fatalf("profile: %+v", p)
	}
	if e.doneCalls() != 1 {
		t.Fatalf("a skipped lookup must notify: %v", e.done)
	}

	// An org without any configuration.
	other := models.Conversation{ID: models.NewID("cnv"), OrgID: models.NewID("org"), VisitorID: "v"}
	if err := e.st.CreateConversationWithMessage(t.Context(), &other, nil,
		&models.Message{ID: models.NewID("msg"), OrgID: other.OrgID, ConversationID: other.ID, Sender: "visitor", Text: "x"}, nil, nil); err != nil {
		t.Fatal(err)
	}
	l := models.Lookup{ID: models.NewID("lkp"), OrgID: other.OrgID, ConversationID: other.ID, Trigger: models.TriggerRefresh}
	if err := e.st.CreateLookup(t.Context(), &l); err != nil {
		t.Fatal(err)
	}
	_, err = e.run(l.ID, 1, false)
	if appErr := appError(t, err, contracts.ErrTypeEndpointUnavailable); appErr.Message() != "Backend Connect is not configured" {
		t.Fatalf("message: %q", appErr.Message())
	}
}

func TestLookupDatabaseErrorsAreRetryable(t *testing.T) {
	e := newLookupEnv(t, "", "")
	id := e.newLookup()
	_, err := e.run("lkp_missing", 1, false)
	var appErr *temporal.ApplicationError
	if err == nil || errors.As(err, &appErr) {
		t.Fatalf("a missing lookup must be a plain error, got %v", err)
	}
	_ = e.st.Close()
	_, err = e.run(id, 1, false)
	if err == nil || errors.As(err, &appErr) {
		t.Fatalf("a database failure must be a plain (retryable) error, got %v", err)
	}
}
