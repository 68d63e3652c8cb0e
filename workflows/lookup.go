package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// lookupAttempts is the first try plus the one retry of seed 000: "Talki
// retries once, then silently skips".
const lookupAttempts = 2

// lookupInfraRetry retries a lookup attempt that failed for an
// infrastructure reason (database error, activity timeout). HTTP outcomes
// come back as non-retryable errors and never use it. It is bounded so that
// an operator's synchronous refresh always gets an answer.
var lookupInfraRetry = &temporal.RetryPolicy{
	InitialInterval:    500 * time.Millisecond,
	BackoffCoefficient: 2,
	MaximumInterval:    2 * time.Second,
	MaximumAttempts:    3,
}

// Lookup fetches a visitor's profile from the org's backend. Both attempts
// run as local activities, back to back with no timer: with eager start the
// first one executes inside the first workflow task, and when it fails the
// retry follows at once in the same worker instead of waiting for a server
// round trip to schedule a regular activity. That matters because an
// operator's Refresh waits synchronously for this workflow, and a lookup is
// short and idempotent, so there is no durable wait worth persisting.
//
// A timeout, network error, non-2xx answer or invalid reply on the first
// attempt is retried once; when the second attempt fails too, the workflow
// still completes successfully with Status "failed": the conversation goes
// on and the operator can refresh later. A configuration that is missing or
// disabled ends the lookup with Status "skipped" and no retry.
func Lookup(ctx workflow.Context, in contracts.LookupWorkflowInput) (contracts.LookupWorkflowResult, error) {
	timeout := in.AttemptTimeout
	if timeout <= 0 {
		timeout = contracts.DefaultLookupTimeout
	}
	actx := lookupLocalCtx(ctx, timeout+storeMargin)
	var lastErr string
	for i := range lookupAttempts {
		final := i == lookupAttempts-1
		attempt := contracts.LookupActivityInput{LookupID: in.LookupID, Attempt: i + 1, Final: final, Timeout: timeout}
		var res contracts.LookupActivityResult
		err := workflow.ExecuteLocalActivity(actx, a.Lookup, attempt).Get(ctx, &res)
		if err == nil {
			return finishLookup(ctx, models.LookupOK, i+1, "")
		}
		if ctx.Err() != nil {
			return contracts.LookupWorkflowResult{}, temporal.NewCanceledError()
		}
		var appErr *temporal.ApplicationError
		isApp := errors.As(err, &appErr)
		switch {
		case isApp && appErr.Type() == contracts.ErrTypeEndpointUnavailable:
			// The activity already marked the lookup skipped.
			return finishLookup(ctx, models.LookupSkipped, i, appErr.Message())
		case isApp && appErr.Type() == contracts.ErrTypeUnrecorded:
			// The request went out but its outcome could not be stored. The
			// documented retry is for a backend that did not answer well, not
			// for our database: sending again would ask the backend twice.
			// Record the failure (a bookkeeping step that sends nothing) and
			// stop. Histories from before this type existed never reach here.
			lastErr = "the lookup's answer could not be stored; use Refresh to try again"
			failLookup(ctx, in.LookupID, lastErr)
			return finishLookup(ctx, models.LookupFailed, i+1, lastErr)
		case isApp && (appErr.Type() == contracts.ErrTypeHTTP || appErr.Type() == contracts.ErrTypeInvalidReply):
			// The activity recorded the attempt, and on the final one the
			// lookup's failure.
			lastErr = appErr.Message()
		default:
			// The attempt never completed (activity timeout, database down):
			// nothing recorded the outcome of a final attempt, so do it here.
			// The cause may carry database text: log it, show a fixed message.
			workflow.GetLogger(ctx).Warn("lookup attempt did not complete", "lookup", in.LookupID, "error", causeText(err))
			lastErr = "lookup attempt did not complete (timeout or internal error)"
			if final {
				failLookup(ctx, in.LookupID, lastErr)
			}
		}
	}
	return finishLookup(ctx, models.LookupFailed, lookupAttempts, lastErr)
}

// failLookup records a lookup's failure that no attempt could record, so
// the operator's panel never stays pending.
func failLookup(ctx workflow.Context, lookupID, reason string) {
	fctx := lookupLocalCtx(ctx, storeMargin)
	if err := workflow.ExecuteLocalActivity(fctx, a.FailLookup, contracts.FailLookupActivityInput{LookupID: lookupID, Reason: reason}).Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Warn("could not record the lookup's failure", "lookup", lookupID, "error", err)
	}
}

// lookupLocalCtx bounds each local activity run by startToClose and all
// its infrastructure retries together, so a lookup always ends.
func lookupLocalCtx(ctx workflow.Context, startToClose time.Duration) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    startToClose,
		ScheduleToCloseTimeout: time.Duration(lookupInfraRetry.MaximumAttempts)*startToClose + 5*time.Second,
		RetryPolicy:            lookupInfraRetry,
	})
}

// causeText is the innermost useful message of an activity failure, without
// the ActivityError wrapper's scheduling details.
func causeText(err error) string {
	if cause := errors.Unwrap(err); cause != nil {
		return cause.Error()
	}
	return err.Error()
}

func finishLookup(ctx workflow.Context, status models.LookupStatus, attempts int, errText string) (contracts.LookupWorkflowResult, error) {
	setStatus(ctx, status)
	return contracts.LookupWorkflowResult{Status: string(status), Attempts: attempts, Error: errText}, nil
}
