package workflows

import (
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/switchboardhq/switchboard/contracts"
)

// chatRetryWait is the pause before the one retry of a 500 or network
// error: long enough not to hammer a backend that just fell over, short
// against a 10 s budget.
const chatRetryWait = 250 * time.Millisecond

// chatMaxAttempts bounds the attempts of one message whatever Retry-After
// says (429/503 retried within the budget).
const chatMaxAttempts = 5

// chatDefaultRetryAfter is the wait after a 429/503 without Retry-After.
const chatDefaultRetryAfter = time.Second

// conversation is a Conversation run's state.
type conversation struct {
	in      contracts.ConversationWorkflowInput
	state   contracts.ChatResume
	highest int64                               // highest Seq any update asked for
	results map[string]contracts.ChatTurnResult // this run's finished turns
	bySeq   map[int64]string                    // Seq → message ID of this run's updates
	turns   int
	loaded  bool // the state is known (loaded or resumed)
}

// Conversation relays a conversation's visitor messages to the org's chat
// backend one at a time, in Seq order. Each message arrives as the
// "message" Update (Update-with-Start from the API, update ID = message ID),
// whose result is the turn's outcome. Temporal dedups a repeated update
// ID within a run; a message posted again after its turn (or after
// continue-as-new) is answered from the stored turn, never sent twice.
//
// A single loop does the sending, so two messages never reach the
// backend at once even when their updates arrive together or out of
// order: update handlers only record the Seq they need and wait for the
// loop to pass it. The loop relays every visitor message up to the
// highest Seq asked for, loading each by Seq, so a message whose update
// was lost (a crash between commit and start) is relayed in its place.
//
// The run completes after Idle without messages and continues as new
// after TurnsPerRun messages or when Temporal suggests it, carrying the
// watermark, the context and the recent message IDs.
func Conversation(ctx workflow.Context, in contracts.ConversationWorkflowInput) error {
	c := &conversation{in: in, results: map[string]contracts.ChatTurnResult{}, bySeq: map[int64]string{}}
	// The handler is registered before anything blocks: the update of an
	// Update-with-Start is delivered in the first workflow task, and one
	// that finds no handler is rejected. It waits for the state to load.
	if err := workflow.SetUpdateHandlerWithOptions(ctx, contracts.UpdateChatMessage, c.onMessage,
		workflow.UpdateHandlerOptions{Validator: validateChatMessage}); err != nil {
		return err
	}
	if in.Resume != nil {
		c.state = *in.Resume
	} else {
		lctx := chatLocalCtx(ctx, storeMargin)
		if err := workflow.ExecuteLocalActivity(lctx, a.ChatLoad, contracts.ChatLoadInput{ConversationID: in.ConversationID}).Get(ctx, &c.state); err != nil {
			return err
		}
	}
	c.highest = max(c.highest, c.state.RelayedSeq)
	c.loaded = true
	idle := in.Idle
	if idle <= 0 {
		idle = contracts.DefaultChatIdle
	}
	turnsPerRun := in.TurnsPerRun
	if turnsPerRun <= 0 {
		turnsPerRun = contracts.DefaultChatTurnsPerRun
	}
	for {
		ok, err := workflow.AwaitWithTimeout(ctx, idle, func() bool { return c.highest > c.state.RelayedSeq })
		if err != nil {
			return err // cancelled
		}
		if !ok && workflow.AllHandlersFinished(ctx) {
			return nil // idle: the next message starts a new run
		}
		for c.state.RelayedSeq < c.highest {
			if err := c.relay(ctx, c.state.RelayedSeq+1); err != nil {
				return err // cancelled
			}
		}
		if c.turns >= turnsPerRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			// Stop taking updates' turns here: let every waiting handler
			// return its result, then hand the state to the next run.
			if err := workflow.Await(ctx, func() bool {
				return workflow.AllHandlersFinished(ctx) || c.highest > c.state.RelayedSeq
			}); err != nil {
				return err
			}
			if c.highest == c.state.RelayedSeq {
				next := in
				state := c.state
				next.Resume = &state
				return workflow.NewContinueAsNewError(ctx, Conversation, next)
			}
		}
	}
}

func validateChatMessage(_ workflow.Context, u contracts.ChatMessageUpdate) error {
	if u.MessageID == "" || u.Seq <= 0 {
		return temporal.NewNonRetryableApplicationError("a message update needs a message ID and a Seq", contracts.ErrTypeIncompleteInput, nil)
	}
	return nil
}

