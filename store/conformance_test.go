package store_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// conform runs one conformance case against every store implementation
// (forEachBackend in store_test.go: SQLite and PostgreSQL).
func conform(t *testing.T, name string, fn func(t *testing.T, st *store.Store)) {
	t.Run(name, func(t *testing.T) { forEachBackend(t, fn) })
}

func seedOrg(t *testing.T, st *store.Store) (models.Org, models.Webhook) {
	t.Helper()
	org := models.Org{ID: models.NewID("org"), Name: "o", CreatedAt: store.Now()}
	key := &models.APIKey{ID: models.NewID("key"), OrgID: org.ID, Kind: models.KeyKindSecret, Hash: models.RandomToken(32), Prefix: "sb_sk_", CreatedAt: store.Now()}
	if err := st.CreateOrg(t.Context(), &org, key); err != nil {
		t.Fatal(err)
	}
	w := models.Webhook{ID: models.NewID("wh"), OrgID: org.ID, URL: "https://a.example", EventTypes: []string{"contact.created"},
		Active: true, Source: "api", SigningScheme: models.SchemeHexHMAC, SignatureHeader: "X-Sig", Secret: models.NewSecret("s3cret"),
		RetrySchedule: []models.Duration{models.Duration(time.Second)}, CreatedAt: store.Now(), UpdatedAt: store.Now()}
	if err := st.CreateWebhook(t.Context(), &w); err != nil {
		t.Fatal(err)
	}
	return org, w
}

func newEvent(orgID, key string, at time.Time) *models.Event {
	ev := &models.Event{ID: models.NewID("evt"), OrgID: orgID, Type: "contact.created", Data: []byte(`{"contact":{"id":"1"}}`), CreatedAt: at}
	if key != "" {
		ev.IdempotencyKey = &key
	}
	return ev
}

func delivery(ev *models.Event, whID string) models.Delivery {
	return models.Delivery{ID: models.NewID("dlv"), OrgID: ev.OrgID, EventID: ev.ID, WebhookID: whID, EventType: ev.Type,
		Status: models.StatusPending, CreatedAt: ev.CreatedAt, UpdatedAt: ev.CreatedAt}
}

