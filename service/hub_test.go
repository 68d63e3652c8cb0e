package service

import (
	"testing"
	"time"
)

func TestHubDeliversToTheConversationOnly(t *testing.T) {
	h := NewHub()
	a, cancelA := h.Subscribe("conv_a")
	defer cancelA()
	b, cancelB := h.Subscribe("conv_b")
	defer cancelB()

	h.Publish("conv_a")
	select {
	case <-a:
	case <-time.After(time.Second):
		t.Fatal("subscriber of conv_a got nothing")
	}
	select {
	case <-b:
		t.Fatal("subscriber of conv_b was notified for conv_a")
	default:
	}
}

func TestHubPublishNeverBlocksAndCollapses(t *testing.T) {
	h := NewHub()
	ch, cancel := h.Subscribe("c")
	defer cancel()
	done := make(chan struct{})
	go func() {
		for range 100 {
			h.Publish("c") // nobody reads: must not block
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("Publish blocked on a slow subscriber")
	}
	<-ch
	select {
	case <-ch:
		t.Fatal("100 publishes should collapse into one pending notification")
	default:
	}
}

func TestHubCancelUnsubscribes(t *testing.T) {
	h := NewHub()
	_, cancel1 := h.Subscribe("c")
	ch2, cancel2 := h.Subscribe("c")
	if n := h.subscribers("c"); n != 2 {
		t.Fatalf("subscribers = %d, want 2", n)
	}
	cancel1()
	cancel1() // idempotent
	h.Publish("c")
	<-ch2
	cancel2()
	if n := h.subscribers("c"); n != 0 {
		t.Fatalf("subscribers after cancel = %d, want 0", n)
	}
	h.Publish("c") // no subscribers: a no-op
}
