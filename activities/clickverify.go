package activities

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/store"
)

// clickAction is the catalog action a verification sends.
const clickAction = "click_reward_verification"

// clickAnswerLimit bounds the answer read for the decision: the doc's
// answer is a small JSON object; a longer one is still a 2xx (verified).
const clickAnswerLimit = 4096

// clickStoreTries is how often an app's outcome is written before the
// activity leaves it to the workflow's final bookkeeping.
const clickStoreTries = 3

// ClickVerifyApp asks one app whether a click reward may be given: it
// renders the action's payload (with the app's custom attributes) on the
// verification's variables, signs it with the app's secret and sends it
// with the app's timeout. It never fails on the app's behalf: a timeout,
// network error or non-2xx answer is an outcome that verifies (fail open,
// seed 001), so an activity error means the platform itself failed.
func (a *Activities) ClickVerifyApp(ctx context.Context, in contracts.ClickVerifyAppInput) (contracts.ClickVerifyAppResult, error) {
	v, app, err := a.clickSubject(ctx, in)
	if err != nil {
		return contracts.ClickVerifyAppResult{}, err
	}
	row := models.ClickVerificationApp{VerificationID: v.ID, AppID: app.ID, URL: outbound.RedactURL(app.URL)}
	body, _, err := appactions.RenderPayload(ctx, clickAction, v.Variables, app.Actions[clickAction].Attributes)
	switch {
	case err != nil:
		// Templates were checked at save time; a render that fails now
		// (the output cap, the deadline) is the platform's problem, and
		// the reward is not held for it.
		row.Verified, row.Reason, row.Error = true, models.ClickReasonInternalError, "the payload could not be rendered"
	default:
		target, serr := appTarget(app)
		if serr != nil {
			activity.GetLogger(ctx).Warn("click verification: the app's secret did not open", "app", app.ID, "error", serr)
			row.Verified, row.Reason, row.Error = true, models.ClickReasonSecret, "the app's signing secret could not be opened with the configured keys"
			break
		}
		res := a.Outbound.Do(ctx, outbound.Request{
			Target: target, Kind: "click_verification", MessageID: v.ID, Body: body,
			Timeout: a.clickTimeout(in, app), ResponseLimit: clickAnswerLimit,
		})
		row.Verified, row.Reason = ClickAnswer(res)
		row.RequestHeaders, row.StatusCode, row.DurationMicros = res.RequestHeaders, res.Status, res.Duration.Microseconds()
		row.ResponseBody, row.Error = outbound.StorableText(res.Body, clickAnswerLimit), res.Error
	}
	out := contracts.ClickVerifyAppResult{AppID: app.ID, Verified: row.Verified, Reason: row.Reason,
		StatusCode: row.StatusCode, DurationMicros: row.DurationMicros}
	// The row is what the API's decision reads. If it cannot be written,
	// the outcome still goes back to the workflow, whose bookkeeping
	// stores it: the call is never repeated.
	var decided *store.ClickDecided
	for i := range clickStoreTries {
		if decided, err = a.Store.RecordClickAppAndDecide(ctx, row); err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Duration(i+1) * 50 * time.Millisecond)
	}
	switch {
	case err != nil:
		activity.GetLogger(ctx).Warn("click verification: could not store an app's outcome", "verification", v.ID, "app", app.ID, "error", err)
	case decided != nil && a.OnClickDecided != nil:
		// The last outcome fixed the decision: the waiting API answers
		// it without reading it back.
		a.OnClickDecided(decided.Verification, decided.Apps)
	case a.OnClickVerified != nil:
		a.OnClickVerified(v.ID)
	}
	return out, nil
}

// clickTimeout is the app call's timeout: the app's own, cut to what is
// left until in.CallBy (see contracts.ClickVerifyAppInput).
func (a *Activities) clickTimeout(in contracts.ClickVerifyAppInput, app models.App) time.Duration {
	timeout := cmp.Or(in.Timeout, app.Timeout())
	if left := in.CallBy.Sub(a.Now()); !in.CallBy.IsZero() && left > 0 && left < timeout {
		return left
	}
	return timeout
}

// clickStoredWait bounds how long ClickVerifyApp waits for the
// verification's rows when it runs outside the API's process: the API
// stores them while the workflow starts, so a task dispatched to another
// worker (no eager start) can arrive first.
const clickStoredWait = 2 * time.Second

