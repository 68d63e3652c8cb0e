package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/models"
)

type webhookResp struct {
	ID              string `json:"id"`
	Secret          string `json:"secret"`
	Active          bool   `json:"active"`
	SigningScheme   string `json:"signing_scheme"`
	SignatureHeader string `json:"signature_header"`
	DisabledReason  string `json:"disabled_reason"`
}

type deliveryResp struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	WebhookID string `json:"webhook_id"`
}

type eventResp struct {
	ID         string         `json:"id"`
	Deliveries []deliveryResp `json:"deliveries"`
}

type deliveryDetail struct {
	Delivery deliveryResp `json:"delivery"`
	Attempts []struct {
		Number         int               `json:"number"`
		ResponseStatus int               `json:"response_status"`
		ResponseBody   string            `json:"response_body"`
		RequestHeaders map[string]string `json:"request_headers"`
		Error          string            `json:"error"`
	} `json:"attempts"`
}

func (p *platform) createWebhook(r *receiver, extra map[string]any) webhookResp {
	p.T().Helper()
	body := map[string]any{"url": r.URL, "event_types": []string{"contact.created", "message.created"}, "description": "e2e"}
	for k, v := range extra {
		body[k] = v
	}
	var w webhookResp
	if code := p.call("POST", "/v1/webhooks", body, &w); code != http.StatusCreated {
		p.T().Fatalf("create webhook: %d", code)
	}
	r.setSecret(w.Secret)
	return w
}

func (p *platform) sendEvent(body any) eventResp {
	p.T().Helper()
	var ev eventResp
	if code := p.call("POST", "/v1/events", body, &ev); code != http.StatusAccepted && code != http.StatusOK {
		p.T().Fatalf("post event: %d", code)
	}
	return ev
}

func (p *platform) waitStatus(id string, status models.DeliveryStatus) deliveryDetail {
	p.T().Helper()
	var d deliveryDetail
	eventually(p.T(), "delivery "+id+" to be "+string(status), func() bool {
		p.call("GET", "/v1/deliveries/"+id, nil, &d)
		return d.Delivery.Status == string(status)
	})
	return d
}

var contactEvent = map[string]any{"type": "contact.created", "data": map[string]any{"contact": map[string]any{"id": "ct_1", "email": "a@example.com"}}}

func TestSignedDeliveryEveryScheme(t *testing.T) {
	p := newPlatform(t)
	for _, tc := range []struct{ scheme, header string }{
		{"hmac-sha256-hex", "TinyTalk-Signature"},
		{"hmac-sha256-base64hex", "x-talkable-signature"},
		{"standard-webhooks", ""},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			r := newReceiver(t, tc.scheme, tc.header)
			extra := map[string]any{"signing_scheme": tc.scheme}
			if tc.header != "" {
				extra["signature_header"] = tc.header
			}
			w := p.createWebhook(r, extra)
			if !strings.HasPrefix(w.Secret, "whsec_") && tc.scheme == "standard-webhooks" {
				t.Fatalf("standard webhooks secret %q lacks whsec_", w.Secret)
			}
			ev := p.sendEvent(contactEvent)
			got := r.next(t)
			if !got.SigValid {
				t.Fatalf("signature did not verify; headers %v", got.Header)
			}
			var dlv string
			for _, d := range ev.Deliveries {
				if d.WebhookID == w.ID {
					dlv = d.ID
				}
			}
			if got.Header.Get("Idempotency-Key") != dlv || got.Header.Get("Content-Type") != "application/json" ||
				!strings.HasPrefix(got.Header.Get("User-Agent"), "Switchboard/") {
				t.Fatalf("headers: %v (delivery %s)", got.Header, dlv)
			}
			var env struct {
				ID, Type string
				Data     json.RawMessage
			}
			if err := json.Unmarshal(got.Body, &env); err != nil || env.ID != ev.ID || env.Type != "contact.created" {
				t.Fatalf("body %s", got.Body)
			}
			d := p.waitStatus(dlv, models.StatusSucceeded)
			if len(d.Attempts) != 1 || d.Attempts[0].ResponseStatus != 200 {
				t.Fatalf("attempts: %+v", d.Attempts)
			}
			p.call("PATCH", "/v1/webhooks/"+w.ID, map[string]any{"active": false}, nil)
		})
	}
}

