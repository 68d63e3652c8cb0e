package activities

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// appFixture stores an app sending referral_create to url, an action
// (event) with vars and its app delivery, in a fresh SQLite store.
func appFixture(t *testing.T, url string, app func(*models.App), vars string) (*Activities, models.Delivery) {
	t.Helper()
	st := storetest.SQLite(t)
	ctx := context.Background()
	now := store.Now()
	org := models.Org{ID: models.NewID("org"), Name: "o", CreatedAt: now}
	a := models.App{ID: models.NewID("app"), OrgID: org.ID, Name: "a", URL: url, Enabled: true,
		Actions:         map[string]models.AppAction{"referral_create": {Enabled: true, Attributes: map[string]string{"advocate_email": "{{ advocate_email | upcase }}"}}},
		SignatureHeader: "x-talkable-signature", TimeoutMS: 1000, Secret: models.NewSecret("app-secret"), CreatedAt: now, UpdatedAt: now}
	if app != nil {
		app(&a)
	}
	ev := models.Event{ID: models.NewID("evt"), OrgID: org.ID, Type: "action.referral_create", Data: []byte(vars), CreatedAt: now}
	d := models.Delivery{ID: models.NewID("dlv"), OrgID: org.ID, EventID: ev.ID, AppID: a.ID, EventType: ev.Type,
		Status: models.StatusPending, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateApp(ctx, &a); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateEvent(ctx, &ev, []models.Delivery{d}, time.Hour); err != nil {
		t.Fatal(err)
	}
	return New(st, loopbackClient("t"), Settings{DeliveryTimeout: 2 * time.Second, RetryAfterCap: time.Hour, ResponseBodyLimit: 1024}), d
}

// appReceiver answers status and checks the signature as the Custom App
// doc's Ruby does: strict Base64 of the hex HMAC-SHA256, secure compare.
type appReceiver struct {
	*httptest.Server
	hits     atomic.Int32
	lastBody atomic.Value
	sigOK    atomic.Bool
}

func newAppReceiver(t *testing.T, status int) *appReceiver {
	r := &appReceiver{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		mac := hmac.New(sha256.New, []byte("app-secret"))
		mac.Write(body)
		want := base64.StdEncoding.EncodeToString([]byte(hex.EncodeToString(mac.Sum(nil))))
		r.sigOK.Store(hmac.Equal([]byte(req.Header.Get("x-talkable-signature")), []byte(want)))
		r.lastBody.Store(string(body))
		r.hits.Add(1)
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func TestAppDeliveryRendersSignsAndRecordsMissing(t *testing.T) {
	rcv := newAppReceiver(t, http.StatusOK)
	a, d := appFixture(t, rcv.URL, nil, `{"site_id":1,"advocate_email":"a@example.com","campaign_id":9007199254740993}`)
	if _, err := a.Deliver(context.Background(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1}); err != nil {
		t.Fatal(err)
	}
	want := `{"site_id":"1","campaign_id":"9007199254740993","referral_status":"","advocate_email":"A@EXAMPLE.COM","friend_email":""}`
	if !rcv.sigOK.Load() || rcv.lastBody.Load() != want {
		t.Fatalf("signature ok=%v body %v", rcv.sigOK.Load(), rcv.lastBody.Load())
	}
	as, _ := a.Store.Attempts(context.Background(), d.ID)
	got, _ := a.Store.DeliveryByID(context.Background(), d.ID)
	if got.Status != models.StatusSucceeded || len(as) != 1 || !slices.Equal(as[0].MissingVariables, []string{"friend_email", "referral_status"}) {
		t.Fatalf("delivery %+v attempts %+v", got, as)
	}
}

// TestAppDeliveryUnsendable: an app that is gone, off, or no longer
// enables the action, and a payload over the output cap, fail the delivery
// at once without a request and without a retry.
func TestAppDeliveryUnsendable(t *testing.T) {
	big := `{"advocate_email":"` + strings.Repeat("x", 20<<10) + `"}`
	for _, tc := range []struct {
		name, vars, want string
		app              func(*models.App)
		deleteApp        bool
	}{
		{name: "deleted", vars: `{}`, deleteApp: true, want: "app was deleted"},
		{name: "disabled", vars: `{}`, app: func(a *models.App) { a.Enabled = false }, want: "app is disabled"},
		{name: "action off", vars: `{}`, app: func(a *models.App) {
			a.Actions = map[string]models.AppAction{"referral_create": {Enabled: false}}
		}, want: "no longer enables"},
		{name: "output too large", vars: big, want: "could not be rendered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rcv := newAppReceiver(t, http.StatusOK)
			a, d := appFixture(t, rcv.URL, tc.app, tc.vars)
			if tc.deleteApp {
				if err := a.Store.DeleteApp(context.Background(), d.OrgID, d.AppID); err != nil {
					t.Fatal(err)
				}
			}
			_, err := a.Deliver(context.Background(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1, NextDelay: time.Second})
			var appErr *temporal.ApplicationError
			if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeEndpointUnavailable || !appErr.NonRetryable() {
				t.Fatalf("want a non-retryable EndpointUnavailable, got %v", err)
			}
			got, _ := a.Store.DeliveryByID(context.Background(), d.ID)
			as, _ := a.Store.Attempts(context.Background(), d.ID)
			if got.Status != models.StatusFailed || len(as) != 1 || !strings.Contains(as[0].Error, tc.want) || rcv.hits.Load() != 0 {
				t.Fatalf("delivery %+v attempts %+v hits %d", got, as, rcv.hits.Load())
			}
		})
	}
}

// TestAppDeliveryGone: 410 from an app stops the retries; the app itself
// stays as its owner configured it.
func TestAppDeliveryGone(t *testing.T) {
	rcv := newAppReceiver(t, http.StatusGone)
	a, d := appFixture(t, rcv.URL, nil, `{}`)
	_, err := a.Deliver(context.Background(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1, NextDelay: time.Second})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeGone || !appErr.NonRetryable() {
		t.Fatalf("want a non-retryable Gone, got %v", err)
	}
	got, _ := a.Store.DeliveryByID(context.Background(), d.ID)
	app, _ := a.Store.AppByID(context.Background(), d.AppID)
	if got.Status != models.StatusFailed || !app.Enabled {
		t.Fatalf("delivery %+v app enabled=%v", got, app.Enabled)
	}
}
