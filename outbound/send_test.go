package outbound

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

const testSecret = "sbsec_test_secret_value"

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// receiver is a loopback endpoint that verifies the hex HMAC-SHA256 of the
// body itself (not through package signing) and counts requests.
type receiver struct {
	*httptest.Server
	hits     atomic.Int32
	verified atomic.Int32
}

func newReceiver(t *testing.T, answer func(http.ResponseWriter, *http.Request)) *receiver {
	t.Helper()
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(testSecret))
		mac.Write(body)
		if hmac.Equal([]byte(r.Header.Get("X-Sig")), []byte(hex.EncodeToString(mac.Sum(nil)))) {
			rc.verified.Add(1)
		}
		if answer != nil {
			answer(w, r)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func signedRequest(target string) Request {
	return Request{
		Target: Target{URL: target, SigningScheme: "hmac-sha256-hex", SignatureHeader: "X-Sig", Secrets: []string{testSecret}},
		Kind:   "test", MessageID: "dlv_1", Body: []byte(`{"ok":true}`), Timeout: 5 * time.Second, ResponseLimit: 1024,
	}
}

func TestSendSignsAndCaptures(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") != "dlv_1" || r.Header.Get("User-Agent") != "SB/1" {
			w.WriteHeader(400)
			return
		}
		_, _ = io.WriteString(w, strings.Repeat("x", 2000))
	})
	c := New(Options{Allow: loopback, UserAgent: "SB/1"})
	res := c.Do(t.Context(), signedRequest(rc.URL+"/hook"))
	if !res.OK() || res.Status != 200 || !res.Truncated || len(res.Body) != 1024 || rc.verified.Load() != 1 {
		t.Fatalf("result: %+v (verified %d)", res, rc.verified.Load())
	}
	rec := res.Attempt("dlv_1", 1, time.Now(), 10)
	if rec.ResponseBody != "xxxxxxxxxx" || rec.URL != rc.URL+"/hook" || rec.RequestHeaders["X-Sig"] == "" {
		t.Fatalf("attempt: %+v", rec)
	}
}

// A public-looking name that resolves to loopback is refused at connect
// time when loopback is not allow-listed: no request reaches the receiver,
// and the error is the same whether the port is open or closed.
func TestConnectRefusesNameResolvingToLoopback(t *testing.T) {
	rc := newReceiver(t, nil)
	_, port, _ := net.SplitHostPort(rc.Listener.Addr().String())
	c := New(Options{Resolver: addrs("127.0.0.1")})
	open := c.Do(t.Context(), signedRequest("http://hooks.customer-corp.com:"+port+"/hook"))
	closed := c.Do(t.Context(), signedRequest("http://hooks.customer-corp.com:1/hook"))
	if open.Fail != FailRefused || open.Error != SendRefusedText || closed.Error != open.Error || closed.Fail != open.Fail {
		t.Fatalf("open port: %+v; closed port: %+v", open, closed)
	}
	if n := rc.hits.Load(); n != 0 {
		t.Fatalf("receiver got %d requests", n)
	}
}

// rebindingResolver answers a public address first (the save-time check)
// and loopback afterwards (the send).
type rebindingResolver struct{ calls atomic.Int32 }

func (r *rebindingResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	if r.calls.Add(1) == 1 {
		return addrs("93.184.215.14"), nil
	}
	return addrs("127.0.0.1"), nil
}

func TestConnectRefusesRebindingName(t *testing.T) {
	rc := newReceiver(t, nil)
	_, port, _ := net.SplitHostPort(rc.Listener.Addr().String())
	r := &rebindingResolver{}
	c := New(Options{Resolver: r})
	if err := c.Guard().CheckHost(t.Context(), "rebind.customer-corp.com"); err != nil {
		t.Fatalf("save-time check: %v", err)
	}
	res := c.Do(t.Context(), signedRequest("http://rebind.customer-corp.com:"+port+"/hook"))
	if res.Fail != FailRefused || rc.hits.Load() != 0 {
		t.Fatalf("result %+v, receiver hits %d", res, rc.hits.Load())
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	next := newReceiver(t, nil)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, next.URL+"/next/PATHTOKEN?token=QUERYTOKEN", http.StatusFound)
	})
	res := New(Options{Allow: loopback}).Do(t.Context(), signedRequest(rc.URL+"/hook"))
	want := "HTTP 302 redirect to " + next.URL + "/next/… (redirects are not followed)"
	if res.OK() || res.Fail != FailRedirect || res.Status != 302 || res.Error != want {
		t.Fatalf("result %+v, want error %q", res, want)
	}
	if next.hits.Load() != 0 || rc.hits.Load() != 1 {
		t.Fatalf("redirect target hits %d, first receiver %d", next.hits.Load(), rc.hits.Load())
	}
}

