package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// queueStartsPerRun bounds a queue run's history before continue-as-new.
const queueStartsPerRun = 200

// EndpointQueue starts an endpoint's Delivery workflows one by one in
// ingest order (the database's, read by the NextQueued activity, so
// deliveries committed by any API process are ordered alike): with a rate
// limit at most RateLimit starts per second, with FIFO only after the
// previous delivery finished (succeeded, exhausted, or cancelled by an
// operator, which is how a blocking head is skipped). It is one workflow
// per endpoint, so the limit and the order hold across every worker
// process. Each Delivery is an abandoned child with the usual ID,
// retries and history: only when it starts changes. The "wake" signal
// (sent with start by the delivery starter) says work arrived; after Idle
// without any the run completes.
func EndpointQueue(ctx workflow.Context, in contracts.EndpointQueueInput) error {
	wake := workflow.GetSignalChannel(ctx, contracts.SignalQueueWake)
	idle := in.Idle
	if idle <= 0 {
		idle = time.Minute
	}
	actx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: storeMargin, RetryPolicy: infraRetry, ScheduleToCloseTimeout: 10 * time.Minute,
	})
	started := 0
	var pace pacer
	lastWork := workflow.Now(ctx)
	lastWake := lastWork // the start came with a wake
	for {
		var next contracts.NextQueuedResult
		err := workflow.ExecuteLocalActivity(actx, a.NextQueued, contracts.NextQueuedInput{
			WebhookID: in.WebhookID, AfterAt: in.AfterAt, AfterID: in.AfterID, Limit: 50}).Get(ctx, &next)
		if err != nil {
			return err
		}
		for _, d := range next.Deliveries {
			if err := pace.wait(ctx, next.RateLimit); err != nil {
				return err
			}
			startDelivery(ctx, d, next.FIFO)
			in.AfterAt, in.AfterID = d.CreatedAt, d.ID
			started++
			lastWork = workflow.Now(ctx)
		}
		for wake.ReceiveAsync(nil) { // consumed: the read above saw their rows or the re-check will
			lastWake = workflow.Now(ctx)
		}
		if started >= queueStartsPerRun {
			return workflow.NewContinueAsNewError(ctx, EndpointQueue, in)
		}
		if len(next.Deliveries) > 0 {
			continue
		}
		if !next.Queued || workflow.Now(ctx).Sub(lastWork) >= idle {
			return nil // nothing left; the next delivery starts a new run
		}
		// A recent wake may name a row still settling: re-check once it has;
		// otherwise sleep until the next wake or the end of the idle time.
		wait := idle - workflow.Now(ctx).Sub(lastWork)
		if settle := contracts.QueueSettle + 100*time.Millisecond; workflow.Now(ctx).Sub(lastWake) < settle {
			wait = settle
		}
		tctx, cancelTimer := workflow.WithCancel(ctx)
		sel := workflow.NewSelector(ctx)
		sel.AddReceive(wake, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil); lastWake = workflow.Now(ctx) })
		sel.AddFuture(workflow.NewTimer(tctx, wait), func(workflow.Future) {})
		sel.Select(ctx)
		cancelTimer()
	}
}

// startDelivery starts one Delivery as an abandoned child and, for FIFO,
// waits until it ends. One that Temporal already holds (an operator's
// retry, the sweeper) is left alone.
func startDelivery(ctx workflow.Context, d contracts.QueuedDelivery, fifo bool) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            contracts.DeliveryWorkflowID(d.ID),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		StaticSummary:         d.EventType + " (queued)",
		TypedSearchAttributes: temporal.NewSearchAttributes(
			contracts.AttrOrg.ValueSet(d.OrgID), contracts.AttrEventType.ValueSet(d.EventType),
			contracts.AttrStatus.ValueSet(string(models.StatusPending))),
	})
	child := workflow.ExecuteChildWorkflow(cctx, Delivery, d.Input)
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		var already *temporal.ChildWorkflowExecutionAlreadyStartedError
		if !errors.As(err, &already) {
			workflow.GetLogger(ctx).Warn("queued delivery not started; the sweeper will", "delivery", d.ID, "error", err)
		}
		return
	}
	if fifo {
		_ = child.Get(ctx, nil) // its outcome is the delivery's; the line moves on either way
	}
}

// pacer holds a queue to its rate in one-second windows: up to rate
// starts per window (at least one), then a wait for the next window. A
// timer per start would cost two history events each and, on the dev
// server, fires no more often than about once a second anyway.
type pacer struct {
	window time.Time
	count  int
}

func (p *pacer) wait(ctx workflow.Context, rate float64) error {
	if rate <= 0 {
		return nil
	}
	span := time.Second
	perWindow := int(rate)
	if rate < 1 {
		span, perWindow = time.Duration(float64(time.Second)/rate), 1
	}
	now := workflow.Now(ctx)
	if p.window.IsZero() || now.Sub(p.window) >= span {
		p.window, p.count = now, 0
	}
	if p.count >= perWindow {
		if err := workflow.Sleep(ctx, span-now.Sub(p.window)); err != nil {
			return err
		}
		p.window, p.count = workflow.Now(ctx), 0
	}
	p.count++
	return nil
}
