package contracts

import "time"

// DefaultLookupTimeout is a lookup attempt's HTTP timeout when the starter
// passes none: the product doc gives customer backends 5 seconds.
const DefaultLookupTimeout = 5 * time.Second

// LookupWorkflowInput starts a Lookup workflow. It holds IDs only: the
// visitor ID, the endpoint and the secret are loaded by the activity, so
// none of them reaches workflow history.
type LookupWorkflowInput struct {
	LookupID string
	// AttemptTimeout is the HTTP timeout of one attempt. The workflow sizes
	// the activity's deadline from it and passes it on in
	// LookupActivityInput.Timeout, so starter and worker agree. Zero means
	// DefaultLookupTimeout.
	AttemptTimeout time.Duration
}

// LookupWorkflowResult is a Lookup workflow's outcome. Status is "ok",
// "failed" or "skipped" (models.ProfileOK, ProfileFailed, ProfileSkipped);
// Attempts counts the attempts made (0 when the lookup was skipped before
// any request); Error says why a lookup failed or was skipped.
type LookupWorkflowResult struct {
	Status   string
	Attempts int
	Error    string
}

// LookupActivityInput names one attempt of one customer lookup (activity
// Lookup). It carries IDs only: the visitor ID, the endpoint and the secret
// are loaded inside the activity, so none of them is copied into workflow
// history.
type LookupActivityInput struct {
	LookupID string
	Attempt  int
	// Final is true on the last attempt: its failure is recorded as the
	// lookup's outcome.
	Final bool
	// Timeout is the HTTP timeout of this attempt, from the workflow's
	// input. Zero (attempts scheduled by workflow code that predates the
	// field) means the worker's configured lookup timeout.
	Timeout time.Duration
}

// LookupActivityResult is a successful lookup attempt.
type LookupActivityResult struct {
	StatusCode     int
	DurationMicros int64
}

// FailLookupActivityInput records a lookup as failed when its final
// attempt could not record itself (activity FailLookup). Reason is shown
// to operators, so it is a fixed text, never a database error.
type FailLookupActivityInput struct {
	LookupID string
	Reason   string
}
