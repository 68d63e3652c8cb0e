package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// BulkReplay replays a filter's deliveries page by page: each ReplayPage
// activity creates a page's replay deliveries and advances the replay's
// cursor in one transaction, then starts their Delivery workflows, so a
// page is replayed once even when its activity is retried after a crash.
// Between pages the run sleeps long enough to hold Rate deliveries per
// second, leaving Temporal's capacity to live traffic. It is durable: a
// worker or server restart resumes it from the stored cursor. The
// "pause" and "resume" signals hold it between pages; cancelling the run
// stops it (state cancelled). It continues as new every
// ReplayPagesPerRun pages.
func BulkReplay(ctx workflow.Context, in contracts.BulkReplayInput) error {
	pageSize := in.PageSize
	if pageSize <= 0 {
		pageSize = contracts.DefaultReplayPage
	}
	rate := in.Rate
	if rate <= 0 {
		rate = contracts.DefaultReplayRate
	}
	paused := in.Paused
	pause := workflow.GetSignalChannel(ctx, contracts.SignalPauseReplay)
	resume := workflow.GetSignalChannel(ctx, contracts.SignalResumeReplay)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			sel := workflow.NewSelector(gctx)
			sel.AddReceive(pause, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(gctx, nil)
				if !paused {
					paused = true
					setReplayState(gctx, in.ReplayID, models.ReplayPaused)
				}
			})
			sel.AddReceive(resume, func(c workflow.ReceiveChannel, _ bool) {
				c.Receive(gctx, nil)
				if paused {
					paused = false
					setReplayState(gctx, in.ReplayID, models.ReplayRunning)
				}
			})
			sel.Select(gctx)
		}
	})
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		Summary:             "replay a page",
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         infraRetry,
	})
	for page := 0; ; page++ {
		if err := workflow.Await(ctx, func() bool { return !paused }); err != nil {
			return replayStopped(ctx, in.ReplayID, err)
		}
		if page == contracts.ReplayPagesPerRun {
			next := in
			next.Paused = paused
			return workflow.NewContinueAsNewError(ctx, BulkReplay, next)
		}
		var res contracts.ReplayPageResult
		err := workflow.ExecuteActivity(actx, a.ReplayPage, contracts.ReplayPageInput{ReplayID: in.ReplayID, PageSize: pageSize}).Get(ctx, &res)
		if err != nil {
			return replayStopped(ctx, in.ReplayID, err)
		}
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("page %d: %d deliveries replayed", page+1, res.Replayed))
		if res.Finished {
			setReplayState(ctx, in.ReplayID, models.ReplayCompleted)
			return nil
		}
		// Pace: this page's deliveries at Rate per second.
		wait := time.Duration(float64(res.Replayed)/rate*float64(time.Second)) - res.Duration
		if wait > 0 {
			if err := workflow.Sleep(ctx, wait); err != nil {
				return replayStopped(ctx, in.ReplayID, err)
			}
		}
	}
}

// replayStopped records a cancelled replay (with a context that outlives the
// cancellation) and returns err.
func replayStopped(ctx workflow.Context, replayID string, err error) error {
	if temporal.IsCanceledError(err) {
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		setReplayState(dctx, replayID, models.ReplayCancelled)
	}
	return err
}

func setReplayState(ctx workflow.Context, replayID, state string) {
	if err := workflow.ExecuteActivity(bookkeepingCtx(ctx), a.SetReplayState,
		contracts.ReplayStateInput{ReplayID: replayID, State: state}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not record the replay's state", "replay", replayID, "state", state, "error", err)
	}
}
