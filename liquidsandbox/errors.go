package liquidsandbox

import (
	"errors"
	"fmt"
)

// Sentinels name why a template was refused or a render stopped, so callers
// match with errors.Is and choose a status and an error code without reading
// messages.
var (
	// ErrSyntax: the template does not parse.
	ErrSyntax = errors.New("liquid syntax error")
	// ErrTagNotAllowed: a tag outside the sandbox's allow-list (for, tablerow,
	// cycle, include, render, capture, ...).
	ErrTagNotAllowed = errors.New("liquid tag not allowed")
	// ErrUnknownFilter: a filter that is not in the documented list.
	ErrUnknownFilter = errors.New("unknown liquid filter")
	// ErrRangeNotAllowed: a (a..b) range literal; ranges only serve loops
	// and would let one expression allocate an arbitrary array.
	ErrRangeNotAllowed = errors.New("liquid range not allowed")
	// ErrTooLong: the template source is over Limits.MaxTemplateBytes.
	ErrTooLong = errors.New("liquid template too long")
	// ErrTooComplex: more filters than Limits.MaxFilters.
	ErrTooComplex = errors.New("liquid template uses too many filters")
	// ErrOutputTooLarge: a rendered template, or a value computed by a
	// filter, is over its cap.
	ErrOutputTooLarge = errors.New("liquid output too large")
	// ErrDeadline: rendering passed its deadline.
	ErrDeadline = errors.New("liquid render deadline exceeded")
	// ErrRender: a filter failed at render time (division by zero, a value of
	// the wrong type, ...).
	ErrRender = errors.New("liquid render error")
)

// TemplateError locates a refused template or a failed render. Line and
// Column are 1-based; Column counts characters (runes), not bytes. Field is
// empty here and set by callers that validate several templates at once
// (e.g. "attributes.coupon_code" or "criteria"). Message is written by this
// package and never contains a library error text, so it is safe to return
// to API clients; it may quote the client's own template fragment.
type TemplateError struct {
	Field   string
	Line    int
	Column  int
	Message string
	Kind    error // one of the sentinels above
}

func (e *TemplateError) Error() string {
	prefix := ""
	if e.Field != "" {
		prefix = e.Field + ": "
	}
	if e.Line == 0 {
		return prefix + e.Message
	}
	return fmt.Sprintf("%sline %d, column %d: %s", prefix, e.Line, e.Column, e.Message)
}

// Unwrap lets errors.Is(err, ErrTagNotAllowed) etc. work.
func (e *TemplateError) Unwrap() error { return e.Kind }
