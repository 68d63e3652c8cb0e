package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

type replayResp struct {
	ID       string         `json:"id"`
	State    string         `json:"state"`
	Total    int            `json:"total"`
	Done     int            `json:"done"`
	Skipped  int            `json:"skipped"`
	Outcomes map[string]int `json:"outcomes"`
}

type replayedDelivery struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	ReplayOf string `json:"replay_of"`
}

// One delivery and one event replayed: new deliveries linked to the
// originals, sent again even after success; the originals are untouched.
func TestReplayDeliveryAndEvent(t *testing.T) {
	p := newPlatform(t)
	var healthy atomic.Bool
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(_ int, w http.ResponseWriter) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}
	w := p.createWebhook(r, map[string]any{"retry_schedule": []string{}})
	r.setSecret(w.Secret)
	ev := p.sendEvent(contactEvent)
	orig := ev.Deliveries[0].ID
	p.waitStatus(orig, models.StatusFailed)
	healthy.Store(true)

	var d replayedDelivery
	if code := p.call("POST", "/v1/deliveries/"+orig+"/replay", nil, &d); code != http.StatusAccepted || d.ReplayOf != orig || d.ID == orig {
		t.Fatalf("replay: %d %+v", code, d)
	}
	p.waitStatus(d.ID, models.StatusSucceeded)
	if o := p.waitStatus(orig, models.StatusFailed); len(o.Attempts) != 1 {
		t.Fatalf("the original changed: %+v", o)
	}
	// After success too.
	var again replayedDelivery
	if code := p.call("POST", "/v1/deliveries/"+d.ID+"/replay", nil, &again); code != http.StatusAccepted {
		t.Fatalf("replay of a succeeded delivery: %d", code)
	}
	p.waitStatus(again.ID, models.StatusSucceeded)

	// The event: to where it went, or to every endpoint subscribed now.
	r2 := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	w2 := p.createWebhook(r2, nil)
	r2.setSecret(w2.Secret)
	var out struct{ Deliveries []replayedDelivery }
	if code := p.call("POST", "/v1/events/"+ev.ID+"/replay", map[string]any{"target": "original"}, &out); code != http.StatusAccepted || len(out.Deliveries) != 1 {
		t.Fatalf("event replay (original): %d %+v", code, out)
	}
	if code := p.call("POST", "/v1/events/"+ev.ID+"/replay", map[string]any{"target": "current"}, &out); code != http.StatusAccepted || len(out.Deliveries) != 2 {
		t.Fatalf("event replay (current): %d %+v", code, out)
	}
	for _, d := range out.Deliveries {
		p.waitStatus(d.ID, models.StatusSucceeded)
	}
	if got := r2.next(t); !got.SigValid || got.Header.Get("Idempotency-Key") == "" {
		t.Fatalf("the new endpoint's replay is not signed: %+v", got.Header)
	}
	var e apiError
	if code := p.call("POST", "/v1/events/"+ev.ID+"/replay", map[string]any{"target": "everywhere"}, &e); code != 400 || e.Error.Field != "target" {
		t.Fatalf("bad target: %d %+v", code, e)
	}
	if code := p.call("POST", "/v1/deliveries/dlv_nope/replay", nil, &e); code != 404 {
		t.Fatalf("unknown delivery: %d", code)
	}
}

// strandFailed commits n failed deliveries of n events to webhookID, as
// if they had exhausted their attempts, without running anything.
func (p *platform) strandFailed(webhookID string, n int) []string {
	p.T().Helper()
	at := store.Now().Add(-time.Minute)
	ids := make([]string, 0, n)
	for range n {
		ev := models.Event{ID: models.NewID("evt"), OrgID: p.OrgID, Type: "contact.created", Data: []byte(`{"contact":{"id":"x"}}`), CreatedAt: at}
		d := models.Delivery{ID: models.NewID("dlv"), OrgID: p.OrgID, EventID: ev.ID, WebhookID: webhookID, EventType: ev.Type,
			Status: models.StatusFailed, Attempts: 1, CreatedAt: at, UpdatedAt: at}
		if _, err := p.App.Store.CreateEvent(p.T().Context(), &ev, []models.Delivery{d}, time.Hour); err != nil {
			p.T().Fatal(err)
		}
		ids = append(ids, d.ID)
	}
	return ids
}

