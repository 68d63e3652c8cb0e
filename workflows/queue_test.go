package workflows

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
)

type queueEnv struct {
	env    *testsuite.TestWorkflowEnvironment
	starts map[string]time.Time // child start time by delivery ID
	ends   map[string]time.Time
}

// newQueueEnv serves n queued deliveries on the first read, then none.
func newQueueEnv(t *testing.T, n int, rate float64, fifo bool, childTakes time.Duration) *queueEnv {
	var ts testsuite.WorkflowTestSuite
	q := &queueEnv{env: ts.NewTestWorkflowEnvironment(), starts: map[string]time.Time{}, ends: map[string]time.Time{}}
	q.env.RegisterWorkflow(EndpointQueue)
	q.env.RegisterWorkflow(Delivery)
	reads := 0
	q.env.OnActivity(a.NextQueued, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.NextQueuedInput) (contracts.NextQueuedResult, error) {
			reads++
			res := contracts.NextQueuedResult{RateLimit: rate, FIFO: fifo, Queued: true}
			if reads == 1 {
				for i := range n {
					id := string(rune('a' + i))
					res.Deliveries = append(res.Deliveries, contracts.QueuedDelivery{ID: id, CreatedAt: time.Unix(int64(i), 0),
						Input: contracts.DeliveryWorkflowInput{DeliveryID: id}})
				}
			}
			return res, nil
		})
	q.env.OnWorkflow(Delivery, mock.Anything, mock.Anything).Return(
		func(ctx workflow.Context, in contracts.DeliveryWorkflowInput) (contracts.DeliveryWorkflowResult, error) {
			q.starts[in.DeliveryID] = workflow.Now(ctx)
			_ = workflow.Sleep(ctx, childTakes)
			q.ends[in.DeliveryID] = workflow.Now(ctx)
			return contracts.DeliveryWorkflowResult{Status: "succeeded", Attempts: 1}, nil
		})
	return q
}

// FIFO starts each delivery only after the previous one ended.
func TestEndpointQueueFIFOStartsOneAfterAnother(t *testing.T) {
	q := newQueueEnv(t, 3, 0, true, time.Minute)
	q.env.ExecuteWorkflow(EndpointQueue, contracts.EndpointQueueInput{WebhookID: "wh_1", Idle: time.Hour})
	if err := q.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{"a", "b"}, {"b", "c"}} {
		if q.starts[pair[1]].Before(q.ends[pair[0]]) {
			t.Fatalf("%s started at %v, before %s ended at %v", pair[1], q.starts[pair[1]], pair[0], q.ends[pair[0]])
		}
	}
}

// A rate limit starts at most rate deliveries per one-second window.
func TestEndpointQueueRateLimitWindows(t *testing.T) {
	q := newQueueEnv(t, 12, 5, false, 0)
	q.env.ExecuteWorkflow(EndpointQueue, contracts.EndpointQueueInput{WebhookID: "wh_1", Idle: time.Hour})
	if err := q.env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(q.starts) != 12 {
		t.Fatalf("%d started", len(q.starts))
	}
	first := q.starts["a"]
	perSecond := map[int]int{}
	for _, at := range q.starts {
		perSecond[int(at.Sub(first)/time.Second)]++
	}
	if perSecond[0] != 5 || perSecond[1] != 5 || perSecond[2] != 2 {
		t.Fatalf("starts per second %v, want 5, 5, 2", perSecond)
	}
}

// Without work the queue completes after Idle; the next delivery's
// signal-with-start begins a new run.
func TestEndpointQueueCompletesWhenIdle(t *testing.T) {
	q := newQueueEnv(t, 0, 0, false, 0)
	q.env.ExecuteWorkflow(EndpointQueue, contracts.EndpointQueueInput{WebhookID: "wh_1", Idle: time.Minute})
	if !q.env.IsWorkflowCompleted() || q.env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", q.env.IsWorkflowCompleted(), q.env.GetWorkflowError())
	}
}
