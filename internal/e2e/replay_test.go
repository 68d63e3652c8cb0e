package e2e

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/worker"
)

// writeTestdata records this run's histories into workflows/testdata, for
// the files that do not exist yet: a recorded history is never replaced,
// since it stands for runs of its code that may still be in flight. After a
// GetVersion-gated change, name the runs of the new shape anew below and
// run once with SWITCHBOARD_WRITE_REPLAY_TESTDATA=1.
var writeTestdata = os.Getenv("SWITCHBOARD_WRITE_REPLAY_TESTDATA") == "1"

// TestHistoriesReplay runs the main delivery paths on the real server and
// replays each resulting history with the current workflow code: a
// non-deterministic change fails here before it can break running
// workflows in production.
func TestHistoriesReplay(t *testing.T) {
	p := newPlatform(t)
	r := newReceiver(t, "hmac-sha256-hex", "Switchboard-Signature")
	r.answer = func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}
	w := p.createWebhook(r, map[string]any{"retry_schedule": []string{"1h", "1h"}})
	retried := p.sendEvent(contactEvent).Deliveries[0].ID
	p.waitStatus(retried, models.StatusRetrying)
	p.call("POST", "/v1/deliveries/"+retried+"/retry", nil, nil)
	p.waitStatus(retried, models.StatusSucceeded)

	r.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }
	cancelled := p.sendEvent(contactEvent).Deliveries[0].ID
	p.waitStatus(cancelled, models.StatusRetrying)
	p.call("POST", "/v1/deliveries/"+cancelled+"/cancel", nil, nil)
	p.waitStatus(cancelled, models.StatusCancelled)

	r.answer = func(_ int, w http.ResponseWriter) { w.WriteHeader(http.StatusGone) }
	gone := p.sendEvent(contactEvent).Deliveries[0].ID
	p.waitStatus(gone, models.StatusFailed)

	r.answer = func(int, http.ResponseWriter) {}
	p.call("PATCH", "/v1/webhooks/"+w.ID, map[string]any{"active": true}, nil) // 410 turned it off
	succeeded := p.sendEvent(contactEvent).Deliveries[0].ID
	p.waitStatus(succeeded, models.StatusSucceeded)
	var test struct{ Success bool }
	p.call("POST", "/v1/webhooks/"+w.ID+"/test", map[string]any{"event_type": "contact.created"}, &test)

	// Lookups: one that succeeds on its retry, one that fails twice.
	lr := newLookupReceiver(t, "X-Switchboard-Signature")
	ok := lr.answer
	lr.answer = func(n int, req lookupRequest, w http.ResponseWriter, r *http.Request) {
		if n == 1 || n >= 3 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		ok(n, req, w, r)
	}
	p.configure(lr, nil)
	retriedLookup := p.message(map[string]any{"visitor_id": "u1", "text": "hi"})
	p.waitCustomer(retriedLookup.ConversationID, models.ProfileOK)
	failedLookup := p.message(map[string]any{"visitor_id": "u2", "text": "hi"})
	p.waitCustomer(failedLookup.ConversationID, models.ProfileFailed)

	// Delivery runs carry the version of their shape: delivery_*.json
	// without one were recorded before delivery-correctness version 1,
	// delivery_v1_* before failed-run-state (a failed delivery then
	// completed its run), delivery_v2_* before the version was asked only
	// where it matters (lazyVersion), delivery_v3_* after it.
	runs := map[string]string{
		"delivery_v3_retry_after_then_retry_now": contracts.DeliveryWorkflowID(retried),
		"delivery_v3_cancelled":                  contracts.DeliveryWorkflowID(cancelled),
		"delivery_v3_gone":                       contracts.DeliveryWorkflowID(gone),
		"delivery_v3_succeeded":                  contracts.DeliveryWorkflowID(succeeded),
		"lookup_ok_on_retry":                     contracts.LookupWorkflowID(retriedLookup.LookupID),
		"lookup_failed_twice":                    contracts.LookupWorkflowID(failedLookup.LookupID),
	}
	replayer := sdkworker.NewWorkflowReplayer()
	worker.Register(replayerRegistry{replayer}, nil)
	for name, id := range runs {
		// Outcomes are stored before the workflow records its end: wait
		// for the run to close so the whole history is replayed (the
		// cancelled run's Get returns its cancellation).
		_ = p.App.Temporal.GetWorkflow(t.Context(), id, "").Get(t.Context(), nil)
		hist := fetchHistory(t, p.App.Temporal, id)
		if id == contracts.DeliveryWorkflowID(succeeded) {
			for _, ev := range hist.GetEvents() {
				if ev.GetEventType() == enumspb.EVENT_TYPE_MARKER_RECORDED && ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "Version" {
					t.Fatalf("a delivery that succeeded at once recorded a version marker (event %d)", ev.GetEventId())
				}
			}
		}
		if err := replayer.ReplayWorkflowHistory(nil, hist); err != nil {
			t.Fatalf("%s does not replay: %v", name, err)
		}
		path := filepath.Join(testenv.RepoRoot(), "workflows", "testdata", name+".json")
		if _, err := os.Stat(path); writeTestdata && errors.Is(err, fs.ErrNotExist) {
			raw, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(hist)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, append(raw, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, path); err != nil {
				t.Fatalf("%s: written file does not replay: %v", name, err)
			}
		}
	}
}

// replayerRegistry adapts the replayer to worker.Register; it has no
// activities to register.
type replayerRegistry struct{ sdkworker.WorkflowReplayer }

func (replayerRegistry) RegisterActivity(any) {}

func fetchHistory(t *testing.T, c client.Client, workflowID string) *historypb.History {
	t.Helper()
	it := c.GetWorkflowHistory(t.Context(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	hist := &historypb.History{}
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		hist.Events = append(hist.Events, ev)
	}
	if len(hist.Events) < 3 {
		t.Fatalf("empty history for %s", workflowID)
	}
	return hist
}
