package e2e

import (
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"
)

// One trace runs from the API request through the workflow start, the
// workflow and its activity to the outbound call, and on to the receiver
// (traceparent). The test installs an in-memory provider where a
// deployment sets OTEL_EXPORTER_OTLP_ENDPOINT.
func TestTraceRunsFromAPIToReceiver(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans)))
	otel.SetTextMapPropagator(propagation.TraceContext{})
	t.Cleanup(func() {
		otel.SetTracerProvider(noop.NewTracerProvider())
		otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator())
	})
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	w := p.createWebhook(r, nil)
	var res struct{ Success bool }
	if code := p.call("POST", "/v1/webhooks/"+w.ID+"/test", map[string]any{"event_type": "contact.created"}, &res); code != http.StatusOK || !res.Success {
		t.Fatalf("test send: %d %+v", code, res)
	}
	got := r.next(t)
	tp := got.Header.Get("Traceparent")
	if tp == "" {
		t.Fatal("the receiver got no traceparent")
	}
	var api sdktrace.ReadOnlySpan
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, s := range spans.GetSpans().Snapshots() {
		byName[s.Name()] = s
		if s.Name() == "POST /v1/webhooks/:id/test" {
			api = s
		}
	}
	if api == nil {
		t.Fatalf("no API span; spans: %v", names(byName))
	}
	trace := api.SpanContext().TraceID()
	if !strings.Contains(tp, trace.String()) {
		t.Fatalf("receiver traceparent %s is not the API's trace %s", tp, trace)
	}
	var temporal, outbound int
	for name, s := range byName {
		if s.SpanContext().TraceID() != trace {
			continue
		}
		if strings.Contains(name, "TestSend") {
			temporal++
		}
		if strings.HasPrefix(name, "POST 127.0.0.1:") {
			outbound++
		}
	}
	if temporal < 2 || outbound != 1 {
		t.Fatalf("trace %s: %d Temporal spans (want start and run), %d outbound; spans: %v", trace, temporal, outbound, names(byName))
	}
}

func names(m map[string]sdktrace.ReadOnlySpan) []string {
	out := make([]string, 0, len(m))
	for n := range m {
		out = append(out, n)
	}
	return out
}
