package e2e

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/live"
)

// TestLiveTopicsDoNotCrossBetweenProcesses runs two processes on one
// PostgreSQL database: what one publishes reaches the other's subscribers
// of that topic only (PostgreSQL LISTEN/NOTIFY on the one live channel), so
// a delivery's topic never wakes a stream watching a profile with the same
// ID.
func TestLiveTopicsDoNotCrossBetweenProcesses(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	a := harness.Start(t, cfg, app.Parts{API: true}).App
	b := harness.Start(t, cfg, app.Parts{API: true}).App

	// Wait until b's listener is connected: a notification sent before
	// LISTEN is lost, by design of PostgreSQL.
	ready, cancelReady := b.Hub.Subscribe(live.Chat("ready"))
	defer cancelReady()
	harness.Eventually(t, "b listening", func() bool {
		a.Hub.Publish(live.Chat("ready"))
		select {
		case <-ready:
			return true
		case <-time.After(100 * time.Millisecond):
			return false
		}
	})

	const id = "x_1"
	profile, cancelP := b.Hub.Subscribe(live.Profile(id))
	defer cancelP()
	delivery, cancelD := b.Hub.Subscribe(live.Delivery(id))
	defer cancelD()
	sentinel, cancelS := b.Hub.Subscribe(live.Profile("sentinel"))
	defer cancelS()

	a.Hub.Publish(live.Delivery(id))
	a.Hub.Publish(live.Profile("sentinel"))
	waitTopic(t, delivery, "delivery:"+id)
	// a relays in publish order and b's listener hands notifications to
	// its hub one by one, in commit order: once the sentinel has arrived,
	// the delivery notification has been handled, so a wrongly woken
	// profile subscriber would already have a value pending.
	waitTopic(t, sentinel, "profile:sentinel")
	select {
	case <-profile:
		t.Fatal("a delivery topic woke a profile subscriber in another process")
	default:
	}

	// And the profile topic itself does cross.
	a.Hub.Publish(live.Profile(id))
	waitTopic(t, profile, "profile:"+id)
}

// waitTopic waits for a notification (30 s at most: a hang guard, not a
// speed check).
func waitTopic(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("no notification for %s", what)
	}
}
