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

// ensureSchedules creates or updates the worker's periodic work: the
// endpoint health check and the retention purge.
func ensureSchedules(ctx context.Context, tc client.Client, cfg config.Config) error {
	if err := ensureHealthSchedule(ctx, tc, cfg); err != nil {
		return err
	}
	return ensureSchedule(ctx, tc, contracts.RetentionScheduleID(cfg.TaskQueue), cfg.RetentionInterval, &client.ScheduleWorkflowAction{
		ID: contracts.RetentionScheduleID(cfg.TaskQueue), Workflow: contracts.RetentionWorkflow, TaskQueue: cfg.TaskQueue,
		Args: []any{contracts.RetentionInput{}}, WorkflowExecutionTimeout: 3 * time.Hour,
	})
}

// ensureHealthSchedule creates (or brings up to date) the Temporal
// Schedule that runs the EndpointHealth check every HEALTH_CHECK_INTERVAL.
// Every worker process calls it at start; the Schedule ID is per task
// queue, so there is one Schedule however many workers run, and a
// changed interval takes effect at the next worker start.
func ensureHealthSchedule(ctx context.Context, tc client.Client, cfg config.Config) error {
	return ensureSchedule(ctx, tc, contracts.EndpointHealthScheduleID(cfg.TaskQueue), cfg.HealthCheckInterval, &client.ScheduleWorkflowAction{
		ID: contracts.EndpointHealthWorkflowID(cfg.TaskQueue), Workflow: contracts.EndpointHealthWorkflow,
		TaskQueue: cfg.TaskQueue, Args: []any{contracts.EndpointHealthInput{}},
		WorkflowExecutionTimeout: 30 * time.Minute,
	})
}

// ensureSchedule creates the Schedule id running action every interval,
// or updates an existing one's interval.
func ensureSchedule(ctx context.Context, tc client.Client, id string, every time.Duration, action *client.ScheduleWorkflowAction) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	_, err := tc.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      id,
		Spec:    spec,
		Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, // a slow run is never overlapped by the next
		Action:  action,
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := tc.ScheduleClient().GetHandle(ctx, id)
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			in.Description.Schedule.Spec = &spec
			return &client.ScheduleUpdate{Schedule: &in.Description.Schedule}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("schedule %s: %w", id, err)
	}
	return nil
}
