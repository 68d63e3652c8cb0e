package contracts

// Workflow type names. They are the names the worker registers the workflow
// functions under and the names starters use, so a starter needs no import
// of package workflows. They are in every recorded history: never rename.
const (
	DeliveryWorkflow = "Delivery"
	LookupWorkflow   = "Lookup"
	TestSendWorkflow = "TestSend"
)

// Workflow IDs are built from business keys here and only here, so the API,
// the sweeper and operators in the Temporal UI all find the same run.

// DeliveryWorkflowID is the workflow ID of an event delivery.
func DeliveryWorkflowID(deliveryID string) string { return "delivery-" + deliveryID }

// LookupWorkflowID is the workflow ID of a customer lookup.
func LookupWorkflowID(lookupID string) string { return "lookup-" + lookupID }

// TestSendWorkflowID is the workflow ID of an endpoint's Test-button send.
func TestSendWorkflowID(requestID string) string { return "test-" + requestID }

// SignalRetryNow skips the wait before a Delivery's next attempt. It
// carries no payload.
const SignalRetryNow = "retry-now"

// ClickVerificationWorkflowID is the workflow ID of a click reward
// verification.
func ClickVerificationWorkflowID(verificationID string) string {
	return "clickverify-" + verificationID
}

// AppSampleWorkflowID is the workflow ID of an app's "Send sample payload".
func AppSampleWorkflowID(requestID string) string { return "appsample-" + requestID }
