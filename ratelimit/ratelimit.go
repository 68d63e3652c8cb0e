// Package ratelimit limits widget traffic per conversation and per client IP.
//
// Keys come from anonymous visitors, so the set of buckets must not grow with
// whatever keys a hostile client invents: Keyed holds at most MaxKeys buckets
// and drops the least recently used one to make room. MaxKeys bounds the
// number of keys, not their length; callers pass short keys (an IP, or an
// IPv6 /64 prefix, or a platform-issued conversation id), never raw input.
package ratelimit

import (
	"container/list"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

const (
	defaultMaxKeys = 100_000
	defaultIdleTTL = 10 * time.Minute
)

// Options configures a Keyed limiter. Zero values pick the defaults.
type Options struct {
	// Rate is tokens per second per key; <= 0 (or rate.Inf) means unlimited.
	Rate rate.Limit
	// Burst is how many requests a fresh key may make at once; values below 1
	// are raised to 1, since a bucket that can hold no token refuses forever.
	Burst int
	// MaxKeys bounds the number of buckets kept; default 100_000.
	MaxKeys int
	// IdleTTL is how long an unused bucket is kept; default 10m. See New for
	// why it is never shorter than the time a bucket needs to refill.
	IdleTTL time.Duration
	// Now is the clock; default time.Now. Tests inject their own.
	Now func() time.Time
}

// Keyed is a set of token buckets keyed by string, safe for concurrent use.
type Keyed struct {
	rate    rate.Limit
	burst   int
	maxKeys int
	idleTTL time.Duration
	now     func() time.Time

	mu sync.Mutex
	// lru orders entries by last use, most recent at the front, so both idle
	// and least-recently-used entries are found at the back in O(1).
	lru  *list.List
	keys map[string]*list.Element
}

type entry struct {
	key  string
	lim  *rate.Limiter
	last time.Time
}

// New returns a Keyed limiter for o.
//
// Forgetting a bucket hands its key a full burst next time, so idle eviction
// must only forget buckets that have refilled anyway. IdleTTL is therefore
// raised to at least Burst/Rate (the time an empty bucket takes to fill);
// otherwise a slow rate with a short IdleTTL would let a client wait out
// IdleTTL instead of the real refill time.
func New(o Options) *Keyed {
	k := &Keyed{
		rate:    o.Rate,
		burst:   max(o.Burst, 1),
		maxKeys: o.MaxKeys,
		idleTTL: o.IdleTTL,
		now:     o.Now,
		lru:     list.New(),
		keys:    make(map[string]*list.Element),
	}
	if k.maxKeys <= 0 {
		k.maxKeys = defaultMaxKeys
	}
	if k.idleTTL <= 0 {
		k.idleTTL = defaultIdleTTL
	}
	if k.now == nil {
		k.now = time.Now
	}
	if !k.unlimited() {
		refill := float64(k.burst) / float64(k.rate) * float64(time.Second)
		if refill >= math.MaxInt64 {
			k.idleTTL = time.Duration(math.MaxInt64)
		} else if d := time.Duration(math.Ceil(refill)); d > k.idleTTL {
			k.idleTTL = d
		}
	}
	return k
}

func (k *Keyed) unlimited() bool {
	return k.rate <= 0 || k.rate == rate.Inf
}

// Allow takes one token for key. When refused, retryAfter is the exact time
// (> 0) until a token is available; rounding it up to whole seconds for a
// Retry-After header is the caller's job.
func (k *Keyed) Allow(key string) (ok bool, retryAfter time.Duration) {
	if k.unlimited() {
		// No buckets at all: unlimited configurations cost no memory.
		return true, 0
	}
	now := k.now()

	k.mu.Lock()
	defer k.mu.Unlock()

	var e *entry
	if el, found := k.keys[key]; found {
		e = el.Value.(*entry)
		k.lru.MoveToFront(el)
	} else {
		k.makeRoom(now)
		e = &entry{key: key, lim: rate.NewLimiter(k.rate, k.burst)}
		k.keys[key] = k.lru.PushFront(e)
	}
	// Refused requests count as use too: a client hammering a key must not
	// see it evicted as idle and get a fresh burst.
	e.last = now

	// Explicit times (AllowN/TokensAt rather than Allow/Reserve) keep every
	// decision on the injected clock. AllowN does not change the bucket when
	// it refuses.
	if e.lim.AllowN(now, 1) {
		return true, 0
	}
	return false, k.wait(e.lim.TokensAt(now))
}

// wait converts a token deficit into a duration, rounding up to the next
// nanosecond: rate's own conversion truncates, which would tell a client to
// come back a moment too early and be refused again.
func (k *Keyed) wait(tokens float64) time.Duration {
	ns := math.Ceil((1 - tokens) / float64(k.rate) * float64(time.Second))
	switch {
	case ns >= math.MaxInt64:
		return time.Duration(math.MaxInt64)
	case ns < 1:
		return time.Nanosecond // refused, so never report "now"
	}
	return time.Duration(ns)
}

// makeRoom runs before a new key is added. It drops idle buckets from the
// back of the LRU list (all idle ones are there, since the list is in order
// of use), then, if the set is still full, the least recently used bucket.
// Each entry is removed at most once, so the cost is amortised O(1).
//
// Sweeping idle buckets on every insert, not only when full, keeps memory
// proportional to recent traffic rather than to the last burst of keys.
func (k *Keyed) makeRoom(now time.Time) {
	for el := k.lru.Back(); el != nil; el = k.lru.Back() {
		if now.Sub(el.Value.(*entry).last) < k.idleTTL {
			break
		}
		k.remove(el)
	}
	for len(k.keys) >= k.maxKeys {
		k.remove(k.lru.Back())
	}
}

func (k *Keyed) remove(el *list.Element) {
	k.lru.Remove(el)
	delete(k.keys, el.Value.(*entry).key)
}

// Len returns the number of buckets currently kept.
func (k *Keyed) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}
