package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
)

// A database that fails after the POST must not lead to a second POST: the
// activity gives up recording after a few tries and hands the outcome to
// the workflow in a non-retryable OutcomeNotRecorded error.
func TestDatabaseErrorAfterSendDoesNotResend(t *testing.T) {
	var hits atomic.Int32
	var a *Activities
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		// The database goes away while the receiver answers.
		_ = a.Store.Close()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer rcv.Close()
	a, d := deliveryFixture(t, rcv.URL+"/hook")
	_, err := a.Deliver(context.Background(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1, NextDelay: 5})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeUnrecorded || !appErr.NonRetryable() {
		t.Fatalf("Deliver: %v, want a non-retryable %s", err, contracts.ErrTypeUnrecorded)
	}
	var out contracts.DeliveryOutcome
	if err := appErr.Details(&out); err != nil {
		t.Fatal(err)
	}
	if out.DeliveryID != d.ID || out.Attempt != 1 || out.StatusCode != 500 || out.Error != "HTTP 500" || out.OK {
		t.Fatalf("outcome: %+v", out)
	}
	if out.RequestHeaders["X-Sig"] == "" || out.RequestHeaders["X-Sig"] == "s" {
		t.Fatalf("outcome headers must carry the derived signature only: %v", out.RequestHeaders)
	}
	if n := hits.Load(); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}
}

// RecordDelivery stores an outcome handed back by Deliver and answers what
// Deliver would have: here a retryable HTTP failure after the scheduled wait.
func TestRecordDeliveryStoresTheOutcome(t *testing.T) {
	a, d := deliveryFixture(t, "http://127.0.0.1:1/hook")
	out := contracts.DeliveryOutcome{DeliveryID: d.ID, WebhookID: d.WebhookID, Attempt: 1, NextDelay: 5e9, URL: "http://127.0.0.1:1/hook",
		StatusCode: 502, Error: "HTTP 502", DurationMicros: 42}
	_, err := a.RecordDelivery(context.Background(), out)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeHTTP || appErr.NextRetryDelay() != 5e9 {
		t.Fatalf("RecordDelivery: %v", err)
	}
	attempts, err := a.Store.Attempts(context.Background(), d.ID)
	if err != nil || len(attempts) != 1 || attempts[0].ResponseStatus != 502 || attempts[0].Error != "HTTP 502" || attempts[0].DurationMicros != 42 {
		t.Fatalf("attempts: %+v %v", attempts, err)
	}
}

// A lookup whose answer cannot be stored ends with a non-retryable error:
// Temporal does not run the activity (and the POST) again.
func TestLookupDatabaseErrorAfterSendIsNotRetried(t *testing.T) {
	e := newLookupEnv(t, "", "")
	id := e.newLookup()
	e.rcv.set(func(w http.ResponseWriter, _ *http.Request) {
		_ = e.st.Close() // the database goes away while the backend answers
		_, _ = w.Write([]byte(`{"name":"Alice"}`))
	})
	_, err := e.run(id, 1, false)
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeUnrecorded || !appErr.NonRetryable() {
		t.Fatalf("Lookup: %v, want a non-retryable %s", err, contracts.ErrTypeUnrecorded)
	}
	if requests, _, _ := e.rcv.stats(); requests != 1 {
		t.Fatalf("backend got %d requests, want 1", requests)
	}
}
