package workflows

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/suite"
	"go.temporal.io/sdk/testsuite"

	"github.com/switchboardhq/switchboard/contracts"
)

type conversationSuite struct {
	suite.Suite
	testsuite.WorkflowTestSuite
	env *testsuite.TestWorkflowEnvironment

	mu sync.Mutex
	// load is what ChatLoad answers on a fresh start.
	load  contracts.ChatResume
	loads int
	// relay answers one ChatRelay attempt; nil = chatDone.
	relay func(in contracts.ChatRelayInput) contracts.ChatRelayResult
	// relayErr, when set, makes ChatRelay fail outright for that input.
	relayErr func(in contracts.ChatRelayInput) error
	// relays records every ChatRelay attempt with the workflow clock.
	relays      []relayCall
	inFlight    int
	maxInFlight int
	giveUps     []contracts.ChatGiveUpInput
	stored      []contracts.ChatStoredInput
	// storedWait, when set, holds ChatStoredTurn until it is closed.
	storedWait chan struct{}
	// gen tells the tests apart, for a held ChatStoredTurn that outlives
	// its (failed) test.
	gen int
}

type relayCall struct {
	in contracts.ChatRelayInput
	at time.Time
}

type updateOutcome struct {
	updateID  string
	arg       contracts.ChatMessageUpdate
	accepted  bool
	rejected  error
	completed int
	res       contracts.ChatTurnResult
	err       error
	at        time.Time
}

func TestConversationWorkflow(t *testing.T) { suite.Run(t, new(conversationSuite)) }

func (s *conversationSuite) SetupTest() {
	s.env = s.NewTestWorkflowEnvironment()
	s.env.RegisterActivity(a)
	s.env.RegisterWorkflow(Conversation)
	s.load, s.loads, s.relay, s.relayErr = contracts.ChatResume{}, 0, nil, nil
	s.relays, s.inFlight, s.maxInFlight = nil, 0, 0
	s.mu.Lock()
	s.giveUps, s.stored, s.storedWait = nil, nil, nil
	s.gen++
	gen := s.gen
	s.mu.Unlock()

	s.env.OnActivity(a.ChatLoad, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.ChatLoadInput) (contracts.ChatResume, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.Equal("conv_1", in.ConversationID)
			s.loads++
			return s.load, nil
		}).Maybe()
	s.env.OnActivity(a.ChatRelay, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.ChatRelayInput) (contracts.ChatRelayResult, error) {
			s.mu.Lock()
			s.relays = append(s.relays, relayCall{in: in, at: s.env.Now()})
			s.inFlight++
			if s.inFlight > s.maxInFlight {
				s.maxInFlight = s.inFlight
			}
			answer, fail := s.relay, s.relayErr
			s.mu.Unlock()
			// Widen the window in which a concurrent relay would be seen.
			time.Sleep(2 * time.Millisecond)
			res := chatDone(in)
			if answer != nil {
				res = answer(in)
			}
			s.mu.Lock()
			s.inFlight--
			s.mu.Unlock()
			if fail != nil {
				if err := fail(in); err != nil {
					return contracts.ChatRelayResult{}, err
				}
			}
			return res, nil
		}).Maybe()
	s.env.OnActivity(a.ChatGiveUp, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.ChatGiveUpInput) (contracts.ChatRelayResult, error) {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.giveUps = append(s.giveUps, in)
			return contracts.ChatRelayResult{Outcome: contracts.RelayDone, MessageID: in.MessageID,
				Turn: contracts.ChatTurnResult{Status: contracts.ChatFailed, Reply: "fallback", Fallback: true, Error: in.Reason}}, nil
		}).Maybe()
	s.env.OnActivity(a.ChatStoredTurn, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in contracts.ChatStoredInput) (contracts.ChatTurnResult, error) {
			s.mu.Lock()
			wait := s.storedWait
			s.mu.Unlock()
			if wait != nil {
				<-wait
				// Let the workflow take the other result first.
				time.Sleep(20 * time.Millisecond)
			}
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.gen == gen {
				s.stored = append(s.stored, in)
			}
			return contracts.ChatTurnResult{MessageID: in.MessageID, Status: contracts.ChatReplied, Reply: "stored " + in.MessageID}, nil
		}).Maybe()
}

