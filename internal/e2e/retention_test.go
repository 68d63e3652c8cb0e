package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// The retention Schedule purges events older than the org's retention
// with their deliveries and attempts, and keeps the rest.
func TestRetentionPurgesOldEvents(t *testing.T) {
	p := newPlatform(t)
	var org struct {
		RetentionDays int `json:"retention_days"`
	}
	if code := p.call("PATCH", "/v1/org", map[string]any{"retention_days": 1}, &org); code != 200 || org.RetentionDays != 1 {
		t.Fatalf("set retention: %d %+v", code, org)
	}
	var e apiError
	if code := p.call("PATCH", "/v1/org", map[string]any{"retention_days": 0}, &e); code != 400 || e.Error.Field != "retention_days" {
		t.Fatalf("retention 0: %d %+v", code, e)
	}
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	w := p.createWebhook(r, nil)
	// Two days old, with an attempt: expired. A fresh event: kept.
	at := store.Now().Add(-48 * time.Hour)
	old := models.Event{ID: models.NewID("evt"), OrgID: p.OrgID, Type: "contact.created", Data: []byte(`{"contact":{"id":"old"}}`), CreatedAt: at}
	d := models.Delivery{ID: models.NewID("dlv"), OrgID: p.OrgID, EventID: old.ID, WebhookID: w.ID, EventType: old.Type,
		Status: models.StatusFailed, Attempts: 1, CreatedAt: at, UpdatedAt: at}
	if _, err := p.App.Store.CreateEvent(t.Context(), &old, []models.Delivery{d}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := p.App.Store.RecordAttempt(t.Context(), &models.Attempt{ParentID: d.ID, Number: 1, URL: "x", CreatedAt: at},
		store.DeliveryUpdate{Status: models.StatusFailed, Completed: true}); err != nil {
		t.Fatal(err)
	}
	fresh := p.sendEvent(contactEvent)
	p.waitStatus(fresh.Deliveries[0].ID, models.StatusSucceeded)

	h := p.App.Temporal.ScheduleClient().GetHandle(t.Context(), contracts.RetentionScheduleID(p.App.Cfg.TaskQueue))
	if err := h.Trigger(t.Context(), client.ScheduleTriggerOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the expired event is purged", func() bool {
		return p.call("GET", "/v1/events/"+old.ID, nil, nil) == http.StatusNotFound
	})
	if code := p.call("GET", "/v1/deliveries/"+d.ID, nil, nil); code != http.StatusNotFound {
		t.Fatalf("the expired delivery is still there: %d", code)
	}
	if atts, err := p.App.Store.Attempts(t.Context(), d.ID); err != nil || len(atts) != 0 {
		t.Fatalf("attempts left: %d %v", len(atts), err)
	}
	if code := p.call("GET", "/v1/events/"+fresh.ID, nil, nil); code != http.StatusOK {
		t.Fatalf("a fresh event was purged: %d", code)
	}
	var run *historypb.History
	eventually(t, "the purge run is listed", func() bool {
		resp, err := p.App.Temporal.ListWorkflow(t.Context(), &workflowservice.ListWorkflowExecutionsRequest{
			Query: "WorkflowType = 'Retention' AND TaskQueue = '" + p.App.Cfg.TaskQueue + "' AND ExecutionStatus = 'Completed'"})
		if err != nil || len(resp.Executions) == 0 {
			return false
		}
		run = runHistory(t, p, resp.Executions[0].Execution.WorkflowId, resp.Executions[0].Execution.RunId)
		return true
	})
	recordHistory(t, "retention_purge", run)
}

// DELETE /v1/events/{id} erases the payload: the event reads back empty
// and its pending retry fails without sending it.
func TestEraseEvent(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }
	p.createWebhook(r, map[string]any{"retry_schedule": []string{"1h"}})
	ev := p.sendEvent(map[string]any{"type": "contact.created", "data": map[string]any{"contact": map[string]any{"id": "ct_9", "email": "secret@example.com"}}})
	id := ev.Deliveries[0].ID
	p.waitStatus(id, models.StatusRetrying)
	var erased struct {
		ErasedAt *time.Time `json:"erased_at"`
	}
	if code := p.call("DELETE", "/v1/events/"+ev.ID, nil, &erased); code != 200 || erased.ErasedAt == nil {
		t.Fatalf("erase: %d %+v", code, erased)
	}
	var got map[string]json.RawMessage
	p.call("GET", "/v1/events/"+ev.ID, nil, &got)
	if strings.Contains(string(got["data"]), "secret@example.com") || string(got["data"]) != "{}" {
		t.Fatalf("data after erase: %s", got["data"])
	}
	before := r.count()
	p.call("POST", "/v1/deliveries/"+id+"/retry", nil, nil)
	d := p.waitStatus(id, models.StatusFailed)
	if r.count() != before || d.Attempts[len(d.Attempts)-1].Error != "the event was erased" {
		t.Fatalf("an erased event was sent again (%d requests) or not recorded: %+v", r.count()-before, d.Attempts)
	}
	if code := p.call("DELETE", "/v1/events/evt_nope", nil, nil); code != http.StatusNotFound {
		t.Fatalf("erase unknown: %d", code)
	}
}
