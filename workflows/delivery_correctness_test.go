package workflows

import (
	"context"
	"errors"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/temporal"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

// TestRetryNowDuringAnAttemptDoesNotSkipTheNextWait: the signal arrives
// while attempt 1 runs, when there is no wait to cut short; attempt 2 must
// still wait its full schedule.
func (s *deliverySuite) TestRetryNowDuringAnAttemptDoesNotSkipTheNextWait() {
	s.env.OnActivity(a.Deliver, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.DeliverActivityInput) (contracts.DeliverActivityResult, error) {
			s.calls = append(s.calls, attemptCall{in: in, at: s.env.Now()})
			if in.Attempt == 1 {
				s.env.SignalWorkflow(contracts.SignalRetryNow, nil)
			}
			if in.Attempt < 3 {
				return contracts.DeliverActivityResult{}, httpFail(0)
			}
			return contracts.DeliverActivityResult{StatusCode: 200}, nil
		})
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_9", Schedule: []time.Duration{time.Hour, 2 * time.Hour}, AttemptTimeout: time.Second})
	s.Equal(contracts.DeliveryWorkflowResult{Status: string(models.StatusSucceeded), Attempts: 3}, res)
	s.Equal([]time.Duration{time.Hour, 2 * time.Hour}, s.gaps())
}

// markFailing replaces the suite's MarkDelivery mock with one that fails
// failures times (an unreachable database) and then stores the status; it
// returns the statuses stored.
func (s *deliverySuite) markFailing(failures int) *[]string {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterActivity(a)
	s.env.RegisterWorkflow(Delivery)
	var stored []string
	calls := 0
	s.env.OnActivity(a.MarkDelivery, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.MarkDeliveryActivityInput) error {
			if calls++; calls <= failures {
				return errors.New("database unreachable")
			}
			stored = append(stored, in.Status)
			return nil
		})
	return &stored
}

// An outage of the database during bookkeeping must still end with the
// final status stored. The test environment caps unlimited retries at 10
// attempts, so this is 9 failures (about 4 minutes of backoff), not the
// unbounded outage the production policy rides out.
const longOutage = 9

func (s *deliverySuite) TestExhaustedDeliveryStatusIsStoredAfterAnOutage() {
	stored := s.markFailing(longOutage)
	s.answer(errors.New("worker lost"))
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_10", AttemptTimeout: time.Second})
	s.Equal(contracts.DeliveryWorkflowResult{Status: string(models.StatusFailed), Attempts: 1}, res)
	s.Equal([]string{string(models.StatusFailed)}, *stored)
}

func (s *deliverySuite) TestCancelledDeliveryStatusIsStoredAfterAnOutage() {
	stored := s.markFailing(longOutage)
	s.answer(httpFail(0), nil)
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, time.Minute)
	s.env.ExecuteWorkflow(Delivery, contracts.DeliveryWorkflowInput{DeliveryID: "dlv_11", Schedule: []time.Duration{time.Hour}, AttemptTimeout: time.Second})
	s.True(s.env.IsWorkflowCompleted())
	var canceled *temporal.CanceledError
	s.True(errors.As(s.env.GetWorkflowError(), &canceled), "got %v", s.env.GetWorkflowError())
	s.Equal([]string{string(models.StatusCancelled)}, *stored)
}

// A bookkeeping failure that retrying cannot fix fails the run with it,
// rather than completing as if the status had been stored.
func (s *deliverySuite) TestUnstorableFinalStatusFailsTheRun() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterActivity(a)
	s.env.RegisterWorkflow(Delivery)
	s.env.OnActivity(a.MarkDelivery, mock.Anything, mock.Anything).Return(
		temporal.NewNonRetryableApplicationError("delivery row is gone", "NotFound", nil))
	s.answer(errors.New("worker lost"))
	s.env.ExecuteWorkflow(Delivery, contracts.DeliveryWorkflowInput{DeliveryID: "dlv_12", AttemptTimeout: time.Second})
	s.True(s.env.IsWorkflowCompleted())
	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &appErr), "got %v", s.env.GetWorkflowError())
	s.Equal("NotFound", appErr.Type())
}