// A bulk replay is a durable workflow: it survives its worker being shut
// down mid-way (a new worker resumes from the stored cursor), replays each
// delivery once, can be paused and resumed, and reports its progress.
func TestBulkReplaySurvivesWorkerRestartAndPauses(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.ReplayPage, cfg.ReplayRate = 5, 10
	cfg.EmbeddedWorker = false
	p := &platform{harness.Start(t, cfg, app.Parts{API: true})}
	startWorker := func() *app.App {
		a, err := app.Start(t.Context(), cfg, discardLog(), app.Parts{Worker: true})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	worker := startWorker()
	var mu sync.Mutex
	keys := map[string]int{}
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(_ int, _ http.ResponseWriter) {}
	w := p.createWebhook(r, nil)
	go func() {
		for got := range r.ch {
			mu.Lock()
			keys[got.Header.Get("Idempotency-Key")]++
			mu.Unlock()
		}
	}()
	originals := p.strandFailed(w.ID, 30)

	var rp replayResp
	if code := p.call("POST", "/v1/replays", map[string]any{"status": "failed", "webhook_id": w.ID}, &rp); code != http.StatusAccepted || rp.Total != 30 {
		t.Fatalf("create: %d %+v", code, rp)
	}
	get := func() replayResp {
		var out replayResp
		p.call("GET", "/v1/replays/"+rp.ID, nil, &out)
		return out
	}
	eventually(t, "the first pages", func() bool { return get().Done >= 5 })
	worker.Close() // mid-replay: the run waits for a worker
	mid := get().Done
	worker = startWorker()
	defer worker.Close()

	eventually(t, "more pages after the restart", func() bool { return get().Done > mid })
	if code := p.call("POST", "/v1/replays/"+rp.ID+"/pause", nil, nil); code != http.StatusAccepted {
		t.Fatalf("pause: %d", code)
	}
	eventually(t, "paused", func() bool { return get().State == "paused" })
	held := get().Done
	time.Sleep(1500 * time.Millisecond) // more than a page's pace
	if now := get(); now.Done != held || now.State != "paused" {
		t.Fatalf("a paused replay went on: %d -> %+v", held, now)
	}
	if code := p.call("POST", "/v1/replays/"+rp.ID+"/resume", nil, nil); code != http.StatusAccepted {
		t.Fatalf("resume: %d", code)
	}
	eventually(t, "completed", func() bool { return get().State == "completed" })
	final := get()
	eventually(t, "every replay delivered", func() bool { final = get(); return final.Outcomes["succeeded"] == 30 })
	if final.Done != 30 || final.Skipped != 0 || len(final.Outcomes) != 1 {
		t.Fatalf("final: %+v", final)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(keys) != 30 {
		t.Fatalf("receiver saw %d distinct deliveries, want 30", len(keys))
	}
	for k, n := range keys {
		if n != 1 {
			t.Fatalf("delivery %s arrived %d times", k, n)
		}
	}
	for _, id := range originals[:3] {
		if d := p.waitStatus(id, models.StatusFailed); d.Delivery.Attempts != 1 {
			t.Fatalf("original %s changed: %+v", id, d)
		}
	}
	if code := p.call("POST", "/v1/replays/"+rp.ID+"/pause", nil, nil); code != http.StatusConflict {
		t.Fatalf("pausing a finished replay: %d", code)
	}
	recordHistory(t, "bulk_replay_paused_resumed", runHistory(t, p, "replay-"+rp.ID, ""))
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
