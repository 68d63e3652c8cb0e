package models

import (
	"encoding/json"
	"time"
)

// Org is a tenant. Every other resource is scoped to exactly one org.
type Org struct {
	ID   string `gorm:"primaryKey;size:40"`
	Name string `gorm:"size:200;not null"`
	// CORSOrigins lists the browser origins allowed to call the widget API
	// with this org's public key; "*" allows any origin.
	CORSOrigins []string `gorm:"serializer:json"`
	// RetentionDays is how long events, deliveries and attempts are kept
	// (0 in a row from before retention: DefaultRetentionDays).
	RetentionDays int       `gorm:"not null;default:0"`
	CreatedAt     time.Time `gorm:"not null"`
}

// DefaultRetentionDays is an org's retention unless it sets one.
const DefaultRetentionDays = 30

// Retention is the org's retention period.
func (o Org) Retention() time.Duration {
	days := o.RetentionDays
	if days <= 0 {
		days = DefaultRetentionDays
	}
	return time.Duration(days) * 24 * time.Hour
}

// Key kinds. A secret key administers an org; a public key may only post
// widget messages and is safe to embed in a browser.
const (
	KeyKindSecret = "secret"
	KeyKindPublic = "public"
)

// APIKey is a credential. Only a SHA-256 hash of the key is stored, so a key
// is shown once at creation and never again.
type APIKey struct {
	ID        string    `gorm:"primaryKey;size:40"`
	OrgID     string    `gorm:"size:40;not null;index"`
	Kind      string    `gorm:"size:16;not null"`
	Hash      string    `gorm:"size:64;not null;uniqueIndex"`
	Prefix    string    `gorm:"size:16;not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// Signing schemes an endpoint can use; see package signing.
const (
	SchemeHexHMAC          = "hmac-sha256-hex"
	SchemeBase64HexHMAC    = "hmac-sha256-base64hex"
	SchemeStandardWebhooks = "standard-webhooks"
)

// Webhook is an event-webhook endpoint that subscribes to event types.
type Webhook struct {
	ID              string   `gorm:"primaryKey;size:40"`
	OrgID           string   `gorm:"size:40;not null;index"`
	URL             string   `gorm:"size:2048;not null"`
	Description     string   `gorm:"size:1000"`
	EventTypes      []string `gorm:"serializer:json;not null"`
	Active          bool     `gorm:"not null"`
	Source          string   `gorm:"size:32;not null"`
	SigningScheme   string   `gorm:"size:32;not null"`
	SignatureHeader string   `gorm:"size:100;not null"`
	// Secret is the signing secret, sealed at rest; it is revealed by
	// activities and by the explicit secret endpoints only, and never enters
	// workflow history.
	Secret Secret `gorm:"size:200;not null;serializer:secret"`
	// PreviousSecret is the secret replaced by a rotation with an overlap
	// (Standard Webhooks only): deliveries are signed with both until
	// PreviousSecretExpiresAt.
	PreviousSecret          Secret `gorm:"size:200;not null;default:'';serializer:secret"`
	PreviousSecretExpiresAt *time.Time
	// RetrySchedule overrides the default delays between attempts; nil means
	// the platform default.
	RetrySchedule  []Duration `gorm:"serializer:json"`
	DisabledReason string     `gorm:"size:200"`
	// Health (auto-disable): FailingSince is the first failed attempt since
	// the last success, FailedAttempts how many failed since, and
	// FailingNotifiedAt when endpoint.failing was sent for this streak.
	FailingSince      *time.Time
	FailedAttempts    int `gorm:"not null;default:0"`
	FailingNotifiedAt *time.Time
	// RateLimit (deliveries per second; 0: none) and FIFO (one delivery
	// in flight, in ingest order) route the endpoint's deliveries through
	// its EndpointQueue workflow instead of starting them at once.
	RateLimit float64   `gorm:"not null;default:0"`
	FIFO      bool      `gorm:"column:fifo;not null;default:false"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Queued reports an endpoint whose deliveries go through its queue.
func (w *Webhook) Queued() bool { return w.RateLimit > 0 || w.FIFO }

// SigningSecrets are the secrets a delivery at now is signed with: the
// current one first, then the previous one while its overlap lasts.
func (w *Webhook) SigningSecrets(now time.Time) []Secret {
	out := []Secret{w.Secret}
	if !w.PreviousSecret.IsZero() && w.PreviousSecretExpiresAt != nil && now.Before(*w.PreviousSecretExpiresAt) {
		out = append(out, w.PreviousSecret)
	}
	return out
}

// Subscribes reports whether the endpoint listens to eventType.
func (w *Webhook) Subscribes(eventType string) bool {
	for _, t := range w.EventTypes {
		if t == eventType || t == "*" {
			return true
		}
	}
	return false
}

// Event is one ingested event; it fans out to one Delivery per active
// subscribed endpoint.
type Event struct {
	ID    string          `gorm:"primaryKey;size:40"`
	OrgID string          `gorm:"size:40;not null;uniqueIndex:idx_event_idem,priority:1"`
	Type  string          `gorm:"size:100;not null"`
	Data  json.RawMessage `gorm:"type:text;serializer:json;not null"`
	// IdempotencyKey is cleared (set to nil) once it is older than the
	// idempotency window, which frees the key for reuse.
	IdempotencyKey *string `gorm:"size:200;uniqueIndex:idx_event_idem,priority:2"`
	// ErasedAt is set when DELETE /v1/events/{id} erased the payload:
	// Data is then empty and its deliveries send nothing more.
	ErasedAt  *time.Time
	CreatedAt time.Time `gorm:"not null;index"`
}

// Delivery is one event sent to one endpoint: its own Temporal workflow.
type Delivery struct {
	ID        string `gorm:"primaryKey;size:40"`
	OrgID     string `gorm:"size:40;not null;index:idx_delivery_org_created,priority:1"`
	EventID   string `gorm:"size:40;not null;index"`
	WebhookID string `gorm:"size:40;not null;index"`
	// AppID is set instead of WebhookID when the delivery sends a Custom
	// App action (models.App): the same workflow, attempts, retry and
	// cancel, a payload rendered from the app's custom attributes.
	AppID          string         `gorm:"size:40;not null;default:'';index"`
	EventType      string         `gorm:"size:100;not null"`
	Status         DeliveryStatus `gorm:"size:16;not null;index"`
	Attempts       int            `gorm:"not null"`
	LastStatusCode int            `gorm:"not null"`
	LastError      string         `gorm:"size:1000"`
	NextAttemptAt  *time.Time
	CompletedAt    *time.Time
	// SweptAt is when the sweeper handed the row to Temporal (started its
	// workflow or found it already there); swept rows are not swept again.
	SweptAt *time.Time
	// ReplayOf is the delivery this one replays (POST .../replay); ReplayID
	// the bulk replay that made it. Both are empty for ingested deliveries.
	ReplayOf  string    `gorm:"size:40;not null;default:''"`
	ReplayID  string    `gorm:"size:40;not null;default:'';index"`
	CreatedAt time.Time `gorm:"not null;index:idx_delivery_org_created,priority:2"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Attempt is one HTTP call made for a delivery or a customer lookup.
// ParentID is the delivery or lookup ID.
type Attempt struct {
	ID       uint   `gorm:"primaryKey"`
	ParentID string `gorm:"size:40;not null;uniqueIndex:idx_attempt_parent_number,priority:1"`
	Number   int    `gorm:"not null;uniqueIndex:idx_attempt_parent_number,priority:2"`
	URL      string `gorm:"size:2048;not null"`
	// RequestHeaders never holds a secret: the signature is derived and
	// authorization headers are redacted before persisting.
	RequestHeaders map[string]string `gorm:"serializer:json"`
	ResponseStatus int               `gorm:"not null"`
	ResponseBody   string            `gorm:"type:text"`
	DurationMicros int64             `gorm:"not null"`
	Error          string            `gorm:"size:1000"`
	// MissingVariables lists the variables a Custom App payload read but
	// the action did not carry (they rendered empty); nil for others.
	MissingVariables []string  `gorm:"serializer:json"`
	CreatedAt        time.Time `gorm:"not null"`
}
