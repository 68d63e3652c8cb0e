package service

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// appSyncStore is what AppSync reads and writes.
type appSyncStore interface {
	GetApp(ctx context.Context, orgID, id string) (models.App, error)
	ListApps(ctx context.Context, orgID string) ([]models.App, error)
	CreateClickVerification(ctx context.Context, v *models.ClickVerification, apps []models.ClickVerificationApp) error
	GetClickVerification(ctx context.Context, orgID, id string) (models.ClickVerification, []models.ClickVerificationApp, error)
	DecideClickVerification(ctx context.Context, id string) (models.ClickVerification, []models.ClickVerificationApp, error)
	CompleteClickVerification(ctx context.Context, id string) error
	RecordClickApp(ctx context.Context, a models.ClickVerificationApp) error
}

// AppSync owns the synchronous calls to Custom Apps (seed 001): "Send
// sample payload" and the click reward verification. Both are workflows
// started eagerly whose calls are local activities, like the Test button
// and the customer refresh.
type AppSync struct {
	st       appSyncStore
	tc       client.Client
	history  *historyReader
	log      *slog.Logger
	set      DeliverySettings
	waiters  clickWaiters
	prepared clickPrepared
}

// clickAction is the catalog action a verification sends.
const clickAction = "click_reward_verification"

// SendSample sends an action's sample payload to the app and answers the
// outcome. Any catalog action can be sampled: the app's custom attributes
// apply when it has the action configured (enabled or not, so an owner can
// try an action before turning it on), otherwise the default payload goes.
func (s *AppSync) SendSample(ctx context.Context, orgID, appID, action string) (contracts.AppSampleResult, error) {
	if _, err := s.st.GetApp(ctx, orgID, appID); err != nil {
		return contracts.AppSampleResult{}, err
	}
	if _, ok := appactions.Lookup(action); !ok {
		return contracts.AppSampleResult{}, &models.ValidationError{Code: "unknown_action", Field: "action",
			Message: "unknown action " + quote(action) + "; GET /v1/apps/actions lists them"}
	}
	msgID := models.NewID("smp")
	ctx, cancel := withDeadline(ctx, s.set.AttemptTimeout+15*time.Second)
	defer cancel()
	run, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contracts.AppSampleWorkflowID(msgID), TaskQueue: s.set.TaskQueue, EnableEagerStart: true,
	}, contracts.AppSampleWorkflow, contracts.AppSampleWorkflowInput{Send: contracts.AppSampleActivityInput{
		OrgID: orgID, AppID: appID, Action: action, MessageID: msgID, Timeout: s.set.AttemptTimeout}})
	if err != nil {
		return contracts.AppSampleResult{}, temporalErr(err)
	}
	var res contracts.AppSampleResult
	return res, temporalErr(run.Get(ctx, &res))
}

// ClickDecision is the answer of a click reward verification.
type ClickDecision struct {
	Verified       bool             `json:"verified"`
	Reason         string           `json:"reason"`
	VerificationID string           `json:"verification_id"`
	Apps           []ClickAppAnswer `json:"apps"`
}

// ClickAppAnswer is one app's part in a decision.
type ClickAppAnswer struct {
	AppID      string `json:"app_id"`
	Verified   bool   `json:"verified"`
	Reason     string `json:"reason"`
	StatusCode int    `json:"status_code"`
	DurationMS int64  `json:"duration_ms"`
}

// budgetMargin is what the caller waits beyond the slowest app's timeout:
// the time to store the last outcome and notice it. The apps' calls end
// by the request's arrival plus their timeout (ClickVerifyAppInput.CallBy),
// so the workflow's start does not eat into it.
const budgetMargin = 50 * time.Millisecond

