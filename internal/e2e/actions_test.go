package e2e

import (
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/api/temporalproto"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/worker"
)

// Custom App actions end to end: POST /v1/actions/{action} reaches each
// enabled app through the delivery machinery. Receivers verify the
// signature as the Custom App doc's Ruby and JavaScript do (Base64 of the
// hex HMAC-SHA256 of the raw body, constant-time compare; see verify).

type appResp struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
}

type actionResp struct {
	ID         string `json:"id"`
	Action     string `json:"action"`
	Deliveries []struct {
		ID        string `json:"id"`
		AppID     string `json:"app_id"`
		WebhookID string `json:"webhook_id"`
		EventType string `json:"event_type"`
	} `json:"deliveries"`
}

type appDeliveryDetail struct {
	Delivery struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		AppID     string `json:"app_id"`
		WebhookID string `json:"webhook_id"`
		Attempts  int    `json:"attempts"`
	} `json:"delivery"`
	Attempts []struct {
		Number           int      `json:"number"`
		ResponseStatus   int      `json:"response_status"`
		MissingVariables []string `json:"missing_variables"`
	} `json:"attempts"`
}

// createApp creates an app that sends to r and gives r its secret.
func (p *platform) createApp(r *receiver, body map[string]any) appResp {
	p.T().Helper()
	body["url"] = r.URL
	if _, ok := body["name"]; !ok {
		body["name"] = "e2e app"
	}
	var a appResp
	if code := p.call("POST", "/v1/apps", body, &a); code != http.StatusCreated {
		p.T().Fatalf("create app: %d", code)
	}
	r.setSecret(a.Secret)
	return a
}

func (p *platform) sendAction(action string, body any) (int, actionResp) {
	p.T().Helper()
	var out actionResp
	code := p.call("POST", "/v1/actions/"+action, body, &out)
	return code, out
}

func (p *platform) waitAppDelivery(id string, status models.DeliveryStatus) appDeliveryDetail {
	p.T().Helper()
	var d appDeliveryDetail
	eventually(p.T(), "app delivery "+id+" to be "+string(status), func() bool {
		p.call("GET", "/v1/deliveries/"+id, nil, &d)
		return d.Delivery.Status == string(status)
	})
	return d
}

var referral = map[string]any{
	"site_id": "1", "campaign_id": "142", "referral_status": "in_progress",
	"advocate_email": "advocate@example.com", "friend_email": "friend@example.com",
}

func referralAction(attrs map[string]string, criteria string) map[string]any {
	a := map[string]any{"enabled": true, "attributes": attrs}
	if criteria != "" {
		a["criteria"] = criteria
	}
	return map[string]any{"referral_create": a}
}

func deliveryTo(t *testing.T, res actionResp, appID string) string {
	t.Helper()
	for _, d := range res.Deliveries {
		if d.AppID == appID {
			if d.WebhookID != "" || d.EventType != "action.referral_create" {
				t.Fatalf("delivery view %+v", d)
			}
			return d.ID
		}
	}
	t.Fatalf("no delivery to app %s in %+v", appID, res.Deliveries)
	return ""
}

