package app

import (
	"fmt"
	"sync"

	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// temporalMetrics is the Temporal SDK's metrics handler: the SDK's own
// metrics (requests, workflow and activity task latencies, poller and
// cache gauges, schedule-to-start) go through OpenTelemetry's Prometheus
// exporter into the process's default Prometheus registry, so /metrics
// serves them beside Switchboard's own. It is built once per process:
// the exporter registers its collector on the default registry, which
// refuses a second registration.
var temporalMetrics = sync.OnceValues(func() (client.MetricsHandler, error) {
	exporter, err := otelprom.New()
	if err != nil {
		return nil, fmt.Errorf("temporal metrics exporter: %w", err)
	}
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{Meter: provider.Meter("go.temporal.io/sdk")}), nil
})
