package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/internal/browsertest"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/service"
)

// The browser tests drive the console in headless Chromium against a whole
// platform (API, worker, Temporal dev server, PostgreSQL), as an operator
// would. Chromium comes from Debian's chromium package (.ci/run).

var temporalServer *testsuite.DevServer

func TestMain(m *testing.M) {
	harness.RunWithTemporal(m, "console", func(s *testsuite.DevServer) { temporalServer = s })
}

// browser is one platform with one signed-in (or not yet) browser tab.
type browser struct {
	t   *testing.T
	ctx context.Context
	p   *harness.Platform
}

func newBrowser(t *testing.T) *browser {
	t.Helper()
	p := harness.New(t, harness.Config(t, temporalServer))
	return &browser{t: t, ctx: browsertest.New(t), p: p}
}

func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	browsertest.Run(b.t, b.ctx, what, actions...)
}

func pageSel(page string) string { return `body[data-page="` + page + `"]:not([data-stale])` }

// open loads path and waits for the console page named page.
func (b *browser) open(path, page string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.p.URL+path), chromedp.WaitVisible(pageSel(page), chromedp.ByQuery))
}

// click clicks sel and waits for a new document of the named page: the
// old document is marked first, so it cannot satisfy the wait.
func (b *browser) click(sel, page string) {
	b.t.Helper()
	b.run("click "+sel,
		chromedp.Evaluate(`document.body.setAttribute("data-stale", "")`, nil),
		chromedp.Click(sel, chromedp.ByQuery),
		chromedp.WaitVisible(pageSel(page), chromedp.ByQuery))
}

