package contracts

// EndpointHealthWorkflow is run by a Temporal Schedule: it disables the
// endpoints whose attempts have all failed for the auto-disable window
// and warns about those failing for a while (issue 10). Never rename.
const EndpointHealthWorkflow = "EndpointHealth"

// EndpointHealthScheduleID is the Schedule of a task queue's health check.
func EndpointHealthScheduleID(taskQueue string) string { return "endpoint-health-" + taskQueue }

// EndpointHealthWorkflowID is the ID of the runs the Schedule starts (the
// Schedule appends the start time).
func EndpointHealthWorkflowID(taskQueue string) string { return "endpoint-health-" + taskQueue }

// EndpointHealthInput starts a health check; the thresholds are the
// worker's settings, read by the activity.
type EndpointHealthInput struct{}

// EndpointHealthResult says what one check did.
type EndpointHealthResult struct {
	Warned   int
	Disabled int
}

// RetentionWorkflow is run by a Temporal Schedule: it purges every org's
// events, deliveries and attempts older than the org's retention, in
// small batches. Never rename.
const RetentionWorkflow = "Retention"

// RetentionScheduleID is the Schedule of a task queue's retention purge.
func RetentionScheduleID(taskQueue string) string { return "retention-" + taskQueue }

// RetentionInput starts a purge; the batch size is the worker's setting.
type RetentionInput struct{}

// RetentionResult is what one purge deleted.
type RetentionResult struct {
	Events int
	Orgs   int
}
