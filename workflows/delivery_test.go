package workflows

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/contracts"
	"github.com/switchboardhq/switchboard/models"
)

type deliverySuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	// calls records every attempt with the workflow clock at which it ran.
	calls []attemptCall
}

type attemptCall struct {
	in contracts.DeliverActivityInput
	at time.Time
}

func TestDeliveryWorkflow(t *testing.T) { suite.Run(t, new(deliverySuite)) }

func (s *deliverySuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterActivity(a)
	s.env.RegisterWorkflow(Delivery)
	s.calls = nil
	s.env.OnActivity(a.MarkDelivery, mock.Anything, mock.Anything).Return(nil).Maybe()
}

func (s *deliverySuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// answer makes attempt n (1-based) return outcomes[n-1]; nil means success.
func (s *deliverySuite) answer(outcomes ...error) {
	s.env.OnActivity(a.Deliver, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.DeliverActivityInput) (contracts.DeliverActivityResult, error) {
			s.calls = append(s.calls, attemptCall{in: in, at: s.env.Now()})
			if err := outcomes[len(s.calls)-1]; err != nil {
				return contracts.DeliverActivityResult{}, err
			}
			return contracts.DeliverActivityResult{StatusCode: 200}, nil
		})
}

func httpFail(next time.Duration) error {
	return temporal.NewApplicationErrorWithOptions("HTTP 500", contracts.ErrTypeHTTP,
		temporal.ApplicationErrorOptions{NonRetryable: true, NextRetryDelay: next})
}

func (s *deliverySuite) run(in contracts.DeliveryWorkflowInput) contracts.DeliveryWorkflowResult {
	s.env.ExecuteWorkflow(Delivery, in)
	s.True(s.env.IsWorkflowCompleted())
	var res contracts.DeliveryWorkflowResult
	err := s.env.GetWorkflowError()
	if err == nil {
		s.NoError(s.env.GetWorkflowResult(&res))
		return res
	}
	// A delivery that failed for good ends as a Failed run whose error
	// carries the result.
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == contracts.ErrTypeDeliveryFailed {
		s.NoError(appErr.Details(&res))
		s.Equal(string(models.StatusFailed), res.Status, "only a failed delivery fails the run")
		s.True(appErr.NonRetryable())
	}
	return res
}

func (s *deliverySuite) gaps() []time.Duration {
	var out []time.Duration
	for i := 1; i < len(s.calls); i++ {
		out = append(out, s.calls[i].at.Sub(s.calls[i-1].at))
	}
	return out
}

func (s *deliverySuite) TestFirstAttemptSucceeds() {
	s.answer(nil)
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_1", Schedule: contracts.DefaultDeliverySchedule, AttemptTimeout: 30 * time.Second})
	s.Equal(contracts.DeliveryWorkflowResult{Status: string(models.StatusSucceeded), Attempts: 1}, res)
	s.Require().Len(s.calls, 1)
	s.Equal(contracts.DeliverActivityInput{DeliveryID: "dlv_1", Attempt: 1, NextDelay: 5 * time.Second, Timeout: 30 * time.Second}, s.calls[0].in)
}

// The attempt timeout travels to the activity in its input, so the HTTP
// timeout is the one the activity's deadline was sized from; a starter
// that passes none gets the contract's default on both sides.
func (s *deliverySuite) TestAttemptTimeoutTravelsToEveryAttempt() {
	s.answer(httpFail(0), nil)
	s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_t", Schedule: []time.Duration{time.Minute}, AttemptTimeout: 7 * time.Second})
	s.Require().Len(s.calls, 2)
	for _, c := range s.calls {
		s.Equal(7*time.Second, c.in.Timeout)
	}
}

func (s *deliverySuite) TestMissingAttemptTimeoutIsTheDefault() {
	s.answer(nil)
	s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_d"})
	s.Require().Len(s.calls, 1)
	s.Equal(contracts.DefaultDeliveryTimeout, s.calls[0].in.Timeout)
}

