// Package worker wires Switchboard's workflows and activities into a
// Temporal worker. It only wires: behaviour lives in workflows/ and
// activities/.
package worker

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/activities"
	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/workflows"
)

// New returns a worker with every workflow and activity registered. Pollers
// are raised above the SDK default of 2: with 2, batches of workflows were
// seen to stall for about a minute under load on the sticky queue.
func New(c client.Client, cfg config.Config, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, cfg.TaskQueue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize:      cfg.WorkerConcurrency,
		MaxConcurrentLocalActivityExecutionSize: cfg.WorkerConcurrency,
		MaxConcurrentWorkflowTaskExecutionSize:  cfg.WorkerConcurrency,
		MaxConcurrentWorkflowTaskPollers:        cfg.WorkerPollers,
		MaxConcurrentActivityTaskPollers:        cfg.WorkerPollers,
		// On shutdown, let in-flight attempts (up to one HTTP timeout plus
		// bookkeeping) finish instead of abandoning them to a retry.
		WorkerStopTimeout: cfg.DeliveryTimeout + 10*time.Second,
	})
	Register(w, acts)
	return w
}

// Registry is what Register fills: a worker, a replayer or a test
// environment.
type Registry interface {
	RegisterWorkflowWithOptions(w any, options workflow.RegisterOptions)
	RegisterActivity(a any)
}

// Register adds every workflow and activity to a registry; tests use it
// with their own workers and replayers. Workflows are registered under the
// contract's type names (contracts.DeliveryWorkflow, ...), the names
// starters use; activities under their method names, which workflows
// reach through the methods themselves.
func Register(r Registry, acts *activities.Activities) {
	for name, wf := range workflows.All() {
		r.RegisterWorkflowWithOptions(wf, workflow.RegisterOptions{Name: name})
	}
	r.RegisterActivity(acts)
}

// EnsureSearchAttributes registers Switchboard's custom search attributes
// on the namespace when they are missing (the dev server gets them by flag;
// a production cluster gets them here, from `switchboard migrate`).
func EnsureSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	have, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("list search attributes: %w", err)
	}
	missing := contracts.SearchAttributes()
	for name := range have.GetCustomAttributes() {
		delete(missing, name)
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = c.OperatorService().AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{
		Namespace: namespace, SearchAttributes: missing,
	})
	if err != nil {
		return fmt.Errorf("add search attributes: %w", err)
	}
	return nil
}
