package bench

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/harness"
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

// floorExtras are the pieces of a delivery workflow's history beyond the
// floor, each added on request so BenchmarkFloorAnatomy can price them.
type floorExtras struct {
	Attrs   bool // four keyword search attributes and a summary at start
	Version bool // a GetVersion marker (with its TemporalChangeVersion upsert)
	Upsert  bool // one search-attribute upsert before completing
}

func floorWorkflow(ctx workflow.Context, x floorExtras) error {
	if x.Version {
		workflow.GetVersion(ctx, "floor-change", workflow.DefaultVersion, 1)
	}
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 5 * time.Second})
	if err := workflow.ExecuteLocalActivity(ctx, "floor.noop").Get(ctx, nil); err != nil {
		return err
	}
	if x.Upsert {
		return workflow.UpsertTypedSearchAttributes(ctx, contracts.AttrStatus.ValueSet("succeeded"))
	}
	return nil
}

// runFloor starts n floor workflows (with extras x) from clients
// starters, as fast as they go, and returns the rate their activities ran
// at.
func runFloor(b *testing.B, cfg config.Config, n, clients int, x floorExtras) float64 {
	// Connected like Switchboard's client (app.Start): same compression.
	c, err := client.Dial(client.Options{HostPort: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace,
		Logger:            sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)),
		ConnectionOptions: client.ConnectionOptions{GrpcCompression: cfg.TemporalGrpcCompression()}})
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
		opts := client.StartWorkflowOptions{ID: queue + "-" + strconv.Itoa(i), TaskQueue: queue, EnableEagerStart: true}
		if x.Attrs {
			opts.StaticSummary = "contact.created → 127.0.0.1"
			opts.TypedSearchAttributes = temporal.NewSearchAttributes(
				contracts.AttrOrg.ValueSet("org_bench"), contracts.AttrEndpoint.ValueSet("wh_bench"),
				contracts.AttrEventType.ValueSet("contact.created"), contracts.AttrStatus.ValueSet("pending"))
		}
		_, err := c.ExecuteWorkflow(b.Context(), opts, "floor", x)
		if err != nil {
			b.Error(err)
		}
	})
	select {
	case <-f.done:
	case <-time.After(10 * time.Minute):
		b.Fatalf("only %d of %d floor workflows ran", f.n.Load(), n)
	}
	rate := float64(n) / time.Unix(0, f.last.Load()).Sub(start).Seconds()
	// The rate ends at the last activity; the worker stays until every run
	// has completed, so no workflow task is cut off (and the CPU measured
	// around runFloor covers the whole workflows).
	harness.Eventually(b, "the floor workflows to complete", func() bool {
		// Counted as completed, not as no longer running: visibility lags,
		// so a run not yet recorded as started would count as not running.
		res, err := c.CountWorkflow(b.Context(), &workflowservice.CountWorkflowExecutionsRequest{
			Query: "TaskQueue = '" + queue + "' AND ExecutionStatus = 'Completed'"})
		return err == nil && res.GetCount() >= int64(n)
	})
	return rate
}

// BenchmarkFloorAnatomy prices what a delivery workflow's history adds to
// the floor: BENCH_FLOOR workflows (default 1500) from 16 clients for the
// plain floor, each extra alone and all of them, in two rounds (so host
// drift shows), reporting the Temporal server's CPU-seconds per 1,000
// workflows and the rate of each.
func BenchmarkFloorAnatomy(b *testing.B) {
	cfg := harness.ConfigAt(b, temporalAddr)
	n := envInt("BENCH_FLOOR", 1500)
	variants := []struct {
		name string
		x    floorExtras
	}{
		{"plain", floorExtras{}},
		{"attrs", floorExtras{Attrs: true}},
		{"version", floorExtras{Version: true}},
		{"upsert", floorExtras{Upsert: true}},
		{"all", floorExtras{Attrs: true, Version: true, Upsert: true}},
	}
	for range b.N {
		for round := range 2 {
			for _, v := range variants {
				c0 := readCPU(b, cfg.TemporalAddress)
				rate := runFloor(b, cfg, n, 16, v.x)
				used := readCPU(b, cfg.TemporalAddress).since(c0)
				b.ReportMetric(per1k(used.temporal, n), v.name+"_r"+strconv.Itoa(round)+"_temporal_cpu_s/1k")
				b.Logf("round %d %-8s %6.1f workflows/s, temporal %.2f CPU-s/1k", round, v.name, rate, per1k(used.temporal, n))
			}
		}
	}
}
