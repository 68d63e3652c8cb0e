package service

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/switchboardhq/switchboard/models"
)

// Dispatch metrics, exported on the API's /metrics.
var (
	dispatchQueueDepth = promauto.NewGauge(prometheus.GaugeOpts{
		Name: "switchboard_dispatch_queue_depth",
		Help: "Committed deliveries waiting in this process for their workflow start.",
	})
	dispatchOverflow = promauto.NewCounter(prometheus.CounterOpts{
		Name: "switchboard_dispatch_overflow_total",
		Help: "Committed deliveries not queued because the dispatch queue was full (or the process was stopping); the sweeper starts them.",
	})
	dispatchStarts = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_dispatch_starts_total",
		Help: "Workflow starts made by the dispatcher by outcome: started, already_started (Temporal held the ID, e.g. the sweeper was first), abandoned (cut off by shutdown) or failed; the last two are left for the sweeper.",
	}, []string{"outcome"})
	dispatchStartLatency = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "switchboard_dispatch_start_latency_seconds",
		Help:    "Time from the ingest commit to the delivery workflow's start returning.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 18),
	})
)

// DispatchSettings bound the dispatcher.
type DispatchSettings struct {
	// QueueSize is how many committed deliveries may wait for a start.
	QueueSize int
	// Concurrency is how many starts may be in flight at once.
	Concurrency int
	// Fair serves each org's queued deliveries in turn (see lanes) rather
	// than all of them in arrival order.
	Fair bool
}

// dispatchJob is one committed delivery waiting for its workflow start.
type dispatchJob struct {
	d         models.Delivery
	w         models.Webhook
	committed time.Time
}

// startFunc starts one delivery's workflow; the dispatcher calls it from
// its own goroutines.
type startFunc func(ctx context.Context, d models.Delivery, w models.Webhook) error

// Dispatcher starts the workflows of committed deliveries after ingest has
// answered, so the caller waits for the commit and not for Temporal. It is
// bounded twice: a fixed-size queue and a fixed number of starters, whose
// blocking start calls pace the drain to the rate Temporal sustains.
//
// Tenant fairness: when Fair, the queue is one lane per org served in turn,
// so one org's burst does not hold another's deliveries behind it; the
// starts also carry the org as Temporal fairness key (deliveryStarter), so
// the task queue serves orgs in turn too once work has left this process.
//
// Backpressure: when the queue is full a delivery is not queued, the
// overflow counter counts it and its row stays pending for the sweeper,
// which starts it within about two SWEEP_INTERVALs. Ingest never waits for
// queue space, so its answer time stays the commit's. Nothing accepted is
// lost by that, or by a crash: every queued row is already committed, and
// the sweeper starts whatever no start reached Temporal for. A row the
// sweeper starts first makes the dispatcher's start fail with "already
// started", which is the expected outcome, not an error.
//
// One Dispatcher per process: service.New builds it, the app starts it in
// API processes and stops it on Close.
type Dispatcher struct {
	start startFunc
	log   *slog.Logger
	set   DispatchSettings

	// ready holds one token per queued job: a starter takes a token, then
	// the job whose turn it is from lanes.
	ready chan struct{}
	qmu   sync.Mutex // guards lanes
	lanes *lanes

	mu       sync.RWMutex // closed vs. Enqueue
	running  bool
	closed   bool
	stopping chan struct{} // closed by Stop: drain, then end
	abandon  chan struct{} // closed when the drain's deadline passes
	ctx      context.Context
	cancel   context.CancelFunc
	workers  sync.WaitGroup
}

func newDispatcher(start startFunc, set DispatchSettings, log *slog.Logger) *Dispatcher {
	set.QueueSize = max(set.QueueSize, 1)
	set.Concurrency = max(set.Concurrency, 1)
	return &Dispatcher{
		start: start, log: log, set: set,
		ready:    make(chan struct{}, set.QueueSize),
		lanes:    newLanes(),
		stopping: make(chan struct{}), abandon: make(chan struct{}),
	}
}

