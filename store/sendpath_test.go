package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// TestSendPathConformance covers the joined reads on the hot paths (every
// API request authenticates, every attempt loads its delivery) and the
// attempt's health write, on both backends: the joins return what the
// separate reads returned, serialized columns included, and a missing
// endpoint or an app's delivery has no endpoint.
func TestSendPathConformance(t *testing.T) {
	conform(t, "key by hash joins its org", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org := models.Org{ID: models.NewID("org"), Name: "acme", CORSOrigins: []string{"https://a.example", "*"}, RetentionDays: 7, CreatedAt: store.Now()}
		key := &models.APIKey{ID: models.NewID("key"), OrgID: org.ID, Kind: models.KeyKindPublic, Hash: models.RandomToken(32), Prefix: "sb_pk_", CreatedAt: store.Now()}
		if err := st.CreateOrg(ctx, &org, key); err != nil {
			t.Fatal(err)
		}
		seedOrg(t, st) // another org and key, which the join must not pick
		gotKey, gotOrg, err := st.KeyByHash(ctx, key.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if gotKey.ID != key.ID || gotKey.OrgID != org.ID || gotKey.Kind != models.KeyKindPublic || gotKey.Hash != key.Hash || gotKey.Prefix != "sb_pk_" {
			t.Fatalf("key: %+v", gotKey)
		}
		if gotOrg.ID != org.ID || gotOrg.Name != "acme" || !slices.Equal(gotOrg.CORSOrigins, org.CORSOrigins) || gotOrg.RetentionDays != 7 || !gotOrg.CreatedAt.Equal(org.CreatedAt) {
			t.Fatalf("org: %+v", gotOrg)
		}
		if _, _, err := st.KeyByHash(ctx, "no such hash"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown hash: %v", err)
		}
	})

	conform(t, "delivery to send joins its event and endpoint", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, w := seedOrg(t, st)
		ev := newEvent(org.ID, "k1", store.Now())
		d := delivery(ev, w.ID)
		if _, err := st.CreateEvent(ctx, ev, []models.Delivery{d}, time.Hour); err != nil {
			t.Fatal(err)
		}
		got, err := st.DeliveryToSendByID(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Delivery.ID != d.ID || got.Delivery.EventID != ev.ID || got.Delivery.Status != models.StatusPending {
			t.Fatalf("delivery: %+v", got.Delivery)
		}
		if got.Event.ID != ev.ID || string(got.Event.Data) != string(ev.Data) || got.Event.IdempotencyKey == nil || *got.Event.IdempotencyKey != "k1" || got.Event.ErasedAt != nil {
			t.Fatalf("event: %+v", got.Event)
		}
		if got.Webhook == nil || got.Webhook.ID != w.ID || reveal(got.Webhook.Secret) != "s3cret" || !slices.Equal(got.Webhook.EventTypes, w.EventTypes) ||
			len(got.Webhook.RetrySchedule) != 1 || !got.Webhook.Active {
			t.Fatalf("endpoint: %+v", got.Webhook)
		}

		if err := st.DeleteWebhook(ctx, org.ID, w.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := st.DeliveryToSendByID(ctx, d.ID); err != nil || got.Webhook != nil || got.Event.ID != ev.ID {
			t.Fatalf("after the endpoint's deletion: %+v %v", got, err)
		}
		if _, err := st.DeliveryToSendByID(ctx, "dlv_missing"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("missing delivery: %v", err)
		}
	})

	conform(t, "an app's delivery to send has no endpoint", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, _ := seedOrg(t, st)
		a := seedApp(t, st, org.ID, "on")
		ev := newEvent(org.ID, "", store.Now())
		ev.Type = "action.referral_create"
		d := delivery(ev, "")
		d.AppID = a.ID
		if _, err := st.CreateEvent(ctx, ev, []models.Delivery{d}, time.Hour); err != nil {
			t.Fatal(err)
		}
		got, err := st.DeliveryToSendByID(ctx, d.ID)
		if err != nil || got.Webhook != nil || got.Delivery.AppID != a.ID || got.Event.ID != ev.ID {
			t.Fatalf("app delivery: %+v %v", got, err)
		}
	})

	conform(t, "a clean endpoint's success writes no health", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, w := seedOrg(t, st)
		ev := newEvent(org.ID, "", store.Now())
		ds := []models.Delivery{delivery(ev, w.ID), delivery(ev, w.ID), delivery(ev, w.ID)}
		if _, err := st.CreateEvent(ctx, ev, ds, time.Hour); err != nil {
			t.Fatal(err)
		}
		record := func(d models.Delivery, healthy, clean bool) {
			t.Helper()
			u := store.DeliveryUpdate{Status: models.StatusRetrying, WebhookID: w.ID, Healthy: healthy, Clean: clean}
			if healthy {
				u.Status, u.Completed = models.StatusSucceeded, true
			}
			if err := st.RecordAttempt(ctx, &models.Attempt{ParentID: d.ID, Number: 1, CreatedAt: store.Now()}, u); err != nil {
				t.Fatal(err)
			}
		}
		streak := func() int {
			t.Helper()
			got, err := st.WebhookByID(ctx, w.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.FailedAttempts
		}
		record(ds[0], false, true) // a failure always extends the streak
		if n := streak(); n != 1 {
			t.Fatalf("after a failure: %d failed attempts", n)
		}
		// A success whose attempt read the endpoint clean, overlapping
		// the failure: ordered before it, the streak stays.
		record(ds[1], true, true)
		if n := streak(); n != 1 {
			t.Fatalf("after an overlapping success: %d failed attempts", n)
		}
		record(ds[2], true, false) // one that read the streak ends it
		if n := streak(); n != 0 {
			t.Fatalf("after a success: %d failed attempts", n)
		}
	})

	conform(t, "an event without a key is stored with its deliveries in one atomic write", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, w := seedOrg(t, st)
		ev := newEvent(org.ID, "", store.Now())
		ds := []models.Delivery{delivery(ev, w.ID), delivery(ev, w.ID)}
		res, err := st.CreateEvent(ctx, ev, ds, time.Hour)
		if err != nil || res.Duplicate || res.Event.ID != ev.ID || len(res.Deliveries) != 2 {
			t.Fatalf("create: %+v %v", res, err)
		}
		got, gotDs, err := st.GetEvent(ctx, org.ID, ev.ID)
		if err != nil || string(got.Data) != string(ev.Data) || got.IdempotencyKey != nil || len(gotDs) != 2 ||
			gotDs[0].AppID != "" || gotDs[0].ReplayOf != "" || gotDs[0].Status != models.StatusPending {
			t.Fatalf("read back: %+v %+v %v", got, gotDs, err)
		}
		// A second event whose delivery reuses a stored delivery's ID: the
		// delivery's insert fails, and the event's insert before it must
		// not stay behind.
		ev2 := newEvent(org.ID, "", store.Now())
		dup := delivery(ev2, w.ID)
		dup.ID = ds[0].ID
		if _, err := st.CreateEvent(ctx, ev2, []models.Delivery{dup}, time.Hour); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("conflicting delivery: %v", err)
		}
		if _, _, err := st.GetEvent(ctx, org.ID, ev2.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("the event of the failed write: %v", err)
		}
		// No deliveries (no subscriber) is one statement.
		ev3 := newEvent(org.ID, "", store.Now())
		if _, err := st.CreateEvent(ctx, ev3, nil, time.Hour); err != nil {
			t.Fatal(err)
		}
		if _, ds3, err := st.GetEvent(ctx, org.ID, ev3.ID); err != nil || len(ds3) != 0 {
			t.Fatalf("event without deliveries: %v %v", ds3, err)
		}
	})

	conform(t, "an attempt is recorded with its delivery's state in one atomic write", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, w := seedOrg(t, st)
		ev := newEvent(org.ID, "", store.Now())
		d := delivery(ev, w.ID)
		if _, err := st.CreateEvent(ctx, ev, []models.Delivery{d}, time.Hour); err != nil {
			t.Fatal(err)
		}
		next := store.Now().Add(time.Minute)
		a := &models.Attempt{ParentID: d.ID, Number: 1, URL: "https://a.example", ResponseStatus: 503, Error: "http_503", CreatedAt: store.Now()}
		u := store.DeliveryUpdate{Status: models.StatusRetrying, LastStatusCode: 503, LastError: "http_503", NextAttemptAt: &next, WebhookID: w.ID}
		if err := st.RecordAttempt(ctx, a, u); err != nil {
			t.Fatal(err)
		}
		// The same attempt again (a retried activity) overwrites its row.
		a.ResponseStatus = 502
		if err := st.RecordAttempt(ctx, a, u); err != nil {
			t.Fatal(err)
		}
		got, err := st.DeliveryToSendByID(ctx, d.ID)
		if err != nil || got.Delivery.Status != models.StatusRetrying || got.Delivery.Attempts != 1 || got.Delivery.LastStatusCode != 503 ||
			got.Delivery.NextAttemptAt == nil || got.Webhook == nil || got.Webhook.FailedAttempts < 1 || got.Webhook.FailingSince == nil {
			t.Fatalf("after the failed attempt: %+v %v", got, err)
		}
		attempts, err := st.Attempts(ctx, d.ID)
		if err != nil || len(attempts) != 1 || attempts[0].ResponseStatus != 502 {
			t.Fatalf("attempts: %+v %v", attempts, err)
		}
	})
}