// clickSubject is the verification and the app asked: handed over by the
// API of this process when it is starting the verification, read from the
// store otherwise. A verification that is not stored is a non-retryable
// ErrTypeNotStored error: its API failed to store it and answered an
// error, so the app is not asked.
func (a *Activities) clickSubject(ctx context.Context, in contracts.ClickVerifyAppInput) (models.ClickVerification, models.App, error) {
	if a.PreparedClick != nil {
		v, app, ok, err := a.PreparedClick(ctx, in.VerificationID, in.AppID)
		switch {
		case ok && ctx.Err() != nil:
			return v, app, ctx.Err()
		case ok && err != nil:
			return v, app, clickNotStored(err)
		case ok:
			return v, app, nil
		}
	}
	v, err := a.Store.ClickVerificationByID(ctx, in.VerificationID)
	for wait := 10 * time.Millisecond; errors.Is(err, models.ErrNotFound) && wait < clickStoredWait; wait *= 2 {
		select {
		case <-ctx.Done():
			return v, models.App{}, ctx.Err()
		case <-time.After(wait):
		}
		v, err = a.Store.ClickVerificationByID(ctx, in.VerificationID)
	}
	if errors.Is(err, models.ErrNotFound) {
		return v, models.App{}, clickNotStored(err)
	}
	if err != nil {
		return v, models.App{}, fmt.Errorf("load verification: %w", err)
	}
	app, err := a.Store.AppByID(ctx, in.AppID)
	if err != nil {
		return v, app, fmt.Errorf("load app: %w", err)
	}
	return v, app, nil
}

func clickNotStored(cause error) error {
	return temporal.NewNonRetryableApplicationError("the verification is not stored; no app is asked", contracts.ErrTypeNotStored, cause)
}

// ClickAnswer reads an app's answer: a 2xx whose JSON body says
// "verified": false (at the top level or under "result") rejects; any
// other 2xx verifies; no answer, a non-2xx or a redirect verifies too
// (fail open), with the reason.
func ClickAnswer(res outbound.Result) (verified bool, reason string) {
	switch res.Fail {
	case outbound.FailNone:
		if rejects(res.Body) {
			return false, models.ClickReasonRejected
		}
		return true, models.ClickReasonVerified
	case outbound.FailTimeout:
		return true, models.ClickReasonTimeout
	case outbound.FailRefused:
		return true, models.ClickReasonRefused
	case outbound.FailRedirect:
		return true, models.ClickReasonRedirect
	case outbound.FailHTTP:
		return true, "http_" + strconv.Itoa(res.Status)
	case outbound.FailSign:
		return true, models.ClickReasonSecret
	default:
		return true, models.ClickReasonNetworkError
	}
}

func rejects(body []byte) bool {
	var ans struct {
		Verified *bool `json:"verified"`
		Result   *struct {
			Verified *bool `json:"verified"`
		} `json:"result"`
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(&ans); err != nil {
		return false
	}
	if ans.Verified != nil && !*ans.Verified {
		return true
	}
	return ans.Result != nil && ans.Result.Verified != nil && !*ans.Result.Verified
}

// FinishClickVerification is the workflow's bookkeeping once every app
// answered or failed: it stores outcomes the app activities could not
// (a row already stored is left alone), fixes the decision if the API
// has not (its process may have gone) and marks the verification
// complete.
func (a *Activities) FinishClickVerification(ctx context.Context, in contracts.FinishClickVerificationInput) (contracts.ClickVerificationWorkflowResult, error) {
	// Usually the last app's activity decided and every row is stored:
	// one statement completes it.
	v, ok, err := a.Store.FinishedClickVerification(ctx, in.VerificationID)
	if err != nil {
		return contracts.ClickVerificationWorkflowResult{}, fmt.Errorf("finish: %w", err)
	}
	if !ok {
		if v, err = a.finishSlowly(ctx, in); errors.Is(err, models.ErrNotFound) {
			return contracts.ClickVerificationWorkflowResult{}, clickNotStored(err)
		} else if err != nil {
			return contracts.ClickVerificationWorkflowResult{}, err
		}
	}
	if a.OnClickVerified != nil {
		a.OnClickVerified(in.VerificationID)
	}
	return contracts.ClickVerificationWorkflowResult{Verified: v.Verified, Reason: v.Reason}, nil
}

// finishSlowly stores the outcomes no activity stored, decides if the API
// has not and marks the verification complete.
func (a *Activities) finishSlowly(ctx context.Context, in contracts.FinishClickVerificationInput) (models.ClickVerification, error) {
	for _, o := range in.Outcomes {
		row := models.ClickVerificationApp{VerificationID: in.VerificationID, AppID: o.AppID, Verified: o.Verified,
			Reason: o.Reason, StatusCode: o.StatusCode, DurationMicros: o.DurationMicros}
		if err := a.Store.RecordClickApp(ctx, row); err != nil {
			return models.ClickVerification{}, fmt.Errorf("record app outcome: %w", err)
		}
	}
	v, _, err := a.Store.DecideClickVerification(ctx, in.VerificationID)
	if err != nil {
		return v, fmt.Errorf("decide: %w", err)
	}
	if err := a.Store.CompleteClickVerification(ctx, in.VerificationID); err != nil {
		return v, fmt.Errorf("complete: %w", err)
	}
	return v, nil
}