// TestActionReachesEnabledApps: two apps get one signed POST each with the
// rendered payload (an attribute overriding a default field, a blank one
// left out and its missing variable listed); a disabled app, an app with
// the action disabled and an app whose criteria render false get nothing.
func TestActionReachesEnabledApps(t *testing.T) {
	p := newPlatform(t)
	ra := newReceiver(t, models.SchemeBase64HexHMAC, "x-talkable-signature")
	rb := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	never := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	a := p.createApp(ra, map[string]any{"signature_header": "x-talkable-signature", "actions": referralAction(map[string]string{
		"advocate_email": "{{ advocate_email | upcase }}", "nickname": "{{ friend_name }}", "label": "spring",
	}, "")})
	b := p.createApp(rb, map[string]any{"actions": referralAction(nil, `{% if referral_status == "in_progress" %}true{% endif %}`)})
	p.createApp(never, map[string]any{"enabled": false, "actions": referralAction(nil, "")})
	p.createApp(never, map[string]any{"actions": map[string]any{"referral_create": map[string]any{"enabled": false}}})
	p.createApp(never, map[string]any{"actions": referralAction(nil, `{% if referral_status == "approved" %}true{% endif %}`)})
	p.createApp(never, map[string]any{"actions": map[string]any{"sync_signups": map[string]any{}}})

	code, res := p.sendAction("referral_create", map[string]any{"variables": referral})
	if code != http.StatusAccepted || res.Action != "referral_create" || len(res.Deliveries) != 2 {
		t.Fatalf("send: %d %+v", code, res)
	}
	da, db := deliveryTo(t, res, a.ID), deliveryTo(t, res, b.ID)

	gotA, gotB := ra.next(t), rb.next(t)
	for _, got := range []received{gotA, gotB} {
		if !got.SigValid || got.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("signature or headers: %v", got.Header)
		}
	}
	if gotA.Header.Get("Idempotency-Key") != da || gotB.Header.Get("Idempotency-Key") != db {
		t.Fatalf("idempotency keys %q %q, deliveries %s %s", gotA.Header.Get("Idempotency-Key"), gotB.Header.Get("Idempotency-Key"), da, db)
	}
	want := `{"site_id":"1","campaign_id":"142","referral_status":"in_progress","advocate_email":"ADVOCATE@EXAMPLE.COM","friend_email":"friend@example.com","label":"spring"}`
	if string(gotA.Body) != want {
		t.Fatalf("app A body\n got %s\nwant %s", gotA.Body, want)
	}
	if want := `{"site_id":"1","campaign_id":"142","referral_status":"in_progress","advocate_email":"advocate@example.com","friend_email":"friend@example.com"}`; string(gotB.Body) != want {
		t.Fatalf("app B body\n got %s\nwant %s", gotB.Body, want)
	}
	detA := p.waitAppDelivery(da, models.StatusSucceeded)
	p.waitAppDelivery(db, models.StatusSucceeded)
	if detA.Delivery.AppID != a.ID || len(detA.Attempts) != 1 || !slices.Equal(detA.Attempts[0].MissingVariables, []string{"friend_name"}) {
		t.Fatalf("app A delivery: %+v", detA)
	}

	// The delivery log lists app deliveries and filters by app.
	var page struct {
		Data []struct {
			ID    string `json:"id"`
			AppID string `json:"app_id"`
		} `json:"data"`
	}
	if code := p.call("GET", "/v1/deliveries?app_id="+a.ID, nil, &page); code != 200 || len(page.Data) != 1 || page.Data[0].ID != da {
		t.Fatalf("list by app: %d %+v", code, page)
	}

	// History: every attempt a step; neither the app's secret nor the
	// rendered payload in it.
	var hist struct {
		Events []struct {
			Type    string          `json:"type"`
			Details json.RawMessage `json:"details"`
		} `json:"events"`
	}
	eventually(t, "app A's workflow to complete", func() bool {
		if code := p.call("GET", "/v1/deliveries/"+da+"/history", nil, &hist); code != 200 {
			t.Fatalf("history: %d", code)
		}
		return len(hist.Events) > 0 && hist.Events[len(hist.Events)-1].Type == "WorkflowExecutionCompleted"
	})
	for _, e := range hist.Events {
		if strings.Contains(string(e.Details), a.Secret) || strings.Contains(string(e.Details), "ADVOCATE@EXAMPLE.COM") {
			t.Fatalf("history event %s holds the secret or the payload", e.Type)
		}
	}
	if never.count() != 0 {
		t.Fatalf("a disabled app or action, or a false criteria, got %d requests", never.count())
	}
}

// TestActionRetriedWithSameKey: a 500 then a 200 is retried on the default
// schedule (5 s) with the same Idempotency-Key and signature rules.
func TestActionRetriedWithSameKey(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}
	a := p.createApp(r, map[string]any{"actions": referralAction(nil, "")})
	code, res := p.sendAction("referral_create", map[string]any{"variables": referral})
	if code != http.StatusAccepted {
		t.Fatalf("send: %d", code)
	}
	id := deliveryTo(t, res, a.ID)
	first, second := r.next(t), r.next(t)
	if !first.SigValid || !second.SigValid || first.Header.Get("Idempotency-Key") != id || second.Header.Get("Idempotency-Key") != id ||
		string(first.Body) != string(second.Body) {
		t.Fatalf("attempts differ: %v / %v", first.Header, second.Header)
	}
	d := p.waitAppDelivery(id, models.StatusSucceeded)
	if len(d.Attempts) != 2 || d.Attempts[0].ResponseStatus != 500 || d.Attempts[1].ResponseStatus != 200 {
		t.Fatalf("attempts: %+v", d.Attempts)
	}
}

// TestActionDeliveryCancelAndRetry: cancel and retry work on an app
// delivery as on an event delivery.
func TestActionDeliveryCancelAndRetry(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}
	a := p.createApp(r, map[string]any{"actions": referralAction(nil, "")})
	_, res := p.sendAction("referral_create", map[string]any{"variables": referral})
	id := deliveryTo(t, res, a.ID)
	r.next(t)
	p.waitAppDelivery(id, models.StatusRetrying)
	if code := p.call("POST", "/v1/deliveries/"+id+"/cancel", nil, nil); code != http.StatusAccepted && code != http.StatusOK && code != http.StatusNoContent {
		t.Fatalf("cancel: %d", code)
	}
	p.waitAppDelivery(id, models.StatusCancelled)
	if code := p.call("POST", "/v1/deliveries/"+id+"/retry", nil, nil); code >= 300 {
		t.Fatalf("retry: %d", code)
	}
	got := r.next(t)
	d := p.waitAppDelivery(id, models.StatusSucceeded)
	if !got.SigValid || got.Header.Get("Idempotency-Key") != id || len(d.Attempts) != 2 {
		t.Fatalf("re-driven attempt: %v %+v", got.Header, d)
	}
}

