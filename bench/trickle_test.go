package bench

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/harness"
)

// contactEvent is the body of every event the benchmarks post.
var contactEvent = map[string]any{"type": "contact.created", "data": map[string]any{"contact": map[string]any{"id": "c"}}}

// subscribe creates a webhook of the org with key for eventType, pointed
// at a new loopback receiver recording arrivals (want: how many close its
// done channel; -1 never). It returns the receiver and the webhook's ID.
func subscribe(b *testing.B, p *harness.Platform, key, eventType string, want int) (*arrivals, string) {
	arr := &arrivals{at: map[string]time.Time{}, done: make(chan struct{}), want: want}
	rcv := httptest.NewServer(arr)
	b.Cleanup(rcv.Close)
	var wh struct{ ID string }
	if code := p.CallWith(key, "POST", "/v1/webhooks", map[string]any{"url": rcv.URL, "event_types": []string{eventType}}, &wh); code != http.StatusCreated {
		b.Fatalf("create webhook: %d", code)
	}
	return arr, wh.ID
}

// postEvent posts one contact.created event with key and returns its ID
// and when the request was sent.
func postEvent(b *testing.B, p *harness.Platform, key string) (string, time.Time) {
	var ev struct{ ID string }
	sent := time.Now()
	if code := p.CallWith(key, "POST", "/v1/events", contactEvent, &ev); code != http.StatusAccepted {
		b.Errorf("post event: %d", code)
	}
	return ev.ID, sent
}

// trickle is live traffic: one event every gap, from start until stop.
type trickle struct {
	sent map[string]time.Time
	stop chan struct{}
	wg   sync.WaitGroup
}

func startTrickle(b *testing.B, p *harness.Platform, key string, gap time.Duration) *trickle {
	t := &trickle{sent: map[string]time.Time{}, stop: make(chan struct{})}
	t.wg.Go(func() {
		tick := time.NewTicker(gap)
		defer tick.Stop()
		for {
			select {
			case <-t.stop:
				return
			case <-tick.C:
				id, sent := postEvent(b, p, key)
				t.sent[id] = sent
			}
		}
	})
	return t
}

// latencies stops the trickle, waits for its deliveries at arr and
// returns each one's time from POST sent to arrival.
func (t *trickle) latencies(b *testing.B, arr *arrivals) []time.Duration {
	close(t.stop)
	t.wg.Wait()
	harness.Eventually(b, "the live deliveries", func() bool {
		arr.mu.Lock()
		defer arr.mu.Unlock()
		return len(arr.at) >= len(t.sent)
	})
	arr.mu.Lock()
	defer arr.mu.Unlock()
	lat := make([]time.Duration, 0, len(t.sent))
	for id, sent := range t.sent {
		lat = append(lat, arr.at[id].Sub(sent))
	}
	return lat
}
