package service

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.temporal.io/api/serviceerror"

	"github.com/switchboardhq/switchboard/models"
)

// fakeStarts records the dispatcher's start calls; gate, when set, is
// called first and may block or fail the start.
type fakeStarts struct {
	mu       sync.Mutex
	started  map[string]int
	inFlight int
	maxIn    int
	entered  chan string
	gate     func(ctx context.Context, id string) error
}

func newFakeStarts(gate func(ctx context.Context, id string) error) *fakeStarts {
	return &fakeStarts{started: map[string]int{}, entered: make(chan string, 100), gate: gate}
}

func (f *fakeStarts) start(ctx context.Context, d models.Delivery, _ models.Webhook) error {
	f.mu.Lock()
	f.started[d.ID]++
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
	f.mu.Unlock()
	f.entered <- d.ID
	var err error
	if f.gate != nil {
		err = f.gate(ctx, d.ID)
	}
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
	return err
}

func (f *fakeStarts) counts() (map[string]int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[string]int, len(f.started))
	for k, v := range f.started {
		out[k] = v
	}
	return out, f.maxIn
}

// metricValue reads a gauge or counter.
func metricValue(t *testing.T, m prometheus.Metric) float64 {
	t.Helper()
	var out dto.Metric
	if err := m.Write(&out); err != nil {
		t.Fatal(err)
	}
	if out.Gauge != nil {
		return out.Gauge.GetValue()
	}
	return out.Counter.GetValue()
}

func delivery(i int) models.Delivery { return models.Delivery{ID: "dlv_" + strconv.Itoa(i)} }

// testDispatcher builds a dispatcher whose log goes to the returned buffer
// (read it only after Stop, which waits for the starters).
func testDispatcher(f *fakeStarts, queue, concurrency int) (*Dispatcher, *bytes.Buffer) {
	var buf bytes.Buffer
	return newDispatcher(f.start, DispatchSettings{QueueSize: queue, Concurrency: concurrency},
		slog.New(slog.NewTextHandler(&buf, nil))), &buf
}

func (q *Dispatcher) isClosed() bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.closed
}

// The queue holds QueueSize deliveries beyond the Concurrency starts in
// flight, and no more; a refused delivery is counted and never started;
// once the starts return, everything queued is started exactly once.
func TestDispatcherIsBounded(t *testing.T) {
	release := make(chan struct{})
	f := newFakeStarts(func(context.Context, string) error { <-release; return nil })
	q, _ := testDispatcher(f, 3, 2)
	q.Start(t.Context())
	for i := range 2 {
		if !q.Enqueue(delivery(i), models.Webhook{}, time.Now()) {
			t.Fatalf("delivery %d refused with the queue empty", i)
		}
	}
	<-f.entered
	<-f.entered // both starters are busy; the queue is empty again
	for i := 2; i < 5; i++ {
		if !q.Enqueue(delivery(i), models.Webhook{}, time.Now()) {
			t.Fatalf("delivery %d refused with room in the queue", i)
		}
	}
	if got := metricValue(t, dispatchQueueDepth); got < 3 {
		t.Fatalf("queue depth gauge %v, want at least 3", got)
	}
	overflow := metricValue(t, dispatchOverflow)
	if q.Enqueue(delivery(5), models.Webhook{}, time.Now()) {
		t.Fatal("a full queue accepted a delivery")
	}
	if got := metricValue(t, dispatchOverflow); got != overflow+1 {
		t.Fatalf("overflow counter went from %v to %v, want +1", overflow, got)
	}
	close(release)
	for range 3 {
		<-f.entered
	}
	if n := q.Stop(t.Context()); n != 0 {
		t.Fatalf("Stop abandoned %d deliveries of an empty queue", n)
	}
	started, maxIn := f.counts()
	if maxIn > 2 {
		t.Fatalf("%d starts in flight at once, want at most 2", maxIn)
	}
	for i := range 5 {
		if started[delivery(i).ID] != 1 {
			t.Fatalf("delivery %d started %d times, want once (all: %v)", i, started[delivery(i).ID], started)
		}
	}
	if started[delivery(5).ID] != 0 {
		t.Fatal("the refused delivery was started; it is the sweeper's")
	}
}