// VerifyClick asks every enabled app with click_reward_verification
// enabled (and its criteria true) at once and answers within the budget
// (the slowest asked app's timeout plus budgetMargin): an app that has not
// answered by then counts as verified (reason "timeout"), as the doc
// says. The workflow goes on recording late answers; the decision
// answered is the one stored.
func (s *AppSync) VerifyClick(ctx context.Context, orgID string, variables map[string]any) (ClickDecision, error) {
	start := time.Now()
	if err := validClickVariables(variables); err != nil {
		return ClickDecision{}, err
	}
	apps, err := s.clickApps(ctx, orgID, variables)
	if err != nil {
		return ClickDecision{}, err
	}
	v := models.ClickVerification{ID: models.NewID("cvf"), OrgID: orgID, Variables: variables,
		Reason: "", CreatedAt: time.Now().UTC()}
	rows := make([]models.ClickVerificationApp, len(apps))
	in := contracts.ClickVerificationWorkflowInput{VerificationID: v.ID, Apps: make([]contracts.ClickVerifyAppInput, len(apps))}
	budget := time.Duration(0)
	for i, a := range apps {
		rows[i] = models.ClickVerificationApp{VerificationID: v.ID, AppID: a.ID, Status: models.ClickAppPending,
			Verified: true, Reason: models.ClickReasonTimeout, URL: "", CreatedAt: v.CreatedAt}
		in.Apps[i] = contracts.ClickVerifyAppInput{VerificationID: v.ID, AppID: a.ID, Timeout: a.Timeout(), CallBy: start.Add(a.Timeout())}
		budget = max(budget, a.Timeout())
	}
	// The decision must be stored even if the caller goes away now.
	dctx, cancel := withDeadline(context.WithoutCancel(ctx), budget+15*time.Second)
	defer cancel()
	if len(apps) == 0 {
		if err := s.st.CreateClickVerification(ctx, &v, rows); err != nil {
			return ClickDecision{}, err
		}
		if err := s.st.CompleteClickVerification(dctx, v.ID); err != nil {
			return ClickDecision{}, err
		}
		return s.decide(dctx, v.ID, start)
	}
	w, unsubscribe := s.waiters.subscribe(v.ID)
	defer unsubscribe()
	deadline := time.NewTimer(budget + budgetMargin - time.Since(start))
	defer deadline.Stop()
	prep := s.prepared.add(v, apps)
	defer s.prepared.remove(v.ID)
	run, err := s.startAndStore(dctx, orgID, in, prep, rows)
	if err != nil {
		return ClickDecision{}, err
	}
	if run == nil {
		return s.failUnstarted(dctx, v.ID, rows, start)
	}
	answered := make(chan struct{})
	defer close(answered)
	done := s.completion(ctx, run, prep, answered, budget)
	for {
		select {
		case <-done:
			return s.decide(dctx, v.ID, start)
		case <-w.ch:
			if d := w.decided.Load(); d != nil {
				// The last app's activity decided while storing its
				// outcome and handed the decision over: no read-back.
				return answer(d.v, d.apps, start), nil
			}
			// Each app's activity notifies once after storing its
			// outcome, and the workflow's bookkeeping once after storing
			// the rest, so as many notifications as apps means every
			// outcome is stored: decide without re-reading first.
			if w.stored.Load() >= int64(len(apps)) {
				return s.decide(dctx, v.ID, start)
			}
		case <-deadline.C:
			return s.decide(dctx, v.ID, start)
		}
	}
}

// claimGrace is how long after its start a verification waits for an
// activity of this process to take it before it polls for the workflow's
// completion instead. With eager start the activity takes it within a
// millisecond or two of the start's answer.
const claimGrace = 25 * time.Millisecond

// completion is closed when the workflow completes, for a verification
// whose activities run in another process (no in-process notification).
// The poll costs the server a history read and a long poll per call, and
// it competes with the next call's start, so it is opened only when no
// activity of this process took the verification within claimGrace, and
// not at all once the caller was answered. Once open, the poll has its own
// deadline: answering early does not cancel a poll about to be answered.
func (s *AppSync) completion(ctx context.Context, run client.WorkflowRun, prep *clickPrep, answered <-chan struct{}, budget time.Duration) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		grace := time.NewTimer(claimGrace)
		defer grace.Stop()
		select {
		case <-prep.claimed:
			return // the activities notify in-process; done never closes
		case <-answered:
			return
		case <-grace.C:
		}
		defer close(done)
		gctx, gcancel := withDeadline(context.WithoutCancel(ctx), budget+15*time.Second)
		defer gcancel()
		_ = run.Get(gctx, nil)
	}()
	return done
}

