package live

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Hub fans notifications out to the subscribers of a topic in this process
// and, through Relay, to the other Switchboard processes on the same
// PostgreSQL database, whose listeners hand them to their own hub with
// Deliver.
//
// Subscribers re-read their data on a notification, so the hub may merge a
// burst into one notification and may repeat one (a process hears its own
// PostgreSQL notifications too); it never blocks a publisher.
type Hub struct {
	mu   sync.Mutex
	subs map[Topic]map[chan struct{}]struct{}

	// The outbox of Relay: topics published here and not yet sent to the
	// other processes, oldest first, each at most once.
	relaying bool
	outbox   []Topic
	queued   map[Topic]bool
	wake     chan struct{}

	done     chan struct{}
	doneOnce sync.Once
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{
		subs:   map[Topic]map[chan struct{}]struct{}{},
		queued: map[Topic]bool{},
		wake:   make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
}

// Subscribe returns a channel that receives a value after each Publish or
// Deliver of the topic, and a cancel func that unsubscribes (it is safe to
// call more than once). The channel is buffered 1 and sends never block: a
// burst of notifications while the subscriber is busy collapses into one.
//
// Subscribe before the first read of the data, so a change landing in
// between is not missed.
func (h *Hub) Subscribe(t Topic) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	set := h.subs[t]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		h.subs[t] = set
	}
	set[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if set := h.subs[t]; set != nil {
				delete(set, ch)
				if len(set) == 0 {
					delete(h.subs, t)
				}
			}
		})
	}
}

// Publish announces that the topic changed: to this process's subscribers
// at once and, when Relay runs, to the other processes shortly after. Call
// it after the change is committed.
func (h *Hub) Publish(t Topic) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deliverLocked(t)
	if !h.relaying || h.queued[t] {
		return // nobody relays, or the pending send covers this one too
	}
	if len(h.outbox) >= maxOutbox {
		// The database has been unreachable for a while; streams fall
		// back to their periodic re-read, so dropping is safe.
		return
	}
	h.outbox = append(h.outbox, t)
	h.queued[t] = true
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Deliver notifies this process's subscribers only. The PostgreSQL
// listener calls it with topics that other processes published.
func (h *Hub) Deliver(t Topic) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.deliverLocked(t)
}

func (h *Hub) deliverLocked(t Topic) {
	for ch := range h.subs[t] {
		select {
		case ch <- struct{}{}:
		default: // a notification is already pending
		}
	}
}

// Notifier sends a topic to every process listening on the database;
// store.Store implements it.
type Notifier interface {
	Notify(ctx context.Context, t Topic) error
}

const (
	// maxOutbox bounds the topics waiting for the database.
	maxOutbox = 4096
	// notifyTimeout bounds one send, so a stalled database cannot hold
	// the outbox for long.
	notifyTimeout = 2 * time.Second
)

// Relay sends the topics published on this hub to the other processes
// through n, in order, until ctx ends; then it makes one last bounded
// attempt at what is still queued. Publishing never waits for it: a
// finished lookup does not pay a database round trip to announce itself.
func (h *Hub) Relay(ctx context.Context, n Notifier, log *slog.Logger) {
	h.mu.Lock()
	h.relaying = true
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		h.relaying = false
		h.mu.Unlock()
	}()
	for {
		select {
		case <-h.wake:
			h.flush(ctx, n, log)
		case <-ctx.Done():
			// Detached but bounded as a whole: announcing what finished
			// just before shutdown must not be cut by the shutdown itself,
			// nor hold it up when the database is gone.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), notifyTimeout)
			h.flush(fctx, n, log)
			cancel()
			return
		}
	}
}

func (h *Hub) flush(ctx context.Context, n Notifier, log *slog.Logger) {
	for {
		h.mu.Lock()
		if len(h.outbox) == 0 {
			h.mu.Unlock()
			return
		}
		t := h.outbox[0]
		h.outbox = h.outbox[1:]
		if len(h.outbox) == 0 {
			h.outbox = nil // let the drained backing array go
		}
		delete(h.queued, t)
		h.mu.Unlock()
		nctx, cancel := context.WithTimeout(ctx, notifyTimeout)
		err := n.Notify(nctx, t)
		cancel()
		if err != nil {
			log.Warn("could not announce a change to other processes", "topic", t.String(), "err", err)
		}
	}
}

// Shutdown ends every stream watching Done; the HTTP server calls it when
// it starts shutting down, since it cannot finish while a stream is open.
// Publish, Deliver and Subscribe keep working. Calling it again does
// nothing.
func (h *Hub) Shutdown() {
	h.doneOnce.Do(func() { close(h.done) })
}

// Done is closed by Shutdown. A long-lived stream returns when it is.
func (h *Hub) Done() <-chan struct{} { return h.done }

// subscribers counts a topic's subscribers, for tests.
func (h *Hub) subscribers(t Topic) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[t])
}
