package e2e

import (
	"testing"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/internal/harness"
)

// TestClickVerificationWithWorkersElsewhere: the API process has no
// worker, so every verification's task goes to another process, which
// reads the verification the API stores while the workflow starts (no
// in-process handoff). Each click still asks the app once, signed, and
// the caller gets its answer.
func TestClickVerificationWithWorkersElsewhere(t *testing.T) {
	cfg := harness.Config(t, temporalServer)
	p := &platform{harness.Start(t, cfg, app.Parts{API: true})}
	harness.Start(t, cfg, app.Parts{Worker: true})
	no := newAppReceiver(t, "x-talkable-signature", 0, 200, `{"verified": false}`)
	created := p.createVerifyApp(t, no, map[string]any{"actions": clickAction(nil)})
	for i := range 5 {
		c := p.verifyClick(t, map[string]any{"email": "split@shop.example"})
		if c.Verified || c.Reason != "rejected" {
			t.Fatalf("click %d: %+v", i, c)
		}
		if v, reason, status := c.app(t, created.ID); v || reason != "rejected" || status != 200 {
			t.Fatalf("click %d, the app's part: %v %q %d", i, v, reason, status)
		}
		d := p.verification(t, c.VerificationID)
		if !d.Verification.Decided || d.Verification.Verified || len(d.Apps) != 1 || d.Apps[0].Status != "done" {
			t.Fatalf("click %d stored: %+v", i, d)
		}
	}
	got := no.requests()
	if len(got) != 5 {
		t.Fatalf("the app got %d requests for 5 clicks", len(got))
	}
	for _, r := range got {
		if !r.SigValid {
			t.Fatal("a request's signature does not verify")
		}
	}
}
