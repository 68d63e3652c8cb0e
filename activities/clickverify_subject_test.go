package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// A verification whose rows the API could not store asks no app, whether
// the API handed it over in-process (with the store's error) or the
// activity looked for it in the store (and waited for it in vain): the
// activity fails with the non-retryable ErrTypeNotStored instead.
func TestClickVerifyAppAsksNoAppForAnUnstoredVerification(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	defer srv.Close()
	acts, d := appFixture(t, srv.URL, nil, `{}`)
	in := contracts.ClickVerifyAppInput{VerificationID: "cvf_never_stored", AppID: d.AppID, Timeout: time.Second}

	acts.PreparedClick = func(context.Context, string, string) (models.ClickVerification, models.App, bool, error) {
		return models.ClickVerification{}, models.App{}, true, errors.New("insert failed")
	}
	_, err := acts.ClickVerifyApp(t.Context(), in)
	assertNotStored(t, "handed over", err)

	// Not this process's verification: read from the store, which never
	// gets it.
	acts.PreparedClick = func(context.Context, string, string) (models.ClickVerification, models.App, bool, error) {
		return models.ClickVerification{}, models.App{}, false, nil
	}
	_, err = acts.ClickVerifyApp(t.Context(), in)
	assertNotStored(t, "read from the store", err)
	if n := hits.Load(); n != 0 {
		t.Fatalf("the app was asked %d times", n)
	}
}

// A verification stored while the activity already runs (another
// process's worker got the task before the API's insert committed) is
// found once it is stored, and the app is asked once.
func TestClickVerifyAppWaitsForTheVerificationRows(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"verified": false}`))
	}))
	defer srv.Close()
	acts, d := appFixture(t, srv.URL, func(a *models.App) {
		a.Actions = map[string]models.AppAction{"click_reward_verification": {Enabled: true}}
	}, `{}`)
	v := models.ClickVerification{ID: models.NewID("cvf"), OrgID: d.OrgID, Variables: map[string]any{"email": "a@shop.example"}, CreatedAt: time.Now().UTC()}
	rows := []models.ClickVerificationApp{{VerificationID: v.ID, AppID: d.AppID, Status: models.ClickAppPending, Verified: true,
		Reason: models.ClickReasonTimeout, CreatedAt: v.CreatedAt}}
	go func() {
		time.Sleep(100 * time.Millisecond)
		if err := acts.Store.CreateClickVerification(context.Background(), &v, rows); err != nil {
			t.Error(err)
		}
	}()
	res, err := acts.ClickVerifyApp(t.Context(), contracts.ClickVerifyAppInput{VerificationID: v.ID, AppID: d.AppID, Timeout: time.Second})
	if err != nil || res.Verified || res.Reason != models.ClickReasonRejected || hits.Load() != 1 {
		t.Fatalf("outcome %+v, %v; asked %d times", res, err, hits.Load())
	}
}

func assertNotStored(t *testing.T, how string, err error) {
	t.Helper()
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || ae.Type() != contracts.ErrTypeNotStored || !ae.NonRetryable() {
		t.Fatalf("%s: %v, want a non-retryable %s error", how, err, contracts.ErrTypeNotStored)
	}
}

// The app's call ends by CallBy (the request's arrival plus the app's
// timeout): what the workflow's start took comes out of the timeout. A
// CallBy already past (a re-driven workflow) or absent (a workflow
// started before it existed) gives the whole timeout.
func TestClickTimeoutEndsByCallBy(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	acts := &Activities{Now: func() time.Time { return now }}
	app := models.App{TimeoutMS: 1000}
	for _, tc := range []struct {
		name string
		in   contracts.ClickVerifyAppInput
		want time.Duration
	}{
		{"start took 30 ms", contracts.ClickVerifyAppInput{Timeout: time.Second, CallBy: now.Add(970 * time.Millisecond)}, 970 * time.Millisecond},
		{"no CallBy", contracts.ClickVerifyAppInput{Timeout: time.Second}, time.Second},
		{"no Timeout either: the app's", contracts.ClickVerifyAppInput{}, time.Second},
		{"CallBy past", contracts.ClickVerifyAppInput{Timeout: time.Second, CallBy: now.Add(-time.Minute)}, time.Second},
		{"CallBy beyond the timeout", contracts.ClickVerifyAppInput{Timeout: time.Second, CallBy: now.Add(time.Hour)}, time.Second},
	} {
		if got := acts.clickTimeout(tc.in, app); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

// Through a real call: an app that never answers, asked with a 5 s
// timeout but a CallBy 300 ms away, is cut off at CallBy and the outcome
// is a timeout (the bound checked is far from both, so the test does not
// time anything finely).
func TestClickVerifyAppStopsAtCallBy(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // before Close, which waits for the handler
	acts, d := appFixture(t, srv.URL, func(a *models.App) {
		a.Actions = map[string]models.AppAction{"click_reward_verification": {Enabled: true}}
		a.TimeoutMS = 5000
	}, `{}`)
	v := models.ClickVerification{ID: models.NewID("cvf"), OrgID: d.OrgID, Variables: map[string]any{"email": "a@shop.example"}, CreatedAt: time.Now().UTC()}
	rows := []models.ClickVerificationApp{{VerificationID: v.ID, AppID: d.AppID, Status: models.ClickAppPending, Verified: true,
		Reason: models.ClickReasonTimeout, CreatedAt: v.CreatedAt}}
	if err := acts.Store.CreateClickVerification(t.Context(), &v, rows); err != nil {
		t.Fatal(err)
	}
	res, err := acts.ClickVerifyApp(t.Context(), contracts.ClickVerifyAppInput{VerificationID: v.ID, AppID: d.AppID,
		Timeout: 5 * time.Second, CallBy: time.Now().Add(300 * time.Millisecond)})
	if err != nil || !res.Verified || res.Reason != models.ClickReasonTimeout {
		t.Fatalf("outcome %+v, %v", res, err)
	}
	if took := time.Duration(res.DurationMicros) * time.Microsecond; took > 2500*time.Millisecond {
		t.Fatalf("the call took %s: cut at the app's 5 s timeout, not at CallBy", took)
	}
}
