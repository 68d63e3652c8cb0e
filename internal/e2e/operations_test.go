package e2e

import (
	"bytes"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/converter"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/harness"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

func TestRetryNowSkipsThePendingWait(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}
	p.createWebhook(r, map[string]any{"retry_schedule": []string{"1h"}})
	ev := p.sendEvent(contactEvent)
	r.next(t)
	id := ev.Deliveries[0].ID
	p.waitStatus(id, models.StatusRetrying)
	if code := p.call("POST", "/v1/deliveries/"+id+"/retry", nil, nil); code != http.StatusAccepted {
		t.Fatalf("retry: %d", code)
	}
	r.next(t) // well before the hour-long timer
	p.waitStatus(id, models.StatusSucceeded)
}

func TestCancelPendingRetry(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }
	p.createWebhook(r, map[string]any{"retry_schedule": []string{"1h"}})
	ev := p.sendEvent(contactEvent)
	id := ev.Deliveries[0].ID
	p.waitStatus(id, models.StatusRetrying)
	if code := p.call("POST", "/v1/deliveries/"+id+"/cancel", nil, nil); code != http.StatusAccepted {
		t.Fatalf("cancel: %d", code)
	}
	p.waitStatus(id, models.StatusCancelled)
	if code := p.call("POST", "/v1/deliveries/"+id+"/cancel", nil, nil); code != http.StatusConflict {
		t.Fatalf("second cancel: %d, want 409", code)
	}
}

func TestRedriveFailedDeliveryStartsANewRun(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusBadGateway)
		}
	}
	p.createWebhook(r, map[string]any{"retry_schedule": []string{}})
	ev := p.sendEvent(contactEvent)
	id := ev.Deliveries[0].ID
	p.waitStatus(id, models.StatusFailed)
	if code := p.call("POST", "/v1/deliveries/"+id+"/retry", nil, nil); code != http.StatusAccepted {
		t.Fatalf("redrive: %d", code)
	}
	d := p.waitStatus(id, models.StatusSucceeded)
	if len(d.Attempts) != 2 || d.Attempts[1].Number != 2 || d.Attempts[1].ResponseStatus != 200 {
		t.Fatalf("attempts after redrive: %+v", d.Attempts)
	}
	if code := p.call("POST", "/v1/deliveries/"+id+"/retry", nil, nil); code != http.StatusConflict {
		t.Fatalf("retry of a succeeded delivery: %d, want 409", code)
	}

	// The history route shows both runs, oldest first, each event marked by
	// its run: the failed first run is not hidden by the re-drive.
	var hist struct {
		Events []struct {
			RunID string `json:"run_id"`
			ID    int64  `json:"id"`
			Type  string `json:"type"`
		} `json:"events"`
	}
	if code := p.call("GET", "/v1/deliveries/"+id+"/history", nil, &hist); code != http.StatusOK {
		t.Fatalf("history: %d", code)
	}
	var runs []string
	for i, e := range hist.Events {
		if i == 0 || e.RunID != hist.Events[i-1].RunID {
			if e.ID != 1 || e.Type != "WorkflowExecutionStarted" {
				t.Fatalf("a run's events must start with its start event: %+v", e)
			}
			runs = append(runs, e.RunID)
		}
	}
	if len(runs) != 2 || runs[0] == runs[1] || runs[0] == "" {
		t.Fatalf("runs in the history: %v", runs)
	}
}

func TestTestButtonSendsSignedSample(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-base64hex", "x-talkable-signature")
	r.answer = func(_ int, w http.ResponseWriter) { _, _ = w.Write([]byte(`{"ok":true}`)) }
	w := p.createWebhook(r, map[string]any{"signing_scheme": "hmac-sha256-base64hex", "signature_header": "x-talkable-signature"})
	var res struct {
		StatusCode   int    `json:"status_code"`
		ResponseBody string `json:"response_body"`
		Success      bool   `json:"success"`
	}
	if code := p.call("POST", "/v1/webhooks/"+w.ID+"/test", map[string]any{"event_type": "takeover.request"}, &res); code != 200 {
		t.Fatalf("test: %d", code)
	}
	if !res.Success || res.StatusCode != 200 || res.ResponseBody != `{"ok":true}` {
		t.Fatalf("test result: %+v", res)
	}
	if got := r.next(t); !got.SigValid {
		t.Fatal("test payload signature did not verify")
	}
	var e struct{ Error struct{ Code string } }
	if code := p.call("POST", "/v1/webhooks/"+w.ID+"/test", map[string]any{"event_type": "nope"}, &e); code != 400 || e.Error.Code != "unknown_event_type" {
		t.Fatalf("unknown type: %d %+v", code, e)
	}
}

