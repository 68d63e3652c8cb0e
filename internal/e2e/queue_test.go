package e2e

import (
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/harness"
)

// queuedPlatform is an API process and two worker processes on one task
// queue: the limit and the order must hold across workers.
func queuedPlatform(t *testing.T) *platform {
	cfg := harness.Config(t, temporalServer)
	cfg.EmbeddedWorker = false
	p := &platform{harness.Start(t, cfg, app.Parts{API: true})}
	for range 2 {
		a, err := app.Start(t.Context(), cfg, discardLog(), app.Parts{Worker: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
	}
	return p
}

type arrival struct {
	key string
	at  time.Time
}

func collect(r *receiver) (func() []arrival, *sync.Mutex) {
	var mu sync.Mutex
	var got []arrival
	go func() {
		for rec := range r.ch {
			mu.Lock()
			got = append(got, arrival{rec.Header.Get("Idempotency-Key"), time.Now()})
			mu.Unlock()
		}
	}()
	return func() []arrival { mu.Lock(); defer mu.Unlock(); return append([]arrival(nil), got...) }, &mu
}

// A rate-limited endpoint gets its deliveries no faster than its limit,
// with two workers running them (both checks are bounds a slow machine
// only makes easier to meet).
func TestEndpointRateLimitHoldsAcrossWorkers(t *testing.T) {
	p := queuedPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	w := p.createWebhook(r, map[string]any{"rate_limit": 5})
	if w.ID == "" {
		t.Fatal("no endpoint")
	}
	arrivals, _ := collect(r)
	const n = 11
	for range n {
		p.sendEvent(contactEvent)
	}
	eventually(t, "every delivery arrived", func() bool { return len(arrivals()) >= n })
	got := arrivals()
	if len(got) != n {
		t.Fatalf("%d arrivals for %d deliveries", len(got), n)
	}
	spread := got[n-1].at.Sub(got[0].at)
	if min := time.Duration(float64(n-1) / 5 * 0.9 * float64(time.Second)); spread < min {
		t.Fatalf("%d deliveries at 5/s arrived within %v, want at least %v", n, spread, min)
	}
	// The queue paces in one-second windows of 5: no 0.9 s stretch of
	// arrivals (a 10 % margin for network jitter) may hold more than 5.
	for i := range got {
		in := 0
		for j := i; j < n && got[j].at.Sub(got[i].at) < 900*time.Millisecond; j++ {
			in++
		}
		if in > 5 {
			t.Fatalf("%d deliveries within 0.9 s from arrival %d: the 5/s limit did not hold", in, i)
		}
	}
	t.Logf("%d deliveries at a 5/s limit spread over %v (%.2f/s)", n, spread, float64(n-1)/spread.Seconds())
}

// FIFO: deliveries arrive in ingest order, one at a time; a failing head
// blocks the line until it succeeds.
func TestEndpointFIFOKeepsOrderAcrossWorkers(t *testing.T) {
	p := queuedPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(n int, w http.ResponseWriter) {
		if n <= 2 { // the head fails twice, then succeeds on its third attempt
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}
	w := p.createWebhook(r, map[string]any{"fifo": true, "retry_schedule": []string{"1s", "1s"}})
	arrivals, _ := collect(r)
	var order []string
	for range 6 {
		order = append(order, p.sendEvent(contactEvent).Deliveries[0].ID)
	}
	eventually(t, "every delivery arrived", func() bool { return len(arrivals()) >= len(order)+2 })
	var seen []string
	for _, a := range arrivals() {
		if len(seen) == 0 || seen[len(seen)-1] != a.key {
			seen = append(seen, a.key)
		}
	}
	if len(seen) != len(order) {
		t.Fatalf("arrival runs %v, want %v (a delivery overtook the blocked head or came twice)", seen, order)
	}
	for i := range order {
		if seen[i] != order[i] {
			t.Fatalf("arrival order %v, want ingest order %v", seen, order)
		}
	}
	// The queue's run so far (it waits for more work): record its shape.
	recordHistory(t, "endpoint_queue_fifo", fetchHistory(t, p.App.Temporal, contracts.EndpointQueueWorkflowID(w.ID)))
}
