package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// waitFor is a hang guard, not a speed check.
const waitFor = 10 * time.Second

func TestHubDeliversToTheTopicOnly(t *testing.T) {
	h := NewHub()
	a, cancelA := h.Subscribe(Profile("conv_a"))
	defer cancelA()
	b, cancelB := h.Subscribe(Profile("conv_b"))
	defer cancelB()
	// The same ID under another kind is another topic.
	chat, cancelChat := h.Subscribe(Chat("conv_a"))
	defer cancelChat()

	h.Publish(Profile("conv_a"))
	select {
	case <-a:
	case <-time.After(waitFor):
		t.Fatal("subscriber of profile:conv_a got nothing")
	}
	for name, ch := range map[string]<-chan struct{}{"profile:conv_b": b, "chat:conv_a": chat} {
		select {
		case <-ch:
			t.Fatalf("subscriber of %s was notified for profile:conv_a", name)
		default:
		}
	}
}

func TestHubDeliveryTopicDoesNotWakeProfile(t *testing.T) {
	h := NewHub()
	prof, cancelP := h.Subscribe(Profile("x_1"))
	defer cancelP()
	dlv, cancelD := h.Subscribe(Delivery("x_1"))
	defer cancelD()
	h.Deliver(Delivery("x_1"))
	<-dlv // Deliver is synchronous: the value is already buffered
	select {
	case <-prof:
		t.Fatal("a delivery topic woke a profile subscriber")
	default:
	}
}

func TestHubPublishNeverBlocksAndCollapses(t *testing.T) {
	h := NewHub()
	ch, cancel := h.Subscribe(Profile("c"))
	defer cancel()
	done := make(chan struct{})
	go func() {
		for range 100 {
			h.Publish(Profile("c")) // nobody reads: must not block
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(waitFor):
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
	_, cancel1 := h.Subscribe(Profile("c"))
	ch2, cancel2 := h.Subscribe(Profile("c"))
	if n := h.subscribers(Profile("c")); n != 2 {
		t.Fatalf("subscribers = %d, want 2", n)
	}
	cancel1()
	cancel1() // idempotent
	h.Publish(Profile("c"))
	<-ch2
	cancel2()
	if n := h.subscribers(Profile("c")); n != 0 {
		t.Fatalf("subscribers after cancel = %d, want 0", n)
	}
	h.Publish(Profile("c")) // no subscribers: a no-op
}

func TestHubShutdownClosesDoneOnce(t *testing.T) {
	h := NewHub()
	select {
	case <-h.Done():
		t.Fatal("Done closed before Shutdown")
	default:
	}
	h.Shutdown()
	h.Shutdown() // idempotent
	<-h.Done()
	// Notifications still work after Shutdown (a refresh in flight).
	ch, cancel := h.Subscribe(Profile("c"))
	defer cancel()
	h.Publish(Profile("c"))
	<-ch
}

// recorder is a Notifier that records what it sends; the first send
// announces itself on started and waits for release, so a backlog builds.
type recorder struct {
	started chan struct{}
	release chan struct{}
	got     chan Topic
	once    sync.Once
}

func (r *recorder) Notify(ctx context.Context, t Topic) error {
	r.once.Do(func() {
		close(r.started)
		<-r.release
	})
	r.got <- t
	return nil
}

func TestRelaySendsInOrderAndMergesQueuedRepeats(t *testing.T) {
	h := NewHub()
	r := &recorder{started: make(chan struct{}), release: make(chan struct{}), got: make(chan Topic, 16)}
	ctx, cancel := context.WithCancel(t.Context())
	relayDone := make(chan struct{})
	go func() {
		h.Relay(ctx, r, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(relayDone)
	}()
	waitRelaying(t, h)
	h.Publish(Profile("first"))
	<-r.started // the relay holds "first"; what follows queues behind it
	for _, tp := range []Topic{Delivery("d1"), Profile("p1"), Delivery("d1"), Profile("p1"), Chat("c1")} {
		h.Publish(tp)
	}
	close(r.release)
	want := []Topic{Profile("first"), Delivery("d1"), Profile("p1"), Chat("c1")}
	for i, w := range want {
		select {
		case got := <-r.got:
			if got != w {
				t.Fatalf("send %d = %v, want %v", i, got, w)
			}
		case <-time.After(waitFor):
			t.Fatalf("relay sent only %d of %v", i, want)
		}
	}
	cancel()
	<-relayDone
	select {
	case extra := <-r.got:
		t.Fatalf("queued repeats were sent again: %v", extra)
	default:
	}
}

func TestRelayFailureIsLoggedNotFatal(t *testing.T) {
	h := NewHub()
	ctx, cancel := context.WithCancel(t.Context())
	calls := make(chan Topic, 4)
	n := notifierFunc(func(_ context.Context, tp Topic) error {
		calls <- tp
		return errors.New("database gone")
	})
	done := make(chan struct{})
	go func() { h.Relay(ctx, n, slog.New(slog.NewTextHandler(io.Discard, nil))); close(done) }()
	waitRelaying(t, h)
	h.Publish(Profile("a"))
	h.Publish(Profile("b"))
	for _, want := range []Topic{Profile("a"), Profile("b")} {
		select {
		case got := <-calls:
			if got != want {
				t.Fatalf("sent %v, want %v", got, want)
			}
		case <-time.After(waitFor):
			t.Fatal("relay stopped after a failed send")
		}
	}
	cancel()
	<-done
}

type notifierFunc func(context.Context, Topic) error

func (f notifierFunc) Notify(ctx context.Context, t Topic) error { return f(ctx, t) }

func waitRelaying(t *testing.T, h *Hub) {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for time.Now().Before(deadline) {
		h.mu.Lock()
		ok := h.relaying
		h.mu.Unlock()
		if ok {
			return
		}
		runtimeYield()
	}
	t.Fatal("Relay did not start")
}

// runtimeYield lets the relay goroutine run while waitRelaying polls.
func runtimeYield() { time.Sleep(time.Millisecond) }