// TestActionIdempotentIngest: the same key answers 200 with the first
// action and sends nothing more; a key used by an event is a conflict, and the reverse.
func TestActionIdempotentIngest(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	a := p.createApp(r, map[string]any{"actions": referralAction(nil, "")})
	body := map[string]any{"variables": referral, "idempotency_key": "act-1"}
	code, first := p.sendAction("referral_create", body)
	if code != http.StatusAccepted {
		t.Fatalf("first: %d", code)
	}
	r.next(t)
	code, again := p.sendAction("referral_create", body)
	if code != http.StatusOK || again.ID != first.ID || len(again.Deliveries) != 1 {
		t.Fatalf("repeat: %d %+v", code, again)
	}
	p.waitAppDelivery(deliveryTo(t, first, a.ID), models.StatusSucceeded)
	if r.count() != 1 {
		t.Fatalf("receiver got %d requests", r.count())
	}
	// Events and actions share an org's keys: reusing one across them is
	// a conflict both ways, never the other kind's answer.
	ev := map[string]any{"type": "contact.created", "idempotency_key": "act-1", "data": contactEvent["data"]}
	if code := p.call("POST", "/v1/events", ev, nil); code != http.StatusConflict {
		t.Fatalf("event with an action's key: %d", code)
	}
	p.createWebhook(newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature"), nil)
	p.sendEvent(map[string]any{"type": "contact.created", "idempotency_key": "evt-1", "data": contactEvent["data"]})
	var e apiError
	if code := p.call("POST", "/v1/actions/referral_create", map[string]any{"variables": referral, "idempotency_key": "evt-1"}, &e); code != http.StatusConflict {
		t.Fatalf("action with an event's key: %d %+v", code, e)
	}
}

// TestActionCrossOrg: an org's action reaches only its own apps, and its
// deliveries are 404 to another org.
func TestActionCrossOrg(t *testing.T) {
	p := newPlatform(t)
	mine := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	theirs := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	a := p.createApp(mine, map[string]any{"actions": referralAction(nil, "")})
	other, err := p.App.Services.Orgs.CreateOrg(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	var b appResp
	if code := p.callWith(other.SecretKey, "POST", "/v1/apps", map[string]any{"name": "theirs", "url": theirs.URL, "actions": referralAction(nil, "")}, &b); code != http.StatusCreated {
		t.Fatalf("other org's app: %d", code)
	}
	theirs.setSecret(b.Secret)
	_, res := p.sendAction("referral_create", map[string]any{"variables": referral})
	if len(res.Deliveries) != 1 {
		t.Fatalf("deliveries: %+v", res.Deliveries)
	}
	id := deliveryTo(t, res, a.ID)
	p.waitAppDelivery(id, models.StatusSucceeded)
	for _, path := range []string{"/v1/deliveries/" + id, "/v1/deliveries/" + id + "/history", "/v1/events/" + res.ID} {
		if code := p.callWith(other.SecretKey, "GET", path, nil, nil); code != http.StatusNotFound {
			t.Fatalf("other org GET %s: %d", path, code)
		}
	}
	if theirs.count() != 0 {
		t.Fatalf("the other org's app got %d requests", theirs.count())
	}
}

// TestAppDeliveryHistoryReplays records an app delivery (a 503, then a
// retry-now, then a 200) into workflows/testdata (with
// SWITCHBOARD_WRITE_REPLAY_TESTDATA=1, as TestHistoriesReplay) and replays
// it with the current workflow code: app deliveries run the very same
// workflow, so their histories must stay replayable like the others.
func TestAppDeliveryHistoryReplays(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}
	a := p.createApp(r, map[string]any{"actions": referralAction(nil, "")})
	_, res := p.sendAction("referral_create", map[string]any{"variables": referral})
	id := deliveryTo(t, res, a.ID)
	p.waitAppDelivery(id, models.StatusRetrying)
	p.call("POST", "/v1/deliveries/"+id+"/retry", nil, nil)
	p.waitAppDelivery(id, models.StatusSucceeded)
	wid := contracts.DeliveryWorkflowID(id)
	_ = p.App.Temporal.GetWorkflow(t.Context(), wid, "").Get(t.Context(), nil)
	hist := fetchHistory(t, p.App.Temporal, wid)
	replayer := sdkworker.NewWorkflowReplayer()
	worker.Register(replayerRegistry{replayer}, nil)
	if err := replayer.ReplayWorkflowHistory(nil, hist); err != nil {
		t.Fatalf("app delivery history does not replay: %v", err)
	}
	path := filepath.Join(testenv.RepoRoot(), "workflows", "testdata", "delivery_v1_app_retry_now.json")
	if _, err := os.Stat(path); writeTestdata && errors.Is(err, fs.ErrNotExist) {
		raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
