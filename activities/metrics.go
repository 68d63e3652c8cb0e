package activities

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Outbound call metrics, exported on the API's /metrics. kind is
// "delivery", "test" or "lookup"; outcome is "ok", "http_error",
// "network_error" or "gone".
var (
	attemptsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "switchboard_outbound_attempts_total",
		Help: "Outbound HTTP attempts by kind and outcome.",
	}, []string{"kind", "outcome"})
	attemptDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "switchboard_outbound_attempt_duration_seconds",
		Help:    "Duration of outbound HTTP attempts (request sent to answer read).",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	}, []string{"kind"})
)

func observe(kind string, o outcome) {
	result := "ok"
	switch {
	case o.Err != nil:
		result = "network_error"
	case o.Status == 410:
		result = "gone"
	case !o.OK():
		result = "http_error"
	}
	attemptsTotal.WithLabelValues(kind, result).Inc()
	attemptDuration.WithLabelValues(kind).Observe(o.Duration.Seconds())
}
