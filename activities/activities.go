// Package activities holds every side effect of Switchboard's workflows:
// loading secrets, signing, sending HTTP requests and persisting attempts.
// Activities are methods on one struct that carries the dependencies, so the
// worker wires them once and workflows refer to them through a nil pointer.
package activities

import (
	"net/http"
	"time"

	"github.com/switchboardhq/switchboard/store"
)

// Error types returned by activities. Workflows match on these constants,
// never on messages.
const (
	// ErrTypeHTTP is a non-2xx answer or a network failure: worth a retry.
	ErrTypeHTTP = "HTTPFailure"
	// ErrTypeGone is a 410 answer: the endpoint is deactivated, no retry.
	ErrTypeGone = "EndpointGone"
	// ErrTypeEndpointUnavailable means the endpoint was deleted or disabled.
	ErrTypeEndpointUnavailable = "EndpointUnavailable"
	// ErrTypeInvalidReply is a 2xx answer whose body is not acceptable.
	ErrTypeInvalidReply = "InvalidReply"
)

// maxErrorText is the size of the error columns (varchar(1000)).
const maxErrorText = 1000

// Settings are the tunables activities need, copied from config.Config.
type Settings struct {
	DeliveryTimeout   time.Duration
	LookupTimeout     time.Duration
	RetryAfterCap     time.Duration
	ResponseBodyLimit int
	UserAgent         string
}

// Activities is the receiver of every activity method.
type Activities struct {
	Store    *store.Store
	HTTP     *http.Client
	Now      func() time.Time
	Settings Settings
	// OnLookupDone, when set, is called after a lookup stored its outcome,
	// so the API can push the profile to operators at once.
	OnLookupDone func(orgID, conversationID string)
}

// New returns Activities with an HTTP client tuned for many concurrent
// deliveries to few hosts: keep-alive pools large enough that a burst does
// not open a new TCP connection per request.
func New(s *store.Store, settings Settings) *Activities {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 512
	transport.MaxIdleConnsPerHost = 128
	return &Activities{
		Store:    s,
		HTTP:     &http.Client{Transport: transport, CheckRedirect: noRedirects},
		Now:      store.Now,
		Settings: settings,
	}
}

// noRedirects keeps a signed request from being replayed to another URL.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
