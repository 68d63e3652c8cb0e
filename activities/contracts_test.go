package activities

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// stalledReceiver answers nothing until the test ends, so an attempt
// against it can only end by its own HTTP timeout.
func stalledReceiver(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: cleanups are LIFO
	return srv.URL
}

// The attempt timeout travels in the activity input, so the HTTP timeout is
// the one the workflow sized the activity's deadline from, not whatever
// this worker's settings say. The receiver never answers and the settings
// allow an hour: reaching the check at all means the input's timeout fired.
func TestDeliverUsesTheTimeoutOfItsInput(t *testing.T) {
	a, d := deliveryFixture(t, stalledReceiver(t)+"/hook")
	a.Settings.DeliveryTimeout = time.Hour
	_, err := a.Deliver(t.Context(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1, NextDelay: time.Second, Timeout: 150 * time.Millisecond})
	if appErr := appError(t, err, contracts.ErrTypeHTTP); !strings.HasPrefix(appErr.Message(), "timeout after") {
		t.Fatalf("message %q, want the input's timeout", appErr.Message())
	}
}

// An attempt scheduled by workflow code older than the Timeout field
// carries none and falls back to the worker's setting.
func TestDeliverWithoutATimeoutUsesTheSetting(t *testing.T) {
	a, d := deliveryFixture(t, stalledReceiver(t)+"/hook")
	a.Settings.DeliveryTimeout = 150 * time.Millisecond
	_, err := a.Deliver(t.Context(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1, NextDelay: time.Second})
	if appErr := appError(t, err, contracts.ErrTypeHTTP); !strings.HasPrefix(appErr.Message(), "timeout after") {
		t.Fatalf("message %q, want the setting's timeout", appErr.Message())
	}
}

func TestTestSendUsesTheTimeoutOfItsInput(t *testing.T) {
	a, d := deliveryFixture(t, stalledReceiver(t)+"/hook")
	a.Settings.DeliveryTimeout = time.Hour
	res, err := a.TestSend(t.Context(), contracts.TestSendActivityInput{
		OrgID: d.OrgID, WebhookID: d.WebhookID, EventType: "contact.created", MessageID: "test_1", Timeout: 150 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Success || !strings.HasPrefix(res.Error, "timeout after") {
		t.Fatalf("result %+v, want a failed send that timed out", res)
	}
}

func TestLookupUsesTheTimeoutOfItsInput(t *testing.T) {
	e := newLookupEnv(t, "", "")
	e.acts.Settings.LookupTimeout = time.Hour
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	e.rcv.set(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	_, err := e.acts.Lookup(t.Context(), contracts.LookupActivityInput{LookupID: e.newLookup(), Attempt: 1, Timeout: 150 * time.Millisecond})
	if appErr := appError(t, err, contracts.ErrTypeHTTP); !strings.HasPrefix(appErr.Message(), "timeout after") {
		t.Fatalf("message %q, want the input's timeout", appErr.Message())
	}
}

// MarkDelivery takes one struct input (no positional arguments) and stores
// a final status as completed.
func TestMarkDeliveryStoresAFinalStatus(t *testing.T) {
	a, d := deliveryFixture(t, "http://127.0.0.1:1/unused")
	if err := a.MarkDelivery(t.Context(), contracts.MarkDeliveryActivityInput{DeliveryID: d.ID, Status: string(models.StatusCancelled)}); err != nil {
		t.Fatal(err)
	}
	got, err := a.Store.DeliveryByID(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.StatusCancelled || got.CompletedAt == nil {
		t.Fatalf("delivery status %q completed %v, want cancelled and completed", got.Status, got.CompletedAt)
	}
}

// FailLookup takes one struct input and records the lookup's failure with
// the reason, and tells the API so operators see it at once.
func TestFailLookupRecordsTheReason(t *testing.T) {
	e := newLookupEnv(t, "", "")
	id := e.newLookup()
	if err := e.acts.FailLookup(t.Context(), contracts.FailLookupActivityInput{LookupID: id, Reason: "lookup attempt did not complete"}); err != nil {
		t.Fatal(err)
	}
	l, err := e.st.LookupByID(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if l.Status != models.LookupFailed || l.Error != "lookup attempt did not complete" {
		t.Fatalf("lookup status %q error %q", l.Status, l.Error)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.done) != 1 || e.done[0] != e.orgID+"/"+e.convID {
		t.Fatalf("OnLookupDone calls %v", e.done)
	}
}

// A MarkDelivery task scheduled with positional arguments by an older
// worker (two payloads, the delivery ID and the status) decodes through
// the SDK without its status; the activity refuses it without a retry and
// leaves the row alone rather than guess a status.
func TestMarkDeliveryRefusesThePositionalFormOfAnOlderWorker(t *testing.T) {
	a, d := deliveryFixture(t, "http://127.0.0.1:1/unused")
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestActivityEnvironment()
	env.RegisterActivity(a)
	_, err := env.ExecuteActivity("MarkDelivery", d.ID, models.StatusCancelled)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeIncompleteInput || !appErr.NonRetryable() {
		t.Fatalf("got %v, want a non-retryable %s", err, contracts.ErrTypeIncompleteInput)
	}
	got, err := a.Store.DeliveryByID(t.Context(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != models.StatusPending || got.CompletedAt != nil {
		t.Fatalf("row changed to %q (completed %v)", got.Status, got.CompletedAt)
	}
	// The struct form through the same path stores the status.
	if _, err := env.ExecuteActivity("MarkDelivery", contracts.MarkDeliveryActivityInput{DeliveryID: d.ID, Status: string(models.StatusCancelled)}); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.Store.DeliveryByID(t.Context(), d.ID); got.Status != models.StatusCancelled {
		t.Fatalf("status %q after the struct form", got.Status)
	}
}