func (s *conversationSuite) AfterTest(_, _ string) { s.env.AssertExpectations(s.T()) }

// msgID is visitor message seq's ID, as the ChatRelay activity loads it.
func msgID(seq int64) string { return fmt.Sprintf("msg_%d", seq) }

// chatDone is a successful turn for message in.Seq, with a new context.
func chatDone(in contracts.ChatRelayInput) contracts.ChatRelayResult {
	return contracts.ChatRelayResult{Outcome: contracts.RelayDone, MessageID: msgID(in.Seq),
		Turn:    contracts.ChatTurnResult{Status: contracts.ChatReplied, Reply: fmt.Sprintf("reply %d", in.Seq)},
		Context: fmt.Sprintf("ctx %d", in.Seq), ContextSet: true, Budget: 10 * time.Second}
}

func repliedTurn(seq int64) contracts.ChatTurnResult {
	return contracts.ChatTurnResult{MessageID: msgID(seq), Status: contracts.ChatReplied, Reply: fmt.Sprintf("reply %d", seq)}
}

// send delivers the "message" update after delay and records its outcome.
func (s *conversationSuite) send(delay time.Duration, updateID string, u contracts.ChatMessageUpdate) *updateOutcome {
	o := &updateOutcome{updateID: updateID, arg: u}
	s.env.RegisterDelayedCallback(func() { s.deliver(o) }, delay)
	return o
}

// sendAll delivers several updates in one callback: the same instant.
func (s *conversationSuite) sendAll(delay time.Duration, us ...contracts.ChatMessageUpdate) []*updateOutcome {
	var outs []*updateOutcome
	for _, u := range us {
		o := &updateOutcome{updateID: u.MessageID, arg: u}
		outs = append(outs, o)
	}
	s.env.RegisterDelayedCallback(func() {
		for _, o := range outs {
			s.deliver(o)
		}
	}, delay)
	return outs
}

func (s *conversationSuite) deliver(o *updateOutcome) {
	s.env.UpdateWorkflow(contracts.UpdateChatMessage, o.updateID, &testsuite.TestUpdateCallback{
		OnAccept: func() { o.accepted = true },
		OnReject: func(err error) { o.rejected = err },
		OnComplete: func(res any, err error) {
			o.completed++
			o.err = err
			o.at = s.env.Now()
			if err == nil {
				turn, ok := res.(contracts.ChatTurnResult)
				s.Require().True(ok, "update result is a %T", res)
				o.res = turn
			}
		},
	}, o.arg)
}

func (s *conversationSuite) run(in contracts.ConversationWorkflowInput) {
	if in.ConversationID == "" {
		in.ConversationID = "conv_1"
	}
	s.env.ExecuteWorkflow(Conversation, in)
	s.Require().True(s.env.IsWorkflowCompleted())
}

// runToIdle runs the workflow and requires it to complete after Idle.
func (s *conversationSuite) runToIdle(in contracts.ConversationWorkflowInput) {
	s.run(in)
	s.Require().NoError(s.env.GetWorkflowError())
}

func (s *conversationSuite) relayedSeqs() []int64 {
	var seqs []int64
	for _, c := range s.relays {
		seqs = append(seqs, c.in.Seq)
	}
	return seqs
}

func (s *conversationSuite) requireReplied(o *updateOutcome, seq int64) {
	s.Require().Nil(o.rejected, "update %s rejected", o.updateID)
	s.Require().True(o.accepted, "update %s not accepted", o.updateID)
	s.Require().Equal(1, o.completed, "update %s completions", o.updateID)
	s.Require().NoError(o.err, "update %s", o.updateID)
	s.Equal(repliedTurn(seq), o.res, "update %s", o.updateID)
}

func upd(seq int64) contracts.ChatMessageUpdate {
	return contracts.ChatMessageUpdate{MessageID: msgID(seq), Seq: seq}
}

