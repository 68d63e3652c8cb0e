package activities

import (
	"net/http"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	cases := map[string]time.Duration{
		"":     0,
		"120":  2 * time.Minute,
		"-5":   0,
		"soon": 0,
		now.Add(90 * time.Second).Format(http.TimeFormat): 90 * time.Second,
		now.Add(-time.Hour).Format(http.TimeFormat):       0,
	}
	for in, want := range cases {
		if got := parseRetryAfter(in, now); got != want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestRedactHidesCredentials(t *testing.T) {
	got := redact(map[string]string{"Authorization": "Bearer x", "X-Api-Key": "k", "Idempotency-Key": "dlv_1"})
	if got["Authorization"] != "[redacted]" || got["X-Api-Key"] != "[redacted]" || got["Idempotency-Key"] != "dlv_1" {
		t.Fatalf("redact: %v", got)
	}
}
