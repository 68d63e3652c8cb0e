package app

import (
	"context"
	"fmt"
	"os"
	"sync"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/propagation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
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

// tracingConfigured reports whether the standard OTEL_* variables ask for
// trace export; without them tracing stays the global no-op.
func tracingConfigured() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" ||
		os.Getenv("OTEL_TRACES_EXPORTER") == "otlp"
}

// setupTracing installs, once per process and only when configured, an
// OTLP/HTTP exporter (endpoint, headers and TLS from the OTEL_* variables)
// as the global tracer provider with W3C trace-context propagation, so a
// trace runs API → workflow → activity → outbound call. The service name
// is OTEL_SERVICE_NAME, "switchboard" by default.
var setupTracing = sync.OnceValue(func() error {
	if !tracingConfigured() {
		return nil
	}
	exp, err := otlptracehttp.New(context.Background())
	if err != nil {
		return fmt.Errorf("trace exporter: %w", err)
	}
	name := os.Getenv("OTEL_SERVICE_NAME")
	if name == "" {
		name = "switchboard"
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(name)))
	if err != nil {
		return fmt.Errorf("trace resource: %w", err)
	}
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res)))
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	return nil
})

// temporalTracing is the SDK interceptor that carries the trace from a
// workflow start into the workflow and its activities (through Temporal
// headers). It reads the global tracer provider, a no-op unless tracing
// is configured (or a test installs one).
func temporalTracing() (interceptor.ClientInterceptor, error) {
	return temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{})
}
