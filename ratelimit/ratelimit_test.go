package ratelimit

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// clock is a hand-moved time source, safe for the concurrent test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_750_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func mustAllow(t *testing.T, k *Keyed, key string) {
	t.Helper()
	if ok, ra := k.Allow(key); !ok || ra != 0 {
		t.Fatalf("Allow(%q) = %v, %v; want true, 0", key, ok, ra)
	}
}

func mustRefuse(t *testing.T, k *Keyed, key string, wantRetry time.Duration) {
	t.Helper()
	if ok, ra := k.Allow(key); ok || ra != wantRetry {
		t.Fatalf("Allow(%q) = %v, %v; want false, %v", key, ok, ra, wantRetry)
	}
}

func TestBurstThenRefused(t *testing.T) {
	c := newClock()
	k := New(Options{Rate: 1, Burst: 3, Now: c.Now})
	for range 3 {
		mustAllow(t, k, "ip")
	}
	mustRefuse(t, k, "ip", time.Second)
	// Refusals do not consume: asking again reports the same wait.
	mustRefuse(t, k, "ip", time.Second)

	c.Advance(300 * time.Millisecond)
	mustRefuse(t, k, "ip", 700*time.Millisecond)

	// A slow rate: one token every 30s.
	k2 := New(Options{Rate: rate.Every(30 * time.Second), Burst: 1, Now: c.Now})
	mustAllow(t, k2, "conv")
	mustRefuse(t, k2, "conv", 30*time.Second)
}

func TestRefillAfterAdvance(t *testing.T) {
	c := newClock()
	k := New(Options{Rate: 2, Burst: 2, Now: c.Now})
	mustAllow(t, k, "a")
	mustAllow(t, k, "a")
	_, ra := k.Allow("a")
	if ra != 500*time.Millisecond {
		t.Fatalf("retryAfter = %v", ra)
	}
	// Coming back exactly when told to succeeds.
	c.Advance(ra)
	mustAllow(t, k, "a")
	mustRefuse(t, k, "a", 500*time.Millisecond)

	// A long pause refills to the burst, never beyond it.
	c.Advance(time.Hour)
	mustAllow(t, k, "a")
	mustAllow(t, k, "a")
	mustRefuse(t, k, "a", 500*time.Millisecond)
}

// With rates that are not round numbers, retryAfter must never be so short
// that the retry is refused again.
func TestRetryAfterIsNeverEarly(t *testing.T) {
	for _, r := range []rate.Limit{3, 7, 0.3, rate.Every(time.Second / 3), 1e6} {
		c := newClock()
		k := New(Options{Rate: r, Burst: 1, Now: c.Now})
		for i := range 50 {
			ok, ra := k.Allow("k")
			if ok {
				continue
			}
			if ra <= 0 {
				t.Fatalf("rate %v: retryAfter %v", r, ra)
			}
			c.Advance(ra)
			if ok, ra2 := k.Allow("k"); !ok {
				t.Fatalf("rate %v, step %d: refused %v after waiting %v", r, i, ra2, ra)
			}
		}
	}
}

func TestKeysIndependent(t *testing.T) {
	c := newClock()
	k := New(Options{Rate: 1, Burst: 1, Now: c.Now})
	mustAllow(t, k, "conv-1")
	mustRefuse(t, k, "conv-1", time.Second)
	mustAllow(t, k, "conv-2")
	mustAllow(t, k, "10.0.0.1")
	mustRefuse(t, k, "conv-2", time.Second)
	if k.Len() != 3 {
		t.Fatalf("Len = %d", k.Len())
	}
}

func TestMaxKeysBound(t *testing.T) {
	c := newClock()
	const maxKeys = 100
	k := New(Options{Rate: 1, Burst: 1, MaxKeys: maxKeys, Now: c.Now})
	for i := range 100_000 {
		k.Allow("hostile-" + strconv.Itoa(i))
		if k.Len() > maxKeys {
			t.Fatalf("Len = %d after %d keys", k.Len(), i+1)
		}
	}
	if k.Len() != maxKeys {
		t.Fatalf("Len = %d, want %d", k.Len(), maxKeys)
	}
}

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	c := newClock()
	k := New(Options{Rate: 1, Burst: 1, MaxKeys: 2, Now: c.Now})
	mustAllow(t, k, "a")
	mustAllow(t, k, "b")
	// Touch a (refused, but still use) so b is the least recently used.
	mustRefuse(t, k, "a", time.Second)
	mustAllow(t, k, "c") // evicts b
	if k.Len() != 2 {
		t.Fatalf("Len = %d", k.Len())
	}
	// a kept its empty bucket; b was forgotten and starts full again.
	mustRefuse(t, k, "a", time.Second)
	mustAllow(t, k, "b") // evicts c
	mustRefuse(t, k, "a", time.Second)
}

