package service

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/models"
)

// HistoryEvent is one event of a workflow's Temporal history. RunID names
// the run it belongs to: a re-driven delivery has several runs under one
// workflow ID.
type HistoryEvent struct {
	RunID   string          `json:"run_id"`
	ID      int64           `json:"id"`
	Type    string          `json:"type"`
	Time    time.Time       `json:"time"`
	Details json.RawMessage `json:"details"`
}

// historyReader reads workflow histories for Deliveries, Conversations and
// AppSync.
type historyReader struct {
	tc client.Client
}

// maxRuns bounds how many runs of one workflow ID are read; re-drives are
// operator actions, so a real workflow has a handful.
const maxRuns = 100

// read returns the history of every run of a workflow ID, oldest run first,
// each event marked by its run. Payloads are rendered as plain JSON
// (Temporal's payload shorthand); they hold IDs and outcomes only, never a
// secret, because activities load secrets themselves.
func (s *historyReader) read(ctx context.Context, workflowID string) ([]HistoryEvent, error) {
	ctx, cancel := withDeadline(ctx, 15*time.Second)
	defer cancel()
	runs, err := s.runs(ctx, workflowID)
	if err != nil {
		return nil, err
	}
	var out []HistoryEvent
	for _, run := range runs {
		events, err := s.readRun(ctx, workflowID, run)
		if err != nil {
			return nil, err
		}
		out = append(out, events...)
	}
	return out, nil
}

// runs lists the run IDs of a workflow ID, oldest first. Visibility is
// eventually consistent, so the current run, which Describe always knows,
// is added when the listing does not have it yet.
func (s *historyReader) runs(ctx context.Context, workflowID string) ([]string, error) {
	desc, err := s.tc.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, models.ErrNotFound
		}
		return nil, temporalErr(err)
	}
	current := desc.GetWorkflowExecutionInfo()
	type run struct {
		id    string
		start time.Time
	}
	var found []run
	req := &workflowservice.ListWorkflowExecutionsRequest{
		// strconv.Quote escapes what would end the string; our IDs are
		// built by contracts and hold none of it anyway.
		Query: "WorkflowId = " + strconv.Quote(workflowID), PageSize: maxRuns,
	}
	resp, err := s.tc.ListWorkflow(ctx, req)
	if err != nil {
		return nil, temporalErr(err)
	}
	for _, e := range resp.GetExecutions() {
		found = append(found, run{id: e.GetExecution().GetRunId(), start: e.GetStartTime().AsTime()})
	}
	if !slices.ContainsFunc(found, func(r run) bool { return r.id == current.GetExecution().GetRunId() }) {
		found = append(found, run{id: current.GetExecution().GetRunId(), start: current.GetStartTime().AsTime()})
	}
	slices.SortStableFunc(found, func(a, b run) int { return a.start.Compare(b.start) })
	ids := make([]string, len(found))
	for i, r := range found {
		ids[i] = r.id
	}
	return ids, nil
}

func (s *historyReader) readRun(ctx context.Context, workflowID, runID string) ([]HistoryEvent, error) {
	it := s.tc.GetWorkflowHistory(ctx, workflowID, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var out []HistoryEvent
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			var nf *serviceerror.NotFound
			if errors.As(err, &nf) {
				return nil, models.ErrNotFound
			}
			return nil, temporalErr(err)
		}
		details, err := temporalproto.CustomJSONMarshalOptions{}.Marshal(ev)
		if err != nil {
			return nil, err
		}
		out = append(out, HistoryEvent{
			RunID: runID, ID: ev.GetEventId(), Type: ev.GetEventType().String(), Time: ev.GetEventTime().AsTime(), Details: details,
		})
	}
	return out, nil
}