// failUnstarted records that no app was asked (the workflow did not
// start) and answers the fail-open decision, reason internal_error.
func (s *AppSync) failUnstarted(ctx context.Context, id string, rows []models.ClickVerificationApp, start time.Time) (ClickDecision, error) {
	for _, r := range rows {
		r.Verified, r.Reason, r.Error = true, models.ClickReasonInternalError, "the verification could not be started; the app was not asked"
		if err := s.st.RecordClickApp(ctx, r); err != nil {
			return ClickDecision{}, err
		}
	}
	if err := s.st.CompleteClickVerification(ctx, id); err != nil {
		return ClickDecision{}, err
	}
	return s.decide(ctx, id, start)
}

// startAndStore stores the verification's rows while its workflow starts,
// the two round trips side by side: the app activities of this process
// take the verification and the apps from prep and wait for the rows
// before asking any app; one in another process reads them (see
// activities.ClickVerifyApp). It answers the store's error if the rows
// could not be stored (no app is asked then), and a nil run with no error
// if the workflow did not start: failing open is the contract, the caller
// gets the decision within the budget and the cause goes to the log.
func (s *AppSync) startAndStore(ctx context.Context, orgID string, in contracts.ClickVerificationWorkflowInput,
	prep *clickPrep, rows []models.ClickVerificationApp) (client.WorkflowRun, error) {
	v := prep.v // the store sets fields of its argument: a copy of its own
	stored := make(chan error, 1)
	go func() {
		err := s.st.CreateClickVerification(ctx, &v, slices.Clone(rows))
		prep.done(err)
		stored <- err
	}()
	run, startErr := s.start(ctx, orgID, in)
	if err := <-stored; err != nil {
		if startErr == nil {
			s.log.Warn("click verification could not be stored; its workflow asks no app", "verification", v.ID, "err", err)
		}
		return nil, err
	}
	if startErr != nil {
		s.log.Warn("click verification could not start; answering fail-open", "verification", v.ID, "err", startErr)
		return nil, nil
	}
	return run, nil
}

func (s *AppSync) start(ctx context.Context, orgID string, in contracts.ClickVerificationWorkflowInput) (client.WorkflowRun, error) {
	ctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	run, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contracts.ClickVerificationWorkflowID(in.VerificationID), TaskQueue: s.set.TaskQueue, EnableEagerStart: true,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes:                    temporal.NewSearchAttributes(contracts.AttrOrg.ValueSet(orgID)),
	}, contracts.ClickVerificationWorkflow, in)
	return run, temporalErr(err)
}