func TestIdleEviction(t *testing.T) {
	c := newClock()
	k := New(Options{Rate: 10, Burst: 1, IdleTTL: time.Minute, Now: c.Now})
	for i := range 50 {
		k.Allow("old-" + strconv.Itoa(i))
	}
	c.Advance(30 * time.Second)
	mustAllow(t, k, "recent")
	if k.Len() != 51 {
		t.Fatalf("Len = %d, want 51 before the TTL", k.Len())
	}
	c.Advance(31 * time.Second) // old-* idle for 61s, recent for 31s
	mustAllow(t, k, "new")
	if k.Len() != 2 {
		t.Fatalf("Len = %d, want 2 (recent, new)", k.Len())
	}

	// Default IdleTTL is 10 minutes.
	k = New(Options{Rate: 10, Burst: 1, Now: c.Now})
	k.Allow("x")
	c.Advance(10*time.Minute - time.Second)
	k.Allow("y")
	if k.Len() != 2 {
		t.Fatalf("Len = %d before default TTL", k.Len())
	}
	c.Advance(2 * time.Second)
	k.Allow("z")
	if k.Len() != 2 {
		t.Fatalf("Len = %d, want x evicted", k.Len())
	}
}

// An idle bucket is only forgotten once it would have refilled anyway, so
// eviction never hands out tokens early.
func TestIdleEvictionWaitsForRefill(t *testing.T) {
	c := newClock()
	k := New(Options{Rate: rate.Every(time.Hour), Burst: 2, IdleTTL: time.Minute, Now: c.Now})
	mustAllow(t, k, "slow")
	mustAllow(t, k, "slow")
	c.Advance(10 * time.Minute)
	k.Allow("other") // would sweep "slow" if the TTL were one minute
	mustRefuse(t, k, "slow", 50*time.Minute)
	c.Advance(2*time.Hour + time.Second)
	k.Allow("another")
	if k.Len() != 1 {
		t.Fatalf("Len = %d, want only the newest key", k.Len())
	}
}

func TestUnlimited(t *testing.T) {
	for _, r := range []rate.Limit{0, -1, rate.Inf} {
		k := New(Options{Rate: r, Burst: 1})
		for i := range 1000 {
			if ok, ra := k.Allow("k" + strconv.Itoa(i%3)); !ok || ra != 0 {
				t.Fatalf("rate %v: Allow = %v, %v", r, ok, ra)
			}
		}
		if k.Len() != 0 {
			t.Fatalf("rate %v: Len = %d, want no buckets", r, k.Len())
		}
	}
}

func TestZeroBurstMeansOne(t *testing.T) {
	c := newClock()
	k := New(Options{Rate: 1, Now: c.Now})
	mustAllow(t, k, "k")
	mustRefuse(t, k, "k", time.Second)
}

func TestConcurrent(t *testing.T) {
	c := newClock()
	const burst = 20
	k := New(Options{Rate: 1, Burst: burst, MaxKeys: 50, Now: c.Now})
	var allowedShared atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				if ok, _ := k.Allow("shared"); ok {
					allowedShared.Add(1)
				}
				k.Allow("g" + strconv.Itoa(g) + "-" + strconv.Itoa(i%100))
				if i%500 == 0 {
					c.Advance(time.Millisecond)
					_ = k.Len()
				}
			}
		})
	}
	wg.Wait()
	if k.Len() > 50 {
		t.Fatalf("Len = %d", k.Len())
	}
	// Churn of other keys can evict "shared" and recreate it with a fresh
	// burst, so the count is only loosely bounded: at least one burst, and
	// far fewer than one per request.
	if n := allowedShared.Load(); n < burst || n >= 8*2000 {
		t.Fatalf("shared allowed %d times", n)
	}
}