func (s *deliverySuite) TestRetriesFollowTheDefaultScheduleThenFail() {
	fails := make([]error, 8)
	for i := range fails {
		fails[i] = httpFail(0)
	}
	s.answer(fails...)
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_2", Schedule: contracts.DefaultDeliverySchedule, AttemptTimeout: 30 * time.Second})
	s.Equal(contracts.DeliveryWorkflowResult{Status: string(models.StatusFailed), Attempts: 8}, res)
	// The run is Failed, with the last attempt's error, not Completed.
	var appErr *temporal.ApplicationError
	s.Require().True(errors.As(s.env.GetWorkflowError(), &appErr), "an exhausted delivery must fail the run")
	s.Equal(contracts.ErrTypeDeliveryFailed, appErr.Type())
	s.Equal("HTTP 500", appErr.Message())
	s.Equal(contracts.DefaultDeliverySchedule, s.gaps())
	s.True(s.calls[7].in.Final)
	for i, c := range s.calls {
		s.Equal(i+1, c.in.Attempt)
	}
}

func (s *deliverySuite) TestSucceedsOnThirdAttemptWithCustomSchedule() {
	s.answer(httpFail(0), httpFail(0), nil)
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_3", Schedule: []time.Duration{time.Second, time.Minute, time.Hour}, AttemptTimeout: time.Second})
	s.Equal(contracts.DeliveryWorkflowResult{Status: string(models.StatusSucceeded), Attempts: 3}, res)
	s.Equal([]time.Duration{time.Second, time.Minute}, s.gaps())
}

func (s *deliverySuite) TestRetryAfterStretchesTheWait() {
	// The activity reports the capped Retry-After as NextRetryDelay.
	s.answer(httpFail(90*time.Second), nil)
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_4", Schedule: contracts.DefaultDeliverySchedule, AttemptTimeout: time.Second})
	s.Equal(string(models.StatusSucceeded), res.Status)
	s.Equal([]time.Duration{90 * time.Second}, s.gaps())
}

func (s *deliverySuite) TestGoneStopsRetries() {
	s.answer(temporal.NewNonRetryableApplicationError("410", contracts.ErrTypeGone, nil))
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_5", Schedule: contracts.DefaultDeliverySchedule, AttemptTimeout: time.Second})
	s.Equal(contracts.DeliveryWorkflowResult{Status: string(models.StatusFailed), Attempts: 1}, res)
	s.Len(s.calls, 1)
}

func (s *deliverySuite) TestRetryNowSignalSkipsTheWait() {
	s.answer(httpFail(0), nil)
	s.env.RegisterDelayedCallback(func() { s.env.SignalWorkflow(contracts.SignalRetryNow, nil) }, time.Minute)
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_6", Schedule: []time.Duration{time.Hour}, AttemptTimeout: time.Second})
	s.Equal(string(models.StatusSucceeded), res.Status)
	s.Equal([]time.Duration{time.Minute}, s.gaps())
}

func (s *deliverySuite) TestCancelDuringWaitMarksCancelled() {
	s.answer(httpFail(0), nil)
	s.env.RegisterDelayedCallback(func() { s.env.CancelWorkflow() }, time.Minute)
	s.env.ExecuteWorkflow(Delivery, contracts.DeliveryWorkflowInput{DeliveryID: "dlv_7", Schedule: []time.Duration{time.Hour}, AttemptTimeout: time.Second})
	s.True(s.env.IsWorkflowCompleted())
	var canceled *temporal.CanceledError
	s.True(errors.As(s.env.GetWorkflowError(), &canceled), "got %v", s.env.GetWorkflowError())
	s.Len(s.calls, 1)
	s.env.AssertCalled(s.T(), "MarkDelivery", mock.Anything, contracts.MarkDeliveryActivityInput{DeliveryID: "dlv_7", Status: string(models.StatusCancelled)})
}

func (s *deliverySuite) TestTimedOutFinalAttemptIsMarkedFailed() {
	s.answer(errors.New("worker lost"))
	res := s.run(contracts.DeliveryWorkflowInput{DeliveryID: "dlv_8", AttemptTimeout: time.Second})
	s.Equal(contracts.DeliveryWorkflowResult{Status: string(models.StatusFailed), Attempts: 1}, res)
	s.env.AssertCalled(s.T(), "MarkDelivery", mock.Anything, contracts.MarkDeliveryActivityInput{DeliveryID: "dlv_8", Status: string(models.StatusFailed)})
}
