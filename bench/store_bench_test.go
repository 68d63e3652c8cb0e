package bench

import (
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// BenchmarkStoreWrites prices the two writes every delivery makes, on
// PostgreSQL and without Temporal: the ingest's event with its delivery
// (store.CreateEvent, no idempotency key) and an attempt with its
// delivery's new state (store.RecordAttempt). BENCH_STORE_WRITES (default
// 2000) of each, one at a time (the latency of one write: round trips to
// the database, not its throughput), then the same number from 16 writers
// at once (writes/s). What it compares is the number of round trips per
// write, so run it against two builds, alternating.
func BenchmarkStoreWrites(b *testing.B) {
	st := storetest.Open(b, testenv.Postgres(b), "")
	ctx := b.Context()
	org := models.Org{ID: models.NewID("org"), Name: "bench", CreatedAt: store.Now()}
	if err := st.CreateOrg(ctx, &org); err != nil {
		b.Fatal(err)
	}
	w := models.Webhook{ID: models.NewID("wh"), OrgID: org.ID, URL: "https://a.example", EventTypes: []string{"contact.created"},
		Active: true, Source: "api", SigningScheme: models.SchemeHexHMAC, SignatureHeader: "X-Sig", Secret: models.NewSecret("s3cret"),
		RetrySchedule: []models.Duration{models.Duration(time.Second)}, CreatedAt: store.Now(), UpdatedAt: store.Now()}
	if err := st.CreateWebhook(ctx, &w); err != nil {
		b.Fatal(err)
	}
	n := envInt("BENCH_STORE_WRITES", 2000)

	ingest := func() string {
		ev := models.Event{ID: models.NewID("evt"), OrgID: org.ID, Type: "contact.created", Data: []byte(`{"contact":{"id":"c1","email":"ada@example.com"}}`), CreatedAt: store.Now()}
		d := models.Delivery{ID: models.NewID("dlv"), OrgID: org.ID, EventID: ev.ID, WebhookID: w.ID, EventType: ev.Type,
			Status: models.StatusPending, CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt}
		if _, err := st.CreateEvent(ctx, &ev, []models.Delivery{d}, time.Hour); err != nil {
			b.Fatal(err)
		}
		return d.ID
	}
	attempt := func(deliveryID string) {
		a := &models.Attempt{ParentID: deliveryID, Number: 1, URL: w.URL, ResponseStatus: 200, DurationMicros: 900, CreatedAt: store.Now()}
		u := store.DeliveryUpdate{Status: models.StatusSucceeded, Completed: true, LastStatusCode: 200, WebhookID: w.ID, Healthy: true, Clean: true}
		if err := st.RecordAttempt(ctx, a, u); err != nil {
			b.Fatal(err)
		}
	}
	timed := func(f func()) time.Duration { t := time.Now(); f(); return time.Since(t) }

	for range b.N {
		var ingests, attempts []time.Duration
		for range n {
			var id string
			ingests = append(ingests, timed(func() { id = ingest() }))
			attempts = append(attempts, timed(func() { attempt(id) }))
		}
		report(b, "ingest_write_", ingests)
		report(b, "attempt_write_", attempts)

		// 16 writers, each an ingest then its attempt, n pairs in all.
		jobs := make(chan struct{})
		var wg sync.WaitGroup
		start := time.Now()
		for range 16 {
			wg.Go(func() {
				for range jobs {
					attempt(ingest())
				}
			})
		}
		for range n {
			jobs <- struct{}{}
		}
		close(jobs)
		wg.Wait()
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "parallel_pairs/s")
	}
}
