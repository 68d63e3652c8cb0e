// Package workflows holds Switchboard's Temporal workflows. They decide what
// happens and when; every side effect lives in package activities. Their
// inputs, results, IDs, signals and search attributes are in package
// contracts, which starters use without importing this package.
package workflows

import "github.com/switchboardhq/switchboard/contracts"

// All maps each workflow type name of the contract to its function; the
// worker registers every one under that name, so a starter naming
// contracts.DeliveryWorkflow reaches Delivery.
func All() map[string]any {
	return map[string]any{
		contracts.DeliveryWorkflow:          Delivery,
		contracts.TestSendWorkflow:          TestSend,
		contracts.LookupWorkflow:            Lookup,
		contracts.ClickVerificationWorkflow: ClickVerification,
		contracts.AppSampleWorkflow:         AppSample,
		contracts.ConversationWorkflow:      Conversation,
		contracts.ChatTestWorkflow:          ChatTest,
		contracts.BulkReplayWorkflow:        BulkReplay,
		contracts.EndpointHealthWorkflow:    EndpointHealth,
		contracts.RetentionWorkflow:         Retention,
		contracts.EndpointQueueWorkflow:     EndpointQueue,
	}
}
