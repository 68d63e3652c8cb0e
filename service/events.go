package service

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
	"github.com/switchboardhq/switchboard/workflows"
)

// EventInput is an event to ingest.
type EventInput struct {
	Type           string          `json:"type"`
	Data           json.RawMessage `json:"data"`
	IdempotencyKey string          `json:"idempotency_key"`
}

// IngestEvent validates an event, stores it with one delivery per active
// subscribed endpoint in one transaction, then starts each delivery's
// workflow. A start that fails (or never happens because the process died)
// is picked up by Sweep, so an accepted event is never lost.
func (s *Service) IngestEvent(ctx context.Context, orgID string, in EventInput) (store.IngestResult, error) {
	typ, ok := catalog.Lookup(in.Type)
	if !ok {
		return store.IngestResult{}, &models.ValidationError{Code: "unknown_event_type", Field: "type", Message: "unknown event type " + quote(in.Type)}
	}
	if len(in.Data) == 0 {
		return store.IngestResult{}, models.Invalid("data", "is required")
	}
	if err := typ.Validate(in.Data); err != nil {
		return store.IngestResult{}, &models.ValidationError{Code: "schema_violation", Field: "data", Message: err.Error()}
	}
	if len(in.IdempotencyKey) > 200 {
		return store.IngestResult{}, models.Invalid("idempotency_key", "must be at most 200 characters")
	}
	now := store.Now()
	ev := models.Event{ID: models.NewID("evt"), OrgID: orgID, Type: typ.Name, Data: in.Data, CreatedAt: now}
	if in.IdempotencyKey != "" {
		ev.IdempotencyKey = &in.IdempotencyKey
	}
	subs, err := s.Store.ActiveSubscribers(ctx, orgID, typ.Name)
	if err != nil {
		return store.IngestResult{}, err
	}
	deliveries := make([]models.Delivery, len(subs))
	for i, w := range subs {
		deliveries[i] = models.Delivery{
			ID: models.NewID("dlv"), OrgID: orgID, EventID: ev.ID, WebhookID: w.ID, EventType: typ.Name,
			Status: models.StatusPending, CreatedAt: now, UpdatedAt: now,
		}
	}
	res, err := s.Store.CreateEvent(ctx, &ev, deliveries, s.Cfg.IdempotencyWindow)
	if err != nil || res.Duplicate {
		return res, err
	}
	// The rows are committed: a client hanging up now must not cancel the
	// starts and leave them to the sweeper (each start has its own deadline).
	s.dispatch(context.WithoutCancel(ctx), res.Deliveries, subs)
	return res, nil
}

// dispatch starts the delivery workflows concurrently. Errors are logged,
// not returned: the rows are committed and Sweep retries the start.
func (s *Service) dispatch(ctx context.Context, ds []models.Delivery, subs []models.Webhook) {
	var wg sync.WaitGroup
	for i := range ds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.startDelivery(ctx, ds[i], subs[i], 1, false); err != nil && !alreadyStarted(err) {
				s.Log.Warn("delivery start deferred to sweeper", "delivery", ds[i].ID, "err", err)
			}
		}()
	}
	wg.Wait()
}

// startDelivery starts the delivery workflow. Eager start hands the first
// workflow task straight to this process's worker when it runs one, so the
// first attempt goes out without waiting for a poll. redrive starts a new
// run of a workflow ID that may have closed runs: one more attempt,
// numbered firstAttempt, for a delivery that has made attempts, the whole
// schedule for one that never made any. A workflow ID that Temporal holds
// and the policy refuses is a *serviceerror.WorkflowExecutionAlreadyStarted.
func (s *Service) startDelivery(ctx context.Context, d models.Delivery, w models.Webhook, firstAttempt int, redrive bool) error {
	schedule := workflows.DefaultSchedule
	if w.RetrySchedule != nil {
		schedule = models.Durations(w.RetrySchedule)
	}
	reuse := enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE
	if redrive {
		reuse = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
		if firstAttempt > 1 {
			schedule = nil
		}
	}
	ctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	_, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    workflows.DeliveryID(d.ID),
		TaskQueue:             s.Cfg.TaskQueue,
		EnableEagerStart:      true,
		WorkflowIDReusePolicy: reuse,
		// Without it the SDK answers an existing run as if it had started
		// a new one, and no caller can tell the two apart.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.AttrOrg.ValueSet(d.OrgID), workflows.AttrEndpoint.ValueSet(d.WebhookID),
			workflows.AttrEventType.ValueSet(d.EventType), workflows.AttrStatus.ValueSet(string(models.StatusPending))),
	}, workflows.Delivery, workflows.DeliveryInput{
		DeliveryID: d.ID, Schedule: schedule, FirstAttempt: firstAttempt, AttemptTimeout: s.Cfg.DeliveryTimeout,
	})
	return err
}

