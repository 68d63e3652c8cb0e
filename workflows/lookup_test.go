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

type lookupSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment
	// calls records every activity execution (retries included) with the
	// workflow clock at which it ran.
	calls []lookupCall
	fails []string
}

type lookupCall struct {
	in contracts.LookupActivityInput
	at time.Time
}

func TestLookupWorkflow(t *testing.T) { suite.Run(t, new(lookupSuite)) }

func (s *lookupSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterActivity(a)
	s.env.RegisterWorkflow(Lookup)
	s.calls, s.fails = nil, nil
	s.env.OnActivity(a.FailLookup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.FailLookupActivityInput) error {
			s.fails = append(s.fails, in.LookupID+": "+in.Reason)
			return nil
		}).Maybe()
}

func (s *lookupSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// answer makes execution n (1-based) return outcomes[n-1]; nil is success.
func (s *lookupSuite) answer(outcomes ...error) {
	s.env.OnActivity(a.Lookup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.LookupActivityInput) (contracts.LookupActivityResult, error) {
			s.calls = append(s.calls, lookupCall{in: in, at: s.env.Now()})
			if len(s.calls) > len(outcomes) {
				return contracts.LookupActivityResult{}, errors.New("unexpected extra call")
			}
			if err := outcomes[len(s.calls)-1]; err != nil {
				return contracts.LookupActivityResult{}, err
			}
			return contracts.LookupActivityResult{StatusCode: 200, DurationMicros: 1234}, nil
		})
}

// expectStatus asserts the final SwitchboardStatus search attribute.
func (s *lookupSuite) expectStatus(status string) {
	s.env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(contracts.AttrStatus.ValueSet(status))).Return(nil).Once()
}

func lookupHTTPFail(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, contracts.ErrTypeHTTP, nil)
}

func (s *lookupSuite) run(id string) contracts.LookupWorkflowResult {
	s.env.ExecuteWorkflow(Lookup, contracts.LookupWorkflowInput{LookupID: id, AttemptTimeout: 7 * time.Second})
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError(), "a lookup never fails the workflow")
	var out contracts.LookupWorkflowResult
	s.Require().NoError(s.env.GetWorkflowResult(&out))
	return out
}

func (s *lookupSuite) TestSucceedsFirstTry() {
	s.answer(nil)
	s.expectStatus(string(models.ProfileOK))
	out := s.run("lkp_1")
	s.Equal(contracts.LookupWorkflowResult{Status: string(models.ProfileOK), Attempts: 1}, out)
	s.Require().Len(s.calls, 1)
	s.Equal(contracts.LookupActivityInput{LookupID: "lkp_1", Attempt: 1, Timeout: 7 * time.Second}, s.calls[0].in)
	s.Empty(s.fails)
}

func (s *lookupSuite) TestFailsThenSucceeds() {
	s.answer(lookupHTTPFail("HTTP 502"), nil)
	s.expectStatus(string(models.ProfileOK))
	out := s.run("lkp_2")
	s.Equal(contracts.LookupWorkflowResult{Status: string(models.ProfileOK), Attempts: 2}, out)
	s.Require().Len(s.calls, 2)
	s.Equal(contracts.LookupActivityInput{LookupID: "lkp_2", Attempt: 2, Final: true, Timeout: 7 * time.Second}, s.calls[1].in)
	s.Equal(s.calls[0].at, s.calls[1].at, "the retry must follow at once, with no timer")
}

func (s *lookupSuite) TestInvalidReplyIsRetriedOnce() {
	s.answer(temporal.NewNonRetryableApplicationError("invalid reply: body is not a JSON object", contracts.ErrTypeInvalidReply, nil), nil)
	s.expectStatus(string(models.ProfileOK))
	out := s.run("lkp_3")
	s.Equal(contracts.LookupWorkflowResult{Status: string(models.ProfileOK), Attempts: 2}, out)
}

