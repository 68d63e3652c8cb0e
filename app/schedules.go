package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/contracts"
)

// ensureHealthSchedule creates (or brings up to date) the Temporal
// Schedule that runs the EndpointHealth check every HEALTH_CHECK_INTERVAL.
// Every worker process calls it at start; the Schedule ID is per task
// queue, so there is one Schedule however many workers run, and a
// changed interval takes effect at the next worker start.
func ensureHealthSchedule(ctx context.Context, tc client.Client, cfg config.Config) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	id := contracts.EndpointHealthScheduleID(cfg.TaskQueue)
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: cfg.HealthCheckInterval}}}
	_, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      id,
		Spec:    spec,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, // a slow check is never run twice at once
		Action: &client.ScheduleWorkflowAction{
			ID: contracts.EndpointHealthWorkflowID(cfg.TaskQueue), Workflow: contracts.EndpointHealthWorkflow,
			TaskQueue: cfg.TaskQueue, Args: []any{contracts.EndpointHealthInput{}},
			WorkflowExecutionTimeout: 30 * time.Minute,
		},
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := tc.ScheduleClient().GetHandle(ctx, id)
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &spec
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("endpoint health schedule: %w", err)
	}
	return nil
}
