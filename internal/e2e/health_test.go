package e2e

import (
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
)

// Auto-disable end to end, driven by the real Temporal Schedule: an
// exhausted delivery sends delivery.exhausted, the health check warns
// (endpoint.failing) and then, past the shortened window, disables the
// endpoint (endpoint.disabled), all signed to the org's operational
// endpoint; events for the disabled endpoint are kept as skipped
// deliveries, and enabling it with replay_skipped sends them.
func TestAutoDisableKeepsEventsAndNotifies(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.AutoDisableAfter, cfg.AutoDisableMinAttempts, cfg.FailingWarnAfter = 2*time.Second, 2, 0
	p := &platform{harness.New(t, cfg)}

	ops := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	opsHook := p.createWebhook(ops, map[string]any{"event_types": []string{"endpoint.failing", "endpoint.disabled", "delivery.exhausted"}})
	ops.setSecret(opsHook.Secret)
	var healthy atomic.Bool
	bad := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	bad.answer = func(_ int, w http.ResponseWriter) {
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}
	w := p.createWebhook(bad, map[string]any{"retry_schedule": []string{"0s"}, "event_types": []string{"contact.created"}})

	opsEvent := func(want string) map[string]any {
		t.Helper()
		got := ops.next(t)
		var env struct {
			Type string         `json:"type"`
			Data map[string]any `json:"data"`
		}
		if err := json.Unmarshal(got.Body, &env); err != nil || env.Type != want || !got.SigValid {
			t.Fatalf("operational event: %s (signature valid %v), want %s", got.Body, got.SigValid, want)
		}
		return env.Data
	}
	first := p.sendEvent(contactEvent).Deliveries[0].ID
	p.waitStatus(first, models.StatusFailed)
	if d := opsEvent("delivery.exhausted")["delivery"].(map[string]any); d["id"] != first || d["webhook_id"] != w.ID {
		t.Fatalf("delivery.exhausted: %+v", d)
	}
	trigger := func() {
		h := p.App.Temporal.ScheduleClient().GetHandle(t.Context(), contracts.EndpointHealthScheduleID(cfg.TaskQueue))
		if err := h.Trigger(t.Context(), client.ScheduleTriggerOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	trigger()
	if e := opsEvent("endpoint.failing")["endpoint"].(map[string]any); e["id"] != w.ID || e["failed_attempts"].(float64) != 2 {
		t.Fatalf("endpoint.failing: %+v", e)
	}
	time.Sleep(2 * time.Second) // the shortened window
	trigger()
	if e := opsEvent("endpoint.disabled")["endpoint"].(map[string]any); e["id"] != w.ID || e["reason"] == "" {
		t.Fatalf("endpoint.disabled: %+v", e)
	}
	var got webhookResp
	p.call("GET", "/v1/webhooks/"+w.ID, nil, &got)
	if got.Active {
		t.Fatalf("endpoint still active: %+v", got)
	}

	// Kept, not dropped: a skipped delivery, no request.
	before := bad.count()
	kept := p.sendEvent(contactEvent).Deliveries
	if len(kept) != 1 || kept[0].Status != "skipped" {
		t.Fatalf("event for the disabled endpoint: %+v", kept)
	}
	healthy.Store(true)
	var en struct {
		Webhook  webhookResp `json:"webhook"`
		Replayed int         `json:"replayed_skipped"`
	}
	if code := p.call("POST", "/v1/webhooks/"+w.ID+"/enable", map[string]any{"replay_skipped": true}, &en); code != 200 || !en.Webhook.Active || en.Replayed != 1 {
		t.Fatalf("enable: %d %+v", code, en)
	}
	p.waitStatus(kept[0].ID, models.StatusSucceeded)
	if bad.count() != before+1 {
		t.Fatalf("the kept event was sent %d times", bad.count()-before)
	}
	// The Schedule's runs are EndpointHealth workflows: record one.
	var run *historypb.History
	eventually(t, "the health check runs are listed", func() bool {
		resp, err := p.App.Temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: "WorkflowType = 'EndpointHealth' AND TaskQueue = '" + cfg.TaskQueue + "' AND ExecutionStatus = 'Completed'"})
		if err != nil || len(resp.Executions) == 0 {
			return false
		}
		e := resp.Executions[0].Execution
		run = runHistory(t, p, e.WorkflowId, e.RunId)
		return true
	})
	recordHistory(t, "endpoint_health_disabled", run)

	var e apiError
	if code := p.call("POST", "/v1/events", map[string]any{"type": "endpoint.disabled", "data": map[string]any{"endpoint": map[string]any{"id": "x", "url": "u", "reason": "r"}}}, &e); code != 400 || e.Error.Code != "reserved_event_type" {
		t.Fatalf("spoofed operational event: %d %+v", code, e)
	}
}
