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

	"github.com/switchboardhq/switchboard/activities"
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
	in activities.LookupInput
	at time.Time
}

func TestLookupWorkflow(t *testing.T) { suite.Run(t, new(lookupSuite)) }

func (s *lookupSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterActivity(a)
	s.env.RegisterWorkflow(Lookup)
	s.calls, s.fails = nil, nil
	s.env.OnActivity(a.FailLookup, mock.Anything, mock.Anything, mock.Anything).Return(
		func(_ context.Context, lookupID, reason string) error {
			s.fails = append(s.fails, lookupID+": "+reason)
			return nil
		}).Maybe()
}

func (s *lookupSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// answer makes execution n (1-based) return outcomes[n-1]; nil is success.
func (s *lookupSuite) answer(outcomes ...error) {
	s.env.OnActivity(a.Lookup, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.LookupInput) (activities.LookupResult, error) {
			s.calls = append(s.calls, lookupCall{in: in, at: s.env.Now()})
			if len(s.calls) > len(outcomes) {
				return activities.LookupResult{}, errors.New("unexpected extra call")
			}
			if err := outcomes[len(s.calls)-1]; err != nil {
				return activities.LookupResult{}, err
			}
			return activities.LookupResult{StatusCode: 200, DurationMicros: 1234}, nil
		})
}

// expectStatus asserts the final SwitchboardStatus search attribute.
func (s *lookupSuite) expectStatus(status models.LookupStatus) {
	s.env.OnUpsertTypedSearchAttributes(temporal.NewSearchAttributes(AttrStatus.ValueSet(string(status)))).Return(nil).Once()
}

func lookupHTTPFail(msg string) error {
	return temporal.NewNonRetryableApplicationError(msg, activities.ErrTypeHTTP, nil)
}

func (s *lookupSuite) run(id string) LookupOutcome {
	s.env.ExecuteWorkflow(Lookup, LookupInput{LookupID: id, AttemptTimeout: 5 * time.Second})
	s.Require().True(s.env.IsWorkflowCompleted())
	s.Require().NoError(s.env.GetWorkflowError(), "a lookup never fails the workflow")
	var out LookupOutcome
	s.Require().NoError(s.env.GetWorkflowResult(&out))
	return out
}

func (s *lookupSuite) TestSucceedsFirstTry() {
	s.answer(nil)
	s.expectStatus(models.LookupOK)
	out := s.run("lkp_1")
	s.Equal(LookupOutcome{Status: models.LookupOK, Attempts: 1}, out)
	s.Require().Len(s.calls, 1)
	s.Equal(activities.LookupInput{LookupID: "lkp_1", Attempt: 1}, s.calls[0].in)
	s.Empty(s.fails)
}

func (s *lookupSuite) TestFailsThenSucceeds() {
	s.answer(lookupHTTPFail("HTTP 502"), nil)
	s.expectStatus(models.LookupOK)
	out := s.run("lkp_2")
	s.Equal(LookupOutcome{Status: models.LookupOK, Attempts: 2}, out)
	s.Require().Len(s.calls, 2)
	s.Equal(activities.LookupInput{LookupID: "lkp_2", Attempt: 2, Final: true}, s.calls[1].in)
	s.Equal(s.calls[0].at, s.calls[1].at, "the retry must follow at once, with no timer")
}

func (s *lookupSuite) TestInvalidReplyIsRetriedOnce() {
	s.answer(temporal.NewNonRetryableApplicationError("invalid reply: body is not a JSON object", activities.ErrTypeInvalidReply, nil), nil)
	s.expectStatus(models.LookupOK)
	out := s.run("lkp_3")
	s.Equal(LookupOutcome{Status: models.LookupOK, Attempts: 2}, out)
}

func (s *lookupSuite) TestFailsTwiceThenGivesUpQuietly() {
	s.answer(lookupHTTPFail("timeout after 5s"), lookupHTTPFail("HTTP 500"))
	s.expectStatus(models.LookupFailed)
	out := s.run("lkp_4")
	s.Equal(LookupOutcome{Status: models.LookupFailed, Attempts: 2, Error: "HTTP 500"}, out)
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
	s.answer(temporal.NewNonRetryableApplicationError("Backend Connect is disabled", activities.ErrTypeEndpointUnavailable, nil))
	s.expectStatus(models.LookupSkipped)
	out := s.run("lkp_5")
	s.Equal(LookupOutcome{Status: models.LookupSkipped, Attempts: 0, Error: "Backend Connect is disabled"}, out)
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
	s.expectStatus(models.LookupFailed)
	out := s.run("lkp_6")
	s.Equal(models.LookupFailed, out.Status)
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
	s.expectStatus(models.LookupOK)
	out := s.run("lkp_7")
	// The infrastructure retry re-runs attempt 1; no HTTP retry is spent.
	s.Equal(LookupOutcome{Status: models.LookupOK, Attempts: 1}, out)
	s.Require().Len(s.calls, 2)
	s.Equal(1, s.calls[1].in.Attempt)
}
