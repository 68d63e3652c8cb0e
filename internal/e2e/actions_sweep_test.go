package e2e

import (
	"testing"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// TestSweepStartsAStrandedAppDelivery: an action committed with its app
// delivery whose workflow never started (the process died after the
// commit) is started by the sweeper and reaches the app signed, with the
// app's id as the workflow's SwitchboardEndpoint search attribute.
func TestSweepStartsAStrandedAppDelivery(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	a := p.createApp(r, map[string]any{"actions": referralAction(map[string]string{"tag": "swept"}, "")})
	at := store.Now().Add(-2 * time.Hour)
	ev := models.Event{ID: models.NewID("evt"), OrgID: p.OrgID, Type: "action.referral_create",
		Data: []byte(`{"site_id":"1","advocate_email":"advocate@example.com"}`), CreatedAt: at}
	d := models.Delivery{ID: models.NewID("dlv"), OrgID: p.OrgID, EventID: ev.ID, AppID: a.ID, EventType: ev.Type,
		Status: models.StatusPending, CreatedAt: at, UpdatedAt: at}
	if _, err := p.App.Store.CreateEvent(t.Context(), &ev, []models.Delivery{d}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if n, err := p.App.Services.Sweeper.Sweep(t.Context()); err != nil || n != 1 {
		t.Fatalf("sweep started %d (%v), want 1", n, err)
	}
	got := r.next(t)
	want := `{"site_id":"1","campaign_id":"","referral_status":"","advocate_email":"advocate@example.com","friend_email":"","tag":"swept"}`
	if !got.SigValid || got.Header.Get("Idempotency-Key") != d.ID || string(got.Body) != want {
		t.Fatalf("swept app delivery: %v %s", got.Header, got.Body)
	}
	det := p.waitAppDelivery(d.ID, models.StatusSucceeded)
	if len(det.Attempts) != 1 || len(det.Attempts[0].MissingVariables) == 0 {
		t.Fatalf("attempt should list the missing variables: %+v", det.Attempts)
	}
	desc, err := p.App.Temporal.DescribeWorkflowExecution(t.Context(), contracts.DeliveryWorkflowID(d.ID), "")
	if err != nil {
		t.Fatal(err)
	}
	var endpoint string
	fields := desc.GetWorkflowExecutionInfo().GetSearchAttributes().GetIndexedFields()
	if err := converter.GetDefaultDataConverter().FromPayload(fields[contracts.AttrEndpoint.GetName()], &endpoint); err != nil || endpoint != a.ID {
		t.Fatalf("SwitchboardEndpoint = %q (%v), want the app %s", endpoint, err, a.ID)
	}
}
