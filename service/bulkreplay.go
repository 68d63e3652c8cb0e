package service

import (
	"context"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// BulkReplayInput selects what a bulk replay covers; zero fields do not
// filter. Only deliveries created before the replay are covered.
type BulkReplayInput struct {
	Status    models.DeliveryStatus `json:"status"`
	Since     *time.Time            `json:"since"`
	Until     *time.Time            `json:"until"`
	WebhookID string                `json:"webhook_id"`
	EventType string                `json:"event_type"`
	Target    string                `json:"target"`
}

// BulkReplay is a bulk replay with its outcome counts.
type BulkReplay struct {
	Replay   models.Replay
	Outcomes map[models.DeliveryStatus]int
}

// CreateBulkReplay stores a bulk replay and starts its BulkReplay
// workflow. When the start fails the replay is recorded cancelled and the
// error returned (nothing was replayed).
func (s *Replays) CreateBulkReplay(ctx context.Context, orgID string, in BulkReplayInput) (BulkReplay, error) {
	if in.Status != "" && !in.Status.Valid() {
		return BulkReplay{}, models.Invalid("status", "must be "+models.JoinStatuses(models.DeliveryStatuses))
	}
	if err := validTarget(in.Target); err != nil {
		return BulkReplay{}, err
	}
	if in.Since != nil && in.Until != nil && !in.Since.Before(*in.Until) {
		return BulkReplay{}, models.Invalid("until", "must be after since")
	}
	if len(in.WebhookID) > 40 || len(in.EventType) > 100 {
		return BulkReplay{}, models.Invalid("webhook_id", "webhook_id (40) or event_type (100 characters) is too long")
	}
	if in.WebhookID != "" {
		if w, err := s.st.WebhookByID(ctx, in.WebhookID); err != nil || w.OrgID != orgID {
			return BulkReplay{}, models.Invalid("webhook_id", "is not one of the org's endpoints")
		}
	}
	r := models.Replay{ID: models.NewID("rpl"), OrgID: orgID, Status: in.Status, Since: in.Since, Until: in.Until,
		WebhookID: in.WebhookID, EventType: in.EventType, Target: in.Target, State: models.ReplayRunning}
	if r.Target == "" {
		r.Target = models.ReplayTargetOriginal
	}
	if err := s.st.CreateReplay(ctx, &r); err != nil {
		return BulkReplay{}, err
	}
	sctx, cancel := withDeadline(ctx, replayCallTimeout)
	defer cancel()
	_, err := s.tc.ExecuteWorkflow(sctx, client.StartWorkflowOptions{
		ID: contracts.BulkReplayWorkflowID(r.ID), TaskQueue: s.set.TaskQueue,
		StaticSummary:         "bulk replay " + r.ID,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		TypedSearchAttributes: temporal.NewSearchAttributes(contracts.AttrOrg.ValueSet(orgID)),
	}, contracts.BulkReplayWorkflow, contracts.BulkReplayInput{ReplayID: r.ID, Rate: s.set.Rate, PageSize: s.set.PageSize})
	if err != nil {
		_ = s.st.SetReplayState(context.WithoutCancel(ctx), r.ID, models.ReplayCancelled)
		return BulkReplay{}, temporalErr(err)
	}
	return BulkReplay{Replay: r, Outcomes: map[models.DeliveryStatus]int{}}, nil
}

// GetBulkReplay loads a bulk replay with its replay deliveries' outcomes.
func (s *Replays) GetBulkReplay(ctx context.Context, orgID, id string) (BulkReplay, error) {
	r, err := s.st.GetReplay(ctx, orgID, id)
	if err != nil {
		return BulkReplay{}, err
	}
	out, err := s.st.ReplayOutcomes(ctx, id)
	return BulkReplay{Replay: r, Outcomes: out}, err
}

// ErrReplayOver refuses to steer a replay that has finished.
var ErrReplayOver = &models.ConflictError{Message: "the replay has finished"}

// PauseBulkReplay holds a running replay between pages; resume goes on.
func (s *Replays) PauseBulkReplay(ctx context.Context, orgID, id string) (BulkReplay, error) {
	return s.steer(ctx, orgID, id, contracts.SignalPauseReplay)
}

// ResumeBulkReplay continues a paused replay.
func (s *Replays) ResumeBulkReplay(ctx context.Context, orgID, id string) (BulkReplay, error) {
	return s.steer(ctx, orgID, id, contracts.SignalResumeReplay)
}

// CancelBulkReplay stops a replay; deliveries it already made go on.
func (s *Replays) CancelBulkReplay(ctx context.Context, orgID, id string) (BulkReplay, error) {
	return s.steer(ctx, orgID, id, "")
}

func (s *Replays) steer(ctx context.Context, orgID, id, signal string) (BulkReplay, error) {
	r, err := s.st.GetReplay(ctx, orgID, id)
	if err != nil {
		return BulkReplay{}, err
	}
	if r.CompletedAt != nil {
		return BulkReplay{}, ErrReplayOver
	}
	sctx, cancel := withDeadline(ctx, replayCallTimeout)
	defer cancel()
	if signal == "" {
		err = s.tc.CancelWorkflow(sctx, contracts.BulkReplayWorkflowID(id), "")
	} else {
		err = s.tc.SignalWorkflow(sctx, contracts.BulkReplayWorkflowID(id), "", signal, nil)
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return BulkReplay{}, ErrReplayOver
	}
	if err != nil {
		return BulkReplay{}, temporalErr(err)
	}
	return s.GetBulkReplay(ctx, orgID, id)
}

// ListBulkReplays returns the org's latest bulk replays (newest first).
func (s *Replays) ListBulkReplays(ctx context.Context, orgID string, limit int) ([]models.Replay, error) {
	return s.st.ListReplays(ctx, orgID, limit)
}
