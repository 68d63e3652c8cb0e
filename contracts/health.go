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
