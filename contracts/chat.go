package contracts

import "time"

// Chat relay workflow names (issue 8). Never rename: they are in history.
const (
	ConversationWorkflow = "Conversation"
	ChatTestWorkflow     = "ChatTest"
	// UpdateChatMessage is the Update that relays one visitor message; its
	// update ID is the platform's message ID, so a message sent twice is
	// one update with one result.
	UpdateChatMessage = "message"
)

// ConversationWorkflowID is the workflow of a conversation's relay.
func ConversationWorkflowID(conversationID string) string { return "conversation-" + conversationID }

// ChatTestWorkflowID is the workflow of a chat backend test round trip.
func ChatTestWorkflowID(requestID string) string { return "chattest-" + requestID }

// Defaults of a Conversation run.
const (
	// DefaultChatIdle is how long a conversation's run waits for the next
	// message before it completes; the next message starts a new run.
	DefaultChatIdle = 30 * time.Minute
	// DefaultChatTurnsPerRun bounds a run's history: after that many
	// messages it continues as new (earlier if Temporal suggests it).
	DefaultChatTurnsPerRun = 100
	// ChatRecentIDs is how many message IDs a run carries into the next.
	ChatRecentIDs = 50
)

// ConversationWorkflowInput starts (or continues) a conversation's relay.
// It holds IDs and the backend's context only: the URL, the auth token and
// the signing secret are loaded inside activities.
type ConversationWorkflowInput struct {
	ConversationID string
	// Resume is what the previous run handed over on continue-as-new; nil
	// on a fresh start, when the run loads it from the database.
	Resume *ChatResume
	// Idle and TurnsPerRun come from CHAT_IDLE and CHAT_TURNS_PER_RUN;
	// zero means the defaults above.
	Idle        time.Duration
	TurnsPerRun int
}

// ChatResume is a conversation's relay state: the last visitor message
// relayed (Seq), the context the backend returned last turn, and the
// IDs of the most recent messages relayed.
type ChatResume struct {
	RelayedSeq int64
	Context    string
	Recent     []string
}

// ChatMessageUpdate is the argument of the "message" update.
type ChatMessageUpdate struct {
	MessageID string
	Seq       int64
}

// Turn statuses of ChatTurnResult (the models.Relay* values).
const (
	ChatReplied = "replied"
	ChatNoReply = "no_reply"
	ChatLater   = "later"
	ChatFailed  = "failed"
)

// ChatTurnResult is the outcome of relaying one visitor message: the
// update's result. Reply is the normalised reply JSON (chatreply.Reply)
// the visitor was shown, the fallback included; empty for no_reply and
// later.
type ChatTurnResult struct {
	MessageID string
	Status    string
	Reply     string `json:",omitempty"`
	Fallback  bool   `json:",omitempty"`
	Error     string `json:",omitempty"`
}

// ChatLoadInput asks for a conversation's relay state (activity ChatLoad).
type ChatLoadInput struct{ ConversationID string }

// ChatRelayInput is one attempt at relaying visitor message Seq (activity
// ChatRelay). Remaining is what is left of the message's time budget;
// zero on the first attempt (the configured timeout applies).
type ChatRelayInput struct {
	ConversationID string
	Seq            int64
	Attempt        int
	Remaining      time.Duration
	Context        string
}

// Relay outcomes of ChatRelayResult.
const (
	RelayDone        = "done"         // the turn is finished (Turn holds it)
	RelayRateLimited = "rate_limited" // 429/503: again after RetryAfter
	RelayServerError = "server_error" // 500 or a network error: again once
)

// ChatRelayResult is one attempt's outcome. For RelayDone, Turn is the
// final result and Context the backend's new context (Context set only
// when ContextSet). Otherwise the workflow decides whether to try again
// within Budget (the configured timeout) and, if not, calls ChatGiveUp.
type ChatRelayResult struct {
	Outcome    string
	MessageID  string
	Turn       ChatTurnResult
	Context    string `json:",omitempty"`
	ContextSet bool   `json:",omitempty"`
	RetryAfter time.Duration
	Budget     time.Duration
	Error      string `json:",omitempty"`
	HTTPStatus int    `json:",omitempty"`
}

// ChatGiveUpInput ends a turn whose retries ran out (activity ChatGiveUp):
// the fallback reply is shown and Reason recorded.
type ChatGiveUpInput struct {
	ConversationID string
	MessageID      string
	Seq            int64
	Reason         string
	HTTPStatus     int
	// Timeout: the budget ran out rather than the retries. It only tells
	// a reader of the history why; the fallback and handoff_on_failure
	// are the same either way.
	Timeout bool
}

// ChatStoredInput asks for a finished turn's result (activity
// ChatStoredTurn), for a message posted again after its run moved on.
type ChatStoredInput struct{ MessageID string }

// ChatTestInput is one test round trip (workflow ChatTest, activity
// ChatTestSend): the org's configuration with a sample text and context.
type ChatTestInput struct {
	OrgID     string
	RequestID string
	Text      string
	Context   string
}

// ChatTestResult is what the test answers.
type ChatTestResult struct {
	HTTPStatus      int
	Reply           string `json:",omitempty"` // normalised reply JSON
	Streamed        bool
	ValidationError string `json:",omitempty"`
	Error           string `json:",omitempty"`
	DurationMicros  int64
	FirstByteMicros int64
}
