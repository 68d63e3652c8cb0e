package activities

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/store"
)

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
func (a *Activities) Deliver(ctx context.Context, in contracts.DeliverActivityInput) (contracts.DeliverActivityResult, error) {
	// One query for the delivery, its event and its endpoint.
	row, err := a.Store.DeliveryToSendByID(ctx, in.DeliveryID)
	if err != nil {
		return contracts.DeliverActivityResult{}, fmt.Errorf("load delivery: %w", err)
	}
	d, ev := row.Delivery, row.Event
	observeQueueLag(in.Attempt, d.CreatedAt, a.Now())
	if ev.ErasedAt != nil {
		// DELETE /v1/events/{id}: nothing is left to send.
		return contracts.DeliverActivityResult{}, a.failUnsendableTo(ctx, d, "", in.Attempt, "the event was erased")
	}
	if d.AppID != "" {
		return a.deliverToApp(ctx, in, d, ev)
	}
	if row.Webhook == nil {
		return contracts.DeliverActivityResult{}, a.failUnsendableTo(ctx, d, "", in.Attempt, "endpoint was deleted")
	}
	wh := *row.Webhook
	if !wh.Active {
		return contracts.DeliverActivityResult{}, a.failUnsendable(ctx, d, wh, in.Attempt, "endpoint is disabled")
	}
	body, err := json.Marshal(Envelope{ID: ev.ID, Type: ev.Type, CreatedAt: ev.CreatedAt, Data: ev.Data})
	if err != nil {
		return contracts.DeliverActivityResult{}, err
	}
	target, err := webhookTarget(wh, a.Now())
	if err != nil {
		return contracts.DeliverActivityResult{}, err // the secret did not open: a key problem, worth retrying
	}
	res := a.Outbound.Do(ctx, outbound.Request{
		Target: target, Kind: "delivery", MessageID: d.ID, Body: body,
		Timeout: cmp.Or(in.Timeout, a.Settings.DeliveryTimeout), ResponseLimit: a.Settings.ResponseBodyLimit,
	})
	if res.Fail == outbound.FailSign {
		return contracts.DeliverActivityResult{}, a.failUnsendable(ctx, d, wh, in.Attempt, res.Error)
	}
	out := contracts.DeliveryOutcome{
		DeliveryID: d.ID, WebhookID: wh.ID, Attempt: in.Attempt, NextDelay: in.NextDelay, Final: in.Final,
		URL: res.URL, RequestHeaders: res.RequestHeaders, StatusCode: res.Status, OK: res.OK(),
		DurationMicros: res.Duration.Microseconds(), RetryAfter: res.RetryAfter, Error: res.Error,
		EndpointClean: wh.FailedAttempts == 0 && wh.FailingSince == nil,
	}
	rec := res.Attempt(d.ID, in.Attempt, a.Now(), a.Settings.ResponseBodyLimit)
	// The request is out: from here on a database error must not make
	// Temporal retry this activity, which would send it again.
	return a.recordSent(ctx, out, &rec)
}

// webhookTarget describes an endpoint for the outbound client. During a
// rotation overlap the previous secret signs too.
func webhookTarget(wh models.Webhook, now time.Time) (outbound.Target, error) {
	secrets, err := revealAll(wh.SigningSecrets(now))
	if err != nil {
		return outbound.Target{}, err
	}
	return outbound.Target{URL: wh.URL, SigningScheme: wh.SigningScheme, SignatureHeader: wh.SignatureHeader, Secrets: secrets}, nil
}

// revealAll opens sealed secrets for signing; they stay inside this
// activity and the outbound client.
func revealAll(secs []models.Secret) ([]string, error) {
	out := make([]string, 0, len(secs))
	for _, sec := range secs {
		plain, err := sec.Reveal()
		if err != nil {
			return nil, fmt.Errorf("open a signing secret: %w", err)
		}
		out = append(out, plain)
	}
	return out, nil
}

// failUnsendable records an attempt that could not be sent at all and ends
// the delivery: retrying cannot help until someone fixes the endpoint.
func (a *Activities) failUnsendable(ctx context.Context, d models.Delivery, wh models.Webhook, attempt int, msg string) error {
	return a.failUnsendableTo(ctx, d, wh.URL, attempt, msg)
}

// failUnsendableTo is failUnsendable for any target URL (endpoint or app).
func (a *Activities) failUnsendableTo(ctx context.Context, d models.Delivery, url string, attempt int, msg string) error {
	rec := &models.Attempt{ParentID: d.ID, Number: attempt, URL: outbound.RedactURL(url), Error: msg, CreatedAt: a.Now()}
	if err := a.Store.RecordAttempt(ctx, rec, store.DeliveryUpdate{Status: models.StatusFailed, LastError: msg, Completed: true}); err != nil {
		return err
	}
	a.emitExhausted(ctx, d.ID)
	return temporal.NewNonRetryableApplicationError(msg, contracts.ErrTypeEndpointUnavailable, nil)
}

// recordTries bounds how often a sent attempt's outcome is written before
// the activity gives up and hands the outcome to the workflow.
const recordTries = 3

