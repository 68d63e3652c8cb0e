package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/signing"
	"github.com/switchboardhq/switchboard/store"
)

// DeliverInput names one attempt of one delivery. It carries IDs only: the
// body and the secret are loaded inside the activity, so neither the payload
// nor the secret is copied into workflow history.
type DeliverInput struct {
	DeliveryID string
	Attempt    int
	// NextDelay is the scheduled wait before the next attempt; zero with
	// Final means there is none.
	NextDelay time.Duration
	Final     bool
}

// DeliverResult is a successful attempt.
type DeliverResult struct {
	StatusCode     int
	DurationMicros int64
}

// Envelope is the JSON body of every event delivery.
type Envelope struct {
	ID        string          `json:"id"`
	Type      string          `json:"type"`
	CreatedAt time.Time       `json:"created_at"`
	Data      json.RawMessage `json:"data"`
}

// Deliver makes one attempt: load the endpoint and its secret, sign, POST,
// persist the attempt and the delivery's new state. A failed attempt returns
// a non-retryable application error (the workflow owns the retry schedule,
// so every attempt is its own step in history) whose NextRetryDelay is the
// wait before the next attempt, already stretched to honour Retry-After.
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) (DeliverResult, error) {
	d, err := a.Store.DeliveryByID(ctx, in.DeliveryID)
	if err != nil {
		return DeliverResult{}, fmt.Errorf("load delivery: %w", err)
	}
	ev, err := a.Store.EventByID(ctx, d.EventID)
	if err != nil {
		return DeliverResult{}, fmt.Errorf("load event: %w", err)
	}
	wh, err := a.Store.WebhookByID(ctx, d.WebhookID)
	if errors.Is(err, models.ErrNotFound) || err == nil && !wh.Active {
		msg := "endpoint was deleted"
		if err == nil {
			msg = "endpoint is disabled"
		}
		return DeliverResult{}, a.failUnsendable(ctx, d, wh, in.Attempt, msg)
	}
	if err != nil {
		return DeliverResult{}, fmt.Errorf("load endpoint: %w", err)
	}
	body, err := json.Marshal(Envelope{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt, Data: ev.Data})
	if err != nil {
		return DeliverResult{}, err
	}
	o, headers, err := a.sendSigned(ctx, wh, d.ID, body)
	if err != nil && !errors.Is(err, signing.ErrBadSecret) {
		return DeliverResult{}, err // the secret did not open: a key problem, worth retrying
	}
	if err != nil {
		return DeliverResult{}, a.failUnsendable(ctx, d, wh, in.Attempt, "cannot sign: the endpoint's secret does not fit its signing scheme")
	}
	observe("delivery", o)
	return a.recordDelivery(ctx, d, wh, in, o, headers)
}

// failUnsendable records an attempt that could not be sent at all and ends
// the delivery: retrying cannot help until someone fixes the endpoint.
func (a *Activities) failUnsendable(ctx context.Context, d models.Delivery, wh models.Webhook, attempt int, msg string) error {
	rec := &models.Attempt{ParentID: d.ID, Number: attempt, URL: wh.URL, Error: msg, CreatedAt: a.Now()}
	if err := a.Store.RecordAttempt(ctx, rec, store.DeliveryUpdate{Status: models.StatusFailed, LastError: msg, Completed: true}); err != nil {
		return err
	}
	return temporal.NewNonRetryableApplicationError(msg, ErrTypeEndpointUnavailable, nil)
}

// sendSigned signs body for the endpoint and POSTs it. msgID is the
// Idempotency-Key: the delivery ID, identical on every retry.
func (a *Activities) sendSigned(ctx context.Context, wh models.Webhook, msgID string, body []byte) (outcome, map[string]string, error) {
	// During a rotation overlap the previous secret signs too.
	var secrets []string
	for _, sec := range wh.SigningSecrets(a.Now()) {
		plain, err := sec.Reveal()
		if err != nil {
			return outcome{}, nil, fmt.Errorf("open the endpoint's signing secret: %w", err)
		}
		secrets = append(secrets, plain)
	}
	sig, err := signing.Headers(wh.SigningScheme, wh.SignatureHeader, secrets, signing.Message{ID: msgID, Timestamp: a.Now(), Body: body})
	if err != nil {
		return outcome{}, nil, err
	}
	headers := map[string]string{
		"Content-Type":    "application/json",
		"User-Agent":      a.Settings.UserAgent,
		"Idempotency-Key": msgID,
	}
	for k, v := range sig {
		headers[k] = v
	}
	return a.post(ctx, wh.URL, headers, body, a.Settings.DeliveryTimeout, a.Settings.ResponseBodyLimit), headers, nil
}

func (a *Activities) recordDelivery(ctx context.Context, d models.Delivery, wh models.Webhook, in DeliverInput, o outcome, headers map[string]string) (DeliverResult, error) {
	rec := &models.Attempt{
		ParentID: d.ID, Number: in.Attempt, URL: wh.URL, RequestHeaders: redact(headers),
		// Receivers answer arbitrary bytes; keep what PostgreSQL can store.
		ResponseStatus: o.Status, ResponseBody: storableText(o.Body, a.Settings.ResponseBodyLimit),
		DurationMicros: o.Duration.Microseconds(), Error: storableText([]byte(o.errorText()), maxErrorText), CreatedAt: a.Now(),
	}
	u := store.DeliveryUpdate{LastStatusCode: o.Status, LastError: rec.Error}
	var failure error
	switch {
	case o.OK():
		u.Status, u.Completed = models.StatusSucceeded, true
	case o.Status == http.StatusGone:
		// 410 means the receiver retired this URL: stop and switch it off.
		u.Status, u.Completed = models.StatusFailed, true
		if err := a.Store.DeactivateWebhook(ctx, wh.ID, "endpoint answered 410 Gone"); err != nil {
			return DeliverResult{}, err
		}
		failure = temporal.NewNonRetryableApplicationError("endpoint answered 410 Gone; endpoint deactivated", ErrTypeGone, nil)
	case in.Final:
		u.Status, u.Completed = models.StatusFailed, true
		failure = temporal.NewNonRetryableApplicationError(rec.Error, ErrTypeHTTP, nil)
	default:
		delay := in.NextDelay
		if ra := min(o.RetryAfter, a.Settings.RetryAfterCap); ra > delay {
			delay = ra
		}
		next := a.Now().Add(delay)
		u.Status, u.NextAttemptAt = models.StatusRetrying, &next
		failure = temporal.NewApplicationErrorWithOptions(rec.Error, ErrTypeHTTP, temporal.ApplicationErrorOptions{
			NonRetryable: true, NextRetryDelay: delay,
		})
	}
	if err := a.Store.RecordAttempt(ctx, rec, u); err != nil {
		return DeliverResult{}, fmt.Errorf("record attempt: %w", err)
	}
	if failure != nil {
		return DeliverResult{}, failure
	}
	return DeliverResult{StatusCode: o.Status, DurationMicros: rec.DurationMicros}, nil
}

// MarkDelivery sets a delivery's status without an attempt, e.g. when an
// operator cancels a pending retry.
func (a *Activities) MarkDelivery(ctx context.Context, deliveryID, status string) error {
	done := status != models.StatusPending && status != models.StatusRetrying
	return a.Store.SetDeliveryStatus(ctx, deliveryID, status, done)
}
