package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// received is one request as the receiver saw it.
type received struct {
	Header   http.Header
	Body     []byte
	SigValid bool
}

// receiver is a loopback webhook receiver that verifies signatures the way
// the product docs tell customers to, written from the docs and not with
// the project's signing package, so a bug there cannot hide itself.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	scheme string
	header string
	secret string
	got    []received
	// answer picks the status for the n-th request (1-based).
	answer func(n int, w http.ResponseWriter)
	ch     chan received
}

func newReceiver(t *testing.T, scheme, header string) *receiver {
	r := &receiver{scheme: scheme, header: header, ch: make(chan received, 100),
		answer: func(int, http.ResponseWriter) {}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) setSecret(s string) { r.mu.Lock(); r.secret = s; r.mu.Unlock() }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	rec := received{Header: req.Header.Clone(), Body: body, SigValid: verify(r.scheme, r.header, r.secret, req.Header, body)}
	r.got = append(r.got, rec)
	n := len(r.got)
	answer := r.answer
	r.mu.Unlock()
	r.ch <- rec
	answer(n, w)
}

func (r *receiver) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

// verify checks a signature per the seed docs.
func verify(scheme, header, secret string, h http.Header, body []byte) bool {
	switch scheme {
	case "hmac-sha256-hex": // seeds 000 and 003: hex HMAC-SHA256 of the raw body
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		return hmac.Equal([]byte(h.Get(header)), []byte(hex.EncodeToString(mac.Sum(nil))))
	case "hmac-sha256-base64hex": // seed 001: Base64 of the hex digest
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		want := base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(mac.Sum(nil))))
		return hmac.Equal([]byte(h.Get(header)), []byte(want))
	case "standard-webhooks": // standardwebhooks.com: v1,base64(HMAC(key, id.ts.body))
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return false
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + "."))
		mac.Write(body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		for _, sig := range strings.Fields(h.Get("webhook-signature")) {
			if hmac.Equal([]byte(sig), []byte(want)) {
				return true
			}
		}
	}
	return false
}
