package workflows

import (
	"cmp"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// a is the nil receiver through which workflows name activity methods;
// the worker registers the real one.
var a *activities.Activities

// Delivery sends one event to one endpoint. The first attempt runs as a
// local activity: with eager start it executes in the same workflow task as
// the start, one server round trip instead of three, which is what keeps
// ingest-to-receiver latency low. Retries are regular activities behind
// durable timers, so each attempt is its own step in the Web UI and a
// pending retry survives any process restart.
func Delivery(ctx workflow.Context, in contracts.DeliveryWorkflowInput) (contracts.DeliveryWorkflowResult, error) {
	first := max(in.FirstAttempt, 1)
	total := len(in.Schedule) + 1
	timeout := cmp.Or(in.AttemptTimeout, contracts.DefaultDeliveryTimeout)
	retryNow := workflow.GetSignalChannel(ctx, contracts.SignalRetryNow)
	// Runs recorded before versionCorrectness keep their old command
	// sequence on replay; see the constants. Asked only on the paths that
	// depend on it (see lazyVersion).
	v := &lazyVersion{ctx: ctx}
	for i := range total {
		final := i == total-1
		attempt := contracts.DeliverActivityInput{DeliveryID: in.DeliveryID, Attempt: first + i, Final: final, Timeout: timeout}
		if !final {
			attempt.NextDelay = in.Schedule[i]
		}
		var res contracts.DeliverActivityResult
		var err error
		// Each attempt's step in the Web UI reads "attempt 3/8".
		summary := fmt.Sprintf("attempt %d/%d", first+i, first+total-1)
		if i == 0 {
			err = workflow.ExecuteLocalActivity(localAttemptCtx(ctx, timeout, summary), a.Deliver, attempt).Get(ctx, &res)
		} else {
			err = workflow.ExecuteActivity(attemptCtx(ctx, timeout, summary), a.Deliver, attempt).Get(ctx, &res)
		}
		err = recordUnrecorded(ctx, err)
		if err == nil {
			return finish(ctx, models.StatusSucceeded, i+1)
		}
		if ctx.Err() != nil {
			return cancelled(ctx, v, in.DeliveryID, i+1)
		}
		var appErr *temporal.ApplicationError
		isHTTP := errors.As(err, &appErr) && appErr.Type() == contracts.ErrTypeHTTP
		if !isHTTP && appErr != nil && appErr.NonRetryable() {
			// 410 Gone or a deleted/disabled endpoint: the activity already
			// recorded the terminal state.
			return failed(ctx, i+1, appErr.Message())
		}
		if final {
			if !isHTTP {
				// The attempt never got to record itself (e.g. it timed out).
				if err := markDelivery(ctx, v, in.DeliveryID, models.StatusFailed); err != nil {
					return contracts.DeliveryWorkflowResult{Status: string(models.StatusFailed), Attempts: i + 1}, err
				}
			}
			return failed(ctx, i+1, failureText(err))
		}
		delay := in.Schedule[i]
		if isHTTP && appErr.NextRetryDelay() > 0 {
			delay = appErr.NextRetryDelay()
		}
		setStatus(ctx, models.StatusRetrying)
		// The run's current details in the Web UI say what it waits for.
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("attempt %d/%d failed: %s. Retrying in %s, at %s (POST /v1/deliveries/%s/retry skips the wait).",
			first+i, first+total-1, failureText(err), delay, workflow.Now(ctx).Add(delay).UTC().Format(time.RFC3339), in.DeliveryID))
		if v.get() >= versionCorrectness {
			// A retry-now that arrived during the attempt asked to skip a
			// wait that had not begun; it must not skip this one.
			for retryNow.ReceiveAsync(nil) {
			}
		}
		if err := waitOrRetryNow(ctx, retryNow, delay); err != nil {
			return cancelled(ctx, v, in.DeliveryID, i+1)
		}
	}
	return finish(ctx, models.StatusFailed, total) // unreachable: the loop returns on its final attempt
}

// changeFailedRun makes a delivery that fails for good end as a Failed run
// (ErrTypeDeliveryFailed with the last error) instead of a Completed one
// whose failure only shows in the result. Runs recorded before it replay
// as they completed.
const changeFailedRun = "failed-run-state"

// failed ends a run whose delivery failed for good.
func failed(ctx workflow.Context, attempts int, reason string) (contracts.DeliveryWorkflowResult, error) {
	res, _ := finish(ctx, models.StatusFailed, attempts)
	if workflow.GetVersion(ctx, changeFailedRun, workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return res, nil
	}
	return res, temporal.NewNonRetryableApplicationError(reason, contracts.ErrTypeDeliveryFailed, nil, res)
}

// failureText is an attempt's failure as the activity described it (its
// texts are redacted by the outbound client), or a fixed text when the
// attempt never completed.
func failureText(err error) string {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Message() != "" {
		return appErr.Message()
	}
	return "the attempt did not complete (timeout or internal error)"
}

