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
