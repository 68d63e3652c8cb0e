package models

import "time"

// Custom App defaults and bounds (seed 001). The timeout applies to the
// synchronous click-reward verification, which the doc gives 1 s; an app
// may ask for up to 5 s, never more, so a slow app cannot hold a reward.
const (
	DefaultAppSignatureHeader = "X-Switchboard-Signature"
	DefaultAppTimeoutMS       = 1000
	MinAppTimeoutMS           = 100
	MaxAppTimeoutMS           = 5000
	// AppSigningScheme is the one scheme of Custom Apps: Base64 of the hex
	// HMAC-SHA256 of the raw body, which the doc's receivers verify.
	AppSigningScheme = SchemeBase64HexHMAC
)

// App is a Custom App: an endpoint that receives the actions it enables,
// each payload extended with the action's custom attributes.
type App struct {
	ID      string `gorm:"primaryKey;size:40"`
	OrgID   string `gorm:"size:40;not null;index"`
	Name    string `gorm:"size:200;not null"`
	URL     string `gorm:"size:2048;not null"`
	Enabled bool   `gorm:"not null"`
	// Actions is keyed by action id. It is one JSON column: an app has at
	// most 13 actions and they are always read and written together.
	Actions         map[string]AppAction `gorm:"type:text;serializer:json;not null"`
	SignatureHeader string               `gorm:"size:100;not null"`
	TimeoutMS       int                  `gorm:"not null"`
	// Secret is sealed at rest and written only by RotateAppSecret after
	// the insert; see Webhook.Secret.
	Secret    Secret    `gorm:"size:200;not null;serializer:secret"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// AppAction is one action's settings in an app. Attribute values and
// Criteria are stored as written (fixed text or Liquid source); they are
// rendered only when an action is sent.
type AppAction struct {
	Enabled    bool              `json:"enabled"`
	Attributes map[string]string `json:"attributes,omitempty"`
	Criteria   string            `json:"criteria,omitempty"`
}

// Timeout is the app's click-verification budget.
func (a *App) Timeout() time.Duration { return time.Duration(a.TimeoutMS) * time.Millisecond }
