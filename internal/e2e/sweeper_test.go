package e2e

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// strand commits an event with one delivery to webhookID, created age ago,
// and starts no workflow: what the sweeper sees after a crash between the
// commit and the start. The harness's one-hour sweep interval keeps the
// background sweeper quiet; rows two hours old count as stranded.
func (p *platform) strand(webhookID string, age time.Duration) models.Delivery {
	p.T().Helper()
	at := store.Now().Add(-age)
	ev := models.Event{ID: models.NewID("evt"), OrgID: p.OrgID, Type: "contact.created", Data: []byte(`{"contact":{"id":"x"}}`), CreatedAt: at}
	d := models.Delivery{ID: models.NewID("dlv"), OrgID: p.OrgID, EventID: ev.ID, WebhookID: webhookID, EventType: ev.Type,
		Status: models.StatusPending, CreatedAt: at, UpdatedAt: at}
	if _, err := p.App.Store.CreateEvent(p.T().Context(), &ev, []models.Delivery{d}, time.Hour); err != nil {
		p.T().Fatal(err)
	}
	return d
}

// holdWorkflow starts d's workflow on a task queue no worker polls, so
// Temporal holds a run that never makes an attempt.
func (p *platform) holdWorkflow(t *testing.T, d models.Delivery) {
	t.Helper()
	_, err := p.App.Temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{
		ID: contracts.DeliveryWorkflowID(d.ID), TaskQueue: "nobody-polls-" + t.Name(),
	}, contracts.DeliveryWorkflow, contracts.DeliveryWorkflowInput{DeliveryID: d.ID, AttemptTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
}

func (p *platform) stillStranded(t *testing.T) []string {
	t.Helper()
	ds, err := p.App.Store.Undispatched(t.Context(), store.Now(), 100)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range ds {
		ids = append(ids, d.ID)
	}
	return ids
}

// TestSweepLeavesWhatTemporalHolds: one stranded row's workflow is running
// (queued, no attempt yet), another's closed without an attempt. Neither
// is started again or counted, and neither is picked by the next sweep.
func TestSweepLeavesWhatTemporalHolds(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	w := p.createWebhook(r, nil)
	running, closed := p.strand(w.ID, 3*time.Hour), p.strand(w.ID, 2*time.Hour)
	p.holdWorkflow(t, running)
	t.Cleanup(func() {
		_ = p.App.Temporal.TerminateWorkflow(context.Background(), contracts.DeliveryWorkflowID(running.ID), "", "test over")
	})
	p.holdWorkflow(t, closed)
	if err := p.App.Temporal.TerminateWorkflow(t.Context(), contracts.DeliveryWorkflowID(closed.ID), "", "closed without an attempt"); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if n, err := p.App.Services.Sweeper.Sweep(t.Context()); err != nil || n != 0 {
			t.Fatalf("sweep %d started %d (%v); Temporal already held both", i+1, n, err)
		}
	}
	if left := p.stillStranded(t); len(left) != 0 {
		t.Fatalf("rows still picked by the sweeper: %v", left)
	}
	if r.count() != 0 {
		t.Fatalf("receiver got %d requests", r.count())
	}
}

