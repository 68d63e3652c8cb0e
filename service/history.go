package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"

	"github.com/switchboardhq/switchboard/models"
)

// HistoryEvent is one event of a workflow's Temporal history.
type HistoryEvent struct {
	ID      int64           `json:"id"`
	Type    string          `json:"type"`
	Time    time.Time       `json:"time"`
	Details json.RawMessage `json:"details"`
}

// historyReader reads workflow histories for Deliveries and Conversations.
type historyReader struct {
	tc client.Client
}

// read reads a workflow's history. Payloads are rendered as plain JSON
// (Temporal's payload shorthand); they hold IDs and outcomes only, never a
// secret, because activities load secrets themselves.
func (s *historyReader) read(ctx context.Context, workflowID string) ([]HistoryEvent, error) {
	ctx, cancel := withDeadline(ctx, 15*time.Second)
	defer cancel()
	it := s.tc.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
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
			ID: ev.GetEventId(), Type: ev.GetEventType().String(), Time: ev.GetEventTime().AsTime(), Details: details,
		})
	}
	return out, nil
}
