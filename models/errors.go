// Package models holds Switchboard's persistent domain types and the domain
// errors that every layer above the store speaks.
package models

import "errors"

// Domain errors. The store translates database errors into these so that the
// service and API layers never inspect driver-specific errors or strings.
var (
	// ErrNotFound means the resource does not exist or belongs to another org.
	ErrNotFound = errors.New("not found")
	// ErrConflict means a uniqueness rule was violated.
	ErrConflict = errors.New("conflict")
	// ErrUnauthorized means no valid credential was presented.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden means the credential is valid but may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable means a dependency (the database or Temporal) cannot
	// take the request now: out of connections, unreachable, timing out.
	// The request may succeed if retried later.
	ErrUnavailable = errors.New("unavailable")
)

// ValidationError describes bad input in a way that is safe to show to the
// client: Field names the offending field and Message says what is wrong.
type ValidationError struct {
	Code    string
	Field   string
	Message string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// Invalid builds a ValidationError with the generic "invalid_request" code.
func Invalid(field, msg string) error {
	return &ValidationError{Code: "invalid_request", Field: field, Message: msg}
}

// ConflictError is a conflict whose message is safe to show to the client,
// e.g. "delivery already succeeded". It matches ErrConflict with errors.Is.
type ConflictError struct{ Message string }

func (e *ConflictError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// ForbiddenError is a refusal whose message is safe to show, e.g. a
// conversation asked for without its token. It matches ErrForbidden.
type ForbiddenError struct{ Message string }

func (e *ForbiddenError) Error() string { return e.Message }

// Is makes errors.Is(err, ErrForbidden) true.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbidden }
