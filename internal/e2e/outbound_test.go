package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
)

// rawGet reads a route's answer as text, to search it for leaked values.
func (p *platform) rawGet(path string) string {
	p.T().Helper()
	req, _ := http.NewRequestWithContext(p.T().Context(), "GET", p.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+p.Key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.T().Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		p.T().Fatalf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	return string(raw)
}

// The measured leak: path and query tokens of the endpoint URL reached the
// Temporal history through the network error text. They must appear in
// neither the attempt rows nor the history, and neither may the secret.
func TestURLTokensStayOutOfAttemptsAndHistory(t *testing.T) {
	p := newPlatform(t)
	var w webhookResp
	url := "http://127.0.0.1:1/services/T0/B0/PATHTOKEN?token=QUERYTOKEN"
	if code := p.call("POST", "/v1/webhooks", map[string]any{"url": url, "event_types": []string{"contact.created"},
		"retry_schedule": []string{"0s"}}, &w); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	ev := p.sendEvent(contactEvent)
	d := p.waitStatus(ev.Deliveries[0].ID, models.StatusFailed)
	if len(d.Attempts) != 2 || d.Attempts[0].Error == "" {
		t.Fatalf("attempts: %+v", d.Attempts)
	}
	detail := p.rawGet("/v1/deliveries/" + ev.Deliveries[0].ID)
	history := p.rawGet("/v1/deliveries/" + ev.Deliveries[0].ID + "/history")
	// The network error does reach the history, redacted.
	if !strings.Contains(history, "connection refused") || !strings.Contains(detail, "http://127.0.0.1:1/services/…") {
		t.Fatalf("the history lacks the error or the attempt rows the redacted URL: %s", detail)
	}
	for _, leak := range []string{"PATHTOKEN", "QUERYTOKEN", "T0/B0", w.Secret} {
		if strings.Contains(detail, leak) || strings.Contains(history, leak) {
			t.Fatalf("%q leaked into the delivery or its Temporal history", leak)
		}
	}
}

// rebindingZone answers a public address the first time a name is looked
// up (the save-time check) and loopback afterwards (every send).
type rebindingZone struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (z *rebindingZone) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if !z.seen[host] {
		z.seen[host] = true
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}
	return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
}

// A name that passes the save-time check and then rebinds to loopback (not
// allow-listed here) is refused at connect time: the loopback receiver sees
// nothing, the attempt says only that the guard refused, and the Test button
// answers the same for an open and a closed port.
func TestRebindingNameIsRefusedAtSend(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.OutboundAllowCIDRs = nil
	p := &platform{harness.Start(t, cfg, app.Parts{API: true, Worker: true, Resolver: &rebindingZone{seen: map[string]bool{}}})}
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	_, port, _ := net.SplitHostPort(r.Listener.Addr().String())

	create := func(host string) webhookResp {
		var w webhookResp
		if code := p.call("POST", "/v1/webhooks", map[string]any{"url": "http://" + host + "/hook",
			"event_types": []string{"contact.created"}, "retry_schedule": []string{"0s"}}, &w); code != http.StatusCreated {
			t.Fatalf("create webhook %s: %d", host, code)
		}
		return w
	}
	open := create("rebind.customer-corp.com:" + port)
	closed := create("rebind2.customer-corp.com:1")

	ev := p.sendEvent(contactEvent)
	for _, dl := range ev.Deliveries {
		d := p.waitStatus(dl.ID, models.StatusFailed)
		for _, at := range d.Attempts {
			if at.Error != outbound.SendRefusedText || at.ResponseStatus != 0 {
				t.Fatalf("attempt: %+v", at)
			}
		}
	}
	var answers []string
	for _, w := range []webhookResp{open, closed} {
		var res map[string]any
		if code := p.call("POST", "/v1/webhooks/"+w.ID+"/test", map[string]any{"event_type": "contact.created"}, &res); code != http.StatusOK {
			t.Fatalf("test send: %d %v", code, res)
		}
		delete(res, "duration_us")
		raw, _ := json.Marshal(res)
		answers = append(answers, string(raw))
	}
	if answers[0] != answers[1] || !strings.Contains(answers[0], outbound.SendRefusedText) {
		t.Fatalf("Test answers differ between an open and a closed port: %v", answers)
	}
	if n := r.count(); n != 0 {
		t.Fatalf("the loopback receiver got %d requests", n)
	}
}
