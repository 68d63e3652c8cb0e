package outbound

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Outbound call metrics, exported on the API's /metrics. kind is the
// Request's Kind ("delivery", "test", "lookup", …); outcome is "ok",
// "http_error", "network_error" (timeouts included), "gone", "redirect", "refused" or
// "sign".
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

func observe(kind string, r Result) {
	result := "ok"
	switch {
	case r.Status == 410:
		result = "gone"
	case r.Fail == FailTimeout:
		result = "network_error"
	case r.Fail != FailNone:
		result = r.Fail
	}
	attemptsTotal.WithLabelValues(kind, result).Inc()
	attemptDuration.WithLabelValues(kind).Observe(r.Duration.Seconds())
}
