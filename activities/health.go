package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/switchboardhq/switchboard/catalog"
	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// HealthSettings are the auto-disable thresholds.
type HealthSettings struct {
	// DisableAfter: an endpoint whose every attempt failed for this long,
	// with at least MinAttempts failed, is disabled.
	DisableAfter time.Duration
	MinAttempts  int
	// WarnAfter: endpoint.failing is sent once a streak is this old.
	WarnAfter time.Duration
}

// healthBatch bounds one check's work per kind.
const healthBatch = 500

// CheckEndpointHealth warns about failing endpoints (endpoint.failing,
// once per streak) and disables those past the window (endpoint.disabled).
// Each change is a conditional update, so a success since the read, or
// another check running at once, wins: nothing is sent twice.
func (a *Activities) CheckEndpointHealth(ctx context.Context, _ contracts.EndpointHealthInput) (contracts.EndpointHealthResult, error) {
	var res contracts.EndpointHealthResult
	now := a.Now()
	h := a.Settings.Health
	failing, err := a.Store.UnwarnedFailingEndpoints(ctx, now.Add(-h.WarnAfter), healthBatch)
	if err != nil {
		return res, fmt.Errorf("failing endpoints: %w", err)
	}
	for _, w := range failing {
		ok, err := a.Store.MarkFailingWarned(ctx, w.ID)
		if err != nil {
			return res, err
		}
		if ok {
			res.Warned++
			a.emit(ctx, w.OrgID, "endpoint.failing", map[string]any{"endpoint": endpointData(w, "")})
		}
	}
	if h.DisableAfter <= 0 {
		return res, nil // auto-disable is off: warnings only
	}
	cutoff := now.Add(-h.DisableAfter)
	dead, err := a.Store.FailingEndpoints(ctx, cutoff, h.MinAttempts, healthBatch)
	if err != nil {
		return res, fmt.Errorf("endpoints to disable: %w", err)
	}
	for _, w := range dead {
		reason := fmt.Sprintf("every attempt failed for %s (%d attempts)", h.DisableAfter, w.FailedAttempts)
		ok, err := a.Store.DisableFailingEndpoint(ctx, w.ID, cutoff, h.MinAttempts, reason)
		if err != nil {
			return res, err
		}
		if ok {
			res.Disabled++
			a.emit(ctx, w.OrgID, "endpoint.disabled", map[string]any{"endpoint": endpointData(w, reason)})
		}
	}
	return res, nil
}

func endpointData(w models.Webhook, reason string) map[string]any {
	d := map[string]any{"id": w.ID, "url": w.URL, "failed_attempts": w.FailedAttempts}
	if w.FailingSince != nil {
		d["failing_since"] = w.FailingSince.UTC().Format(time.RFC3339)
	}
	if reason != "" {
		d["reason"] = reason
	}
	return d
}

// emit sends an operational event; a failure is logged, never the
// caller's: the change it reports is already stored.
func (a *Activities) emit(ctx context.Context, orgID, eventType string, data any) {
	if a.Emit == nil {
		return
	}
	if err := a.Emit(ctx, orgID, eventType, data); err != nil {
		activity.GetLogger(ctx).Warn("operational event not sent", "type", eventType, "org", orgID, "error", err)
	}
}

// emitExhausted sends delivery.exhausted for a delivery that failed for
// good, unless it carried an operational event itself (no loops).
func (a *Activities) emitExhausted(ctx context.Context, deliveryID string) {
	d, err := a.Store.DeliveryByID(ctx, deliveryID)
	if err != nil {
		return
	}
	if t, ok := catalog.Lookup(d.EventType); ok && t.Operational {
		return
	}
	data := map[string]any{"id": d.ID, "event_id": d.EventID, "event_type": d.EventType, "attempts": d.Attempts,
		"last_status_code": d.LastStatusCode, "last_error": d.LastError}
	if d.WebhookID != "" {
		data["webhook_id"] = d.WebhookID
	}
	if d.AppID != "" {
		data["app_id"] = d.AppID
	}
	a.emit(ctx, d.OrgID, "delivery.exhausted", map[string]any{"delivery": data})
}