// 1. Messages one after the other: relayed in order, each update answered
// with its own turn, the context of turn n passed to turn n+1.
func (s *conversationSuite) TestStaggeredMessagesCarryTheContext() {
	s.load = contracts.ChatResume{Context: "ctx 0"}
	u1 := s.send(time.Second, msgID(1), upd(1))
	u2 := s.send(5*time.Second, msgID(2), upd(2))
	u3 := s.send(20*time.Second, msgID(3), upd(3))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: 10 * time.Minute})

	s.Equal(1, s.loads)
	s.Equal([]int64{1, 2, 3}, s.relayedSeqs())
	s.Require().Len(s.relays, 3)
	for i, want := range []string{"ctx 0", "ctx 1", "ctx 2"} {
		s.Equal(contracts.ChatRelayInput{ConversationID: "conv_1", Seq: int64(i + 1), Attempt: 1, Context: want}, s.relays[i].in)
	}
	s.requireReplied(u1, 1)
	s.requireReplied(u2, 2)
	s.requireReplied(u3, 3)
	s.Empty(s.giveUps)
	s.Empty(s.stored)
}

// A turn without ContextSet keeps the previous context.
func (s *conversationSuite) TestContextKeptWhenNotSet() {
	s.load = contracts.ChatResume{Context: "ctx 0"}
	s.relay = func(in contracts.ChatRelayInput) contracts.ChatRelayResult {
		r := chatDone(in)
		if in.Seq == 1 {
			r.Context, r.ContextSet = "", false
		}
		return r
	}
	s.send(time.Second, msgID(1), upd(1))
	s.send(2*time.Second, msgID(2), upd(2))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})
	s.Require().Len(s.relays, 2)
	s.Equal("ctx 0", s.relays[0].in.Context)
	s.Equal("ctx 0", s.relays[1].in.Context)
}

// 2. Updates arriving together and out of order: one relay at a time, in
// Seq order, every update answered with its own turn.
func (s *conversationSuite) TestSimultaneousOutOfOrderUpdatesAreSerialised() {
	us := s.sendAll(time.Second, upd(3), upd(1), upd(5), upd(2), upd(4))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Equal([]int64{1, 2, 3, 4, 5}, s.relayedSeqs())
	s.Equal(1, s.maxInFlight, "two relays ran at once")
	for _, o := range us {
		s.requireReplied(o, o.arg.Seq)
	}
	for i := 1; i < len(s.relays); i++ {
		s.Equal(fmt.Sprintf("ctx %d", i), s.relays[i].in.Context)
	}
}

// 3. Messages whose updates were lost are relayed in their place, before
// the one asked for.
func (s *conversationSuite) TestLostUpdatesAreRelayedInOrder() {
	u4 := s.send(time.Second, msgID(4), upd(4))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Equal([]int64{1, 2, 3, 4}, s.relayedSeqs())
	s.requireReplied(u4, 4)
	s.Equal("ctx 3", s.relays[3].in.Context)
}

// A late update for a message relayed in its place gets that turn.
func (s *conversationSuite) TestLateUpdateForAMessageRelayedInItsPlace() {
	s.send(time.Second, msgID(3), upd(3))
	late := s.send(time.Minute, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: 10 * time.Minute})

	s.Equal([]int64{1, 2, 3}, s.relayedSeqs(), "message 1 is not relayed twice")
	s.Require().True(late.accepted)
	s.Require().NoError(late.err)
	s.Equal(repliedTurn(1), late.res, "answered from this run's result")
	s.Empty(s.stored)
}

// 4. The same update ID twice (while the turn runs and after it): one
// relay, both callers see the same result.
func (s *conversationSuite) TestDuplicateUpdateIDIsRelayedOnce() {
	// Message 1 takes 5 s (rate limited once) so the duplicate arrives
	// while its turn is in progress.
	s.relay = func(in contracts.ChatRelayInput) contracts.ChatRelayResult {
		if in.Seq == 1 && in.Attempt == 1 {
			return contracts.ChatRelayResult{Outcome: contracts.RelayRateLimited, MessageID: msgID(1), RetryAfter: 5 * time.Second, Budget: 30 * time.Second}
		}
		return chatDone(in)
	}
	first := s.send(time.Second, msgID(1), upd(1))
	during := s.send(2*time.Second, msgID(1), upd(1))
	after := s.send(time.Minute, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: 10 * time.Minute})

	s.Require().Len(s.relays, 2)
	s.Equal([]int64{1, 1}, s.relayedSeqs(), "one turn (two attempts) for message 1")
	for _, o := range []*updateOutcome{first, during, after} {
		s.Require().Equal(1, o.completed)
		s.Require().NoError(o.err)
		s.Equal(repliedTurn(1), o.res)
	}
	s.Empty(s.stored)
}