// TestSweeperStartsStrandedDeliveries commits an event and its delivery as
// ingest does, but never starts the workflow, as if the process died right
// after the commit; the sweeper must deliver it.
func TestSweeperStartsStrandedDeliveries(t *testing.T) {
	// The harness sets a one-hour sweep interval: the background sweeper does
	// not tick during the test, and a row two hours old counts as stranded.
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	w := p.createWebhook(r, nil)
	now := store.Now().Add(-2 * time.Hour)
	ev := models.Event{ID: models.NewID("evt"), OrgID: p.OrgID, Type: "contact.created", Data: []byte(`{"contact":{"id":"x"}}`), CreatedAt: now}
	d := models.Delivery{ID: models.NewID("dlv"), OrgID: p.OrgID, EventID: ev.ID, WebhookID: w.ID, EventType: ev.Type,
		Status: models.StatusPending, CreatedAt: now, UpdatedAt: now}
	if _, err := p.App.Store.CreateEvent(t.Context(), &ev, []models.Delivery{d}, time.Hour); err != nil {
		t.Fatal(err)
	}
	n, err := p.App.Services.Sweeper.Sweep(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if got := r.next(t); !got.SigValid || got.Header.Get("Idempotency-Key") != d.ID {
		t.Fatalf("swept delivery: %+v", got.Header)
	}
	p.waitStatus(d.ID, models.StatusSucceeded)
	if n, err := p.App.Services.Sweeper.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("second sweep started %d (%v)", n, err)
	}
}

func TestOrgScopingAndKeys(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	w := p.createWebhook(r, nil)
	other, err := p.App.Services.Orgs.CreateOrg(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Error struct{ Code string } }
	if code := p.callWith("", "GET", "/v1/webhooks", nil, &e); code != 401 || e.Error.Code != "unauthorized" {
		t.Fatalf("no key: %d %+v", code, e)
	}
	if code := p.callWith("sb_sk_wrong", "GET", "/v1/webhooks", nil, nil); code != 401 {
		t.Fatalf("bad key: %d", code)
	}
	if code := p.callWith(other.SecretKey, "GET", "/v1/webhooks/"+w.ID, nil, &e); code != 404 {
		t.Fatalf("other org's webhook: %d", code)
	}
	if code := p.callWith(p.PubKey, "GET", "/v1/webhooks", nil, &e); code != 403 || e.Error.Code != "forbidden" {
		t.Fatalf("public key on admin route: %d %+v", code, e)
	}
}

// TestBinaryAnswerIsRecorded: a receiver answering NUL bytes and invalid
// UTF-8 must not break attempt persistence on PostgreSQL.
func TestBinaryAnswerIsRecorded(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("bad\x00\xff\xfe answer"))
		}
	}
	p.createWebhook(r, map[string]any{"retry_schedule": []string{"0s"}})
	ev := p.sendEvent(contactEvent)
	d := p.waitStatus(ev.Deliveries[0].ID, models.StatusSucceeded)
	if len(d.Attempts) != 2 || d.Attempts[0].ResponseStatus != 500 || d.Attempts[0].ResponseBody != "bad\uFFFD answer" {
		t.Fatalf("attempts: %+v", d.Attempts)
	}
}