// The measured leak: path and query tokens reached workflow history through
// the network error text.
func TestTokensAreRedactedFromErrorsAndAttempts(t *testing.T) {
	req := signedRequest("http://127.0.0.1:1/services/T0/B0/PATHTOKEN?token=QUERYTOKEN")
	req.Target.AuthHeader, req.Target.AuthValue = "X-Relay-Auth", "Bearer AUTHTOKEN"
	req.Header = map[string]string{"Authorization": "Bearer HDRTOKEN"}
	res := New(Options{Allow: loopback}).Do(t.Context(), req)
	rec := res.Attempt("dlv_1", 1, time.Now(), 100)
	all := res.Error + " " + res.URL + " " + rec.URL + " " + rec.Error
	for k, v := range rec.RequestHeaders {
		all += " " + k + "=" + v
	}
	if res.Fail != FailNetwork || res.URL != "http://127.0.0.1:1/services/…" {
		t.Fatalf("result: %+v", res)
	}
	for _, secret := range []string{"PATHTOKEN", "QUERYTOKEN", "AUTHTOKEN", "HDRTOKEN", testSecret, "T0/B0"} {
		if strings.Contains(all, secret) {
			t.Fatalf("%q leaked: %s", secret, all)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://hooks.example.com/services/T0/B0/TOKEN?token=X": "https://hooks.example.com/services/…",
		"http://127.0.0.1:9000/hook":                             "http://127.0.0.1:9000/hook",
		"http://127.0.0.1:9000/hook/":                            "http://127.0.0.1:9000/hook/",
		"http://127.0.0.1:9000/hook?x=1":                         "http://127.0.0.1:9000/hook?…",
		"https://u:p@example.com/a":                              "https://example.com/a",
		"https://example.com":                                    "https://example.com",
		"https://example.com/" + strings.Repeat("a", 40) + "/b":  "https://example.com/…",
		"https://example.com/a#frag":                             "https://example.com/a#…",
		"::not a url":                                            Redacted,
	} {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// proxy is a loopback HTTP proxy that records what it is asked for and
// answers itself, so the target host is never dialled.
type proxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
	sigs []string
}

func newProxy(t *testing.T) *proxy {
	p := &proxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.seen = append(p.seen, r.Method+" "+r.URL.String())
		p.sigs = append(p.sigs, r.Header.Get("X-Sig"))
		w.WriteHeader(204)
	}))
	t.Cleanup(p.Close)
	return p
}

// With a proxy the dialer only sees the proxy (trusted, here on loopback
// although loopback is not allow-listed); the guard still checks the
// target's own addresses first.
func TestProxyCarriesCallsAndGuardStillAppliesToTarget(t *testing.T) {
	p := newProxy(t)
	pu, _ := url.Parse(p.URL)
	ok := New(Options{Proxy: pu, Resolver: addrs("93.184.215.14")}).Do(t.Context(), signedRequest("http://hooks.customer-corp.com/hook"))
	if !ok.OK() || ok.Status != 204 || len(p.seen) != 1 || p.seen[0] != "POST http://hooks.customer-corp.com/hook" || p.sigs[0] == "" {
		t.Fatalf("result %+v, proxy saw %v", ok, p.seen)
	}
	refused := New(Options{Proxy: pu, Resolver: addrs("10.0.0.5")}).Do(t.Context(), signedRequest("http://hooks.customer-corp.com/hook"))
	if refused.Fail != FailRefused || refused.Error != SendRefusedText || len(p.seen) != 1 {
		t.Fatalf("result %+v, proxy saw %v", refused, p.seen)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"": 0, "120": 2 * time.Minute, "-5": 0, "soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	}
	for in, want := range cases {
		if got := ParseRetryAfter(in, now); got != want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestStorableText(t *testing.T) {
	for _, tt := range []struct {
		in    string
		limit int
		want  string
	}{
		{"hello", 10, "hello"}, {"hello", 3, "hel"},
		{"héllo", 2, "h"}, // é is two bytes: never half of it
		{"a\x00b", 10, "ab"}, {"a\xffb", 10, "a\uFFFDb"}, {"abc", 0, ""},
	} {
		if got := StorableText([]byte(tt.in), tt.limit); got != tt.want {
			t.Errorf("StorableText(%q, %d) = %q, want %q", tt.in, tt.limit, got, tt.want)
		}
	}
}

// A streamed answer (the chat relay's replies) is handed to Consume as it
// arrives instead of being captured; auth headers are sent and redacted.
func TestConsumeStreamsTheAnswer(t *testing.T) {
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer relay-key" {
			w.WriteHeader(401)
			return
		}
		for _, part := range []string{"data: one\n\n", "data: two\n\n"} {
			_, _ = io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
	})
	var got []byte
	req := signedRequest(rc.URL + "/chat")
	req.Target.AuthHeader, req.Target.AuthValue = "Authorization", "Bearer relay-key"
	req.Consume = func(r io.Reader) error {
		var err error
		got, err = io.ReadAll(r)
		return err
	}
	res := New(Options{Allow: loopback}).Do(t.Context(), req)
	if !res.OK() || string(got) != "data: one\n\ndata: two\n\n" || res.Body != nil || res.RequestHeaders["Authorization"] != Redacted {
		t.Fatalf("result %+v, streamed %q", res, got)
	}
}
