package activities

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/store"
)

// deliveryFixture stores an org's endpoint, an event and its delivery in a
// fresh SQLite store, pointed at url.
func deliveryFixture(t *testing.T, url string) (*Activities, models.Delivery) {
	t.Helper()
	st := storetest.SQLite(t)
	ctx := context.Background()
	now := store.Now()
	org := models.Org{ID: models.NewID("org"), Name: "o", CreatedAt: now}
	wh := models.Webhook{ID: models.NewID("wh"), OrgID: org.ID, URL: url, EventTypes: []string{"contact.created"}, Active: true,
		Source: "api", SigningScheme: models.SchemeHexHMAC, SignatureHeader: "X-Sig", Secret: models.NewSecret("s"), CreatedAt: now, UpdatedAt: now}
	ev := models.Event{ID: models.NewID("evt"), OrgID: org.ID, Type: "contact.created", Data: []byte(`{"contact":{"id":"1"}}`), CreatedAt: now}
	d := models.Delivery{ID: models.NewID("dlv"), OrgID: org.ID, EventID: ev.ID, WebhookID: wh.ID, EventType: ev.Type,
		Status: models.StatusPending, CreatedAt: now, UpdatedAt: now}
	if err := st.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	if err := st.CreateWebhook(ctx, &wh); err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateEvent(ctx, &ev, []models.Delivery{d}, time.Hour); err != nil {
		t.Fatal(err)
	}
	return New(st, loopbackClient("t"), Settings{DeliveryTimeout: 2 * time.Second, RetryAfterCap: time.Hour, ResponseBodyLimit: 1024}), d
}

// loopbackClient is the outbound client of these tests: receivers run on
// loopback, which the SSRF guard lets through only by its allow-list.
func loopbackClient(userAgent string) *outbound.Client {
	return outbound.New(outbound.Options{
		Allow:     []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
		UserAgent: userAgent,
	})
}

func TestRetryAfterIsHonouredAndCapped(t *testing.T) {
	cases := []struct {
		status     int
		retryAfter string
		nextDelay  time.Duration
		want       time.Duration
	}{
		{http.StatusTooManyRequests, "90", 5 * time.Second, 90 * time.Second},    // longer than the schedule: wait longer
		{http.StatusServiceUnavailable, "1", 5 * time.Second, 5 * time.Second},   // shorter: the schedule stands
		{http.StatusTooManyRequests, "86400", 5 * time.Second, time.Hour},        // capped
		{http.StatusInternalServerError, "90", 5 * time.Second, 5 * time.Second}, // only 429 and 503 count
		{http.StatusServiceUnavailable, "", 30 * time.Minute, 30 * time.Minute},  // absent
	}
	for _, tc := range cases {
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if tc.retryAfter != "" {
				w.Header().Set("Retry-After", tc.retryAfter)
			}
			w.WriteHeader(tc.status)
		}))
		a, d := deliveryFixture(t, rcv.URL)
		_, err := a.Deliver(context.Background(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1, NextDelay: tc.nextDelay})
		rcv.Close()
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeHTTP || appErr.NextRetryDelay() != tc.want {
			t.Fatalf("%d Retry-After %q: got %v (delay %v), want delay %v", tc.status, tc.retryAfter, err, appErr.NextRetryDelay(), tc.want)
		}
		got, _ := a.Store.DeliveryByID(context.Background(), d.ID)
		if got.Status != models.StatusRetrying || got.NextAttemptAt == nil || got.LastStatusCode != tc.status {
			t.Fatalf("stored delivery: %+v", got)
		}
	}
}

func TestFinalFailureAndGone(t *testing.T) {
	for _, tc := range []struct {
		status  int
		final   bool
		errType string
	}{
		{http.StatusBadGateway, true, contracts.ErrTypeHTTP},
		{http.StatusGone, false, contracts.ErrTypeGone},
	} {
		rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tc.status) }))
		a, d := deliveryFixture(t, rcv.URL)
		_, err := a.Deliver(context.Background(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1, Final: tc.final})
		rcv.Close()
		var appErr *temporal.ApplicationError
		if !errors.As(err, &appErr) || appErr.Type() != tc.errType || !appErr.NonRetryable() {
			t.Fatalf("%d: %v", tc.status, err)
		}
		got, _ := a.Store.DeliveryByID(context.Background(), d.ID)
		if got.Status != models.StatusFailed || got.CompletedAt == nil {
			t.Fatalf("%d: stored %+v", tc.status, got)
		}
		wh, _ := a.Store.WebhookByID(context.Background(), d.WebhookID)
		if wh.Active == (tc.status == http.StatusGone) {
			t.Fatalf("%d: endpoint active=%v", tc.status, wh.Active)
		}
	}
}

func TestUnsignableSecretFailsTheDeliveryOnce(t *testing.T) {
	a, d := deliveryFixture(t, "http://127.0.0.1:1/never")
	wh, _ := a.Store.WebhookByID(context.Background(), d.WebhookID)
	wh.SigningScheme, wh.Secret = models.SchemeStandardWebhooks, models.NewSecret("whsec_***not base64***")
	if err := a.Store.SaveWebhook(context.Background(), &wh); err != nil {
		t.Fatal(err)
	}
	_, err := a.Deliver(context.Background(), contracts.DeliverActivityInput{DeliveryID: d.ID, Attempt: 1, NextDelay: time.Second})
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != contracts.ErrTypeEndpointUnavailable || !appErr.NonRetryable() {
		t.Fatalf("want a non-retryable EndpointUnavailable, got %v", err)
	}
	got, _ := a.Store.DeliveryByID(context.Background(), d.ID)
	attempts, _ := a.Store.Attempts(context.Background(), d.ID)
	if got.Status != models.StatusFailed || len(attempts) != 1 || attempts[0].Error == "" {
		t.Fatalf("delivery %+v attempts %+v", got, attempts)
	}
}