func TestFailTwiceThenSucceedKeepsOneIdempotencyKey(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(n int, w http.ResponseWriter) {
		if n <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte("boom"))
		}
	}
	p.createWebhook(r, map[string]any{"retry_schedule": []string{"0s", "1s", "1h"}})
	ev := p.sendEvent(contactEvent)
	keys := map[string]bool{}
	for range 3 {
		got := r.next(t)
		if !got.SigValid {
			t.Fatal("bad signature on a retry")
		}
		keys[got.Header.Get("Idempotency-Key")] = true
	}
	if len(keys) != 1 || !keys[ev.Deliveries[0].ID] {
		t.Fatalf("idempotency keys across retries: %v", keys)
	}
	d := p.waitStatus(ev.Deliveries[0].ID, models.StatusSucceeded)
	if len(d.Attempts) != 3 || d.Attempts[0].ResponseStatus != 500 || d.Attempts[0].ResponseBody != "boom" ||
		d.Attempts[2].ResponseStatus != 200 || d.Delivery.Attempts != 3 {
		t.Fatalf("attempt rows: %+v", d)
	}
	for _, a := range d.Attempts {
		if a.RequestHeaders["Idempotency-Key"] != ev.Deliveries[0].ID {
			t.Fatalf("stored headers: %v", a.RequestHeaders)
		}
	}

	// The history endpoint shows the workflow, each attempt as its own step,
	// and never the secret.
	var hist struct {
		Events []struct {
			Type    string          `json:"type"`
			Details json.RawMessage `json:"details"`
		} `json:"events"`
	}
	// The attempt row is written before the workflow records its own
	// completion, so wait for the history to end.
	eventually(t, "the workflow to complete", func() bool {
		if code := p.call("GET", "/v1/deliveries/"+ev.Deliveries[0].ID+"/history", nil, &hist); code != 200 {
			t.Fatalf("history: %d", code)
		}
		return len(hist.Events) > 0 && hist.Events[len(hist.Events)-1].Type == "WorkflowExecutionCompleted"
	})
	types := map[string]int{}
	for _, e := range hist.Events {
		types[e.Type]++
		if strings.Contains(string(e.Details), r.secret) {
			t.Fatal("the signing secret appears in workflow history")
		}
	}
	// Attempt 1 is a local activity (a marker, beside the workflow's
	// version marker); the "0s" wait needs no timer; attempts 2 and 3 are
	// activities, the second after a 1s timer.
	if types["MarkerRecorded"] != 2 || types["ActivityTaskScheduled"] != 2 || types["ActivityTaskFailed"] != 1 ||
		types["TimerStarted"] != 1 || types["WorkflowExecutionCompleted"] != 1 {
		t.Fatalf("history event types: %v", types)
	}
}

func TestIdempotencyKeySendsOnce(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	p.createWebhook(r, nil)
	body := map[string]any{"type": "contact.created", "idempotency_key": "k-1", "data": contactEvent["data"]}
	first := p.sendEvent(body)
	r.next(t)
	var second eventResp
	if code := p.call("POST", "/v1/events", body, &second); code != http.StatusOK || second.ID != first.ID {
		t.Fatalf("repeat: %d %s vs %s", code, second.ID, first.ID)
	}
	p.waitStatus(first.Deliveries[0].ID, models.StatusSucceeded)
	if r.count() != 1 {
		t.Fatalf("receiver got %d requests", r.count())
	}
	var got eventResp
	if code := p.call("GET", "/v1/events/"+first.ID, nil, &got); code != 200 || len(got.Deliveries) != 1 || got.Deliveries[0].Status != string(models.StatusSucceeded) {
		t.Fatalf("event with deliveries: %d %+v", code, got)
	}
	var page struct {
		Data []deliveryResp `json:"data"`
	}
	p.call("GET", "/v1/deliveries?status=succeeded&event_type=contact.created&webhook_id="+first.Deliveries[0].WebhookID, nil, &page)
	if len(page.Data) != 1 || page.Data[0].ID != first.Deliveries[0].ID {
		t.Fatalf("filtered list: %+v", page.Data)
	}
	p.call("GET", "/v1/deliveries?status=failed", nil, &page)
	if len(page.Data) != 0 {
		t.Fatalf("status filter: %+v", page.Data)
	}
}

func TestGoneDeactivatesEndpoint(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) }
	w := p.createWebhook(r, nil)
	ev := p.sendEvent(contactEvent)
	d := p.waitStatus(ev.Deliveries[0].ID, models.StatusFailed)
	if len(d.Attempts) != 1 {
		t.Fatalf("410 was retried: %+v", d.Attempts)
	}
	var got webhookResp
	p.call("GET", "/v1/webhooks/"+w.ID, nil, &got)
	if got.Active || got.DisabledReason == "" {
		t.Fatalf("endpoint still active after 410: %+v", got)
	}
}