// Stop refuses new deliveries at once and starts every queued one before
// it returns.
func TestDispatcherStopDrains(t *testing.T) {
	release := make(chan struct{})
	f := newFakeStarts(func(_ context.Context, id string) error {
		if id == delivery(0).ID {
			<-release
		}
		return nil
	})
	q, _ := testDispatcher(f, 10, 1)
	q.Start(t.Context())
	for i := range 4 {
		q.Enqueue(delivery(i), models.Webhook{}, time.Now())
	}
	<-f.entered // the only starter holds delivery 0; 1–3 are queued
	stopped := make(chan int)
	go func() { stopped <- q.Stop(context.WithoutCancel(t.Context())) }()
	for !q.isClosed() {
		<-time.After(time.Millisecond) // poll, no deadline: Stop marks it first thing
	}
	if q.Enqueue(delivery(9), models.Webhook{}, time.Now()) {
		t.Fatal("a stopping dispatcher accepted a delivery")
	}
	close(release)
	if n := <-stopped; n != 0 {
		t.Fatalf("Stop abandoned %d deliveries; it had no deadline", n)
	}
	started, _ := f.counts()
	for i := range 4 {
		if started[delivery(i).ID] != 1 {
			t.Fatalf("delivery %d started %d times before Stop returned, want once", i, started[delivery(i).ID])
		}
	}
	if started[delivery(9).ID] != 0 {
		t.Fatal("a delivery refused while stopping was started")
	}
}

// When Stop's context ends first, the start in flight is cancelled, the
// queued deliveries are abandoned (the sweeper's) and counted, and none of
// that is logged as a failure.
func TestDispatcherStopAbandons(t *testing.T) {
	f := newFakeStarts(func(ctx context.Context, _ string) error { <-ctx.Done(); return ctx.Err() })
	q, logs := testDispatcher(f, 10, 1)
	q.Start(t.Context())
	for i := range 3 {
		q.Enqueue(delivery(i), models.Webhook{}, time.Now())
	}
	<-f.entered
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if n := q.Stop(ctx); n != 2 {
		t.Fatalf("Stop abandoned %d deliveries, want the 2 queued", n)
	}
	if started, _ := f.counts(); len(started) != 1 {
		t.Fatalf("starts after the drain was abandoned: %v", started)
	}
	if strings.Contains(logs.String(), "level=WARN") || strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("an abandoned start was logged as a failure:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "left for the sweeper") || !strings.Contains(logs.String(), "count=2") {
		t.Fatalf("the abandoned deliveries were not reported:\n%s", logs)
	}
	if q.Stop(t.Context()) != 0 {
		t.Fatal("a second Stop did something")
	}
}

// A start Temporal answers "already started" (the sweeper was first) is
// not a failure: not logged, counted apart. A real failure is logged with
// the delivery ID.
func TestDispatcherAlreadyStartedIsNotAFailure(t *testing.T) {
	f := newFakeStarts(func(_ context.Context, id string) error {
		if id == delivery(0).ID {
			return serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "")
		}
		return errors.New("boom")
	})
	q, logs := testDispatcher(f, 10, 1)
	already := metricValue(t, dispatchStarts.WithLabelValues("already_started"))
	failed := metricValue(t, dispatchStarts.WithLabelValues("failed"))
	q.Start(t.Context())
	q.Enqueue(delivery(0), models.Webhook{}, time.Now())
	q.Enqueue(delivery(1), models.Webhook{}, time.Now())
	q.Stop(context.WithoutCancel(t.Context()))
	if got := metricValue(t, dispatchStarts.WithLabelValues("already_started")); got != already+1 {
		t.Fatalf("already_started went from %v to %v, want +1", already, got)
	}
	if got := metricValue(t, dispatchStarts.WithLabelValues("failed")); got != failed+1 {
		t.Fatalf("failed went from %v to %v, want +1", failed, got)
	}
	out := logs.String()
	if strings.Contains(out, delivery(0).ID) {
		t.Fatalf("an already-started delivery was logged:\n%s", out)
	}
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "delivery="+delivery(1).ID) {
		t.Fatalf("the failed start was not logged with its delivery:\n%s", out)
	}
}

