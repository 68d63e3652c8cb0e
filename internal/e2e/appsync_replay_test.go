package e2e

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/worker"
)

// TestAppSyncHistoriesReplay runs the click verification (two apps, one
// past its timeout) and a sample send on the real server, replays their
// histories with the current code and, with
// SWITCHBOARD_WRITE_REPLAY_TESTDATA=1, records them into workflows/testdata
// (never replacing a recorded file), as TestHistoriesReplay does for the
// deliveries and lookups.
func TestAppSyncHistoriesReplay(t *testing.T) {
	p := newPlatform(t)
	slow := newAppReceiver(t, "x-talkable-signature", 2*time.Second, 200, `{}`)
	fast := newAppReceiver(t, "x-talkable-signature", 0, 200, `{"verified": false}`)
	slowApp := p.createVerifyApp(t, slow, map[string]any{"actions": clickAction(nil), "timeout_ms": 100})
	app := p.createVerifyApp(t, fast, map[string]any{"actions": clickAction(nil)})
	c := p.verifyClick(t, map[string]any{"email": "a@shop.example"})

	// The sample workflow is started directly: its ID is internal to the
	// API, and this is the same start the API makes.
	sampleID := contracts.AppSampleWorkflowID("smp_replay")
	run, err := p.App.Temporal.ExecuteWorkflow(t.Context(), client.StartWorkflowOptions{
		ID: sampleID, TaskQueue: p.App.Cfg.TaskQueue, EnableEagerStart: true,
	}, contracts.AppSampleWorkflow, contracts.AppSampleWorkflowInput{Send: contracts.AppSampleActivityInput{
		OrgID: p.OrgID, AppID: app.ID, Action: "referral_create", MessageID: "smp_replay", Timeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	var sample contracts.AppSampleResult
	if err := run.Get(t.Context(), &sample); err != nil || !sample.Success {
		t.Fatalf("sample: %+v %v", sample, err)
	}

	runs := map[string]string{
		"click_verification_two_apps": contracts.ClickVerificationWorkflowID(c.VerificationID),
		"app_sample":                  sampleID,
	}
	replayer := sdkworker.NewWorkflowReplayer()
	worker.Register(replayerRegistry{replayer}, nil)
	for name, id := range runs {
		_ = p.App.Temporal.GetWorkflow(t.Context(), id, "").Get(t.Context(), nil)
		hist := fetchHistory(t, p.App.Temporal, id)
		if err := replayer.ReplayWorkflowHistory(nil, hist); err != nil {
			t.Fatalf("%s does not replay: %v", name, err)
		}
		raw, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(hist)
		if err != nil {
			t.Fatal(err)
		}
		text := withDecodedPayloads(string(raw))
		if !strings.Contains(text, "EVENT_TYPE_MARKER_RECORDED") {
			t.Fatalf("%s: no local activity marker in %s", name, text)
		}
		for _, leak := range []string{app.Secret, slowApp.Secret} {
			if strings.Contains(text, leak) {
				t.Fatalf("%s: an app secret is in the Temporal history", name)
			}
		}
		path := filepath.Join(testenv.RepoRoot(), "workflows", "testdata", name+".json")
		if _, err := os.Stat(path); writeTestdata && errors.Is(err, fs.ErrNotExist) {
			raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, path); err != nil {
				t.Fatalf("%s: written file does not replay: %v", name, err)
			}
		}
	}
}
