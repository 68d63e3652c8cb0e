package models

import (
	"encoding/json"
	"fmt"
	"time"
)

// Duration is a time.Duration that encodes to JSON as a Go duration string
// such as "5s" or "2h", so API payloads and stored schedules carry units.
type Duration time.Duration

// MarshalJSON encodes the duration as a string like "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON accepts a duration string like "30s".
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return Invalid("", "durations must be strings such as \"30s\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return Invalid("", fmt.Sprintf("invalid duration %q", s))
	}
	*d = Duration(v)
	return nil
}

// Durations converts a schedule to plain time.Duration values.
func Durations(in []Duration) []time.Duration {
	out := make([]time.Duration, len(in))
	for i, d := range in {
		out[i] = time.Duration(d)
	}
	return out
}
