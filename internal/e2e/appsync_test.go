package e2e

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestClickVerificationSlowAppFailsOpen: an app that answers after 2 s is
// past its 1 s timeout. The caller is answered verified with reason
// "timeout" (the doc's fail-open rule) without waiting for the app; the
// workflow records the slow app's outcome afterwards; neither the app's
// secret nor the request's variables reach Temporal history.
func TestClickVerificationSlowAppFailsOpen(t *testing.T) {
	p := newPlatform(t)
	slow := newAppReceiver(t, "x-talkable-signature", 2*time.Second, 200, `{"verified": false}`)
	app := p.createVerifyApp(t, slow, map[string]any{"actions": clickAction(nil)})

	c := p.verifyClick(t, map[string]any{"email": "friend@shop.example", "site_id": "1"})
	if !c.Verified || c.Reason != "timeout" || c.VerificationID == "" || len(c.Apps) != 1 {
		t.Fatalf("answer: %+v", c)
	}
	if v, reason, _ := c.app(t, app.ID); !v || reason != "timeout" {
		t.Fatalf("the slow app's part: %v %q", v, reason)
	}
	// The late outcome is recorded after the answer, and does not change
	// the decision the caller was given.
	var d verificationDetail
	eventually(t, "the slow app's attempt to be recorded", func() bool {
		d = p.verification(t, c.VerificationID)
		return len(d.Apps) == 1 && d.Apps[0].Status == "done"
	})
	if a := d.Apps[0]; a.AppID != app.ID || a.Reason != "timeout" || !a.Verified {
		t.Fatalf("recorded attempt: %+v", a)
	}
	if !d.Verification.Decided || !d.Verification.Verified || d.Verification.Reason != "timeout" ||
		d.Verification.Variables["email"] != "friend@shop.example" {
		t.Fatalf("stored decision: %+v", d.Verification)
	}
	got := slow.requests()
	if len(got) != 1 || !got[0].SigValid {
		t.Fatalf("the app got %d requests (signature valid: %v)", len(got), len(got) == 1 && got[0].SigValid)
	}
	var sent map[string]any
	if err := json.Unmarshal(got[0].Body, &sent); err != nil || sent["email"] != "friend@shop.example" || sent["site_id"] != "1" {
		t.Fatalf("payload %s: %v", got[0].Body, err)
	}

	var history string
	eventually(t, "the workflow to complete", func() bool {
		history = p.rawGet("/v1/rewards/verifications/" + c.VerificationID + "/history")
		return strings.Contains(history, "WorkflowExecutionCompleted")
	})
	// Payloads are Base64 in the history's JSON: search them decoded too.
	history = withDecodedPayloads(history)
	if !strings.Contains(history, "ClickVerifyApp") || !strings.Contains(history, "FinishClickVerification") {
		t.Fatalf("history lacks the app call: %s", history)
	}
	for _, leak := range []string{app.Secret, "friend@shop.example"} {
		if strings.Contains(history, leak) {
			t.Fatalf("%q leaked into the Temporal history", leak)
		}
	}
}