// Sweep starts the workflows of deliveries and customer lookups that were
// committed but never started (the process died between commit and start,
// or Temporal was briefly unreachable). The workflow ID is the delivery or
// lookup ID, so a row whose workflow Temporal already holds, running or
// closed, is not started again and not counted; it is marked swept, like
// every row handed over, so it is not picked again. A row whose start
// fails is logged and skipped; an unreachable Temporal ends the sweep.
func (s *Service) Sweep(ctx context.Context) (started int, err error) {
	cutoff := store.Now().Add(-s.Cfg.SweepInterval)
	ds, err := s.Store.Undispatched(ctx, cutoff, 500)
	if err != nil {
		return 0, err
	}
	var swept []string
	for _, d := range ds {
		w, err := s.Store.WebhookByID(ctx, d.WebhookID)
		if errors.Is(err, models.ErrNotFound) {
			// Deleted endpoint: start anyway, the attempt records the failure.
			w, err = models.Webhook{ID: d.WebhookID}, nil
		}
		if err == nil {
			err = s.startDelivery(ctx, d, w, 1, false)
		}
		if err := s.sweptOne(ctx, "delivery", d.ID, err, &started, &swept); err != nil {
			return started, errors.Join(err, s.Store.MarkSwept(ctx, swept))
		}
	}
	if err := s.Store.MarkSwept(ctx, swept); err != nil {
		return started, err
	}
	// Customer lookups get the same guarantee: a committed first message
	// whose lookup never started is looked up late rather than never.
	ls, err := s.Store.StrandedLookups(ctx, cutoff, 500)
	if err != nil {
		return started, err
	}
	swept = swept[:0]
	for _, l := range ls {
		_, err := s.startLookup(ctx, l)
		if err := s.sweptOne(ctx, "lookup", l.ID, err, &started, &swept); err != nil {
			return started, errors.Join(err, s.Store.MarkLookupsSwept(ctx, swept))
		}
	}
	return started, s.Store.MarkLookupsSwept(ctx, swept)
}

// sweptOne tallies one sweep start. A started workflow counts; one that
// Temporal already held does not (it was not stranded after all); both are
// swept. Any other failure is logged and the row left for the next sweep,
// unless Temporal itself is unreachable, which is returned to end the sweep.
func (s *Service) sweptOne(ctx context.Context, kind, id string, err error, started *int, swept *[]string) error {
	switch {
	case err == nil:
		*started++
		*swept = append(*swept, id)
	case alreadyStarted(err):
		*swept = append(*swept, id)
	case temporalUnreachable(ctx, err):
		return err
	default:
		s.Log.Warn("sweeper could not start a "+kind+"; skipped until the next sweep", kind, id, "err", err)
	}
	return nil
}

// alreadyStarted reports that Temporal holds the workflow ID (a running
// run, or a closed one the reuse policy protects). Starts set
// WorkflowExecutionErrorWhenAlreadyStarted, otherwise this never happens.
func alreadyStarted(err error) bool {
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &already)
}

// temporalUnreachable tells an outage (every other start would fail the
// same way) from a failure of one row's start.
func temporalUnreachable(ctx context.Context, err error) bool {
	var unavailable *serviceerror.Unavailable
	var deadline *serviceerror.DeadlineExceeded
	return ctx.Err() != nil || errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.Is(err, context.DeadlineExceeded)
}

// RunSweeper calls Sweep every SweepInterval until ctx ends.
func (s *Service) RunSweeper(ctx context.Context) {
	t := time.NewTicker(s.Cfg.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := s.Sweep(ctx); err != nil {
				s.Log.Warn("sweep failed", "err", err)
			} else if n > 0 {
				s.Log.Info("sweeper started stranded deliveries and lookups", "count", n)
			}
		}
	}
}

// GetEvent loads an event and its deliveries.
func (s *Service) GetEvent(ctx context.Context, orgID, id string) (models.Event, []models.Delivery, error) {
	return s.Store.GetEvent(ctx, orgID, id)
}