// recordUnrecorded stores, with the RecordDelivery bookkeeping activity, an
// attempt that was sent but whose outcome Deliver could not store, and
// returns what Deliver would have returned. Retrying Deliver instead would
// send the request again. Any other err passes through untouched.
func recordUnrecorded(ctx workflow.Context, err error) error {
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeUnrecorded {
		return err
	}
	// Only activities of this version return the type, so no older history
	// reaches this point; the marker keeps that explicit for replay.
	if workflow.GetVersion(ctx, "record-unrecorded-outcome", workflow.DefaultVersion, 1) == workflow.DefaultVersion {
		return err
	}
	var out contracts.DeliveryOutcome
	if derr := appErr.Details(&out); derr != nil {
		return err
	}
	var res contracts.DeliverActivityResult
	return workflow.ExecuteActivity(bookkeepingCtx(ctx), a.RecordDelivery, out).Get(ctx, &res)
}

// lazyVersion asks workflow.GetVersion for changeCorrectness the first
// time a path that depends on it needs it. A delivery whose first attempt
// succeeds (most of them) never does, so its run records no version
// marker and no TemporalChangeVersion upsert: BenchmarkFloorAnatomy priced
// those at about 15 % of the Temporal server's CPU per delivery. Runs that
// asked at their start (before this) replay unchanged: the SDK applies a
// run's version markers before the code of their workflow task runs, and
// does not match them against commands, so asking later finds the
// recorded version.
type lazyVersion struct {
	ctx   workflow.Context
	v     workflow.Version
	asked bool
}

func (l *lazyVersion) get() workflow.Version {
	if !l.asked {
		l.v = workflow.GetVersion(l.ctx, changeCorrectness, workflow.DefaultVersion, versionCorrectness)
		l.asked = true
	}
	return l.v
}

// Workflow versions of Delivery (workflow.GetVersion).
const (
	changeCorrectness = "delivery-correctness"
	// versionCorrectness drains retry-now signals received before a wait
	// begins and fails the run, instead of ending it as if the status were
	// stored, when the bookkeeping activity that stores a final status
	// fails (it retries without a deadline first).
	versionCorrectness workflow.Version = 1
)

// markDelivery stores a final status the attempts could not record. The
// activity retries infrastructure failures without a deadline; if it still
// fails (a non-retryable error), the run fails with that error so the
// mismatch shows in the Web UI and the log instead of a delivery left
// "retrying" in the database under a run that claims to be done.
func markDelivery(ctx workflow.Context, v *lazyVersion, deliveryID string, status models.DeliveryStatus) error {
	err := workflow.ExecuteActivity(bookkeepingCtx(ctx), a.MarkDelivery, contracts.MarkDeliveryActivityInput{DeliveryID: deliveryID, Status: string(status)}).Get(ctx, nil)
	if err == nil || v.get() < versionCorrectness {
		return nil // runs recorded before the version ignored the error
	}
	workflow.GetLogger(ctx).Error("could not store the delivery's final status", "delivery", deliveryID, "status", status, "error", err)
	return err
}

// waitOrRetryNow sleeps on a durable timer that a retry-now signal cuts
// short. It returns an error only when the workflow is cancelled.
func waitOrRetryNow(ctx workflow.Context, retryNow workflow.ReceiveChannel, delay time.Duration) error {
	timerCtx, stopTimer := workflow.WithCancel(ctx)
	defer stopTimer()
	timer := workflow.NewTimerWithOptions(timerCtx, delay, workflow.TimerOptions{Summary: "wait " + delay.String() + " before the next attempt"})
	var timerErr error
	sel := workflow.NewSelector(ctx)
	sel.AddFuture(timer, func(f workflow.Future) { timerErr = f.Get(ctx, nil) })
	sel.AddReceive(retryNow, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
	sel.Select(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if timerErr != nil && !temporal.IsCanceledError(timerErr) {
		return timerErr
	}
	return nil
}

func cancelled(ctx workflow.Context, v *lazyVersion, deliveryID string, attempts int) (contracts.DeliveryWorkflowResult, error) {
	// The workflow context is cancelled; bookkeeping needs one that is not.
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if err := markDelivery(dctx, v, deliveryID, models.StatusCancelled); err != nil {
		return contracts.DeliveryWorkflowResult{Status: string(models.StatusCancelled), Attempts: attempts}, err
	}
	setStatus(dctx, models.StatusCancelled)
	return contracts.DeliveryWorkflowResult{Status: string(models.StatusCancelled), Attempts: attempts}, temporal.NewCanceledError()
}

func finish(ctx workflow.Context, status models.DeliveryStatus, attempts int) (contracts.DeliveryWorkflowResult, error) {
	setStatus(ctx, status)
	return contracts.DeliveryWorkflowResult{Status: string(status), Attempts: attempts}, nil
}

// setStatus keeps the SwitchboardStatus search attribute current so the Web
// UI can filter runs by outcome.
func setStatus[S models.DeliveryStatus | models.LookupStatus](ctx workflow.Context, status S) {
	_ = workflow.UpsertTypedSearchAttributes(ctx, contracts.AttrStatus.ValueSet(string(status)))
}
