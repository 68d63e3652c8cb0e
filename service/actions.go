package service

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/appactions"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// actionStore is what Actions reads and writes. Actions are stored as
// events (type appactions.EventType(id)) with one delivery per app, in the
// events' transaction, so the fan-out is durable the same way.
type actionStore interface {
	AppsWithAction(ctx context.Context, orgID, action string) ([]models.App, error)
	CreateEvent(ctx context.Context, ev *models.Event, deliveries []models.Delivery, window time.Duration) (store.IngestResult, error)
}

// VerificationDecisions reads stored click-reward verification decisions
// (POST /v1/rewards/verify-click; AppSync implements it). It answers
// models.ErrNotFound for an ID that is not the org's (a 400 here) and a
// *models.ConflictError (409) for one not decided yet.
type VerificationDecisions interface {
	VerificationDecision(ctx context.Context, orgID, verificationID string) (verified bool, err error)
}

// Actions owns the sending of Custom App actions.
type Actions struct {
	st         actionStore
	dispatcher *Dispatcher
	// verifications is where verification_id is looked up.
	verifications VerificationDecisions
	log           *slog.Logger
	set           EventSettings
}

// ActionInput is an action to send.
type ActionInput struct {
	Variables      json.RawMessage `json:"variables"`
	IdempotencyKey string          `json:"idempotency_key"`
	VerificationID string          `json:"verification_id"`
}

// VerifiedVariable is the Liquid variable that carries the decision of the
// click-reward verification named by verification_id.
const VerifiedVariable = "click_reward_verified"

// Errors of IngestAction that are about the request, for matching.
var (
	ErrIdempotencyKeyReused = &models.ConflictError{Message: "idempotency_key was already used for a different event or action"}
)

// IngestAction sends action to every enabled app of the org that enables
// it and whose trigger criteria render true on the variables: the action
// (an event) and one delivery per such app are stored in one transaction,
// then each delivery's workflow is started, as for events. Criteria are
// evaluated here, at ingest: whether an action is sent is decided when it
// happens, so a criteria edited later does not change what was already
// accepted, and an app that is not sent to gets no delivery row at all.
// The payload itself is rendered by the Deliver activity.
func (s *Actions) IngestAction(ctx context.Context, orgID, action string, in ActionInput) (IngestResult, error) {
	if _, ok := appactions.Lookup(action); !ok {
		return IngestResult{}, &models.ValidationError{Code: "unknown_action", Field: "action",
			Message: "unknown action " + quote(action) + "; the actions are " + strings.Join(appActionIDs(), ", ")}
	}
	if action == "click_reward_verification" {
		return IngestResult{}, &models.ValidationError{Code: "unsupported_action", Field: "action",
			Message: "click_reward_verification is answered synchronously: use POST /v1/rewards/verify-click"}
	}
	if len(in.IdempotencyKey) > 200 {
		return IngestResult{}, models.Invalid("idempotency_key", "must be at most 200 characters")
	}
	vars, data, err := s.variables(ctx, orgID, in)
	if err != nil {
		return IngestResult{}, err
	}
	apps, err := s.st.AppsWithAction(ctx, orgID, action)
	if err != nil {
		return IngestResult{}, err
	}
	now := store.Now()
	ev := models.Event{ID: models.NewID("evt"), OrgID: orgID, Type: appactions.EventType(action), Data: data, CreatedAt: now}
	if in.IdempotencyKey != "" {
		ev.IdempotencyKey = &in.IdempotencyKey
	}
	var deliveries []models.Delivery
	for _, app := range apps {
		if !s.criteria(ctx, app, action, vars) {
			continue
		}
		deliveries = append(deliveries, models.Delivery{
			ID: models.NewID("dlv"), OrgID: orgID, EventID: ev.ID, AppID: app.ID, EventType: ev.Type,
			Status: models.StatusPending, CreatedAt: now, UpdatedAt: now,
		})
	}
	stored, err := s.st.CreateEvent(ctx, &ev, deliveries, s.set.IdempotencyWindow)
	res := IngestResult{Event: stored.Event, Deliveries: stored.Deliveries, Duplicate: stored.Duplicate}
	if err != nil {
		return res, err
	}
	if res.Duplicate {
		// Events and actions share the org's idempotency keys; a key
		// reused for something else must not answer with that other thing.
		if res.Event.Type != ev.Type {
			return IngestResult{}, ErrIdempotencyKeyReused
		}
		return res, nil
	}
	// Committed: the dispatcher starts the workflows after this returns,
	// as for events; a full queue leaves the rows to the sweeper. Apps have
	// no retry schedule of their own, so the zero webhook gives the default.
	committed := time.Now()
	for _, d := range res.Deliveries {
		s.dispatcher.Enqueue(d, models.Webhook{}, committed)
	}
	return res, nil
}

// variables checks the caller's variables and adds the verification
// decision; it returns them decoded for the criteria and encoded for the
// event row.
func (s *Actions) variables(ctx context.Context, orgID string, in ActionInput) (map[string]any, json.RawMessage, error) {
	raw := map[string]json.RawMessage{}
	if len(in.Variables) > 0 && string(in.Variables) != "null" {
		if err := json.Unmarshal(in.Variables, &raw); err != nil || raw == nil {
			return nil, nil, models.Invalid("variables", "must be an object of the action's variables")
		}
	}
	if _, ok := raw[VerifiedVariable]; ok {
		return nil, nil, models.Invalid("variables", VerifiedVariable+" is set by the platform from verification_id, not by the caller")
	}
	if in.VerificationID != "" {
		verified, err := s.verifications.VerificationDecision(ctx, orgID, in.VerificationID)
		if errors.Is(err, models.ErrNotFound) {
			return nil, nil, models.Invalid("verification_id", "no such click reward verification")
		}
		if err != nil {
			return nil, nil, err
		}
		raw[VerifiedVariable], _ = json.Marshal(verified)
	}
	data, err := json.Marshal(raw)
	if err != nil {
		return nil, nil, err
	}
	vars, err := appactions.DecodeVariables(data)
	return vars, data, err
}

// criteria reports whether the app's trigger criteria render true. A
// criteria that fails to render (it compiled at save time, so only a
// runtime limit can fail it) sends nothing: a criteria is a filter, and a
// filter that cannot decide must not let everything through.
func (s *Actions) criteria(ctx context.Context, app models.App, action string, vars map[string]any) bool {
	ok, _, err := appactions.Criteria(ctx, app.Actions[action].Criteria, vars)
	if err != nil {
		s.log.Warn("app action criteria could not be rendered; action not sent to the app", "app", app.ID, "action", action, "err", err)
		return false
	}
	return ok
}
