package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

type replayEnv struct {
	env    *testsuite.TestWorkflowEnvironment
	pages  []time.Time // workflow clock at each page
	states []string
}

// newReplayEnv answers pages of 10 until `pages` pages were replayed.
func newReplayEnv(t *testing.T, pages int) *replayEnv {
	var ts testsuite.WorkflowTestSuite
	r := &replayEnv{env: ts.NewTestWorkflowEnvironment()}
	r.env.RegisterWorkflow(BulkReplay)
	r.env.OnActivity(a.ReplayPage, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.ReplayPageInput) (contracts.ReplayPageResult, error) {
			r.pages = append(r.pages, r.env.Now())
			if in.ReplayID != "rpl_1" || in.PageSize != 10 {
				return contracts.ReplayPageResult{}, errors.New("unexpected input")
			}
			return contracts.ReplayPageResult{Replayed: 10, Finished: len(r.pages) >= pages}, nil
		})
	r.env.OnActivity(a.SetReplayState, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.ReplayStateInput) error {
			r.states = append(r.states, in.State)
			return nil
		}).Maybe()
	return r
}

// Pages run until the store says finished, each followed by the pause
// that holds Rate deliveries per second; the replay ends completed.
func TestBulkReplayPacesPagesUntilFinished(t *testing.T) {
	r := newReplayEnv(t, 3)
	r.env.ExecuteWorkflow(BulkReplay, contracts.BulkReplayInput{ReplayID: "rpl_1", PageSize: 10, Rate: 5})
	if err := r.env.GetWorkflowError(); err != nil || !r.env.IsWorkflowCompleted() {
		t.Fatalf("completed %v, error %v", r.env.IsWorkflowCompleted(), err)
	}
	if len(r.pages) != 3 {
		t.Fatalf("%d pages", len(r.pages))
	}
	for i := 1; i < 3; i++ {
		if gap := r.pages[i].Sub(r.pages[i-1]); gap != 2*time.Second { // 10 deliveries at 5/s
			t.Fatalf("page %d came %v after the previous one, want 2s", i+1, gap)
		}
	}
	if len(r.states) != 1 || r.states[0] != models.ReplayCompleted {
		t.Fatalf("states %v", r.states)
	}
}

// Pause holds the replay between pages; resume goes on.
func TestBulkReplayPauseAndResume(t *testing.T) {
	r := newReplayEnv(t, 3)
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(contracts.SignalPauseReplay, nil) }, 500*time.Millisecond)
	r.env.RegisterDelayedCallback(func() {
		if len(r.pages) != 1 {
			t.Errorf("paused replay ran %d pages", len(r.pages))
		}
		r.env.SignalWorkflow(contracts.SignalResumeReplay, nil)
	}, time.Hour)
	r.env.ExecuteWorkflow(BulkReplay, contracts.BulkReplayInput{ReplayID: "rpl_1", PageSize: 10, Rate: 5})
	if err := r.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(r.pages) != 3 || r.pages[1].Sub(r.pages[0]) < time.Hour {
		t.Fatalf("pages %v: the second must wait for resume", r.pages)
	}
	want := []string{models.ReplayPaused, models.ReplayRunning, models.ReplayCompleted}
	if len(r.states) != 3 || r.states[0] != want[0] || r.states[1] != want[1] || r.states[2] != want[2] {
		t.Fatalf("states %v, want %v", r.states, want)
	}
}

// Cancelling the run records the replay cancelled.
func TestBulkReplayCancelled(t *testing.T) {
	r := newReplayEnv(t, 100)
	r.env.RegisterDelayedCallback(r.env.CancelWorkflow, 3*time.Second)
	r.env.ExecuteWorkflow(BulkReplay, contracts.BulkReplayInput{ReplayID: "rpl_1", PageSize: 10, Rate: 5})
	if err := r.env.GetWorkflowError(); err == nil {
		t.Fatal("a cancelled replay must end cancelled")
	}
	if len(r.states) != 1 || r.states[0] != models.ReplayCancelled {
		t.Fatalf("states %v", r.states)
	}
}

// After ReplayPagesPerRun pages the run continues as new, carrying its
// settings (progress is in the database).
func TestBulkReplayContinuesAsNew(t *testing.T) {
	r := newReplayEnv(t, 1000)
	r.env.ExecuteWorkflow(BulkReplay, contracts.BulkReplayInput{ReplayID: "rpl_1", PageSize: 10, Rate: 1000})
	var can *workflow.ContinueAsNewError
	if err := r.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("want continue-as-new, got %v", err)
	}
	if len(r.pages) != contracts.ReplayPagesPerRun {
		t.Fatalf("%d pages in the run", len(r.pages))
	}
}
