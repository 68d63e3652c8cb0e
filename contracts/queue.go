package contracts

import "time"

// EndpointQueueWorkflow starts the Delivery workflows of an endpoint with
// a rate limit or FIFO, paced and in ingest order (issue 10). Never rename.
const EndpointQueueWorkflow = "EndpointQueue"

// EndpointQueueWorkflowID is an endpoint's queue.
func EndpointQueueWorkflowID(webhookID string) string { return "endpoint-queue-" + webhookID }

// SignalQueueWake tells a queue that deliveries were committed. No payload.
const SignalQueueWake = "wake"

// QueueSettle is how old a delivery must be before its queue takes it:
// a row committed by another process a moment late, with an earlier
// timestamp, is never passed over.
const QueueSettle = time.Second

// EndpointQueueInput starts (or continues) an endpoint's queue; the
// cursor is the last delivery it started.
type EndpointQueueInput struct {
	WebhookID string
	AfterAt   time.Time
	AfterID   string
	// Idle overrides how long the queue waits without work before it
	// completes (zero: a minute); the next delivery starts it again.
	Idle time.Duration
}

// NextQueuedInput asks for the endpoint's next deliveries (activity
// NextQueued).
type NextQueuedInput struct {
	WebhookID string
	AfterAt   time.Time
	AfterID   string
	Limit     int
}

// QueuedDelivery is one delivery the queue starts, with what its Delivery
// workflow is started with (as deliveryStarter starts it).
type QueuedDelivery struct {
	ID        string
	CreatedAt time.Time
	OrgID     string
	EventType string
	Input     DeliveryWorkflowInput
}

// NextQueuedResult is the endpoint's current settings and the next
// deliveries in ingest order. Queued false (the endpoint was deleted, or
// no longer has a limit or FIFO) ends the queue once it has no work.
type NextQueuedResult struct {
	Deliveries []QueuedDelivery
	RateLimit  float64
	FIFO       bool
	Queued     bool
}