// TestClickVerificationRejections: {"verified": false} and
// {"result": {"verified": false}} reject; any other 2xx verifies; a 503
// fails open with reason http_503; one rejecting app rejects the click.
func TestClickVerificationRejections(t *testing.T) {
	p := newPlatform(t)
	no := newAppReceiver(t, "x-talkable-signature", 0, 200, `{"verified": false}`)
	appNo := p.createVerifyApp(t, no, map[string]any{"actions": clickAction(nil)})
	c := p.verifyClick(t, map[string]any{"email": "a@shop.example"})
	if c.Verified || c.Reason != "rejected" {
		t.Fatalf("one rejecting app: %+v", c)
	}
	if v, reason, status := c.app(t, appNo.ID); v || reason != "rejected" || status != 200 {
		t.Fatalf("its part: %v %q %d", v, reason, status)
	}

	// Two apps, one rejecting (nested form), one verifying: rejected.
	if code := p.call("DELETE", "/v1/apps/"+appNo.ID, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	nested := newAppReceiver(t, "X-Switchboard-Signature", 0, 200, `{"result": {"verified": false}}`)
	yes := newAppReceiver(t, "x-talkable-signature", 0, 200, `{"verified": true}`)
	appNested := p.createVerifyApp(t, nested, map[string]any{"actions": clickAction(nil)})
	appYes := p.createVerifyApp(t, yes, map[string]any{"actions": clickAction(nil), "timeout_ms": 3000})
	c = p.verifyClick(t, map[string]any{"email": "b@shop.example", "site_id": 7})
	if c.Verified || c.Reason != "rejected" || len(c.Apps) != 2 {
		t.Fatalf("two apps, one rejecting: %+v", c)
	}
	if v, reason, _ := c.app(t, appNested.ID); v || reason != "rejected" {
		t.Fatalf("nested rejection: %v %q", v, reason)
	}
	if v, reason, _ := c.app(t, appYes.ID); !v || reason != "verified" {
		t.Fatalf("verifying app: %v %q", v, reason)
	}
	for _, r := range []*appReceiver{nested, yes} {
		if got := r.requests(); len(got) != 1 || !got[0].SigValid {
			t.Fatalf("receiver got %d requests, signature valid %v", len(got), len(got) == 1 && got[0].SigValid)
		}
	}

	// A 503 is not an answer: it fails open, with its reason.
	if code := p.call("DELETE", "/v1/apps/"+appNested.ID, nil, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	down := newAppReceiver(t, "x-talkable-signature", 0, 503, `busy`)
	appDown := p.createVerifyApp(t, down, map[string]any{"actions": clickAction(nil)})
	c = p.verifyClick(t, map[string]any{"email": "c@shop.example"})
	if !c.Verified || c.Reason != "http_503" {
		t.Fatalf("a 503 and a yes: %+v", c)
	}
	if v, reason, status := c.app(t, appDown.ID); !v || reason != "http_503" || status != 503 {
		t.Fatalf("the 503 app's part: %v %q %d", v, reason, status)
	}
	d := p.verification(t, c.VerificationID)
	if !d.Verification.Verified || d.Verification.Reason != "http_503" || len(d.Apps) != 2 {
		t.Fatalf("stored: %+v", d)
	}
}

// TestClickVerificationAsksOnlyEnabledApps: a disabled app, a disabled
// action and a false criteria are not asked; with nobody to ask the click
// is verified with reason no_apps.
func TestClickVerificationAsksOnlyEnabledApps(t *testing.T) {
	p := newPlatform(t)
	r := newAppReceiver(t, "x-talkable-signature", 0, 200, `{"verified": false}`)
	p.createVerifyApp(t, r, map[string]any{"enabled": false, "actions": clickAction(nil)})
	p.createVerifyApp(t, r, map[string]any{"actions": clickAction(map[string]any{"enabled": false})})
	p.createVerifyApp(t, r, map[string]any{"actions": clickAction(map[string]any{"criteria": `{% if site_id == "2" %}true{% endif %}`})})
	p.createVerifyApp(t, r, map[string]any{"actions": map[string]any{"send_reward": map[string]any{"enabled": true}}})

	c := p.verifyClick(t, map[string]any{"email": "a@shop.example", "site_id": "1"})
	if !c.Verified || c.Reason != "no_apps" || len(c.Apps) != 0 {
		t.Fatalf("answer: %+v", c)
	}
	if n := len(r.requests()); n != 0 {
		t.Fatalf("%d requests sent to apps that must not be asked", n)
	}
	// The criteria is true for site 2: that app is asked and rejects.
	c = p.verifyClick(t, map[string]any{"email": "a@shop.example", "site_id": "2"})
	if c.Verified || c.Reason != "rejected" || len(c.Apps) != 1 || len(r.requests()) != 1 {
		t.Fatalf("criteria true: %+v, %d requests", c, len(r.requests()))
	}
}

// TestSendSamplePayload: the sample payload is the action's default
// payload with the app's custom attributes rendered on the sample
// variables, signed with the app's secret; the answer carries the
// receiver's status and body and the payload sent.
func TestSendSamplePayload(t *testing.T) {
	p := newPlatform(t)
	r := newAppReceiver(t, "x-talkable-signature", 0, 200, `{"ok":true}`)
	app := p.createVerifyApp(t, r, map[string]any{"actions": map[string]any{"referral_create": map[string]any{
		"attributes": map[string]string{"advocate_upper": "{{ advocate_email | upcase }}", "note": "{{ nothing_here }}"}}}})
	var res struct {
		StatusCode       int             `json:"status_code"`
		ResponseBody     string          `json:"response_body"`
		DurationUS       int64           `json:"duration_us"`
		Success          bool            `json:"success"`
		Error            string          `json:"error"`
		Payload          json.RawMessage `json:"payload"`
		MissingVariables []string        `json:"missing_variables"`
	}
	if code := p.call("POST", "/v1/apps/"+app.ID+"/actions/referral_create/sample", nil, &res); code != http.StatusOK {
		t.Fatalf("sample: %d", code)
	}
	if !res.Success || res.StatusCode != 200 || res.ResponseBody != `{"ok":true}` || res.Error != "" {
		t.Fatalf("sample result: %+v", res)
	}
	if len(res.MissingVariables) != 1 || res.MissingVariables[0] != "nothing_here" {
		t.Fatalf("missing variables: %v", res.MissingVariables)
	}
	got := r.requests()
	if len(got) != 1 || !got[0].SigValid || string(got[0].Body) != string(res.Payload) {
		t.Fatalf("receiver: %d requests; body %s; answer payload %s", len(got), bodyOf(got), res.Payload)
	}
	var sent map[string]any
	if err := json.Unmarshal(got[0].Body, &sent); err != nil {
		t.Fatal(err)
	}
	if sent["advocate_upper"] != "ADVOCATE@EXAMPLE.COM" || sent["referral_status"] != "in_progress" {
		t.Fatalf("rendered payload: %v", sent)
	}
	if _, ok := sent["note"]; ok {
		t.Fatalf("a blank attribute was sent: %v", sent)
	}

	// An action the app has not configured sends its default payload.
	if code := p.call("POST", "/v1/apps/"+app.ID+"/actions/create_coupon/sample", map[string]any{}, &res); code != http.StatusOK ||
		!strings.Contains(string(res.Payload), `"coupon_code":"SAMPLE-COUPON-CODE"`) {
		t.Fatalf("default sample: %d %s", code, res.Payload)
	}
	var e struct{ Error struct{ Code string } }
	if code := p.call("POST", "/v1/apps/"+app.ID+"/actions/nope/sample", nil, &e); code != 400 || e.Error.Code != "unknown_action" {
		t.Fatalf("unknown action: %d %+v", code, e)
	}
	other, err := p.App.Services.Orgs.CreateOrg(t.Context(), "other")
	if err != nil {
		t.Fatal(err)
	}
	if code := p.callWith(other.SecretKey, "POST", "/v1/apps/"+app.ID+"/actions/referral_create/sample", nil, &e); code != 404 {
		t.Fatalf("other org's app: %d", code)
	}
	c := p.verifyClick(t, map[string]any{"email": "x@shop.example"})
	for _, path := range []string{"/v1/rewards/verifications/" + c.VerificationID, "/v1/rewards/verifications/" + c.VerificationID + "/history"} {
		if code := p.callWith(other.SecretKey, "GET", path, nil, &e); code != 404 {
			t.Fatalf("other org's %s: %d", path, code)
		}
	}
	if len(r.requests()) != 2 {
		t.Fatalf("requests: %d", len(r.requests()))
	}
}

var payloadData = regexp.MustCompile(`"data":"([A-Za-z0-9+/=]+)"`)

// withDecodedPayloads appends every Base64 payload of a history, decoded.
func withDecodedPayloads(history string) string {
	var b strings.Builder
	b.WriteString(history)
	for _, m := range payloadData.FindAllStringSubmatch(history, -1) {
		if raw, err := base64.StdEncoding.DecodeString(m[1]); err == nil {
			b.WriteString("\n")
			b.Write(raw)
		}
	}
	return b.String()
}

func bodyOf(got []appRequest) string {
	if len(got) == 0 {
		return ""
	}
	return string(got[0].Body)
}
