// Package activities holds every side effect of Switchboard's workflows:
// loading secrets, signing, sending HTTP requests and persisting attempts.
// Activities are methods on one struct that carries the dependencies, so the
// worker wires them once and workflows refer to them through a nil pointer.
// Every activity takes one input struct and returns one result struct, both
// defined in package contracts; method names are activity type names,
// recorded in history, and never change.
package activities

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
	"github.com/switchboardhq/switchboard/store"
)

// Settings are the tunables activities need, copied from config.Config.
type Settings struct {
	// DeliveryTimeout and LookupTimeout apply only to attempts whose input
	// carries no timeout (scheduled by workflow code that predates
	// contracts' Timeout fields); the workflows pass their own.
	DeliveryTimeout   time.Duration
	LookupTimeout     time.Duration
	RetryAfterCap     time.Duration
	ResponseBodyLimit int
	Health            HealthSettings
}

// Activities is the receiver of every activity method.
type Activities struct {
	Store *store.Store
	// Outbound is the only way out to customer endpoints.
	Outbound *outbound.Client
	Now      func() time.Time
	Settings Settings
	// OnLookupDone, when set, is called after a lookup stored its outcome,
	// so the API can push the profile to operators at once.
	OnLookupDone func(orgID, conversationID string)
	// OnClickVerified, when set, is called after an app's click
	// verification outcome was stored, so the waiting API answers at once.
	OnClickVerified func(verificationID string)
	// OnClickDecided, when set, is called instead of OnClickVerified when
	// storing an app's outcome also fixed the decision (it was the last
	// one out), with the decision and the rows it counted.
	OnClickDecided func(v models.ClickVerification, apps []models.ClickVerificationApp)
	// PreparedClick, when set, hands ClickVerifyApp the verification and
	// the app when this process's API is starting the verification (ok),
	// once the verification's rows are stored, so nothing is read back;
	// an error means they are not stored.
	PreparedClick func(ctx context.Context, verificationID, appID string) (v models.ClickVerification, app models.App, ok bool, err error)
	// OnChatChanged, when set, is called after a relay step changed a
	// conversation's messages, so the widget's event stream sends them.
	OnChatChanged func(conversationID string)
	// FileURL makes the short-lived signed URL of an uploaded file that
	// the chat backend is given.
	FileURL func(fileID string) string
	// StartDeliveries starts the Delivery workflows of committed replay
	// deliveries (the service's starter); a failed start is left to the
	// sweeper.
	StartDeliveries func(ctx context.Context, ds []models.Delivery)
	// Emit sends an operational event (endpoint.failing, endpoint.disabled,
	// delivery.exhausted) to the org's subscribed endpoints.
	Emit func(ctx context.Context, orgID, eventType string, data any) error
}

// New returns Activities sending through out.
func New(s *store.Store, out *outbound.Client, settings Settings) *Activities {
	return &Activities{Store: s, Outbound: out, Now: store.Now, Settings: settings}
}
