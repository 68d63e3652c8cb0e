package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/live"
)

// TestNotifyReachesAnotherStoreAndForeignPayloadsAreIgnored uses two stores
// on one PostgreSQL database, as two processes would: topics arrive in
// order with their kind intact, and payloads on the channel that are not
// topics (anything else on the database may notify it) are dropped.
func TestNotifyReachesAnotherStoreAndForeignPayloadsAreIgnored(t *testing.T) {
	url := testenv.Postgres(t)
	sender := storetest.Open(t, url, "")
	listener := storetest.Open(t, url, "")
	ctx, cancel := context.WithCancel(t.Context())
	got := make(chan live.Topic, 64)
	done := make(chan struct{})
	go func() {
		listener.Listen(ctx, func(tp live.Topic) { got <- tp })
		close(done)
	}()
	defer func() { cancel(); <-done }()

	// LISTEN is asynchronous to this test: announce until it is heard.
	ready := live.Chat("ready")
	deadline := time.Now().Add(30 * time.Second)
	for heard := false; !heard; {
		if time.Now().After(deadline) {
			t.Fatal("the listener never heard a notification")
		}
		if err := sender.Notify(t.Context(), ready); err != nil {
			t.Fatal(err)
		}
		select {
		case tp := <-got:
			heard = tp == ready
		case <-time.After(100 * time.Millisecond):
		}
	}

	raw, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close(context.WithoutCancel(t.Context()))
	// The channel name and payload form are the cross-process contract
	// (README, "Live updates").
	for _, payload := range []string{"conv_123", "invoice:1", "profile:", ""} {
		if _, err := raw.Exec(t.Context(), "SELECT pg_notify('switchboard_live', $1)", payload); err != nil {
			t.Fatal(err)
		}
	}
	want := []live.Topic{live.Delivery("dlv_1"), live.Profile("conv_1"), live.Chat("conv_1")}
	for _, tp := range want {
		if err := sender.Notify(t.Context(), tp); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < len(want); {
		w := want[i]
		select {
		case tp := <-got:
			if tp == ready {
				continue // a late echo of the readiness loop
			}
			i++
			if tp != w {
				t.Fatalf("notification %d = %v, want %v (foreign payloads must be dropped, order kept)", i, tp, w)
			}
		case <-time.After(30 * time.Second): // hang guard
			t.Fatalf("notification %d (%v) never arrived", i, w)
		}
	}
}

func TestNotifyAndListenAreNoOpsOnSQLite(t *testing.T) {
	st := storetest.SQLite(t)
	if err := st.Notify(t.Context(), live.Profile("conv_1")); err != nil {
		t.Fatal(err)
	}
	returned := make(chan struct{})
	go func() {
		st.Listen(t.Context(), func(live.Topic) { t.Error("SQLite listener called") })
		close(returned)
	}()
	select {
	case <-returned:
	case <-time.After(10 * time.Second): // hang guard
		t.Fatal("Listen on SQLite did not return")
	}
}
