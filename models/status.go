package models

import (
	"slices"
	"strings"
)

// Statuses are named string types so that a delivery status cannot be
// stored on a lookup (or the reverse) without the compiler noticing. Their
// values are the strings stored in the status columns, shown by the API,
// put into the SwitchboardStatus search attribute and carried in workflow
// results and activity arguments: recorded Temporal histories hold them,
// so a value never changes once shipped.

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery statuses. The names predate the other status types, which is
// why they carry no "Delivery" prefix.
const (
	StatusPending   DeliveryStatus = "pending"
	StatusRetrying  DeliveryStatus = "retrying"
	StatusSucceeded DeliveryStatus = "succeeded"
	StatusFailed    DeliveryStatus = "failed"
	StatusCancelled DeliveryStatus = "cancelled"
	// StatusSkipped is an event kept for an inactive endpoint: no attempt
	// was made; enabling the endpoint can send it.
	StatusSkipped DeliveryStatus = "skipped"
)

// DeliveryStatuses lists every delivery status, in lifecycle order.
var DeliveryStatuses = []DeliveryStatus{StatusPending, StatusRetrying, StatusSucceeded, StatusFailed, StatusCancelled, StatusSkipped}

// Valid reports whether s is one of DeliveryStatuses; check it wherever a
// status comes from outside (e.g. a query filter).
func (s DeliveryStatus) Valid() bool { return slices.Contains(DeliveryStatuses, s) }

// LookupStatus is where a customer lookup stands.
type LookupStatus string

// Lookup statuses: pending until the first attempt, retrying between
// attempts, then one of the final ok, failed or skipped.
const (
	LookupPending  LookupStatus = "pending"
	LookupRetrying LookupStatus = "retrying"
	LookupOK       LookupStatus = "ok"
	LookupFailed   LookupStatus = "failed"
	LookupSkipped  LookupStatus = "skipped"
)

// LookupStatuses lists every lookup status, in lifecycle order.
var LookupStatuses = []LookupStatus{LookupPending, LookupRetrying, LookupOK, LookupFailed, LookupSkipped}

// Valid reports whether s is one of LookupStatuses.
func (s LookupStatus) Valid() bool { return slices.Contains(LookupStatuses, s) }

// Profile is the status a conversation's profile shows while this lookup
// is its latest: the final statuses carry over by name, and a lookup still
// running (pending or retrying) leaves the profile pending, because an
// operator waits for a result either way.
func (s LookupStatus) Profile() ProfileStatus {
	switch s {
	case LookupOK:
		return ProfileOK
	case LookupFailed:
		return ProfileFailed
	case LookupSkipped:
		return ProfileSkipped
	}
	return ProfilePending
}

// ProfileStatus is what a conversation's customer profile card shows.
type ProfileStatus string

// Customer profile statuses.
const (
	ProfilePending ProfileStatus = "pending"
	ProfileOK      ProfileStatus = "ok"
	ProfileFailed  ProfileStatus = "failed"
	ProfileSkipped ProfileStatus = "skipped"
)

// ProfileStatuses lists every profile status.
var ProfileStatuses = []ProfileStatus{ProfilePending, ProfileOK, ProfileFailed, ProfileSkipped}

// Valid reports whether s is one of ProfileStatuses.
func (s ProfileStatus) Valid() bool { return slices.Contains(ProfileStatuses, s) }

// JoinStatuses lists statuses for a message to a client, e.g.
// "pending, ok or failed".
func JoinStatuses[S ~string](all []S) string {
	parts := make([]string, len(all))
	for i, v := range all {
		parts[i] = string(v)
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}
