package contracts

// Application error types returned by activities (the type of a
// temporal.ApplicationError). Workflows match on these constants, never on
// messages. They are recorded in history: never change a value.
const (
	// ErrTypeHTTP is a non-2xx answer or a network failure: worth a retry.
	// On a delivery attempt its NextRetryDelay is the wait before the next
	// attempt, already stretched to honour Retry-After.
	ErrTypeHTTP = "HTTPFailure"
	// ErrTypeGone is a 410 answer: the endpoint is deactivated, no retry.
	ErrTypeGone = "EndpointGone"
	// ErrTypeEndpointUnavailable means the endpoint was deleted or disabled
	// (or Backend Connect is not configured): no retry.
	ErrTypeEndpointUnavailable = "EndpointUnavailable"
	// ErrTypeInvalidReply is a 2xx answer whose body is not acceptable.
	ErrTypeInvalidReply = "InvalidReply"
	// ErrTypeUnrecorded means the request was sent but its outcome could
	// not be stored. On a delivery the error's details carry the outcome (a
	// DeliveryOutcome) and the workflow stores it with RecordDelivery
	// instead of retrying, which would send again.
	ErrTypeUnrecorded = "OutcomeNotRecorded"
	// ErrTypeIncompleteInput is an activity input that lacks what the
	// activity needs, e.g. a task scheduled with positional arguments by
	// workflow code older than its input struct: no retry can complete it.
	ErrTypeIncompleteInput = "IncompleteInput"
	// ErrTypeDeliveryFailed ends a Delivery run whose delivery failed for
	// good (attempts exhausted, 410, endpoint gone), so the Web UI shows the
	// run as Failed with the last error instead of a green Completed.
	ErrTypeDeliveryFailed = "DeliveryFailed"
	// ErrTypeNotStored means the record an activity works on does not
	// exist (its API failed to store it): there is nothing to do, no
	// retry, and no customer is called for it.
	ErrTypeNotStored = "NotStored"
)