func (s *lookupSuite) TestFailsTwiceThenGivesUpQuietly() {
	s.answer(lookupHTTPFail("timeout after 5s"), lookupHTTPFail("HTTP 500"))
	s.expectStatus(string(models.ProfileFailed))
	out := s.run("lkp_4")
	s.Equal(contracts.LookupWorkflowResult{Status: string(models.ProfileFailed), Attempts: 2, Error: "HTTP 500"}, out)
	s.Require().Len(s.calls, 2, "exactly one retry")
	s.False(s.calls[0].in.Final)
	s.True(s.calls[1].in.Final)
	// The final attempt recorded the failure itself.
	s.Empty(s.fails)
}

// A missing or disabled configuration ends the lookup as "skipped", not
// "failed": nothing is wrong with the customer's backend, the org simply
// has Backend Connect off, and retrying cannot help. The activity already
// stored the skipped status, so there is no retry and no bookkeeping.
func (s *lookupSuite) TestUnavailableConfigIsSkipped() {
	s.answer(temporal.NewNonRetryableApplicationError("Backend Connect is disabled", contracts.ErrTypeEndpointUnavailable, nil))
	s.expectStatus(string(models.ProfileSkipped))
	out := s.run("lkp_5")
	s.Equal(contracts.LookupWorkflowResult{Status: string(models.ProfileSkipped), Attempts: 0, Error: "Backend Connect is disabled"}, out)
	s.Len(s.calls, 1)
	s.Empty(s.fails)
}

func (s *lookupSuite) TestInfrastructureRetriesAreBounded() {
	// Every execution hits a database error: each of the two attempts is
	// retried MaximumAttempts times, then the workflow records the failure.
	dbDown := errors.New("database is down")
	outcomes := make([]error, 2*lookupInfraRetry.MaximumAttempts)
	for i := range outcomes {
		outcomes[i] = dbDown
	}
	s.answer(outcomes...)
	s.expectStatus(string(models.ProfileFailed))
	out := s.run("lkp_6")
	s.Equal(string(models.LookupFailed), out.Status)
	s.Equal(2, out.Attempts)
	// Operators see a fixed message; the database's own text stays in logs.
	s.Equal("lookup attempt did not complete (timeout or internal error)", out.Error)
	s.NotContains(out.Error, "database is down")
	s.Len(s.calls, len(outcomes))
	s.Require().Len(s.fails, 1)
	s.Contains(s.fails[0], "lkp_6: lookup attempt did not complete")
}

func (s *lookupSuite) TestInfrastructureErrorThenSuccess() {
	s.answer(errors.New("database is down"), nil)
	s.expectStatus(string(models.ProfileOK))
	out := s.run("lkp_7")
	// The infrastructure retry re-runs attempt 1; no HTTP retry is spent.
	s.Equal(contracts.LookupWorkflowResult{Status: string(models.ProfileOK), Attempts: 1}, out)
	s.Require().Len(s.calls, 2)
	s.Equal(1, s.calls[1].in.Attempt)
}

// A starter that passes no attempt timeout gets the contract's default, in
// the activity's deadline and in its input alike.
func (s *lookupSuite) TestMissingAttemptTimeoutIsTheDefault() {
	s.answer(nil)
	s.expectStatus(string(models.ProfileOK))
	s.env.ExecuteWorkflow(Lookup, contracts.LookupWorkflowInput{LookupID: "lkp_d"})
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError())
	s.Require().Len(s.calls, 1)
	s.Equal(contracts.DefaultLookupTimeout, s.calls[0].in.Timeout)
}

// An attempt that reached the backend but could not store its outcome is
// not sent again: the lookup ends failed, recorded by the bookkeeping step.
func (s *lookupSuite) TestUnrecordedOutcomeIsNotSentAgain() {
	s.answer(temporal.NewNonRetryableApplicationError("lookup attempt was sent but could not be stored", contracts.ErrTypeUnrecorded, nil))
	s.expectStatus(string(models.LookupFailed))
	out := s.run("lkp_unrecorded")
	s.Len(s.calls, 1, "the backend must be asked once")
	s.Equal(string(models.LookupFailed), out.Status)
	s.Equal(1, out.Attempts)
	s.Require().Len(s.fails, 1)
	s.Contains(s.fails[0], "could not be stored")
}