// TestPendingRetrySurvivesTheProcess stops the process that made the first
// attempt while the retry waits on its durable timer; a new worker process
// on the same database and task queue makes the retry.
func TestPendingRetrySurvivesTheProcess(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}
	p.createWebhook(r, map[string]any{"retry_schedule": []string{"2s"}})
	ev := p.sendEvent(contactEvent)
	id := ev.Deliveries[0].ID
	p.waitStatus(id, models.StatusRetrying)
	p.App.Close() // the first process goes away mid-schedule

	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	second, err := app.Start(t.Context(), p.App.Cfg, log, app.Parts{Worker: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(second.Close)
	if got := r.next(t); !got.SigValid || got.Header.Get("Idempotency-Key") != id {
		t.Fatalf("retry from the second process: %v", got.Header)
	}
	harness.Eventually(t, "the delivery to succeed", func() bool {
		d, err := second.Store.DeliveryByID(t.Context(), id)
		return err == nil && d.Status == models.StatusSucceeded && d.Attempts == 2
	})
}

// TestEncryptedSecretsEndToEnd runs a delivery and a customer lookup with
// secrets sealed at rest: what is stored is not what is signed with, yet
// both receivers verify.
func TestEncryptedSecretsEndToEnd(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	cfg.SecretKey = base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{42}, 32))
	p := &platform{harness.New(t, cfg)}

	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	p.createWebhook(r, nil)
	ev := p.sendEvent(contactEvent)
	if got := r.next(t); !got.SigValid {
		t.Fatal("delivery signature did not verify with a sealed secret")
	}
	p.waitStatus(ev.Deliveries[0].ID, models.StatusSucceeded)

	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	p.configure(lr, nil)
	m := p.message(map[string]any{"visitor_id": "sealed", "text": "hi"})
	if c := p.waitCustomer(m.ConversationID, models.ProfileOK); c.Profile == nil {
		t.Fatalf("customer: %+v", c)
	}
}

// TestFailedDeliveryReadsLikeTheProductInTheWebUI: read back through the
// Temporal API what an operator sees: a delivery that exhausts its
// attempts is a Failed run with the last error, the run has a one-line
// summary (event type → endpoint host) and each attempt's step says which
// attempt it was; the run carries its org as fairness key.
func TestFailedDeliveryReadsLikeTheProductInTheWebUI(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusServiceUnavailable) }
	p.createWebhook(r, map[string]any{"retry_schedule": []string{"1s"}})
	ev := p.sendEvent(contactEvent)
	id := ev.Deliveries[0].ID
	p.waitStatus(id, models.StatusFailed)

	tc := p.App.Temporal
	var desc *workflowservice.DescribeWorkflowExecutionResponse
	eventually(t, "the run to close", func() bool {
		var err error
		desc, err = tc.DescribeWorkflowExecution(t.Context(), contracts.DeliveryWorkflowID(id), "")
		return err == nil && desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	if got := desc.GetWorkflowExecutionInfo().GetStatus(); got != enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		t.Fatalf("an exhausted delivery's run is %v, want FAILED", got)
	}
	var summary string
	if err := converter.GetDefaultDataConverter().FromPayload(desc.GetExecutionConfig().GetUserMetadata().GetSummary(), &summary); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(r.URL, "http://")
	if summary != "contact.created → "+host {
		t.Fatalf("run summary %q", summary)
	}
	// Tenant fairness: the task queue serves the run's tasks by its org.
	if key := desc.GetWorkflowExecutionInfo().GetPriority().GetFairnessKey(); key != p.OrgID {
		t.Fatalf("run fairness key %q, want the org %q", key, p.OrgID)
	}
	it := tc.GetWorkflowHistory(t.Context(), contracts.DeliveryWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	closing, err := it.Next()
	if err != nil {
		t.Fatal(err)
	}
	failure := closing.GetWorkflowExecutionFailedEventAttributes().GetFailure()
	if failure.GetMessage() != "HTTP 503" || failure.GetApplicationFailureInfo().GetType() != contracts.ErrTypeDeliveryFailed {
		t.Fatalf("the failed run's error: %v", failure)
	}
	// The second attempt is a regular activity whose step reads "attempt 2/2".
	it = tc.GetWorkflowHistory(t.Context(), contracts.DeliveryWorkflowID(id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	found := false
	for it.HasNext() {
		e, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if e.GetEventType() != enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED {
			continue
		}
		var s string
		if err := converter.GetDefaultDataConverter().FromPayload(e.GetUserMetadata().GetSummary(), &s); err == nil && s == "attempt 2/2" {
			found = true
		}
	}
	if !found {
		t.Fatal(`no "attempt 2/2" step in the history`)
	}
}
