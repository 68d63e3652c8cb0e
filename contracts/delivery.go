package contracts

import (
	"encoding/json"
	"time"
)

// DefaultDeliveryTimeout is a delivery attempt's HTTP timeout when the
// starter passes none (SWITCHBOARD_DELIVERY_TIMEOUT's default).
const DefaultDeliveryTimeout = 30 * time.Second

// DefaultDeliverySchedule is the wait before each retry when the endpoint
// has no retry_schedule of its own: attempts go out immediately, then
// after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (8 attempts). The
// starter puts it into DeliveryWorkflowInput.Schedule; the workflow follows
// whatever schedule its input holds.
var DefaultDeliverySchedule = []time.Duration{
	5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour,
}

// DeliveryWorkflowInput starts a Delivery workflow. It holds no payload
// and no secret: the activity loads both, so history stays small and
// secret-free.
type DeliveryWorkflowInput struct {
	DeliveryID string
	// Schedule holds the waits before attempts 2..n; len+1 attempts in all.
	Schedule []time.Duration
	// FirstAttempt numbers the first attempt of this run: 1, or more when an
	// operator re-drives a finished delivery.
	FirstAttempt int
	// AttemptTimeout is the HTTP timeout of one attempt. The workflow sizes
	// the activity's deadline from it and passes it on in
	// DeliverActivityInput.Timeout, so starter and worker agree. Zero means
	// DefaultDeliveryTimeout.
	AttemptTimeout time.Duration
}

// DeliveryWorkflowResult is a Delivery workflow's outcome.
type DeliveryWorkflowResult struct {
	Status   string
	Attempts int
}

// DeliverActivityInput names one attempt of one delivery (activity
// Deliver). It carries IDs only: the body and the secret are loaded inside
// the activity, so neither the payload nor the secret is copied into
// workflow history.
type DeliverActivityInput struct {
	DeliveryID string
	Attempt    int
	// NextDelay is the scheduled wait before the next attempt; zero with
	// Final means there is none.
	NextDelay time.Duration
	Final     bool
	// Timeout is the HTTP timeout of this attempt, from the workflow's
	// input. Zero (attempts scheduled by workflow code that predates the
	// field) means the worker's configured delivery timeout.
	Timeout time.Duration
}

// DeliverActivityResult is a successful attempt (activities Deliver and
// RecordDelivery).
type DeliverActivityResult struct {
	StatusCode     int
	DurationMicros int64
}

// DeliveryOutcome is a sent attempt's outcome without the response body:
// the details of an ErrTypeUnrecorded failure of Deliver, and the input of
// the RecordDelivery bookkeeping activity that stores it. It travels
// through workflow history, so it holds IDs, the redacted URL and headers
// and the redacted error only.
type DeliveryOutcome struct {
	DeliveryID     string
	WebhookID      string
	Attempt        int
	NextDelay      time.Duration
	Final          bool
	URL            string
	RequestHeaders map[string]string
	StatusCode     int
	OK             bool
	DurationMicros int64
	RetryAfter     time.Duration
	Error          string
	// MissingVariables (Custom App deliveries) are the variable names the
	// rendered payload read but the action lacked; names, never values.
	// Omitted when empty, so earlier outcomes encode as before.
	MissingVariables []string `json:",omitempty"`
	// EndpointClean is true when the endpoint had no failing streak as the
	// attempt read it, so a success has no streak to end and leaves the
	// endpoint's row alone. Omitted when false, as in earlier outcomes.
	EndpointClean bool `json:",omitempty"`
}

// MarkDeliveryActivityInput sets a delivery's status without an attempt
// (activity MarkDelivery): a cancelled run, or a final attempt that never
// got to record itself.
type MarkDeliveryActivityInput struct {
	DeliveryID string
	Status     string
}

// UnmarshalJSON also accepts what workflow code before this struct
// scheduled: MarkDelivery(deliveryID, status) as two payloads, of which
// the SDK hands this one parameter the first, a JSON string. Such a task,
// scheduled by an older worker and run by a newer one during an upgrade,
// then decodes to the delivery ID with no Status, which MarkDelivery
// refuses without a retry, instead of failing to decode on every retry of
// a bookkeeping activity that has no deadline.
func (in *MarkDeliveryActivityInput) UnmarshalJSON(b []byte) error {
	var legacyID string
	if json.Unmarshal(b, &legacyID) == nil {
		*in = MarkDeliveryActivityInput{DeliveryID: legacyID}
		return nil
	}
	type plain MarkDeliveryActivityInput // without this method
	return json.Unmarshal(b, (*plain)(in))
}
