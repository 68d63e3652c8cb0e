package bench

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/config"
)

// The floor of "one workflow per delivery": an eagerly started workflow
// that runs one local activity doing nothing (no database, no HTTP, no
// search attributes), on a worker configured as Switchboard's. Its rate is
// what the Temporal server sustains per workflow on this machine at this
// moment; BenchmarkDeliveries prints Switchboard's rate as a ratio to it.

// floorCounter counts floor activities run, the floor's "delivery".
type floorCounter struct {
	n    atomic.Int64
	want int64
	last atomic.Int64 // unix nanos of the latest run
	done chan struct{}
	once sync.Once
}

func (f *floorCounter) activity(context.Context) error {
	f.last.Store(time.Now().UnixNano())
	if f.n.Add(1) == f.want {
		f.once.Do(func() { close(f.done) })
	}
	return nil
}

func floorWorkflow(ctx workflow.Context) error {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Second})
	return workflow.ExecuteLocalActivity(ctx, "floor.noop").Get(ctx, nil)
}

// runFloor starts n floor workflows from clients starters, as fast as they
// go, and returns the rate their activities ran at.
func runFloor(b *testing.B, cfg config.Config, n, clients int) float64 {
	c, err := client.Dial(client.Options{HostPort: temporalServer.FrontendHostPort(), Namespace: cfg.TemporalNamespace, Logger: sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	queue := cfg.TaskQueue + "-floor-" + strconv.FormatInt(time.Now().UnixNano(), 36) // a queue (and IDs) per run
	f := &floorCounter{want: int64(n), done: make(chan struct{})}
	w := sdkworker.New(c, queue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize:      cfg.WorkerConcurrency,
		MaxConcurrentLocalActivityExecutionSize: cfg.WorkerConcurrency,
		MaxConcurrentWorkflowTaskExecutionSize:  cfg.WorkerConcurrency,
		MaxConcurrentWorkflowTaskPollers:        cfg.WorkerPollers,
		MaxConcurrentActivityTaskPollers:        cfg.WorkerPollers,
	})
	w.RegisterWorkflowWithOptions(floorWorkflow, workflow.RegisterOptions{Name: "floor"})
	w.RegisterActivityWithOptions(f.activity, activity.RegisterOptions{Name: "floor.noop"})
	if err := w.Start(); err != nil {
		b.Fatal(err)
	}
	defer w.Stop()

	start := time.Now()
	fanOut(n, clients, func(i int) {
		_, err := c.ExecuteWorkflow(b.Context(), client.StartWorkflowOptions{
			ID: queue + "-" + strconv.Itoa(i), TaskQueue: queue, EnableEagerStart: true,
		}, "floor")
		if err != nil {
			b.Error(err)
		}
	})
	select {
	case <-f.done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d floor workflows ran", f.n.Load(), n)
	}
	return float64(n) / time.Unix(0, f.last.Load()).Sub(start).Seconds()
}
