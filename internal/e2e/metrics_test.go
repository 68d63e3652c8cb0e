package e2e

import (
	"io"
	"net/http"
	"regexp"
	"testing"

	"github.com/switchboardhq/switchboard/models"
)

// /metrics serves the Temporal SDK's own metrics (through OpenTelemetry's
// Prometheus exporter) beside Switchboard's, and the queue lag of first
// attempts as a histogram.
func TestMetricsExportTemporalSDKAndQueueLag(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	p.createWebhook(r, nil)
	before := p.metric(t, "switchboard_delivery_queue_lag_seconds_count")
	ev := p.sendEvent(contactEvent)
	p.waitStatus(ev.Deliveries[0].ID, models.StatusSucceeded)
	if after := p.metric(t, "switchboard_delivery_queue_lag_seconds_count"); after != before+1 {
		t.Fatalf("queue lag observations %v -> %v, want one more", before, after)
	}
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, name := range []string{
		`temporal_request(_total)?\{[^}]*operation="StartWorkflowExecution"`,
		`temporal_workflow_completed(_total)?\{[^}]*workflow_type="Delivery"`,
		`temporal_(local_)?activity_execution_latency[a-z_]*_bucket\{`,
		`temporal_worker_task_slots_available\{`,
	} {
		if !regexp.MustCompile(name).Match(body) {
			t.Errorf("/metrics has no Temporal SDK series matching %s", name)
		}
	}
}