func TestStoreConformance(t *testing.T) {
	conform(t, "webhooks round-trip and scope", func(t *testing.T, st *store.Store) {
		org, w := seedOrg(t, st)
		got, err := st.GetWebhook(t.Context(), org.ID, w.ID)
		if err != nil || reveal(got.Secret) != "s3cret" || len(got.RetrySchedule) != 1 || !got.CreatedAt.Equal(w.CreatedAt) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		if _, err := st.GetWebhook(t.Context(), "org_other", w.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other org: %v", err)
		}
		subs, err := st.ActiveSubscribers(t.Context(), org.ID, "contact.created")
		if err != nil || len(subs) != 1 {
			t.Fatalf("subscribers: %v %v", subs, err)
		}
		if err := st.DeactivateWebhook(t.Context(), w.ID, "gone"); err != nil {
			t.Fatal(err)
		}
		if subs, _ := st.ActiveSubscribers(t.Context(), org.ID, "contact.created"); len(subs) != 0 {
			t.Fatal("inactive endpoint still subscribed")
		}
		if err := st.DeleteWebhook(t.Context(), org.ID, w.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteWebhook(t.Context(), org.ID, w.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
	})

	conform(t, "duplicate key is a conflict", func(t *testing.T, st *store.Store) {
		org, _ := seedOrg(t, st)
		dup := models.Org{ID: org.ID, Name: "again", CreatedAt: store.Now()}
		if err := st.CreateOrg(t.Context(), &dup); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("want ErrConflict, got %v", err)
		}
	})

	conform(t, "idempotency window", func(t *testing.T, st *store.Store) {
		org, w := seedOrg(t, st)
		old := newEvent(org.ID, "k", store.Now().Add(-25*time.Hour))
		if _, err := st.CreateEvent(t.Context(), old, []models.Delivery{delivery(old, w.ID)}, 24*time.Hour); err != nil {
			t.Fatal(err)
		}
		// Older than the window: the key is free again.
		fresh := newEvent(org.ID, "k", store.Now())
		res, err := st.CreateEvent(t.Context(), fresh, []models.Delivery{delivery(fresh, w.ID)}, 24*time.Hour)
		if err != nil || res.Duplicate || res.Event.ID != fresh.ID {
			t.Fatalf("fresh: %+v %v", res, err)
		}
		again := newEvent(org.ID, "k", store.Now())
		res, err = st.CreateEvent(t.Context(), again, []models.Delivery{delivery(again, w.ID)}, 24*time.Hour)
		if err != nil || !res.Duplicate || res.Event.ID != fresh.ID || len(res.Deliveries) != 1 {
			t.Fatalf("repeat: %+v %v", res, err)
		}
	})

	conform(t, "concurrent same key stores one event", func(t *testing.T, st *store.Store) {
		org, w := seedOrg(t, st)
		var wg sync.WaitGroup
		ids := make(chan string, 8)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ev := newEvent(org.ID, "race", store.Now())
				res, err := st.CreateEvent(t.Context(), ev, []models.Delivery{delivery(ev, w.ID)}, time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				ids <- res.Event.ID
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			seen[id] = true
		}
		if len(seen) != 1 {
			t.Fatalf("%d distinct events for one key", len(seen))
		}
	})

	conform(t, "attempts, status and keyset pages", func(t *testing.T, st *store.Store) {
		org, w := seedOrg(t, st)
		base := store.Now().Add(-time.Hour)
		var ids []string
		for i := range 5 {
			ev := newEvent(org.ID, "", base.Add(time.Duration(i)*time.Second))
			d := delivery(ev, w.ID)
			if _, err := st.CreateEvent(t.Context(), ev, []models.Delivery{d}, time.Hour); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, d.ID)
		}
		a := &models.Attempt{ParentID: ids[0], Number: 1, URL: w.URL, ResponseStatus: 500, RequestHeaders: map[string]string{"A": "b"}, CreatedAt: store.Now()}
		if err := st.RecordAttempt(t.Context(), a, store.DeliveryUpdate{Status: models.StatusRetrying, LastStatusCode: 500}); err != nil {
			t.Fatal(err)
		}
		// Re-recording the same attempt number overwrites, never duplicates.
		a2 := &models.Attempt{ParentID: ids[0], Number: 1, URL: w.URL, ResponseStatus: 200, CreatedAt: store.Now()}
		if err := st.RecordAttempt(t.Context(), a2, store.DeliveryUpdate{Status: models.StatusSucceeded, LastStatusCode: 200, Completed: true}); err != nil {
			t.Fatal(err)
		}
		as, _ := st.Attempts(t.Context(), ids[0])
		d, _ := st.DeliveryByID(t.Context(), ids[0])
		if len(as) != 1 || as[0].ResponseStatus != 200 || d.Status != models.StatusSucceeded || d.Attempts != 1 || d.CompletedAt == nil {
			t.Fatalf("after attempts: %+v %+v", as, d)
		}
		stranded, err := st.Undispatched(t.Context(), store.Now(), 100)
		if err != nil || len(stranded) != 4 {
			t.Fatalf("undispatched: %d %v", len(stranded), err)
		}
		// Rows the sweeper handed to Temporal are not swept again.
		if err := st.MarkSwept(t.Context(), []string{ids[1], ids[2]}); err != nil {
			t.Fatal(err)
		}
		if stranded, err = st.Undispatched(t.Context(), store.Now(), 100); err != nil || len(stranded) != 2 || stranded[0].ID != ids[3] {
			t.Fatalf("undispatched after marking: %+v %v", stranded, err)
		}
		var got []string
		cursor := ""
		for page := 0; ; page++ {
			ds, next, err := st.ListDeliveries(t.Context(), store.DeliveryFilter{OrgID: org.ID, Limit: 2, Cursor: cursor})
			if err != nil || page > 5 {
				t.Fatalf("page %d: %v", page, err)
			}
			for _, d := range ds {
				got = append(got, d.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if fmt.Sprint(got) != fmt.Sprint([]string{ids[4], ids[3], ids[2], ids[1], ids[0]}) {
			t.Fatalf("pages out of order: %v", got)
		}
		ds, _, _ := st.ListDeliveries(t.Context(), store.DeliveryFilter{OrgID: org.ID, Limit: 10, Status: models.StatusSucceeded})
		if len(ds) != 1 {
			t.Fatalf("status filter: %d", len(ds))
		}
		if ds, _, err := st.ListDeliveries(t.Context(), store.DeliveryFilter{OrgID: org.ID, Limit: 10, Status: models.StatusPending}); err != nil || len(ds) != 4 {
			t.Fatalf("pending filter: %d %v", len(ds), err)
		}
		// A status no delivery can have is bad input, not an empty page.
		var verr *models.ValidationError
		_, _, err = st.ListDeliveries(t.Context(), store.DeliveryFilter{OrgID: org.ID, Limit: 10, Status: "done"})
		if !errors.As(err, &verr) || verr.Field != "status" || verr.Code != "invalid_request" ||
			verr.Message != "must be pending, retrying, succeeded, failed, cancelled or skipped" {
			t.Fatalf("unknown status filter: %v", err)
		}
		ds, _, _ = st.ListDeliveries(t.Context(), store.DeliveryFilter{OrgID: org.ID, Limit: 10, Since: base.Add(3 * time.Second)})
		if len(ds) != 2 {
			t.Fatalf("since filter: %d", len(ds))
		}
	})
}