// reload reloads the page as the browser's reload button does and waits
// for the fresh document (the old one is marked stale first).
func (b *browser) reload(page string) {
	b.t.Helper()
	b.run("reload",
		chromedp.Evaluate(`document.body.setAttribute("data-stale", ""); location.reload()`, nil),
		chromedp.WaitVisible(pageSel(page), chromedp.ByQuery))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run("read "+sel, chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
	return s
}

func (b *browser) eval(js string, out any) {
	b.t.Helper()
	b.run("evaluate "+js, chromedp.Evaluate(js, out))
}

// fetchStatus posts from the page with fetch (same origin, the session
// cookie attached) and returns the answer's status.
func (b *browser) fetchStatus(method, path, body string) int {
	b.t.Helper()
	var status int
	js := fmt.Sprintf(`window.__st = 0; fetch(%q, {method: %q, body: %q || undefined, headers: {"Content-Type": "application/x-www-form-urlencoded"}}).then(r => { window.__st = r.status })`, path, method, body)
	b.run("fetch "+path, chromedp.Evaluate(js, nil), chromedp.Poll(`window.__st`, &status, chromedp.WithPollingTimeout(20*time.Second)))
	return status
}

func (b *browser) signIn() {
	b.t.Helper()
	b.open("/console/webhooks", "signin") // no session yet: sent to sign in
	b.run("sign in", chromedp.SendKeys("#key", b.p.Key, chromedp.ByQuery), chromedp.Submit("#key", chromedp.ByQuery),
		chromedp.WaitVisible(pageSel("webhooks"), chromedp.ByQuery))
	// The key went to the server once; nothing the page can read holds it.
	var stored string
	b.eval(`document.cookie + "|" + localStorage.length + "|" + sessionStorage.length`, &stored)
	if stored != "|0|0" {
		b.t.Fatalf("the browser keeps script-readable state after sign-in: %q", stored)
	}
}

// shot saves full-page screenshots at desktop and phone widths.
func (b *browser) shot(name string) {
	b.t.Helper()
	browsertest.Screenshot(b.t, b.ctx, name)
	b.run("phone width", chromedp.EmulateViewport(390, 844))
	// Nothing may stick out sideways at phone width (tables scroll in
	// their own box or stack).
	var wide string
	b.eval(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !e.closest(".table-wrap")).map(e => e.tagName + "." + e.className).slice(0, 3).join(" ")`, &wide)
	if wide != "" {
		b.t.Errorf("%s: wider than a 390 px screen: %s", name, wide)
	}
	browsertest.Screenshot(b.t, b.ctx, name+"-390")
	b.run("desktop width", chromedp.EmulateViewport(1280, 900))
}

// deliveryView is what the browser tests read of GET /v1/deliveries/{id}.
type deliveryView struct {
	Status   string
	ReplayOf string `json:"replay_of"`
}

// waitDelivery waits until the API shows the delivery in status and
// returns it.
func (b *browser) waitDelivery(what, id, status string) deliveryView {
	b.t.Helper()
	var d struct{ Delivery deliveryView }
	harness.Eventually(b.t, what, func() bool {
		b.p.Call("GET", "/v1/deliveries/"+id, nil, &d)
		return d.Delivery.Status == status
	})
	return d.Delivery
}

// receiver answers 200 to every request and counts them.
func receiver(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n.Add(1)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestConsoleBrowserWebhooks(t *testing.T) {
	b := newBrowser(t)
	recv, got := receiver(t)
	b.signIn()

	b.click(`a[href="/console/webhooks/new"]`, "webhook")
	b.run("fill the webhook form",
		chromedp.SendKeys("#url", recv.URL+"/hook", chromedp.ByQuery),
		chromedp.SendKeys("#description", "CRM sync", chromedp.ByQuery),
		chromedp.Click(`input[value="contact.created"]`, chromedp.ByQuery))
	b.click(`form.card button[type="submit"]`, "webhook")
	if n := b.text("p.notice"); n != "Created." {
		t.Fatalf("after create: notice %q", n)
	}
	var whID string
	b.eval(`document.querySelector("dl.facts code").textContent`, &whID)

	// Test per event type, with its outcome beside it.
	b.click(`button[aria-label="Test contact.created"]`, "webhook")
	if out := b.text("#test-outcome"); !strings.Contains(out, "Delivered") || !strings.Contains(out, "HTTP 200") {
		t.Fatalf("test outcome: %q", out)
	}
	// Reveal is a post; its answer shows the secret.
	b.click(`form[action$="/secret"] button`, "webhook")
	if s := b.text("#secret-value"); !strings.HasPrefix(s, "sbsec_") {
		t.Fatalf("revealed secret %q", s)
	}
	b.shot("webhook-edit")

	// An event through the API shows up as a delivery with its attempt.
	var ev struct {
		Deliveries []struct{ ID string } `json:"deliveries"`
	}
	if code := b.p.Call("POST", "/v1/events", map[string]any{"type": "contact.created", "data": map[string]any{"contact": map[string]any{"id": "ct_1"}}}, &ev); code != http.StatusAccepted || len(ev.Deliveries) != 1 {
		t.Fatalf("POST /v1/events: %d %+v", code, ev)
	}
	dlv := ev.Deliveries[0].ID
	b.waitDelivery("the delivery succeeds", dlv, "succeeded")
	b.open("/console/deliveries?status=succeeded", "deliveries")
	if row := b.text(`tr[data-delivery="` + dlv + `"]`); !strings.Contains(row, "succeeded") || !strings.Contains(row, recv.URL) {
		t.Fatalf("delivery row: %q", row)
	}
	b.shot("deliveries")
	b.click(`a[href="/console/deliveries/`+dlv+`"]`, "delivery")
	if a := b.text(`li[data-attempt="1"]`); !strings.Contains(a, "HTTP 200") || !strings.Contains(a, recv.URL+"/hook") {
		t.Fatalf("attempt: %q", a)
	}
	var href string
	b.eval(`document.querySelector('a[href*="/workflows/"]').getAttribute("href")`, &href)
	if want := fmt.Sprintf("http://127.0.0.1:%d/namespaces/default/workflows/delivery-%s", b.p.App.Cfg.DevUIPort, dlv); href != want {
		t.Fatalf("Temporal link %q, want %q", href, want)
	}
	b.shot("delivery")
	if got.Load() < 2 {
		t.Fatalf("the receiver got %d requests, want the test send and the delivery", got.Load())
	}

	// Replay: the succeeded delivery's event goes again as a new delivery
	// linked to it; then the event goes to the endpoints subscribed now.
	before := got.Load()
	b.click(`#replay-form button`, "delivery")
	if n := b.text("p.notice"); !strings.HasPrefix(n, "This is the replay") {
		t.Fatalf("after replay: %q", n)
	}
	var replayID string
	b.eval(`document.querySelector("h1 code").textContent`, &replayID)
	if replayID == dlv || !strings.Contains(b.text("dl.facts"), "Replay of") {
		t.Fatalf("replay page of %q: %q", replayID, b.text("dl.facts"))
	}
	if d := b.waitDelivery("the replay succeeds", replayID, "succeeded"); d.ReplayOf != dlv {
		t.Fatalf("the replay's replay_of is %q, want %q", d.ReplayOf, dlv)
	}
	b.shot("delivery-replay")
	b.open("/console/deliveries/"+dlv, "delivery")
	b.run("choose the current subscribers", chromedp.SetValue("#replay-target", "current", chromedp.ByQuery))
	b.click(`#replay-event-form button`, "deliveries")
	if n := b.text("p.notice"); !strings.HasPrefix(n, "The event is sent again") {
		t.Fatalf("after event replay: %q", n)
	}
	harness.Eventually(t, "the event replay reaches the receiver", func() bool { return got.Load() >= before+2 })

	// Retry: a delivery waiting an hour for its next attempt is sent now.
	var failing atomic.Int64
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if failing.Add(1) == 1 {
			http.Error(w, "down", http.StatusInternalServerError)
		}
	}))
	t.Cleanup(bad.Close)
	if code := b.p.Call("POST", "/v1/webhooks", map[string]any{"url": bad.URL, "event_types": []string{"message.created"}, "retry_schedule": []string{"1h"}}, nil); code != http.StatusCreated {
		t.Fatalf("POST /v1/webhooks: %d", code)
	}
	msg := map[string]any{"id": "m1", "conversation_id": "c1", "role": "visitor", "text": "hi"}
	if code := b.p.Call("POST", "/v1/events", map[string]any{"type": "message.created", "data": map[string]any{"message": msg}}, &ev); code != http.StatusAccepted {
		t.Fatalf("POST /v1/events: %d", code)
	}
	retry := ev.Deliveries[0].ID
	b.waitDelivery("the first attempt fails", retry, "retrying")
	b.open("/console/deliveries/"+retry, "delivery")
	if a := b.text(`li[data-attempt="1"]`); !strings.Contains(a, "HTTP 500") {
		t.Fatalf("failed attempt: %q", a)
	}
	b.click(`form[action$="/retry"] button`, "delivery")
	if n := b.text("p.notice"); n != "Retry requested." {
		t.Fatalf("after retry: %q", n)
	}
	b.waitDelivery("the retry succeeds", retry, "succeeded")
	b.open("/console/deliveries/"+retry, "delivery")
	if a := b.text(`li[data-attempt="2"]`); !strings.Contains(a, "HTTP 200") {
		t.Fatalf("retried attempt: %q", a)
	}

	// Active toggle: off, and it stays off on a fresh load and in the API.
	b.open("/console/webhooks", "webhooks")
	b.click(`tr[data-webhook="`+whID+`"] form.toggle button`, "webhooks")
	b.open("/console/webhooks", "webhooks")
	if st := b.text(`tr[data-webhook="` + whID + `"] .badge`); st != "Inactive" {
		t.Fatalf("after turning off and reloading: %q", st)
	}
	var wh struct{ Active bool }
	if b.p.Call("GET", "/v1/webhooks/"+whID, nil, &wh); wh.Active {
		t.Fatal("the API still shows the webhook active")
	}
	b.shot("webhooks")

	// A post without the CSRF token is refused, and changes nothing.
	if st := b.fetchStatus("POST", "/console/webhooks/"+whID+"/active", "active=true"); st != http.StatusForbidden {
		t.Fatalf("post without a CSRF token: %d, want 403", st)
	}
	if b.p.Call("GET", "/v1/webhooks/"+whID, nil, &wh); wh.Active {
		t.Fatal("the refused post activated the webhook")
	}

	// Another org's IDs are a 404 page.
	ctx := t.Context()
	other, err := b.p.App.Services.Orgs.CreateOrg(ctx, "other")
	if err != nil {
		t.Fatal(err)
	}
	u := recv.URL + "/other"
	owh, err := b.p.App.Services.Webhooks.CreateWebhook(ctx, other.Org.ID, service.WebhookInput{URL: &u, EventTypes: &[]string{"contact.created"}})
	if err != nil {
		t.Fatal(err)
	}
	b.open("/console/webhooks/"+owh.ID, "error")
	if h := b.text("h1"); h != "Not found" {
		t.Fatalf("another org's webhook: %q", h)
	}
	if st := b.fetchStatus("GET", "/console/webhooks/"+owh.ID, ""); st != http.StatusNotFound {
		t.Fatalf("another org's webhook: %d, want 404", st)
	}
	b.shot("not-found")

	// Sign out: every page sends the browser back to sign in.
	b.open("/console/webhooks", "webhooks")
	b.click(`form.signout button`, "signin")
	if n := b.text("p.notice"); n != "You are signed out." {
		t.Fatalf("after sign-out: %q", n)
	}
	for _, p := range []string{"/console/webhooks", "/console/deliveries/" + dlv, "/console/backend-connect"} {
		b.open(p, "signin")
	}
	b.shot("signin")
}