// clickApps are the apps to ask: enabled, with the action enabled, and
// its criteria (if any) true on the request's variables. A criteria that
// cannot be rendered is treated as false: not asking fails open.
func (s *AppSync) clickApps(ctx context.Context, orgID string, variables map[string]any) ([]models.App, error) {
	all, err := s.st.ListApps(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []models.App
	for _, a := range all {
		act, ok := a.Actions[clickAction]
		if !a.Enabled || !ok || !act.Enabled {
			continue
		}
		if act.Criteria != "" {
			yes, _, err := appactions.Criteria(ctx, act.Criteria, variables)
			if err != nil {
				s.log.Warn("click verification: criteria did not render; app not asked", "app", a.ID, "err", err)
				continue
			}
			if !yes {
				continue
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// decide fixes the decision (or reads the one already fixed) and builds
// the answer from the outcomes it counted.
func (s *AppSync) decide(ctx context.Context, id string, start time.Time) (ClickDecision, error) {
	v, rows, err := s.st.DecideClickVerification(ctx, id)
	if err != nil {
		return ClickDecision{}, err
	}
	return answer(v, rows, start), nil
}

// answer builds the caller's answer from a stored decision and the rows it
// counted.
func answer(v models.ClickVerification, rows []models.ClickVerificationApp, start time.Time) ClickDecision {
	out := ClickDecision{Verified: v.Verified, Reason: v.Reason, VerificationID: v.ID, Apps: make([]ClickAppAnswer, 0, len(rows))}
	for _, r := range rows {
		a := ClickAppAnswer{AppID: r.AppID, Verified: r.Verified, Reason: r.Reason, StatusCode: r.StatusCode, DurationMS: r.DurationMicros / 1000}
		if r.Status == models.ClickAppPending || r.Late {
			// Not answered when the decision was made.
			a = ClickAppAnswer{AppID: r.AppID, Verified: true, Reason: models.ClickReasonTimeout, DurationMS: time.Since(start).Milliseconds()}
		}
		out.Apps = append(out.Apps, a)
	}
	return out
}

// validClickVariables checks the request: email is required text; the
// other variables are free, as the payload's custom attributes read them.
func validClickVariables(vars map[string]any) error {
	email, ok := vars["email"].(string)
	if !ok || email == "" {
		return models.Invalid("email", "is required and must be a string")
	}
	if site, ok := vars["site_id"]; ok {
		switch site.(type) {
		case string, float64:
		default:
			return models.Invalid("site_id", "must be a string or a number")
		}
	}
	return nil
}

// NotifyClickVerified wakes a VerifyClick waiting in this process: an
// app's outcome was stored. The worker's activities call it.
func (s *AppSync) NotifyClickVerified(verificationID string) { s.waiters.notify(verificationID) }

// NotifyClickDecided wakes a VerifyClick waiting in this process with the
// decision an app's activity fixed while storing the last outcome.
func (s *AppSync) NotifyClickDecided(v models.ClickVerification, apps []models.ClickVerificationApp) {
	s.waiters.notifyDecided(v, apps)
}

// ErrVerificationPending: the verification has no decision yet.
var ErrVerificationPending = &models.ConflictError{Message: "the verification has no decision yet"}

// VerificationDecision is the stored decision of one of the org's
// verifications, for the Liquid variable click_reward_verified of a later
// action that names it: models.ErrNotFound for an unknown ID or another
// org's, ErrVerificationPending before the decision is made.
func (s *AppSync) VerificationDecision(ctx context.Context, orgID, id string) (bool, error) {
	v, _, err := s.st.GetClickVerification(ctx, orgID, id)
	if err != nil {
		return false, err
	}
	if v.DecidedAt == nil {
		return false, ErrVerificationPending
	}
	return v.Verified, nil
}

// GetVerification loads one of the org's verifications with every asked
// app's attempt.
func (s *AppSync) GetVerification(ctx context.Context, orgID, id string) (models.ClickVerification, []models.ClickVerificationApp, error) {
	return s.st.GetClickVerification(ctx, orgID, id)
}

// VerificationHistory is the Temporal history of the verification's
// workflow (a decision with no app to ask has none: 404).
func (s *AppSync) VerificationHistory(ctx context.Context, orgID, id string) ([]HistoryEvent, error) {
	if _, _, err := s.st.GetClickVerification(ctx, orgID, id); err != nil {
		return nil, err
	}
	return s.history.read(ctx, contracts.ClickVerificationWorkflowID(id))
}

// PreparedClick hands an app activity of this process the verification
// and the app it asks, once the verification's rows are stored, without
// reading them back; ok is false when this process is not starting the
// verification. An error means the rows are not stored: the app must not
// be asked. The worker's activities call it.
func (s *AppSync) PreparedClick(ctx context.Context, verificationID, appID string) (models.ClickVerification, models.App, bool, error) {
	return s.prepared.lookup(ctx, verificationID, appID)
}
