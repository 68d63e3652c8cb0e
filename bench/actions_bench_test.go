package bench

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/harness"
)

// keyArrivals counts first arrivals by Idempotency-Key (the delivery ID),
// which every delivery carries whatever its body, so events and actions
// are timed the same way.
type keyArrivals struct {
	mu   sync.Mutex
	seen map[string]bool
	last time.Time
	done chan struct{}
	want int
}

func (a *keyArrivals) ServeHTTP(_ http.ResponseWriter, r *http.Request) {
	now := time.Now()
	k := r.Header.Get("Idempotency-Key")
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[k] {
		return
	}
	a.seen[k], a.last = true, now
	if len(a.seen) == a.want {
		close(a.done)
	}
}

// BenchmarkActionsVsEvents sends a burst of BENCH_ACTIONS (default 2000)
// referral_create actions from BENCH_CONCURRENCY clients (default 16) to
// one app with custom attributes (an override with a filter, a date, fixed
// text) and a criteria, and in the same run the same burst of events to
// one webhook, and reports both deliveries/s and their ratio: what
// rendering (at ingest the criteria, in the activity the payload) costs.
func BenchmarkActionsVsEvents(b *testing.B) {
	p := harness.New(b, harness.ConfigAt(b, temporalAddr))
	n, clients := envInt("BENCH_ACTIONS", 2000), envInt("BENCH_CONCURRENCY", 16)
	for range b.N {
		events := burst(b, p, n, clients, func(rcv string) (string, func()) {
			var wh struct{ ID string }
			if code := p.Call("POST", "/v1/webhooks", map[string]any{"url": rcv, "event_types": []string{"contact.created"}}, &wh); code != 201 {
				b.Fatalf("create webhook: %d", code)
			}
			return "/v1/events", func() { p.Call("DELETE", "/v1/webhooks/"+wh.ID, nil, nil) }
		}, map[string]any{"type": "contact.created", "data": map[string]any{"contact": map[string]any{"id": "c", "email": "advocate@example.com"}}})
		actions := burst(b, p, n, clients, func(rcv string) (string, func()) {
			var app struct{ ID string }
			body := map[string]any{"name": "bench", "url": rcv, "actions": map[string]any{"referral_create": map[string]any{
				"attributes": map[string]string{
					"advocate_email": "{{ advocate_email | upcase }}",
					"created":        `{{ referral.created_at | date: "%Y-%m-%d" }}`,
					"source":         "bench",
				},
				"criteria": `{% if referral_status == "in_progress" %}true{% endif %}`,
			}}}
			if code := p.Call("POST", "/v1/apps", body, &app); code != 201 {
				b.Fatalf("create app: %d", code)
			}
			return "/v1/actions/referral_create", func() { p.Call("DELETE", "/v1/apps/"+app.ID, nil, nil) }
		}, map[string]any{"variables": map[string]any{
			"site_id": "1", "campaign_id": "142", "referral_status": "in_progress", "advocate_email": "advocate@example.com",
			"friend_email": "friend@example.com", "referral": map[string]any{"status": "in_progress", "created_at": "2024-11-25 00:00:00 -0800"},
		}})
		b.ReportMetric(events, "event_deliveries/s")
		b.ReportMetric(actions, "action_deliveries/s")
		b.ReportMetric(actions/events, "actions/events")
		b.Logf("burst of %d from %d clients: events %.1f deliveries/s, actions %.1f deliveries/s, ratio %.2f", n, clients, events, actions, actions/events)
	}
}

// burst posts body n times to the route setup returns (after setup
// created the target on a fresh receiver) and returns deliveries/s from
// the first POST to the last arrival.
func burst(b *testing.B, p *harness.Platform, n, clients int, setup func(rcv string) (string, func()), body any) float64 {
	arr := &keyArrivals{seen: map[string]bool{}, done: make(chan struct{}), want: n}
	rcv := httptest.NewServer(arr)
	defer rcv.Close()
	route, teardown := setup(rcv.URL)
	defer teardown()
	start := time.Now()
	fanOut(n, clients, func(int) {
		if code := p.Call("POST", route, body, nil); code != http.StatusAccepted {
			b.Errorf("POST %s: %d", route, code)
		}
	})
	select {
	case <-arr.done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d deliveries arrived", len(arr.seen), n)
	}
	arr.mu.Lock()
	defer arr.mu.Unlock()
	return float64(n) / arr.last.Sub(start).Seconds()
}
