package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/service"
)

// zoneResolver is a test DNS zone: no query leaves the process.
type zoneResolver map[string]string

func (z zoneResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if ip, ok := z[strings.TrimSuffix(host, ".")]; ok {
		return []netip.Addr{netip.MustParseAddr(ip)}, nil
	}
	return nil, &net404{}
}

type net404 struct{}

func (*net404) Error() string { return "no such host" }

// newGuardedAPI is the API in production posture (https only, empty
// allow-list) with the SSRF guard resolving through zone.
func newGuardedAPI(t *testing.T, zone zoneResolver) (http.Handler, string) {
	t.Helper()
	cfg, err := config.Load()
	if err != nil {
		t.Fatal(err)
	}
	cfg.AllowInsecureURLs, cfg.OutboundAllowCIDRs = false, nil
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := service.New(service.Deps{Store: storetest.SQLite(t), Log: log, URLGuard: outbound.NewGuard(nil, zone)}, cfg)
	org, err := svc.Orgs.CreateOrg(t.Context(), "t")
	if err != nil {
		t.Fatal(err)
	}
	return contractChecked(t, New(svc, SettingsFrom(cfg), log)), org.SecretKey
}

// Internal destinations are refused at save time, for webhooks and Backend
// Connect alike, with 400 url_not_allowed and nothing stored.
func TestInternalURLsAreRefusedAtSave(t *testing.T) {
	zone := zoneResolver{
		"internal.customer-corp.com": "10.0.0.5", "meta.customer-corp.com": "169.254.169.254",
		"xn--intrn-bsa.customer-corp.com": "192.168.0.10", "public.customer-corp.com": "93.184.215.14",
	}
	h, key := newGuardedAPI(t, zone)
	notAllowed := []string{
		"https://127.0.0.1/", "https://127.0.0.1:5432/", "https://0.0.0.0/", "https://10.0.0.5/x", "https://172.16.0.1/",
		"https://192.168.1.1/", "https://169.254.169.254/latest/meta-data/", "https://100.64.0.1/", "https://224.0.0.1/",
		"https://255.255.255.255/", "https://198.18.0.1/", "https://192.0.2.1/", "https://198.51.100.1/", "https://203.0.113.1/",
		"https://[::1]/", "https://[::]/", "https://[fd00::1]/", "https://[fe80::1]/", "https://[::ffff:127.0.0.1]/",
		"https://[::ffff:7f00:1]/", "https://[::127.0.0.1]/", "https://[2002:7f00:1::1]/", "https://[64:ff9b::a00:5]/",
		"https://2130706433/", "https://0x7f.1/", "https://0x7f000001/", "https://0177.0.0.1/", "https://127.1/",
		"https://localhost/", "https://api.localhost/", "https://internal.customer-corp.com/hook",
		"https://meta.customer-corp.com/", "https://intérn.customer-corp.com/", "https://nowhere.customer-corp.com/",
	}
	badInput := []string{
		"https://public.customer-corp.com:99999/", "https://public.customer-corp.com:0/", "https://public.customer-corp.com:/",
		"https://user:pass@public.customer-corp.com/", "https://user@public.customer-corp.com/",
		"https://public.customer-corp.com/" + strings.Repeat("a", 2048), "http://public.customer-corp.com/",
	}
	check := func(method, path, body, url, code string) {
		t.Helper()
		status, e, raw := do(t, h, key, method, path, body)
		if status != http.StatusBadRequest || e.Error.Code != code {
			t.Errorf("%s %s %.80s: %d %s, want 400 %s", method, path, url, status, raw, code)
		}
	}
	for _, u := range notAllowed {
		wh, _ := json.Marshal(map[string]any{"url": u, "event_types": []string{"contact.created"}})
		check("POST", "/v1/webhooks", string(wh), u, "url_not_allowed")
		bc, _ := json.Marshal(map[string]any{"url": u})
		check("PUT", "/v1/backend-connect", string(bc), u, "url_not_allowed")
	}
	for _, u := range badInput {
		wh, _ := json.Marshal(map[string]any{"url": u, "event_types": []string{"contact.created"}})
		check("POST", "/v1/webhooks", string(wh), u, "invalid_request")
		bc, _ := json.Marshal(map[string]any{"url": u})
		check("PUT", "/v1/backend-connect", string(bc), u, "invalid_request")
	}
	if status, _, raw := do(t, h, key, "GET", "/v1/webhooks", ""); status != 200 || strings.Contains(string(raw), "customer-corp") || strings.Contains(string(raw), "https://") {
		t.Fatalf("webhooks stored after refusals: %d %s", status, raw)
	}
	if status, _, raw := do(t, h, key, "GET", "/v1/backend-connect", ""); status != http.StatusNotFound {
		t.Fatalf("Backend Connect stored after refusals: %d %s", status, raw)
	}

	// The message names the address, its range and the way to allow it.
	_, e, _ := do(t, h, key, "POST", "/v1/webhooks", `{"url":"https://10.0.0.5/x","event_types":["contact.created"]}`)
	want := "url: 10.0.0.5 is in a private network (10.0.0.0/8); allow it with SWITCHBOARD_OUTBOUND_ALLOW_CIDRS"
	if e.Error.Message != want {
		t.Fatalf("message %q, want %q", e.Error.Message, want)
	}

	// A public name, an IDN one included, is accepted.
	zone["xn--bcher-kva.customer-corp.com"] = "93.184.215.14"
	for _, u := range []string{"https://public.customer-corp.com/hook", "https://bücher.customer-corp.com/hook"} {
		wh, _ := json.Marshal(map[string]any{"url": u, "event_types": []string{"contact.created"}})
		if status, _, raw := do(t, h, key, "POST", "/v1/webhooks", string(wh)); status != http.StatusCreated {
			t.Fatalf("%s: %d %s", u, status, raw)
		}
	}
}
