package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
)

// forwardingProxy is an HTTP proxy on loopback: it records each request
// line and forwards it to the loopback receiver, whatever host was asked
// for, so the public-looking target host is never dialled.
type forwardingProxy struct {
	*httptest.Server
	mu   sync.Mutex
	seen []string
}

func newForwardingProxy(t *testing.T, to string) *forwardingProxy {
	p := &forwardingProxy{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.seen = append(p.seen, r.Method+" "+r.URL.String())
		p.mu.Unlock()
		body, _ := io.ReadAll(r.Body)
		fwd, _ := http.NewRequestWithContext(r.Context(), r.Method, to+r.URL.Path, bytes.NewReader(body))
		fwd.Header = r.Header.Clone()
		resp, err := http.DefaultTransport.RoundTrip(fwd)
		if err != nil {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *forwardingProxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

// stableOrRebinding answers hooks.customer-corp.com with a public address
// always, and rebind.customer-corp.com with one only the first time.
type stableOrRebinding struct{ rebinding rebindingZone }

func (z *stableOrRebinding) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if host == "hooks.customer-corp.com" {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}
	return z.rebinding.LookupNetIP(ctx, network, host)
}

// With SWITCHBOARD_OUTBOUND_PROXY every delivery goes through the proxy
// (trusted on loopback although loopback is not allow-listed); the guard
// still checks the target first, so a rebinding target never reaches it.
func TestDeliveriesGoThroughTheProxyAndTheGuardStillAppliesToTheTarget(t *testing.T) {
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	proxy := newForwardingProxy(t, r.URL)
	cfg := harness.Config(t, temporalServer)
	cfg.OutboundAllowCIDRs, cfg.OutboundProxy = nil, proxy.URL
	zone := &stableOrRebinding{rebindingZone{seen: map[string]bool{}}}
	p := &platform{harness.Start(t, cfg, app.Parts{API: true, Worker: true, Resolver: zone})}

	create := func(u string) webhookResp {
		var w webhookResp
		if code := p.call("POST", "/v1/webhooks", map[string]any{"url": u, "event_types": []string{"contact.created"},
			"retry_schedule": []string{"0s"}}, &w); code != http.StatusCreated {
			t.Fatalf("create webhook %s: %d", u, code)
		}
		return w
	}
	good := create("http://hooks.customer-corp.com/hook")
	r.setSecret(good.Secret)
	bad := create("http://rebind.customer-corp.com/hook")

	ev := p.sendEvent(contactEvent)
	for _, dl := range ev.Deliveries {
		switch dl.WebhookID {
		case good.ID:
			p.waitStatus(dl.ID, models.StatusSucceeded)
		case bad.ID:
			d := p.waitStatus(dl.ID, models.StatusFailed)
			if d.Attempts[0].Error != outbound.SendRefusedText {
				t.Fatalf("rebinding target: %+v", d.Attempts)
			}
		}
	}
	got := r.next(t)
	if !got.SigValid || got.Header.Get("Idempotency-Key") == "" {
		t.Fatalf("the receiver behind the proxy got an unverifiable request: %v", got.Header)
	}
	seen := proxy.requests()
	if len(seen) != 1 || seen[0] != "POST http://hooks.customer-corp.com/hook" {
		t.Fatalf("the proxy saw %v", seen)
	}
}