// The workflow's own dedup: a message posted again under another update
// ID (e.g. redelivered after a worker restart) is answered from this run's
// result, never relayed twice.
func (s *conversationSuite) TestSameMessageAgainIsAnsweredFromTheRun() {
	first := s.send(time.Second, "upd_a", upd(1))
	again := s.send(time.Minute, "upd_b", upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: 10 * time.Minute})

	s.Equal([]int64{1}, s.relayedSeqs())
	s.requireReplied(first, 1)
	s.requireReplied(again, 1)
	s.Empty(s.stored)
}

// 5. A message at or below the watermark (relayed by an earlier run) is
// answered from the stored turn.
func (s *conversationSuite) TestMessageBelowTheWatermarkIsAnsweredFromStorage() {
	s.load = contracts.ChatResume{RelayedSeq: 5, Context: "ctx 5"}
	u3 := s.send(time.Second, msgID(3), upd(3))
	u5 := s.send(2*time.Second, msgID(5), upd(5))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Empty(s.relays, "ChatRelay must not be called")
	s.Equal([]contracts.ChatStoredInput{{MessageID: msgID(3)}, {MessageID: msgID(5)}}, s.stored)
	s.Require().NoError(u3.err)
	s.Equal(contracts.ChatTurnResult{MessageID: msgID(3), Status: contracts.ChatReplied, Reply: "stored msg_3"}, u3.res)
	s.Equal(contracts.ChatTurnResult{MessageID: msgID(5), Status: contracts.ChatReplied, Reply: "stored msg_5"}, u5.res)
}

// After the watermark the next Seq is relayed with the loaded context.
func (s *conversationSuite) TestRelayResumesAfterTheLoadedWatermark() {
	s.load = contracts.ChatResume{RelayedSeq: 5, Context: "ctx 5"}
	u6 := s.send(time.Second, msgID(6), upd(6))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})
	s.Require().Len(s.relays, 1)
	s.Equal(contracts.ChatRelayInput{ConversationID: "conv_1", Seq: 6, Attempt: 1, Context: "ctx 5"}, s.relays[0].in)
	s.requireReplied(u6, 6)
}

// 6. The validator rejects an update without a Seq or a message ID.
func (s *conversationSuite) TestValidatorRejectsIncompleteUpdates() {
	noSeq := s.send(time.Second, "upd_noseq", contracts.ChatMessageUpdate{MessageID: "msg_x", Seq: 0})
	negSeq := s.send(time.Second, "upd_negseq", contracts.ChatMessageUpdate{MessageID: "msg_y", Seq: -1})
	noID := s.send(time.Second, "upd_noid", contracts.ChatMessageUpdate{Seq: 1})
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	for _, o := range []*updateOutcome{noSeq, negSeq, noID} {
		s.Require().Error(o.rejected, "update %s must be rejected", o.updateID)
		s.Contains(o.rejected.Error(), "needs a message ID and a Seq")
		s.False(o.accepted, "update %s", o.updateID)
		s.Equal(0, o.completed, "update %s", o.updateID)
	}
	s.Empty(s.relays)
}

// Update-with-Start: the first message's update arrives in the run's first
// workflow task, while ChatLoad is still running. It must be accepted and
// relayed, not rejected as an unknown update.
func (s *conversationSuite) TestFirstMessageInTheFirstWorkflowTask() {
	s.load = contracts.ChatResume{Context: "ctx 0"}
	u1 := s.send(0, msgID(1), upd(1))
	s.runToIdle(contracts.ConversationWorkflowInput{Idle: time.Minute})

	s.Equal(1, s.loads)
	s.Require().Len(s.relays, 1)
	s.Equal(contracts.ChatRelayInput{ConversationID: "conv_1", Seq: 1, Attempt: 1, Context: "ctx 0"}, s.relays[0].in)
	s.requireReplied(u1, 1)
}