// recordSent stores the outcome, retrying database errors a few times in
// place. If it still fails, it returns a non-retryable
// contracts.ErrTypeUnrecorded error carrying the outcome, so the workflow
// stores it with the RecordDelivery bookkeeping activity instead of
// sending again.
func (a *Activities) recordSent(ctx context.Context, out contracts.DeliveryOutcome, rec *models.Attempt) (contracts.DeliverActivityResult, error) {
	wait := 100 * time.Millisecond
	for try := 1; ; try++ {
		// A rolled-back insert may have set the ID; let the retry pick anew.
		rec.ID = 0
		res, failure, err := a.applyDelivery(ctx, out, rec)
		if err == nil {
			return res, failure
		}
		if try == recordTries || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait *= 4
	}
	return contracts.DeliverActivityResult{}, temporal.NewNonRetryableApplicationError("attempt was sent but its outcome could not be stored", contracts.ErrTypeUnrecorded, nil, out)
}

// RecordDelivery is the bookkeeping activity for an outcome Deliver could
// not store. It sends nothing, so Temporal may retry it freely; it returns
// what Deliver would have returned for that outcome.
func (a *Activities) RecordDelivery(ctx context.Context, out contracts.DeliveryOutcome) (contracts.DeliverActivityResult, error) {
	rec := &models.Attempt{
		ParentID: out.DeliveryID, Number: out.Attempt, URL: out.URL, RequestHeaders: out.RequestHeaders,
		ResponseStatus: out.StatusCode, DurationMicros: out.DurationMicros, Error: out.Error,
		MissingVariables: out.MissingVariables, CreatedAt: a.Now(),
	}
	res, failure, err := a.applyDelivery(ctx, out, rec)
	if err != nil {
		return contracts.DeliverActivityResult{}, err
	}
	return res, failure
}

// applyDelivery persists an attempt and the delivery's new state. It
// returns the attempt's result or its typed failure, and separately a
// database error.
func (a *Activities) applyDelivery(ctx context.Context, out contracts.DeliveryOutcome, rec *models.Attempt) (contracts.DeliverActivityResult, error, error) {
	u := store.DeliveryUpdate{LastStatusCode: out.StatusCode, LastError: rec.Error, WebhookID: out.WebhookID, Healthy: out.OK, Clean: out.EndpointClean}
	var failure error
	switch {
	case out.OK:
		u.Status, u.Completed = models.StatusSucceeded, true
	case out.StatusCode == http.StatusGone && out.WebhookID == "":
		// An app delivery: stop retrying, leave the app as configured
		// (apps have no deactivation; its owner disables it).
		u.Status, u.Completed = models.StatusFailed, true
		failure = temporal.NewNonRetryableApplicationError("app answered 410 Gone", contracts.ErrTypeGone, nil)
	case out.StatusCode == http.StatusGone:
		// 410 means the receiver retired this URL: stop and switch it off.
		u.Status, u.Completed = models.StatusFailed, true
		if err := a.Store.DeactivateWebhook(ctx, out.WebhookID, "endpoint answered 410 Gone"); err != nil {
			return contracts.DeliverActivityResult{}, nil, err
		}
		failure = temporal.NewNonRetryableApplicationError("endpoint answered 410 Gone; endpoint deactivated", contracts.ErrTypeGone, nil)
	case out.Final:
		u.Status, u.Completed = models.StatusFailed, true
		failure = temporal.NewNonRetryableApplicationError(rec.Error, contracts.ErrTypeHTTP, nil)
	default:
		delay := out.NextDelay
		if ra := min(out.RetryAfter, a.Settings.RetryAfterCap); ra > delay {
			delay = ra
		}
		next := a.Now().Add(delay)
		u.Status, u.NextAttemptAt = models.StatusRetrying, &next
		failure = temporal.NewApplicationErrorWithOptions(rec.Error, contracts.ErrTypeHTTP, temporal.ApplicationErrorOptions{
			NonRetryable: true, NextRetryDelay: delay,
		})
	}
	if err := a.Store.RecordAttempt(ctx, rec, u); err != nil {
		return contracts.DeliverActivityResult{}, nil, fmt.Errorf("record attempt: %w", err)
	}
	if u.Status == models.StatusFailed {
		a.emitExhausted(ctx, out.DeliveryID)
	}
	if out.StatusCode == http.StatusGone && out.WebhookID != "" {
		if w, err := a.Store.WebhookByID(ctx, out.WebhookID); err == nil {
			a.emit(ctx, w.OrgID, "endpoint.disabled", map[string]any{"endpoint": endpointData(w, "endpoint answered 410 Gone")})
		}
	}
	if failure != nil {
		return contracts.DeliverActivityResult{}, failure, nil
	}
	return contracts.DeliverActivityResult{StatusCode: out.StatusCode, DurationMicros: rec.DurationMicros}, nil, nil
}

// MarkDelivery sets a delivery's status without an attempt, e.g. when an
// operator cancels a pending retry.
func (a *Activities) MarkDelivery(ctx context.Context, in contracts.MarkDeliveryActivityInput) error {
	if in.Status == "" {
		// Scheduled with positional arguments by an older worker (see
		// MarkDeliveryActivityInput.UnmarshalJSON): the status is unknown.
		return temporal.NewNonRetryableApplicationError("MarkDelivery input has no status (scheduled by an older worker with positional arguments)", contracts.ErrTypeIncompleteInput, nil)
	}
	status := models.DeliveryStatus(in.Status)
	if !status.Valid() {
		return temporal.NewNonRetryableApplicationError("MarkDelivery input has an unknown status", contracts.ErrTypeIncompleteInput, nil)
	}
	done := status != models.StatusPending && status != models.StatusRetrying
	return a.Store.SetDeliveryStatus(ctx, in.DeliveryID, status, done)
}
