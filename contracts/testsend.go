package contracts

import "time"

// TestSendWorkflowInput starts a TestSend workflow (the Test button).
type TestSendWorkflowInput struct {
	Send TestSendActivityInput
	// AttemptTimeout is the HTTP timeout of the send; the workflow copies
	// it into Send.Timeout. Zero means DefaultDeliveryTimeout.
	AttemptTimeout time.Duration
}

// TestSendWorkflowResult is the outcome shown to the user: the TestSend
// activity's result, unchanged. The JSON tags are the API's answer too.
type TestSendWorkflowResult TestSendActivityResult

// TestSendActivityInput names the endpoint and the event type whose sample
// payload the Test button sends (activity TestSend).
type TestSendActivityInput struct {
	OrgID     string
	WebhookID string
	EventType string
	MessageID string
	// Timeout is the HTTP timeout of the send. Zero (sends scheduled by
	// workflow code that predates the field) means the worker's configured
	// delivery timeout.
	Timeout time.Duration
}

// TestSendActivityResult is the TestSend activity's outcome: a failed
// send is an answer (Error, Success false), not an activity error.
type TestSendActivityResult struct {
	StatusCode     int    `json:"status_code"`
	ResponseBody   string `json:"response_body"`
	DurationMicros int64  `json:"duration_us"`
	Error          string `json:"error,omitempty"`
	Success        bool   `json:"success"`
}
