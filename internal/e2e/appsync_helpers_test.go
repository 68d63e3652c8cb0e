package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// talkableValid is the doc's own verification (seed 001), both forms:
// Ruby: Base64.strict_encode64(OpenSSL::HMAC.hexdigest('sha256', key,
// data)) compared with secure_compare; JavaScript: btoa of the hex digest,
// compared with timingSafeEqual on the Base64-decoded bytes (which throws,
// i.e. fails, on a length mismatch). It does not use the project's signer.
func talkableValid(secret, header string, body []byte) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	calculated := base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(mac.Sum(nil))))
	ruby := subtle.ConstantTimeCompare([]byte(calculated), []byte(header)) == 1
	a, errA := base64.StdEncoding.DecodeString(calculated)
	b, errB := base64.StdEncoding.DecodeString(header)
	js := errA == nil && errB == nil && len(a) == len(b) && subtle.ConstantTimeCompare(a, b) == 1
	return ruby && js
}

// appRequest is one request an app receiver got.
type appRequest struct {
	Body     []byte
	SigValid bool
	At       time.Time
}

// appReceiver is a Custom App endpoint on loopback: it verifies the
// signature in header with the secret set after the app is created,
// waits delay (or until the caller gives up), then answers status and
// body.
type appReceiver struct {
	*httptest.Server
	header string
	delay  time.Duration
	status int
	answer string
	mu     sync.Mutex
	secret string
	got    []appRequest
}

func newAppReceiver(t *testing.T, header string, delay time.Duration, status int, answer string) *appReceiver {
	r := &appReceiver{header: header, delay: delay, status: status, answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *appReceiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.got = append(r.got, appRequest{Body: body, SigValid: talkableValid(r.secret, req.Header.Get(r.header), body), At: time.Now()})
	r.mu.Unlock()
	if r.delay > 0 {
		select {
		case <-time.After(r.delay):
		case <-req.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.status)
	_, _ = io.WriteString(w, r.answer)
}

func (r *appReceiver) requests() []appRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]appRequest(nil), r.got...)
}

type appCreated struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

// createApp creates an app pointing at r and gives r its secret.
func (p *platform) createVerifyApp(t *testing.T, r *appReceiver, body map[string]any) appCreated {
	t.Helper()
	body["url"] = r.URL + "/talkable"
	if _, ok := body["name"]; !ok {
		body["name"] = "app"
	}
	if _, ok := body["signature_header"]; !ok {
		body["signature_header"] = r.header
	}
	var a appCreated
	if code := p.call("POST", "/v1/apps", body, &a); code != http.StatusCreated {
		t.Fatalf("create app: %d", code)
	}
	r.mu.Lock()
	r.secret = a.Secret
	r.mu.Unlock()
	return a
}

// clickAction is the app setting that turns click verification on.
func clickAction(extra map[string]any) map[string]any {
	act := map[string]any{"enabled": true}
	for k, v := range extra {
		act[k] = v
	}
	return map[string]any{"click_reward_verification": act}
}

type clickAnswer struct {
	Verified       bool   `json:"verified"`
	Reason         string `json:"reason"`
	VerificationID string `json:"verification_id"`
	Apps           []struct {
		AppID      string `json:"app_id"`
		Verified   bool   `json:"verified"`
		Reason     string `json:"reason"`
		StatusCode int    `json:"status_code"`
		DurationMS int64  `json:"duration_ms"`
	} `json:"apps"`
}

func (c clickAnswer) app(t *testing.T, id string) (verified bool, reason string, status int) {
	t.Helper()
	for _, a := range c.Apps {
		if a.AppID == id {
			return a.Verified, a.Reason, a.StatusCode
		}
	}
	t.Fatalf("app %s not in the answer %+v", id, c)
	return false, "", 0
}

func (p *platform) verifyClick(t *testing.T, body map[string]any) clickAnswer {
	t.Helper()
	var c clickAnswer
	if code := p.call("POST", "/v1/rewards/verify-click", body, &c); code != http.StatusOK {
		t.Fatalf("verify-click: %d", code)
	}
	return c
}

type verificationDetail struct {
	Verification struct {
		ID        string         `json:"id"`
		Verified  bool           `json:"verified"`
		Reason    string         `json:"reason"`
		Decided   bool           `json:"decided"`
		Variables map[string]any `json:"variables"`
	} `json:"verification"`
	Apps []struct {
		AppID      string `json:"app_id"`
		Status     string `json:"status"`
		Verified   bool   `json:"verified"`
		Reason     string `json:"reason"`
		Late       bool   `json:"late"`
		StatusCode int    `json:"status_code"`
		Error      string `json:"error"`
	} `json:"apps"`
}

func (p *platform) verification(t *testing.T, id string) verificationDetail {
	t.Helper()
	var d verificationDetail
	if code := p.call("GET", "/v1/rewards/verifications/"+id, nil, &d); code != http.StatusOK {
		t.Fatalf("get verification: %d", code)
	}
	return d
}
