package service

import (
	"context"
	"sync"
	"time"
)

// Hub fans "this conversation's customer profile changed" out to the
// operators watching it (the SSE handler) within this process. A
// notification carries no data: a subscriber re-reads the profile from the
// store, so a missed or merged notification loses nothing.
//
// Lookups that run in another worker process reach it through PostgreSQL
// notifications (see ProfileChanged and app.Start's listener).
type Hub struct {
	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{subs: map[string]map[chan struct{}]struct{}{}}
}

// Subscribe returns a channel that receives a value after each Publish for
// the conversation, and a cancel func that unsubscribes (it is safe to call
// more than once). The channel is buffered 1 and sends never block: a burst
// of notifications while the subscriber is busy collapses into one.
func (h *Hub) Subscribe(conversationID string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	set := h.subs[conversationID]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		h.subs[conversationID] = set
	}
	set[ch] = struct{}{}
	h.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if set := h.subs[conversationID]; set != nil {
				delete(set, ch)
				if len(set) == 0 {
					delete(h.subs, conversationID)
				}
			}
		})
	}
}

// Publish notifies the conversation's subscribers. Conversation IDs are
// globally unique, so no org is needed to pick them.
func (h *Hub) Publish(conversationID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs[conversationID] {
		select {
		case ch <- struct{}{}:
		default: // a notification is already pending
		}
	}
}

// subscribers counts a conversation's subscribers, for tests.
func (h *Hub) subscribers(conversationID string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[conversationID])
}

// ProfileChanged announces that a conversation's customer profile changed:
// to this process's SSE streams through the hub at once, and to other
// processes on the same PostgreSQL database through NotifyProfile (their
// listener feeds their own hub). It matches activities.OnLookupDone.
func (s *Service) ProfileChanged(orgID, conversationID string) {
	s.Hub.Publish(conversationID)
	// Detached and bounded: announcing must not fail or stall the caller.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.Store.NotifyProfile(ctx, conversationID); err != nil {
		s.Log.Warn("could not announce a profile change to other processes", "conversation", conversationID, "err", err)
	}
}
