package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/switchboardhq/switchboard/models"
)

// TestActionReadsTheClickDecision: verification_id hands the stored
// click-reward decision to the action as the Liquid variable
// click_reward_verified, so send_reward's criteria can require it (seed 001's
// incentive criteria): a rejected click sends nothing, a verified one sends
// the reward with the decision rendered into the payload.
func TestActionReadsTheClickDecision(t *testing.T) {
	p := newPlatform(t)
	rejecting := newAppReceiver(t, models.DefaultAppSignatureHeader, 0, http.StatusOK, `{"verified": false}`)
	clickApp := p.createVerifyApp(t, rejecting, map[string]any{"actions": clickAction(nil)})
	reward := newReceiver(t, models.SchemeBase64HexHMAC, models.DefaultAppSignatureHeader)
	p.createApp(reward, map[string]any{"actions": map[string]any{"send_reward": map[string]any{
		"criteria":   "{% if click_reward_verified %}true{% endif %}",
		"attributes": map[string]string{"click_verified": "{{ click_reward_verified }}"},
	}}})

	rejected := p.verifyClick(t, map[string]any{"email": "friend@example.com", "site_id": "1"})
	if rejected.Verified {
		t.Fatalf("the app rejected the click, the decision says verified: %+v", rejected)
	}
	code, res := p.sendAction("send_reward", map[string]any{"variables": map[string]any{}, "verification_id": rejected.VerificationID})
	if code != http.StatusAccepted || len(res.Deliveries) != 0 {
		t.Fatalf("a rejected click must send no reward: %d %+v", code, res)
	}

	// With the click app switched off nothing is asked and the click is
	// verified (no_apps): the reward goes out, carrying the decision.
	if code := p.call("PATCH", "/v1/apps/"+clickApp.ID, map[string]any{"enabled": false}, nil); code != http.StatusOK {
		t.Fatalf("disable the click app: %d", code)
	}
	verified := p.verifyClick(t, map[string]any{"email": "friend@example.com", "site_id": "1"})
	if !verified.Verified || verified.Reason != "no_apps" {
		t.Fatalf("no app asked: %+v", verified)
	}
	code, res = p.sendAction("send_reward", map[string]any{"variables": map[string]any{}, "verification_id": verified.VerificationID})
	if code != http.StatusAccepted || len(res.Deliveries) != 1 {
		t.Fatalf("a verified click must send the reward: %d %+v", code, res)
	}
	got := reward.next(t)
	var body map[string]any
	if err := json.Unmarshal(got.Body, &body); err != nil || !got.SigValid || body["click_verified"] != "true" {
		t.Fatalf("reward payload %s (signature valid %v)", got.Body, got.SigValid)
	}
	// An ID that is not a verification of this org is refused, not guessed.
	if code, _ := p.sendAction("send_reward", map[string]any{"variables": map[string]any{}, "verification_id": "ver_unknown"}); code != http.StatusBadRequest {
		t.Fatalf("unknown verification_id: %d", code)
	}
}
