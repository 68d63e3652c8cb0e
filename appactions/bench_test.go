package appactions

import (
	"context"
	"testing"
)

// BenchmarkRenderPayload measures one send's rendering: the default payload
// plus three custom attributes and a criteria (compiled per call, as
// RenderPayload does).
func BenchmarkRenderPayload(b *testing.B) {
	vars := realReferralVars()
	attrs := map[string]string{
		"advocate_upper": "{{ advocate_email | upcase }}",
		"friend":         `{{ friend_email | default: "n/a" }}`,
		"status":         "{{ referral.status }}",
	}
	ctx := context.Background()
	for b.Loop() {
		if _, _, err := RenderPayload(ctx, "referral_create", vars, attrs); err != nil {
			b.Fatal(err)
		}
		if _, _, err := Criteria(ctx, `{% if referral.status == "approved" %}true{% endif %}`, vars); err != nil {
			b.Fatal(err)
		}
	}
}
