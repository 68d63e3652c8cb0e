package e2e

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
)

// lockedLog is a log sink the platform's goroutines write concurrently.
type lockedLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedLog) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.buf.String() }

// TestSecretsStayOutOfLogs drives every path that uses a signing secret —
// deliveries that fail and are retried, the Test button, a rotation, a
// Backend Connect lookup the backend refuses, a Custom App action, a sample
// payload and a click verification — with the platform logging at debug
// level (its own logs and the Temporal SDK's), and checks that no secret
// appears anywhere in what was logged.
func TestSecretsStayOutOfLogs(t *testing.T) {
	var logs lockedLog
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	p := &platform{harness.StartLogged(t, harness.Config(t, temporalServer), app.Parts{API: true, Worker: true}, log)}
	var secrets []string

	hook := newReceiver(t, models.SchemeHexHMAC, "Switchboard-Signature")
	hook.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}
	wh := p.createWebhook(hook, map[string]any{"retry_schedule": []string{"1s", "1s"}})
	secrets = append(secrets, wh.Secret)
	ev := p.sendEvent(map[string]any{"type": "contact.created", "data": map[string]any{"contact": map[string]any{"id": "ct_1"}}})
	p.waitStatus(ev.Deliveries[0].ID, models.StatusSucceeded)
	if code := p.call("POST", "/v1/webhooks/"+wh.ID+"/test", map[string]any{"event_type": "contact.created"}, nil); code != http.StatusOK {
		t.Fatalf("test send: %d", code)
	}
	var rotated struct {
		Secret string `json:"secret"`
	}
	if code := p.call("POST", "/v1/webhooks/"+wh.ID+"/secret/rotate", nil, &rotated); code != http.StatusOK || rotated.Secret == "" {
		t.Fatalf("rotate: %d", code)
	}
	secrets = append(secrets, rotated.Secret)

	backend := newLookupReceiver(t, "X-Switchboard-Signature")
	backend.answer = func(_ int, _ lookupRequest, w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusServiceUnavailable)
	}
	secrets = append(secrets, p.configure(backend, nil).Secret)
	m := p.message(map[string]any{"visitor_id": "vis_1", "text": "hi"})
	p.waitCustomer(m.ConversationID, models.ProfileFailed)

	appHook := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	appHook.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}
	a := p.createApp(appHook, map[string]any{"actions": referralAction(nil, "")})
	secrets = append(secrets, a.Secret)
	_, res := p.sendAction("referral_create", map[string]any{"variables": referral})
	p.waitAppDelivery(res.Deliveries[0].ID, models.StatusSucceeded)
	if code := p.call("POST", "/v1/apps/"+a.ID+"/actions/referral_create/sample", nil, nil); code != http.StatusOK {
		t.Fatalf("sample: %d", code)
	}
	clicks := newAppReceiver(t, models.DefaultAppSignatureHeader, 0, http.StatusBadGateway, "")
	secrets = append(secrets, p.createVerifyApp(t, clicks, map[string]any{"actions": clickAction(nil)}).Secret)
	p.verifyClick(t, map[string]any{"email": "friend@example.com", "site_id": "1"})

	out := logs.String()
	// The capture must have seen the retries (a regular activity after a
	// failed first attempt), or it would prove nothing.
	if !strings.Contains(out, "level=DEBUG") || !strings.Contains(out, "msg=ExecuteActivity") {
		t.Fatalf("the capture saw no debug lines of the retries:\n%.2000s", out)
	}
	for _, s := range secrets {
		if s == "" {
			t.Fatal("a secret was not captured from its create answer")
		}
		if strings.Contains(out, s) {
			t.Fatalf("a signing secret (%.10s…) is in the logs", s)
		}
	}
	t.Logf("%d bytes of debug logs, %d secrets checked", len(out), len(secrets))
}