// TestSweepSkipsARowWhoseStartFails: the oldest stranded row's endpoint
// carries a retry schedule (written past the API's validation) too large
// for a workflow input, so Temporal refuses its start every time. The row
// after it is still started and delivered.
func TestSweepSkipsARowWhoseStartFails(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	good := p.createWebhook(r, nil)
	badResp := p.createWebhook(newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature"), nil)
	bad, err := p.App.Store.WebhookByID(t.Context(), badResp.ID)
	if err != nil {
		t.Fatal(err)
	}
	// About 2.8 MB of workflow input, over the server's 2 MB blob limit.
	bad.RetrySchedule = slices.Repeat([]models.Duration{models.Duration(time.Hour)}, 200_000)
	if err := p.App.Store.UpdateWebhookColumns(t.Context(), &bad, "retry_schedule"); err != nil {
		t.Fatal(err)
	}
	broken, ok := p.strand(bad.ID, 3*time.Hour), p.strand(good.ID, 2*time.Hour)

	n, err := p.App.Services.Sweeper.Sweep(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("sweep: started %d, err %v; want 1 and no error", n, err)
	}
	if got := r.next(t); !got.SigValid || got.Header.Get("Idempotency-Key") != ok.ID {
		t.Fatalf("swept delivery: %v", got.Header)
	}
	p.waitStatus(ok.ID, models.StatusSucceeded)
	// The refused row is left for the next sweep, not marked.
	if left := p.stillStranded(t); !slices.Equal(left, []string{broken.ID}) {
		t.Fatalf("still stranded: %v, want only %s", left, broken.ID)
	}
}

// TestRedriveOfAnUnstartedDeliveryGetsTheWholeSchedule: a delivery whose
// workflow never started is re-driven with the endpoint's full schedule
// (three attempts here), not one attempt.
func TestRedriveOfAnUnstartedDeliveryGetsTheWholeSchedule(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(n int, w http.ResponseWriter) {
		if n < 3 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}
	w := p.createWebhook(r, map[string]any{"retry_schedule": []string{"0s", "0s"}})
	d := p.strand(w.ID, time.Minute)
	if code := p.call("POST", "/v1/deliveries/"+d.ID+"/retry", nil, nil); code != http.StatusAccepted {
		t.Fatalf("retry: %d", code)
	}
	got := p.waitStatus(d.ID, models.StatusSucceeded)
	if len(got.Attempts) != 3 || got.Attempts[0].Number != 1 || got.Attempts[2].ResponseStatus != 200 {
		t.Fatalf("attempts: %+v", got.Attempts)
	}
}

// TestSweepLeavesLookupsTemporalHolds is TestSweepLeavesWhatTemporalHolds
// for a customer lookup whose workflow is queued but has made no attempt.
func TestSweepLeavesLookupsTemporalHolds(t *testing.T) {
	p := newPlatform(t)
	p.configure(newLookupReceiver(t, "X-Switchboard-Signature"), nil)
	at := store.Now().Add(-2 * time.Hour)
	conv := models.Conversation{ID: models.NewID("conv"), OrgID: p.OrgID, VisitorID: "held", CreatedAt: at}
	ticket := models.Ticket{ID: models.NewID("tkt"), OrgID: p.OrgID, ConversationID: conv.ID, Status: "open", CreatedAt: at}
	msg := models.Message{ID: models.NewID("msg"), OrgID: p.OrgID, ConversationID: conv.ID, Sender: "visitor", Text: "hi", CreatedAt: at}
	profile := models.CustomerProfile{ConversationID: conv.ID, OrgID: p.OrgID, VisitorID: conv.VisitorID, Status: models.ProfilePending}
	lookup := models.Lookup{ID: models.NewID("lkp"), OrgID: p.OrgID, ConversationID: conv.ID, Trigger: models.TriggerFirstMessage,
		Status: models.LookupPending, CreatedAt: at}
	if err := p.App.Store.CreateConversationWithMessage(t.Context(), &conv, &ticket, &msg, &profile, &lookup); err != nil {
		t.Fatal(err)
	}
	id := contracts.LookupWorkflowID(lookup.ID)
	if _, err := p.App.Temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{ID: id, TaskQueue: "nobody-polls-" + t.Name()},
		contracts.LookupWorkflow, contracts.LookupWorkflowInput{LookupID: lookup.ID, AttemptTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.App.Temporal.TerminateWorkflow(context.Background(), id, "", "test over") })
	if n, err := p.App.Services.Sweeper.Sweep(t.Context()); err != nil || n != 0 {
		t.Fatalf("sweep started %d (%v); Temporal already held the lookup", n, err)
	}
	if left, err := p.App.Store.StrandedLookups(t.Context(), store.Now(), 10); err != nil || len(left) != 0 {
		t.Fatalf("lookups still picked by the sweeper: %v (%v)", left, err)
	}
}
