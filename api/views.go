package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
)

// webhookView is an endpoint as the API shows it: never with its secret,
// except where Secret is set on purpose (create, rotate, the secret route).
type webhookView struct {
	ID              string            `json:"id"`
	URL             string            `json:"url"`
	Description     string            `json:"description"`
	EventTypes      []string          `json:"event_types"`
	Active          bool              `json:"active"`
	Source          string            `json:"source"`
	SigningScheme   string            `json:"signing_scheme"`
	SignatureHeader string            `json:"signature_header,omitempty"`
	RetrySchedule   []models.Duration `json:"retry_schedule,omitempty"`
	DisabledReason  string            `json:"disabled_reason,omitempty"`
	// FailingSince and FailedAttempts: the current failing streak
	// (auto-disable); absent while the endpoint is healthy.
	FailingSince   *time.Time `json:"failing_since,omitempty"`
	FailedAttempts int        `json:"failed_attempts,omitempty"`
	RateLimit      float64    `json:"rate_limit,omitempty"`
	FIFO           bool       `json:"fifo,omitempty"`
	Secret         string     `json:"secret,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

func viewWebhook(w models.Webhook) webhookView {
	v := webhookView{
		ID: w.ID, URL: w.URL, Description: w.Description, EventTypes: w.EventTypes, Active: w.Active,
		Source: w.Source, SigningScheme: w.SigningScheme, RetrySchedule: w.RetrySchedule,
		DisabledReason: w.DisabledReason, FailingSince: w.FailingSince, FailedAttempts: w.FailedAttempts,
		RateLimit: w.RateLimit, FIFO: w.FIFO,
		CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt,
	}
	if w.SigningScheme != models.SchemeStandardWebhooks {
		v.SignatureHeader = w.SignatureHeader
	}
	return v
}

type deliveryView struct {
	ID             string     `json:"id"`
	EventID        string     `json:"event_id"`
	WebhookID      string     `json:"webhook_id"`
	AppID          string     `json:"app_id,omitempty"`
	EventType      string     `json:"event_type"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastStatusCode int        `json:"last_status_code,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
	CompletedAt    *time.Time `json:"completed_at,omitempty"`
	WorkflowID     string     `json:"workflow_id"`
	// ReplayOf and ReplayID link a replay to what it replays.
	ReplayOf  string    `json:"replay_of,omitempty"`
	ReplayID  string    `json:"replay_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func viewDelivery(d models.Delivery) deliveryView {
	return deliveryView{
		ID: d.ID, EventID: d.EventID, WebhookID: d.WebhookID, AppID: d.AppID, EventType: d.EventType, Status: string(d.Status),
		Attempts: d.Attempts, LastStatusCode: d.LastStatusCode, LastError: d.LastError,
		NextAttemptAt: d.NextAttemptAt, CompletedAt: d.CompletedAt, WorkflowID: contracts.DeliveryWorkflowID(d.ID),
		ReplayOf: d.ReplayOf, ReplayID: d.ReplayID, CreatedAt: d.CreatedAt, UpdatedAt: d.UpdatedAt,
	}
}

type attemptView struct {
	Number         int               `json:"number"`
	URL            string            `json:"url"`
	RequestHeaders map[string]string `json:"request_headers"`
	ResponseStatus int               `json:"response_status,omitempty"`
	ResponseBody   string            `json:"response_body,omitempty"`
	DurationMicros int64             `json:"duration_us"`
	Error          string            `json:"error,omitempty"`
	// MissingVariables: variables a Custom App payload read but the
	// action lacked (they rendered empty).
	MissingVariables []string  `json:"missing_variables,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
}

func viewAttempts(as []models.Attempt) []attemptView {
	out := make([]attemptView, len(as))
	for i, a := range as {
		out[i] = attemptView{
			Number: a.Number, URL: a.URL, RequestHeaders: a.RequestHeaders, ResponseStatus: a.ResponseStatus,
			ResponseBody: a.ResponseBody, DurationMicros: a.DurationMicros, Error: a.Error,
			MissingVariables: a.MissingVariables, CreatedAt: a.CreatedAt,
		}
	}
	return out
}

type eventView struct {
	ID             string         `json:"id"`
	Type           string         `json:"type"`
	Data           any            `json:"data"`
	IdempotencyKey *string        `json:"idempotency_key,omitempty"`
	ErasedAt       *time.Time     `json:"erased_at,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	Deliveries     []deliveryView `json:"deliveries"`
}

func viewEvent(e models.Event, ds []models.Delivery) eventView {
	v := eventView{ID: e.ID, Type: e.Type, Data: e.Data, IdempotencyKey: e.IdempotencyKey, ErasedAt: e.ErasedAt, CreatedAt: e.CreatedAt, Deliveries: []deliveryView{}}
	for _, d := range ds {
		v.Deliveries = append(v.Deliveries, viewDelivery(d))
	}
	return v
}

// writeHistory answers a history route: every run's events of the
// workflow that the path's id names (the History schema of openapi.json).
func writeHistory(c *gin.Context, read func(ctx context.Context, orgID, id string) ([]service.HistoryEvent, error), workflowID func(string) string) error {
	h, err := read(c.Request.Context(), principal(c).OrgID, c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"workflow_id": workflowID(c.Param("id")), "events": h})
	return nil
}
