package service

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/api/serviceerror"

	"github.com/switchboardhq/switchboard/models"
)

// temporalErr translates a Temporal client error at the service boundary:
// an unreachable, overloaded or timing-out frontend becomes
// models.ErrUnavailable (503 with Retry-After) instead of an internal
// error. Other errors pass through unchanged, the original is kept for
// logs and errors.As.
func temporalErr(err error) error {
	if err == nil || errors.Is(err, models.ErrUnavailable) {
		return err
	}
	var (
		unavail   *serviceerror.Unavailable
		deadline  *serviceerror.DeadlineExceeded
		exhausted *serviceerror.ResourceExhausted
	)
	if errors.As(err, &unavail) || errors.As(err, &deadline) || errors.As(err, &exhausted) ||
		errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: temporal: %w", models.ErrUnavailable, err)
	}
	return err
}
