package contracts

import (
	"encoding/json"
	"time"
)

// Workflow type names of the Custom App synchronous calls. They are in
// every recorded history: never rename.
const (
	ClickVerificationWorkflow = "ClickVerification"
	AppSampleWorkflow         = "AppSample"
)

// ClickVerificationWorkflowInput starts a ClickVerification workflow. It
// holds IDs and timeouts only: the request's variables are in the
// verification row and the apps' secrets in theirs, so neither reaches
// Temporal history.
type ClickVerificationWorkflowInput struct {
	VerificationID string
	Apps           []ClickVerifyAppInput
}

// ClickVerifyAppInput asks one app (activity ClickVerifyApp).
type ClickVerifyAppInput struct {
	VerificationID string
	AppID          string
	// Timeout is the app's HTTP timeout (its timeout_ms).
	Timeout time.Duration
	// CallBy is when the app's call ends at the latest: the request's
	// arrival plus Timeout, so the time the workflow's start took comes
	// out of the app's timeout instead of being added to the caller's
	// wait. Zero in workflows started before it: Timeout counts from the
	// activity's start. A CallBy already past (a workflow re-driven
	// later) gives the app its whole Timeout again.
	CallBy time.Time `json:",omitzero"`
}

// ClickVerifyAppResult is one app's outcome: a failed call is an outcome
// (verified, fail open, with its reason), not an activity error.
type ClickVerifyAppResult struct {
	AppID          string
	Verified       bool
	Reason         string
	StatusCode     int
	DurationMicros int64
}

// FinishClickVerificationInput is the workflow's final bookkeeping
// (activity FinishClickVerification): outcomes the app activities could
// not store themselves, then the decision if nobody made it yet.
type FinishClickVerificationInput struct {
	VerificationID string
	Outcomes       []ClickVerifyAppResult
}

// ClickVerificationWorkflowResult is the decision as stored.
type ClickVerificationWorkflowResult struct {
	Verified bool
	Reason   string
}

// AppSampleWorkflowInput starts an AppSample workflow ("Send sample
// payload"); AppSampleActivityInput is its one local activity's input.
type AppSampleWorkflowInput struct {
	Send AppSampleActivityInput
}

// AppSampleActivityInput names the app and the catalog action whose
// sample payload is sent.
type AppSampleActivityInput struct {
	OrgID     string
	AppID     string
	Action    string
	MessageID string
	// Timeout is the HTTP timeout of the send.
	Timeout time.Duration
}

// AppSampleResult is the outcome shown to the user; the JSON tags are the
// API's answer. Payload is the rendered sample payload (sample variables
// and the app's custom attributes), never a secret.
type AppSampleResult struct {
	StatusCode       int             `json:"status_code"`
	ResponseBody     string          `json:"response_body"`
	DurationMicros   int64           `json:"duration_us"`
	Success          bool            `json:"success"`
	Error            string          `json:"error,omitempty"`
	Payload          json.RawMessage `json:"payload"`
	MissingVariables []string        `json:"missing_variables"`
}
