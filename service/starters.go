package service

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/live"
	"github.com/switchboardhq/switchboard/models"
)

// deliveryStarter starts delivery workflows; Events, Deliveries (retry)
// and the Sweeper share one.
type deliveryStarter struct {
	tc  client.Client
	set DeliverySettings
}

// start starts the delivery workflow. An app delivery (d.AppID) passes a
// zero w, so it runs the default schedule, and its app ID is the
// SwitchboardEndpoint search attribute. Eager start hands the first
// workflow task straight to this process's worker when it runs one, so the
// first attempt goes out without waiting for a poll. redrive starts a new
// run of a workflow ID that may have closed runs: one more attempt,
// numbered firstAttempt, for a delivery that has made attempts, the whole
// schedule for one that never made any. A workflow ID that Temporal holds
// and the policy refuses is a *serviceerror.WorkflowExecutionAlreadyStarted.
func (s *deliveryStarter) start(ctx context.Context, d models.Delivery, w models.Webhook, firstAttempt int, redrive bool) error {
	if w.Queued() && !redrive {
		return s.enqueue(ctx, w)
	}
	schedule := contracts.DefaultDeliverySchedule
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
	_, err := s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID: contracts.DeliveryWorkflowID(d.ID),
		// The run's one-line summary in the Web UI: what goes where.
		StaticSummary:         deliverySummary(d, w),
		TaskQueue:             s.set.TaskQueue,
		EnableEagerStart:      true,
		WorkflowIDReusePolicy: reuse,
		// Without it the SDK answers an existing run as if it had started
		// a new one, and no caller can tell the two apart.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		Priority:                                 s.priority(d.OrgID),
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contracts.AttrOrg.ValueSet(d.OrgID), contracts.AttrEndpoint.ValueSet(cmp.Or(d.WebhookID, d.AppID)),
			contracts.AttrEventType.ValueSet(d.EventType), contracts.AttrStatus.ValueSet(string(models.StatusPending))),
	}, contracts.DeliveryWorkflow, contracts.DeliveryWorkflowInput{
		DeliveryID: d.ID, Schedule: schedule, FirstAttempt: firstAttempt, AttemptTimeout: s.set.AttemptTimeout,
	})
	return err
}

// priority is the org as fairness key: the task queue then serves orgs in
// turn (tasks of a run, its activities included, inherit it), so one org's
// backlog of workflow and activity tasks does not hold another's behind
// it. The server ignores the key unless matching.enableFairness is set.
func (s *deliveryStarter) priority(org string) temporal.Priority {
	if !s.set.FairnessKeys {
		return temporal.Priority{}
	}
	return temporal.Priority{FairnessKey: org}
}

// startCommitted starts the workflows of committed pending deliveries
// (replays, operational events) with their endpoints from hooks (by
// webhook ID; an app delivery has none). A start that fails is logged and
// left to the sweeper, as at ingest; a skipped delivery is not started.
func (s *deliveryStarter) startCommitted(ctx context.Context, log *slog.Logger, ds []models.Delivery, hooks map[string]models.Webhook) {
	for _, d := range ds {
		if d.Status != models.StatusPending {
			continue
		}
		if err := s.start(ctx, d, hooks[d.WebhookID], 1, false); err != nil && !alreadyStarted(err) {
			log.Warn("delivery not started; the sweeper will", "delivery", d.ID, "err", err)
		}
	}
}

// enqueue wakes (starting it if need be) the queue of an endpoint with a
// rate limit or FIFO, which starts the endpoint's committed deliveries in
// ingest order at its pace. An operator's retry (redrive) bypasses it.
func (s *deliveryStarter) enqueue(ctx context.Context, w models.Webhook) error {
	ctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	_, err := s.tc.SignalWithStartWorkflow(ctx, contracts.EndpointQueueWorkflowID(w.ID), contracts.SignalQueueWake, nil,
		client.StartWorkflowOptions{
			TaskQueue: s.set.TaskQueue, StaticSummary: "delivery queue of " + w.ID, Priority: s.priority(w.OrgID),
			TypedSearchAttributes: temporal.NewSearchAttributes(contracts.AttrOrg.ValueSet(w.OrgID), contracts.AttrEndpoint.ValueSet(w.ID)),
		}, contracts.EndpointQueueWorkflow, contracts.EndpointQueueInput{WebhookID: w.ID})
	return err
}

// deliverySummary is "contact.created → hooks.example.com" (the host only:
// paths and queries may hold tokens), or the app for an action.
func deliverySummary(d models.Delivery, w models.Webhook) string {
	to := "app " + d.AppID
	if u, err := url.Parse(w.URL); err == nil && u.Host != "" {
		to = u.Host
	}
	return d.EventType + " → " + to
}

// alreadyStarted reports that Temporal holds the workflow ID (a running
// run, or a closed one the reuse policy protects). Starts set
// WorkflowExecutionErrorWhenAlreadyStarted, otherwise this never happens.
func alreadyStarted(err error) bool {
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	return errors.As(err, &already)
}

// lookupFinisher is what lookupStarter writes when a start fails.
type lookupFinisher interface {
	FinishLookup(ctx context.Context, lookupID string, profile *models.CustomerProfile, status models.LookupStatus, errText string) error
}

// lookupStarter starts customer lookup workflows and records the ones
// that cannot start; Widget, Conversations and the Sweeper share one.
type lookupStarter struct {
	tc  client.Client
	st  lookupFinisher
	hub *live.Hub
	log *slog.Logger
	set LookupSettings
}

// start starts the Lookup workflow with eager start, so with the
// worker in this process the first local-activity attempt runs without a
// matching-service round trip.
func (s *lookupStarter) start(ctx context.Context, l models.Lookup) (client.WorkflowRun, error) {
	ctx, cancel := withDeadline(ctx, 10*time.Second)
	defer cancel()
	return s.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:               contracts.LookupWorkflowID(l.ID),
		TaskQueue:        s.set.TaskQueue,
		EnableEagerStart: true,
		// A lookup ID runs once; the sweeper may try again, never twice.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// An existing run is an error (*serviceerror.WorkflowExecutionAlreadyStarted),
		// not a run handed back as if it had just started.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contracts.AttrOrg.ValueSet(l.OrgID), contracts.AttrStatus.ValueSet(string(models.LookupPending))),
	}, contracts.LookupWorkflow, contracts.LookupWorkflowInput{LookupID: l.ID, AttemptTimeout: s.set.AttemptTimeout})
}

// failUnstarted finishes a lookup whose workflow could not be
// started, so the operator's panel shows "failed" (and offers Refresh)
// instead of staying pending for ever.
func (s *lookupStarter) failUnstarted(ctx context.Context, l models.Lookup, startErr error) {
	s.log.Warn("customer lookup could not start", "lookup", l.ID, "err", startErr)
	ctx, cancel := withDeadline(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := s.st.FinishLookup(ctx, l.ID, nil, models.LookupFailed, "the lookup could not be started; use Refresh to try again"); err != nil {
		s.log.Error("could not record the lookup's failure", "lookup", l.ID, "err", err)
		return
	}
	profileChanged(s.hub, l.ConversationID)
}
