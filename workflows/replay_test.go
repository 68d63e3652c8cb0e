package workflows_test

import (
	"path/filepath"
	"testing"

	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/workflows"
)

// TestReplayShippedHistories replays histories recorded from real runs of
// earlier workflow code (see internal/e2e/replay_test.go for how they are
// made). A change to a workflow that would break runs already in flight
// fails here; such a change needs workflow.GetVersion.
func TestReplayShippedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("expected recorded histories in testdata, found %d", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := sdkworker.NewWorkflowReplayer()
			for name, wf := range workflows.All() {
				r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: name})
			}
			if err := r.ReplayWorkflowHistoryFromJSONFile(nil, f); err != nil {
				t.Fatal(err)
			}
		})
	}
}