// Start runs the starters until Stop. The starts get a context of their
// own, detached from ctx's cancellation: a delivery accepted before
// shutdown began should still be started while Stop drains.
func (q *Dispatcher) Start(ctx context.Context) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.running || q.closed {
		return
	}
	q.running = true
	q.ctx, q.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for range q.set.Concurrency {
		q.workers.Go(q.run)
	}
}

// Enqueue hands a committed delivery to the starters without waiting. It
// reports false when the delivery was not queued (queue full, dispatcher
// not running or stopping): the row stays pending and the sweeper starts it.
func (q *Dispatcher) Enqueue(d models.Delivery, w models.Webhook, committed time.Time) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if !q.running || q.closed {
		dispatchOverflow.Inc()
		return false
	}
	q.qmu.Lock()
	if q.lanes.len() >= q.set.QueueSize {
		q.qmu.Unlock()
		dispatchOverflow.Inc()
		return false
	}
	key := ""
	if q.set.Fair {
		key = d.OrgID
	}
	q.lanes.push(key, dispatchJob{d: d, w: w, committed: committed})
	q.qmu.Unlock()
	dispatchQueueDepth.Inc()
	// Never blocks: ready has room for QueueSize tokens and there are no
	// more tokens than queued jobs.
	q.ready <- struct{}{}
	return true
}

// next takes the job whose turn it is; the caller holds a ready token.
func (q *Dispatcher) next() dispatchJob {
	q.qmu.Lock()
	defer q.qmu.Unlock()
	j, _ := q.lanes.pop()
	return j
}

// Stop stops accepting deliveries and drains the queue until ctx ends;
// then it cancels the starts in flight and abandons what is still queued,
// whose rows the sweeper (of this process after a restart, or of any
// worker) starts. It returns how many deliveries it abandoned. Calling it
// again, or before Start, does nothing.
func (q *Dispatcher) Stop(ctx context.Context) (abandoned int) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 0
	}
	q.closed = true
	wasRunning := q.running
	q.mu.Unlock()
	if !wasRunning {
		return 0
	}
	close(q.stopping)
	done := make(chan struct{})
	go func() { q.workers.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		close(q.abandon)
		q.cancel()
		<-done
	}
	q.cancel()
	// No Enqueue can add more (closed is set under the lock), and no
	// starter is left to take any: what is queued now is abandoned.
	for {
		select {
		case <-q.ready:
			q.next()
			dispatchQueueDepth.Dec()
			abandoned++
		default:
			if abandoned > 0 {
				q.log.Info("dispatcher stopped; deliveries left for the sweeper", "count", abandoned)
			}
			return abandoned
		}
	}
}

// run is one starter: it takes queued deliveries until Stop, then keeps
// taking them until the queue is empty or the drain is abandoned.
func (q *Dispatcher) run() {
	for !q.abandoned() {
		select {
		case <-q.ready:
			q.startOne(q.next())
		case <-q.stopping:
			for !q.abandoned() {
				select {
				case <-q.ready:
					q.startOne(q.next())
				default:
					return
				}
			}
			return
		}
	}
}

// abandoned reports that Stop gave up draining.
func (q *Dispatcher) abandoned() bool {
	select {
	case <-q.abandon:
		return true
	default:
		return false
	}
}

// startOne starts one delivery's workflow. A failure is logged and left to
// the sweeper; Temporal already holding the ID is a success of someone
// else's start (the sweeper's), neither logged nor counted as a failure.
func (q *Dispatcher) startOne(j dispatchJob) {
	dispatchQueueDepth.Dec()
	err := q.start(q.ctx, j.d, j.w)
	switch {
	case err == nil:
		dispatchStarts.WithLabelValues("started").Inc()
		dispatchStartLatency.Observe(time.Since(j.committed).Seconds())
	case alreadyStarted(err):
		dispatchStarts.WithLabelValues("already_started").Inc()
	case q.ctx.Err() != nil:
		// Stop gave up draining: the row is the sweeper's, as planned.
		dispatchStarts.WithLabelValues("abandoned").Inc()
	default:
		dispatchStarts.WithLabelValues("failed").Inc()
		q.log.Warn("delivery start deferred to sweeper", "delivery", j.d.ID, "err", err)
	}
}
