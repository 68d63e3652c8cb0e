package activities

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// queueLag is the time from a delivery's commit to its first attempt:
// what a burst, a slow start or a worker backlog costs a receiver, beside
// the attempt's own duration (switchboard_outbound_attempt_duration_seconds).
var queueLag = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "switchboard_delivery_queue_lag_seconds",
	Help:    "Time from a delivery's commit to the start of its first attempt.",
	Buckets: prometheus.ExponentialBuckets(0.001, 2, 18),
})

// observeQueueLag records the lag of a first attempt starting now.
func observeQueueLag(attempt int, created, now time.Time) {
	if attempt == 1 && !created.IsZero() {
		queueLag.Observe(max(now.Sub(created), 0).Seconds())
	}
}
