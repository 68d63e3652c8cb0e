// Package workflows holds Switchboard's Temporal workflows. They decide what
// happens and when; every side effect lives in package activities.
package workflows

// Workflow IDs are built from business keys here and only here, so the API,
// the sweeper and operators in the Temporal UI all find the same run.

// DeliveryID is the workflow ID of an event delivery.
func DeliveryID(deliveryID string) string { return "delivery-" + deliveryID }

// LookupID is the workflow ID of a customer lookup.
func LookupID(lookupID string) string { return "lookup-" + lookupID }

// TestSendID is the workflow ID of an endpoint's Test-button send.
func TestSendID(requestID string) string { return "test-" + requestID }
