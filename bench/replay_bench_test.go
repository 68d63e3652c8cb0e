package bench

import (
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// BenchmarkBulkReplay commits BENCH_REPLAY failed deliveries (default
// 10,000) to a healthy loopback endpoint, as if they had exhausted their
// attempts, and replays them with POST /v1/replays at BENCH_REPLAY_RATE
// deliveries/s (default 50; SWITCHBOARD_REPLAY_RATE defaults to 20) while
// live traffic (one event every 100 ms to another endpoint) runs. It
// reports the time to drain (POST /v1/replays to the last replay arriving)
// and the live deliveries' latency, idle (10 s before the replay) and
// during it.
func BenchmarkBulkReplay(b *testing.B) {
	n := envInt("BENCH_REPLAY", 10000)
	cfg := harness.ConfigAt(b, temporalAddr)
	cfg.ReplayRate = float64(envInt("BENCH_REPLAY_RATE", 50))
	p := harness.New(b, cfg)
	for range b.N {
		replayed, hook := subscribe(b, p, p.Key, "conversation.created", n)
		seedFailed(b, p, hook, n)
		liveArr, _ := subscribe(b, p, p.Key, "contact.created", -1)

		idle := startTrickle(b, p, p.Key, 100*time.Millisecond)
		time.Sleep(10 * time.Second)
		report(b, "live_idle_", idle.latencies(b, liveArr))

		live := startTrickle(b, p, p.Key, 100*time.Millisecond)
		start := time.Now()
		var rp struct{ ID string }
		if code := p.Call("POST", "/v1/replays", map[string]any{"status": "failed", "webhook_id": hook}, &rp); code != http.StatusAccepted {
			b.Fatalf("create replay: %d", code)
		}
		select {
		case <-replayed.done:
		case <-time.After(30 * time.Minute):
			b.Fatalf("only %d of %d replays arrived", len(replayed.at), n)
		}
		drain := time.Since(start)
		report(b, "live_during_replay_", live.latencies(b, liveArr))
		b.ReportMetric(drain.Seconds(), "drain_s")
		b.ReportMetric(float64(n)/drain.Seconds(), "replayed/s")
		b.Logf("%d replays drained in %s (%.1f/s at REPLAY_RATE %.0f)", n, drain.Round(time.Millisecond), float64(n)/drain.Seconds(), cfg.ReplayRate)
	}
}

// seedFailed commits n failed conversation.created deliveries, one event each,
// to webhookID, from 8 writers.
func seedFailed(b *testing.B, p *harness.Platform, webhookID string, n int) {
	at := store.Now().Add(-time.Minute)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := w; i < n; i += 8 {
				ev := models.Event{ID: models.NewID("evt"), OrgID: p.OrgID, Type: "conversation.created",
					Data: []byte(`{"contact":{"id":"` + strconv.Itoa(i) + `"}}`), CreatedAt: at}
				d := models.Delivery{ID: models.NewID("dlv"), OrgID: p.OrgID, EventID: ev.ID, WebhookID: webhookID, EventType: ev.Type,
					Status: models.StatusFailed, Attempts: 1, CreatedAt: at, UpdatedAt: at}
				if _, err := p.App.Store.CreateEvent(b.Context(), &ev, []models.Delivery{d}, time.Hour); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}