// onMessage is the update handler: it waits for the loop to relay the
// message and returns its turn.
func (c *conversation) onMessage(ctx workflow.Context, u contracts.ChatMessageUpdate) (contracts.ChatTurnResult, error) {
	if err := workflow.Await(ctx, func() bool { return c.loaded }); err != nil {
		return contracts.ChatTurnResult{}, err
	}
	if res, ok := c.results[u.MessageID]; ok {
		return res, nil
	}
	if u.Seq <= c.state.RelayedSeq {
		// Relayed by an earlier run (or before this update arrived):
		// answer from the stored turn.
		var res contracts.ChatTurnResult
		err := workflow.ExecuteLocalActivity(chatLocalCtx(ctx, storeMargin), a.ChatStoredTurn,
			contracts.ChatStoredInput{MessageID: u.MessageID}).Get(ctx, &res)
		return res, err
	}
	c.bySeq[u.Seq] = u.MessageID
	if u.Seq > c.highest {
		c.highest = u.Seq
	}
	if err := workflow.Await(ctx, func() bool { return c.state.RelayedSeq >= u.Seq }); err != nil {
		return contracts.ChatTurnResult{}, err
	}
	res, ok := c.results[u.MessageID]
	if !ok {
		// The loop relayed Seq under another message ID: a stale update.
		return contracts.ChatTurnResult{}, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("message %s is not visitor message %d of this conversation", u.MessageID, u.Seq), contracts.ErrTypeIncompleteInput, nil)
	}
	// The result is kept for the rest of the run: Temporal may deliver
	// the same update again after a worker restart.
	return res, nil
}

// relay sends visitor message seq, retrying within its budget, and
// records its result. It always advances the watermark: a message that
// cannot be relayed gets the fallback reply, never blocks the ones after.
// It returns an error only when the run is cancelled.
func (c *conversation) relay(ctx workflow.Context, seq int64) error {
	start := workflow.Now(ctx)
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("relaying visitor message %d", seq))
	var (
		res       contracts.ChatRelayResult
		serverErr int
		remaining time.Duration
	)
	for attempt := 1; ; attempt++ {
		in := contracts.ChatRelayInput{ConversationID: c.in.ConversationID, Seq: seq, Attempt: attempt, Remaining: remaining, Context: c.state.Context}
		timeout := remaining
		if timeout <= 0 {
			timeout = 30 * time.Second // the largest budget: the activity applies the real one
		}
		err := workflow.ExecuteLocalActivity(chatLocalCtx(ctx, timeout+storeMargin), a.ChatRelay, in).Get(ctx, &res)
		if err != nil {
			// Storage kept failing through every infrastructure retry.
			workflow.GetLogger(ctx).Error("chat relay attempt did not complete", "conversation", c.in.ConversationID, "seq", seq, "error", causeText(err))
			res = contracts.ChatRelayResult{Outcome: contracts.RelayServerError, Error: "the relay could not complete (internal error)"}
			c.giveUp(ctx, seq, res, false)
			return nil
		}
		if res.Outcome == contracts.RelayDone {
			c.finish(seq, res)
			return nil
		}
		elapsed := workflow.Now(ctx).Sub(start)
		remaining = res.Budget - elapsed
		wait := chatRetryWait
		if res.Outcome == contracts.RelayRateLimited {
			wait = res.RetryAfter
			if wait <= 0 {
				wait = chatDefaultRetryAfter
			}
		} else {
			serverErr++
		}
		if serverErr > 1 || attempt >= chatMaxAttempts || wait >= remaining {
			c.giveUp(ctx, seq, res, wait >= remaining)
			return nil
		}
		if err := workflow.Sleep(ctx, wait); err != nil {
			return err
		}
		remaining -= wait
	}
}

// giveUp shows the fallback for a message whose attempts ran out.
func (c *conversation) giveUp(ctx workflow.Context, seq int64, last contracts.ChatRelayResult, budgetSpent bool) {
	in := contracts.ChatGiveUpInput{ConversationID: c.in.ConversationID, MessageID: last.MessageID, Seq: seq,
		Reason: last.Error, HTTPStatus: last.HTTPStatus, Timeout: budgetSpent}
	var res contracts.ChatRelayResult
	if err := workflow.ExecuteLocalActivity(chatLocalCtx(ctx, storeMargin), a.ChatGiveUp, in).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Error("could not record the chat fallback", "conversation", c.in.ConversationID, "seq", seq, "error", causeText(err))
		res = contracts.ChatRelayResult{MessageID: last.MessageID, Turn: contracts.ChatTurnResult{
			MessageID: last.MessageID, Status: contracts.ChatFailed, Fallback: true, Error: "the relay could not complete"}}
	}
	c.finish(seq, res)
}

func (c *conversation) finish(seq int64, res contracts.ChatRelayResult) {
	id := res.MessageID
	if id == "" {
		id = c.bySeq[seq]
	}
	res.Turn.MessageID = id
	c.results[id] = res.Turn
	c.turns++
	delete(c.bySeq, seq)
	if res.ContextSet {
		c.state.Context = res.Context
	}
	c.state.RelayedSeq = seq
	if id == "" {
		return // a number without a message: nothing to remember
	}
	c.state.Recent = append(c.state.Recent, id)
	if n := len(c.state.Recent); n > contracts.ChatRecentIDs {
		c.state.Recent = slices.Clone(c.state.Recent[n-contracts.ChatRecentIDs:])
	}
}

// chatLocalCtx runs a relay step as a local activity: with eager start
// and Update-with-Start the first attempt runs in the workflow task that
// took the update, with no extra server round trip. Infrastructure
// retries are bounded so a message always gets an answer.
func chatLocalCtx(ctx workflow.Context, startToClose time.Duration) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout:    startToClose,
		ScheduleToCloseTimeout: 3*startToClose + 5*time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: 200 * time.Millisecond, BackoffCoefficient: 2, MaximumInterval: 2 * time.Second, MaximumAttempts: 3,
		},
	})
}
