package catalog

// Operational event types: the platform sends them about an org's own
// endpoints and deliveries (issue 10), to the org's endpoints subscribed
// to them, signed like every delivery. Only the platform emits them: an
// ingest of one is refused.
var operational = []*EventType{
	{
		Name:        "endpoint.failing",
		Description: "An endpoint's attempts have all failed for a while (the first warning before auto-disable).",
		Operational: true,
		Schema: schema(`"endpoint"`, `"endpoint": {"type": "object", "required": ["id", "url"], "properties": {
			"id": {"type": "string"}, "url": {"type": "string"}, "failing_since": {"type": "string"},
			"failed_attempts": {"type": "integer"}}}`),
		Sample: raw(`{"endpoint": {"id": "wh_sample", "url": "https://hooks.example.com/switchboard", "failing_since": "2026-01-15T10:00:00Z", "failed_attempts": 12}}`),
	},
	{
		Name:        "endpoint.disabled",
		Description: "An endpoint was disabled: every attempt failed for the auto-disable window, or it answered 410 Gone.",
		Operational: true,
		Schema: schema(`"endpoint"`, `"endpoint": {"type": "object", "required": ["id", "url", "reason"], "properties": {
			"id": {"type": "string"}, "url": {"type": "string"}, "reason": {"type": "string"},
			"failing_since": {"type": "string"}, "failed_attempts": {"type": "integer"}}}`),
		Sample: raw(`{"endpoint": {"id": "wh_sample", "url": "https://hooks.example.com/switchboard", "reason": "every attempt failed for 120h0m0s (31 attempts)", "failing_since": "2026-01-10T10:00:00Z", "failed_attempts": 31}}`),
	},
	{
		Name:        "delivery.exhausted",
		Description: "A delivery failed for good: its attempts ran out (or its endpoint is gone).",
		Operational: true,
		Schema: schema(`"delivery"`, `"delivery": {"type": "object", "required": ["id", "event_id", "event_type"], "properties": {
			"id": {"type": "string"}, "event_id": {"type": "string"}, "event_type": {"type": "string"},
			"webhook_id": {"type": "string"}, "app_id": {"type": "string"}, "attempts": {"type": "integer"},
			"last_status_code": {"type": "integer"}, "last_error": {"type": "string"}}}`),
		Sample: raw(`{"delivery": {"id": "dlv_sample", "event_id": "evt_sample", "event_type": "contact.created", "webhook_id": "wh_sample", "attempts": 8, "last_status_code": 503, "last_error": "HTTP 503"}}`),
	},
}