// Before Start (a process without the API) and after Stop nothing is
// queued: the rows are the sweeper's.
func TestDispatcherRefusesWhenNotRunning(t *testing.T) {
	f := newFakeStarts(nil)
	q, _ := testDispatcher(f, 10, 1)
	if q.Enqueue(delivery(0), models.Webhook{}, time.Now()) {
		t.Fatal("a dispatcher that was never started accepted a delivery")
	}
	if q.Stop(t.Context()) != 0 {
		t.Fatal("Stop before Start abandoned something")
	}
	q.Start(t.Context())
	if q.Enqueue(delivery(1), models.Webhook{}, time.Now()) {
		t.Fatal("a stopped dispatcher accepted a delivery")
	}
	if started, _ := f.counts(); len(started) != 0 {
		t.Fatalf("started: %v", started)
	}
}

// A fair dispatcher serves orgs in turn: org B's one delivery, queued
// behind org A's burst, is the next started after the start in flight; an
// unfair one starts it last, in arrival order.
func TestDispatcherServesOrgsInTurn(t *testing.T) {
	for _, tc := range []struct {
		fair bool
		want []string
	}{
		{fair: true, want: []string{"a0", "a1", "b0", "a2", "a3", "a4"}},
		{fair: false, want: []string{"a0", "a1", "a2", "a3", "a4", "b0"}},
	} {
		release := make(chan struct{})
		f := newFakeStarts(func(_ context.Context, id string) error {
			if id == "a0" {
				<-release
			}
			return nil
		})
		q := newDispatcher(f.start, DispatchSettings{QueueSize: 10, Concurrency: 1, Fair: tc.fair},
			slog.New(slog.DiscardHandler))
		q.Start(t.Context())
		enqueue := func(org string, i int) {
			d := models.Delivery{ID: org + strconv.Itoa(i), OrgID: "org_" + org}
			if !q.Enqueue(d, models.Webhook{}, time.Now()) {
				t.Fatalf("%s refused", d.ID)
			}
		}
		enqueue("a", 0)
		if got := <-f.entered; got != "a0" {
			t.Fatalf("first start %s, want a0", got)
		}
		for i := 1; i < 5; i++ {
			enqueue("a", i)
		}
		enqueue("b", 0)
		close(release)
		order := []string{"a0"}
		for range 5 {
			order = append(order, <-f.entered)
		}
		q.Stop(t.Context())
		if strings.Join(order, ",") != strings.Join(tc.want, ",") {
			t.Fatalf("fair=%v: start order %v, want %v", tc.fair, order, tc.want)
		}
	}
}

// The lanes take turns, one job each, and keep each org's own order; an
// emptied lane is dropped and comes back last when its org sends again.
func TestLanesRoundRobin(t *testing.T) {
	l := newLanes()
	push := func(key string, ids ...string) {
		for _, id := range ids {
			l.push(key, dispatchJob{d: models.Delivery{ID: id}})
		}
	}
	push("a", "a1", "a2", "a3")
	push("b", "b1")
	push("c", "c1", "c2")
	var got []string
	for range 3 {
		j, _ := l.pop()
		got = append(got, j.d.ID)
	}
	push("b", "b2") // b's lane was emptied: it reopens behind a and c
	for l.len() > 0 {
		j, _ := l.pop()
		got = append(got, j.d.ID)
	}
	want := "a1,b1,c1,a2,c2,b2,a3"
	if strings.Join(got, ",") != want {
		t.Fatalf("order %v, want %s", got, want)
	}
	if _, ok := l.pop(); ok || len(l.byKey) != 0 {
		t.Fatalf("empty lanes still hold %v", l.byKey)
	}
}
