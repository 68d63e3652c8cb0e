package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/store"
)

// Scale-out on one engine: two API processes and two worker processes on
// one task queue and one Temporal server. A burst posted to both APIs is
// shared by both workers, one worker is shut down mid-burst, and every
// delivery still arrives exactly once.
func TestTwoAPIsTwoWorkersShareTheLoad(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.EmbeddedWorker = false
	apiA := &platform{harness.Start(t, cfg, app.Parts{API: true})}
	apiB := &platform{harness.Start(t, cfg, app.Parts{API: true})}
	var ran [2]atomic.Int64
	workers := make([]*app.App, 2)
	for i := range workers {
		a, err := app.Start(t.Context(), cfg, discardLog(), app.Parts{Worker: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Close)
		// Every attempt reads its worker's clock: count the reads to see
		// which workers ran attempts.
		a.Activities.Now = func() time.Time { ran[i].Add(1); return store.Now() }
		workers[i] = a
	}
	var mu sync.Mutex
	got := map[string]int{}
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(_ int, _ http.ResponseWriter) { time.Sleep(5 * time.Millisecond) }
	apiA.createWebhook(r, nil)
	go func() {
		for rec := range r.ch {
			mu.Lock()
			got[rec.Header.Get("Idempotency-Key")]++
			mu.Unlock()
		}
	}()
	const n = 120
	var wg sync.WaitGroup
	ids := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			base := apiA.URL
			if i%2 == 1 {
				base = apiB.URL // the same org's key works on either API process
			}
			var ev eventResp
			if code := postEvent(t, base, apiA.Key, &ev); code != http.StatusAccepted {
				t.Errorf("event %d: %d", i, code)
				return
			}
			ids <- ev.Deliveries[0].ID
		})
		if i == n/2 {
			eventually(t, "deliveries under way", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) > 10 })
			workers[0].Close() // mid-burst: the other worker takes the rest
		}
	}
	wg.Wait()
	close(ids)
	want := map[string]bool{}
	for id := range ids {
		want[id] = true
	}
	eventually(t, "every delivery arrived", func() bool { mu.Lock(); defer mu.Unlock(); return len(got) >= len(want) })
	mu.Lock()
	defer mu.Unlock()
	for id := range want {
		if got[id] < 1 {
			t.Fatalf("delivery %s never arrived", id)
		}
	}
	dups := 0
	for id, c := range got {
		if !want[id] {
			t.Fatalf("unexpected delivery %s", id)
		}
		// A workflow task in flight on the stopped worker may run its
		// local attempt again elsewhere: the same Idempotency-Key, as the
		// contract allows.
		dups += c - 1
	}
	t.Logf("%d deliveries, %d repeated with the same Idempotency-Key; clock reads by worker A / B: %d / %d", len(want), dups, ran[0].Load(), ran[1].Load())
	if ran[0].Load() == 0 || ran[1].Load() == 0 {
		t.Fatalf("work not shared: worker A %d, worker B %d clock reads", ran[0].Load(), ran[1].Load())
	}
}

// postEvent posts contactEvent to one API process with key.
func postEvent(t *testing.T, base, key string, out *eventResp) int {
	t.Helper()
	raw, _ := json.Marshal(contactEvent)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", base+"/v1/events", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0
	}
	defer resp.Body.Close()
	_ = json.NewDecoder(resp.Body).Decode(out)
	return resp.StatusCode
}
