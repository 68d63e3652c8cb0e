package console_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Operations: an inactive endpoint keeps its events (skipped) and Enable
// sends them; a bulk replay started from the page shows its progress to
// completion.
func TestConsoleBrowserOperations(t *testing.T) {
	b := newBrowser(t)
	var failing atomic.Bool
	failing.Store(true)
	var got atomic.Int64
	recv := newFlakyReceiver(t, &failing, &got)
	var wh struct{ ID string }
	if code := b.p.Call("POST", "/v1/webhooks", map[string]any{"url": recv, "event_types": []string{"contact.created"}, "retry_schedule": []string{}}, &wh); code != http.StatusCreated {
		t.Fatalf("create webhook: %d", code)
	}
	event := map[string]any{"type": "contact.created", "data": map[string]any{"contact": map[string]any{"id": "ct_1"}}}
	var ev struct {
		Deliveries []struct{ ID string } `json:"deliveries"`
	}
	b.p.Call("POST", "/v1/events", event, &ev)
	b.waitDelivery("the delivery fails", ev.Deliveries[0].ID, "failed")
	// Off: the next event is kept as a skipped delivery.
	b.p.Call("PATCH", "/v1/webhooks/"+wh.ID, map[string]any{"active": false}, nil)
	b.p.Call("POST", "/v1/events", event, &ev)
	skipped := ev.Deliveries[0].ID
	b.waitDelivery("the delivery is skipped", skipped, "skipped")
	failing.Store(false)

	b.signIn()
	b.open("/console/operations", "operations")
	if row := b.text(`tr[data-webhook="` + wh.ID + `"]`); !strings.Contains(row, "inactive") {
		t.Fatalf("endpoint row: %q", row)
	}
	b.shot("operations")
	b.click(`tr[data-webhook="`+wh.ID+`"] form button`, "operations")
	if n := b.text("p.notice"); n != "The endpoint is enabled." {
		t.Fatalf("after enable: %q", n)
	}
	b.waitDelivery("the skipped delivery succeeds", skipped, "succeeded")

	b.click(`#replay-form button[type="submit"]`, "operations")
	if n := b.text("p.notice"); n != "The replay started." {
		t.Fatalf("after start: %q", n)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		b.open("/console/operations", "operations")
		row := b.text("#replays tbody tr")
		if strings.Contains(row, "completed") && strings.Contains(row, "1 / 1") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replay row never completed: %q", row)
		}
		b.run("wait", chromedp.Sleep(300*time.Millisecond))
	}
	// The failed delivery, the skipped one sent on enable, and the replay.
	if n := got.Load(); n != 3 {
		t.Fatalf("receiver got %d requests, want 3", n)
	}
}

func newFlakyReceiver(t *testing.T, failing *atomic.Bool, got *atomic.Int64) string {
	srv := newServer(t, func(w http.ResponseWriter, _ *http.Request) {
		got.Add(1)
		if failing.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	return srv + "/hook"
}

func newServer(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}
