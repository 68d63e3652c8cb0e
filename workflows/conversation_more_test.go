package workflows

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
)

// 7a. 429 with Retry-After 2 s inside a 10 s budget: wait 2 s, try again.
func (s *conversationSuite) TestRateLimitedIsRetriedAfterRetryAfter() {
	s.relay = func(in contracts.ChatRelayInput) contracts.ChatRelayResult {
		if in.Attempt == 1 {
			return contracts.ChatRelayResult{Outcome: contracts.RelayRateLimited, MessageID: msgID(1),
				RetryAfter: 2 * time.Second, Budget: 10 * time.Second, HTTPStatus: 429, Error: "HTTP 429"}
		}
		return chatDone(in)
	}
	u1 := s.send(time.Second, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Require().Len(s.relays, 2)
	s.Equal(2*time.Second, s.relays[1].at.Sub(s.relays[0].at), "waits Retry-After on the workflow clock")
	s.Equal(contracts.ChatRelayInput{ConversationID: "conv_1", Seq: 1, Attempt: 2, Remaining: 8 * time.Second}, s.relays[1].in)
	s.Empty(s.giveUps)
	s.requireReplied(u1, 1)
}

// 7b. Retry-After beyond the budget: no retry, the fallback with Timeout.
func (s *conversationSuite) TestRateLimitedBeyondTheBudgetGivesUp() {
	s.relay = func(in contracts.ChatRelayInput) contracts.ChatRelayResult {
		return contracts.ChatRelayResult{Outcome: contracts.RelayRateLimited, MessageID: msgID(1),
			RetryAfter: 30 * time.Second, Budget: 10 * time.Second, HTTPStatus: 429, Error: "HTTP 429"}
	}
	u1 := s.send(time.Second, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Require().Len(s.relays, 1)
	s.Equal([]contracts.ChatGiveUpInput{{ConversationID: "conv_1", MessageID: msgID(1), Seq: 1,
		Reason: "HTTP 429", HTTPStatus: 429, Timeout: true}}, s.giveUps)
	s.Require().NoError(u1.err)
	s.Equal(contracts.ChatTurnResult{MessageID: msgID(1), Status: contracts.ChatFailed, Reply: "fallback", Fallback: true, Error: "HTTP 429"}, u1.res)
}

// 429 without Retry-After waits the default second; it keeps retrying
// within the budget but never more than chatMaxAttempts times.
func (s *conversationSuite) TestRateLimitedIsBoundedByMaxAttempts() {
	s.relay = func(in contracts.ChatRelayInput) contracts.ChatRelayResult {
		return contracts.ChatRelayResult{Outcome: contracts.RelayRateLimited, MessageID: msgID(1),
			Budget: 30 * time.Second, HTTPStatus: 503, Error: "HTTP 503"}
	}
	u1 := s.send(time.Second, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Require().Len(s.relays, chatMaxAttempts)
	for i := 1; i < len(s.relays); i++ {
		s.Equal(chatDefaultRetryAfter, s.relays[i].at.Sub(s.relays[i-1].at))
		s.Equal(i+1, s.relays[i].in.Attempt)
		s.Equal(30*time.Second-time.Duration(i)*chatDefaultRetryAfter, s.relays[i].in.Remaining)
	}
	s.Require().Len(s.giveUps, 1)
	s.False(s.giveUps[0].Timeout, "attempts ran out, not the budget")
	s.True(u1.res.Fallback)
}

// 7c. Two 500s: exactly one retry, then the fallback.
func (s *conversationSuite) TestServerErrorTwiceGivesUpAfterOneRetry() {
	s.relay = func(in contracts.ChatRelayInput) contracts.ChatRelayResult {
		return contracts.ChatRelayResult{Outcome: contracts.RelayServerError, MessageID: msgID(1),
			Budget: 10 * time.Second, HTTPStatus: 500, Error: fmt.Sprintf("HTTP 500 (%d)", in.Attempt)}
	}
	u1 := s.send(time.Second, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Require().Len(s.relays, 2, "exactly one retry")
	s.Equal(chatRetryWait, s.relays[1].at.Sub(s.relays[0].at))
	s.Equal(contracts.ChatRelayInput{ConversationID: "conv_1", Seq: 1, Attempt: 2, Remaining: 10*time.Second - chatRetryWait}, s.relays[1].in)
	s.Equal([]contracts.ChatGiveUpInput{{ConversationID: "conv_1", MessageID: msgID(1), Seq: 1,
		Reason: "HTTP 500 (2)", HTTPStatus: 500, Timeout: false}}, s.giveUps)
	s.Require().NoError(u1.err)
	s.Equal(contracts.ChatTurnResult{MessageID: msgID(1), Status: contracts.ChatFailed, Reply: "fallback", Fallback: true, Error: "HTTP 500 (2)"}, u1.res)
}

// 7d. One 500 then success: two attempts, replied.
func (s *conversationSuite) TestServerErrorOnceThenReplied() {
	s.relay = func(in contracts.ChatRelayInput) contracts.ChatRelayResult {
		if in.Attempt == 1 {
			return contracts.ChatRelayResult{Outcome: contracts.RelayServerError, MessageID: msgID(1),
				Budget: 10 * time.Second, HTTPStatus: 500, Error: "HTTP 500"}
		}
		return chatDone(in)
	}
	u1 := s.send(time.Second, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Require().Len(s.relays, 2)
	s.Equal(2, s.relays[1].in.Attempt)
	s.Equal(chatRetryWait, s.relays[1].at.Sub(s.relays[0].at))
	s.Empty(s.giveUps)
	s.requireReplied(u1, 1)
}

// A relay attempt that fails outright (storage down through every retry)
// still ends the turn with the fallback and moves on to the next message.
func (s *conversationSuite) TestRelayActivityErrorFallsBackAndMovesOn() {
	s.relayErr = func(in contracts.ChatRelayInput) error {
		if in.Seq == 1 {
			return errors.New("database is down")
		}
		return nil
	}
	us := s.sendAll(time.Second, upd(1), upd(2))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	// Seq 1 is retried by the local activity's policy (3 attempts), then
	// Seq 2 follows.
	s.Equal([]int64{1, 1, 1, 2}, s.relayedSeqs())
	s.Require().Len(s.giveUps, 1)
	s.Equal(int64(1), s.giveUps[0].Seq)
	s.Require().NoError(us[0].err)
	s.Equal(msgID(1), us[0].res.MessageID)
	s.True(us[0].res.Fallback)
	s.requireReplied(us[1], 2)
}

// 8. Idle after the last message: the run completes without error.
func (s *conversationSuite) TestCompletesAfterIdle() {
	start := s.env.Now()
	u1 := s.send(time.Second, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})
	s.requireReplied(u1, 1)
	s.Equal(time.Second+time.Minute, s.env.Now().Sub(start).Round(time.Second), "completes one Idle after the last message")
}

// A run without any message completes after Idle too.
func (s *conversationSuite) TestCompletesAfterIdleWithoutMessages() {
	start := s.env.Now()
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})
	s.Equal(time.Minute, s.env.Now().Sub(start).Round(time.Second))
	s.Empty(s.relays)
	s.Equal(1, s.loads)
}

// 9. After TurnsPerRun messages the run continues as new with the state.
func (s *conversationSuite) TestContinuesAsNewAfterTurnsPerRun() {
	s.load = contracts.ChatResume{Context: "ctx 0"}
	u1 := s.send(time.Second, msgID(1), upd(1))
	u2 := s.send(2*time.Second, msgID(2), upd(2))
	s.run(contracts.ConversationWorkflowInput{Idle: time.Minute, TurnsPerRun: 2})

	s.requireReplied(u1, 1)
	s.requireReplied(u2, 2)
	next := s.continuedAs()
	s.Equal(contracts.ConversationWorkflowInput{ConversationID: "conv_1", Idle: time.Minute, TurnsPerRun: 2,
		Resume: &contracts.ChatResume{RelayedSeq: 2, Context: "ctx 2", Recent: []string{msgID(1), msgID(2)}}}, next)
}

// Messages that arrive together past TurnsPerRun are all relayed first.
func (s *conversationSuite) TestContinueAsNewWaitsForEveryPendingMessage() {
	us := s.sendAll(time.Second, upd(1), upd(2), upd(3))
	s.run(contracts.ConversationWorkflowInput{Idle: time.Minute, TurnsPerRun: 2})

	s.Equal([]int64{1, 2, 3}, s.relayedSeqs())
	for _, o := range us {
		s.requireReplied(o, o.arg.Seq)
	}
	next := s.continuedAs()
	s.Equal(&contracts.ChatResume{RelayedSeq: 3, Context: "ctx 3", Recent: []string{msgID(1), msgID(2), msgID(3)}}, next.Resume)
}

// Continue-as-new waits for a handler still answering from storage: its
// update gets its result from this run.
func (s *conversationSuite) TestContinueAsNewWaitsForRunningHandlers() {
	s.load = contracts.ChatResume{RelayedSeq: 5, Context: "ctx 5"}
	relayed := make(chan struct{})
	s.storedWait = relayed
	s.relay = func(in contracts.ChatRelayInput) contracts.ChatRelayResult {
		close(relayed) // the stored turn answers only after this relay
		return chatDone(in)
	}
	us := s.sendAll(time.Second, upd(3), upd(6))
	s.run(contracts.ConversationWorkflowInput{Idle: time.Minute, TurnsPerRun: 1})

	s.Equal([]int64{6}, s.relayedSeqs())
	s.requireReplied(us[1], 6)
	s.Require().Equal(1, us[0].completed, "the stored turn's update must complete before continue-as-new")
	s.Require().NoError(us[0].err)
	s.Equal(contracts.ChatTurnResult{MessageID: msgID(3), Status: contracts.ChatReplied, Reply: "stored msg_3"}, us[0].res)
	next := s.continuedAs()
	s.Equal(&contracts.ChatResume{RelayedSeq: 6, Context: "ctx 6", Recent: []string{msgID(6)}}, next.Resume)
}

// A continued run starts from Resume: no ChatLoad, the next Seq with the
// carried context; Recent stays bounded.
func (s *conversationSuite) TestContinuedRunStartsFromResume() {
	var recent []string
	for i := 1; i <= contracts.ChatRecentIDs; i++ {
		recent = append(recent, msgID(int64(i)))
	}
	resume := &contracts.ChatResume{RelayedSeq: int64(contracts.ChatRecentIDs), Context: "carried", Recent: recent}
	seq := int64(contracts.ChatRecentIDs + 1)
	u := s.send(time.Second, msgID(seq), upd(seq))
	s.run(contracts.ConversationWorkflowInput{Idle: time.Minute, TurnsPerRun: 1, Resume: resume})

	s.Equal(0, s.loads, "ChatLoad must not run on a continued run")
	s.Require().Len(s.relays, 1)
	s.Equal(contracts.ChatRelayInput{ConversationID: "conv_1", Seq: seq, Attempt: 1, Context: "carried"}, s.relays[0].in)
	s.requireReplied(u, seq)
	next := s.continuedAs()
	s.Require().NotNil(next.Resume)
	s.Equal(seq, next.Resume.RelayedSeq)
	s.Len(next.Resume.Recent, contracts.ChatRecentIDs)
	s.Equal(msgID(2), next.Resume.Recent[0])
	s.Equal(msgID(seq), next.Resume.Recent[contracts.ChatRecentIDs-1])
}

// continuedAs requires the run to have continued as new and decodes the
// next run's input.
func (s *conversationSuite) continuedAs() contracts.ConversationWorkflowInput {
	err := s.env.GetWorkflowError()
	s.Require().Error(err)
	var can *workflow.ContinueAsNewError
	s.Require().True(errors.As(err, &can), "want continue-as-new, got %v", err)
	s.Equal(contracts.ConversationWorkflow, can.WorkflowType.Name)
	var next contracts.ConversationWorkflowInput
	s.Require().NoError(converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	return next
}

// 10. ChatTest returns what the ChatTestSend activity answered.
func TestChatTestReturnsTheActivityResult(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.RegisterWorkflow(ChatTest)
	in := contracts.ChatTestInput{OrgID: "org_1", RequestID: "req_1", Text: "hello", Context: `{"a":1}`}
	want := contracts.ChatTestResult{HTTPStatus: 200, Reply: `{"messages":[{"type":"text","text":"hi"}]}`, Streamed: true,
		DurationMicros: 1500, FirstByteMicros: 300}
	var seen contracts.ChatTestInput
	env.OnActivity(a.ChatTestSend, mock.Anything, mock.Anything).Return(
		func(_ context.Context, got contracts.ChatTestInput) (contracts.ChatTestResult, error) {
			seen = got
			return want, nil
		}).Once()
	env.ExecuteWorkflow(ChatTest, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res contracts.ChatTestResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, want, res)
	require.Equal(t, in, seen)
	env.AssertExpectations(t)
}

// ChatTest does not retry: an activity error is the workflow's.
func TestChatTestDoesNotRetry(t *testing.T) {
	var ts testsuite.WorkflowTestSuite
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterActivity(a)
	env.RegisterWorkflow(ChatTest)
	calls := 0
	env.OnActivity(a.ChatTestSend, mock.Anything, mock.Anything).Return(
		func(_ context.Context, _ contracts.ChatTestInput) (contracts.ChatTestResult, error) {
			calls++
			return contracts.ChatTestResult{}, errors.New("load org: boom")
		})
	env.ExecuteWorkflow(ChatTest, contracts.ChatTestInput{OrgID: "org_1"})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "load org: boom")
	require.Equal(t, 1, calls)
}
