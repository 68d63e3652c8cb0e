package models

import "time"

// Chat backend defaults and limits (issue 8).
const (
	DefaultChatTimeout         = 10 * time.Second
	MaxChatTimeout             = 30 * time.Second
	DefaultChatSignatureHeader = "X-Switchboard-Signature"
	DefaultChatFallbackReply   = "Sorry, I can't answer right now. Please try again in a moment."
)

// Chat backend auth types.
const (
	ChatAuthNone   = "none"
	ChatAuthBearer = "bearer"
	ChatAuthAPIKey = "api_key"
	ChatAuthBasic  = "basic"
)

// ChatBackend is an org's chat custom backend: the webhook every widget
// message is relayed to and whose reply is the bot's answer.
type ChatBackend struct {
	OrgID         string `gorm:"primaryKey;size:40"`
	URL           string `gorm:"size:2048;not null"`
	Enabled       bool   `gorm:"not null"`
	TimeoutMillis int    `gorm:"not null"`
	AuthType      string `gorm:"size:16;not null"`
	AuthHeader    string `gorm:"size:100;not null"`
	// AuthToken is write-only: sealed at rest, never returned, logged or
	// placed in workflow history.
	AuthToken       Secret `gorm:"size:2000;not null;serializer:secret"`
	Signing         bool   `gorm:"not null"`
	SignatureHeader string `gorm:"size:100;not null"`
	// Secret is the signing secret: shown on first save and on rotation.
	Secret           Secret    `gorm:"size:200;not null;serializer:secret"`
	FallbackReply    string    `gorm:"size:4096;not null"`
	HandoffOnFailure bool      `gorm:"not null"`
	CreatedAt        time.Time `gorm:"not null"`
	UpdatedAt        time.Time `gorm:"not null"`
}

// Timeout is the relay's budget for one message.
func (c ChatBackend) Timeout() time.Duration {
	if c.TimeoutMillis <= 0 {
		return DefaultChatTimeout
	}
	return time.Duration(c.TimeoutMillis) * time.Millisecond
}

// Message senders.
const (
	SenderVisitor  = "visitor"
	SenderBot      = "bot"
	SenderOperator = "operator"
)

// Relay states of a visitor message (Message.RelayStatus) and of its turn.
const (
	RelayNone    = ""         // the org has no chat backend enabled
	RelayQueued  = "queued"   // stored, waiting for its turn
	RelaySending = "sending"  // the backend is being asked
	RelayReplied = "replied"  // the backend answered with a reply
	RelayNoReply = "no_reply" // 204: the backend chose not to answer
	RelayLater   = "later"    // 202: the backend answers later through the API
	RelayFailed  = "failed"   // the fallback reply was shown
)

// Bot message states: a streamed message is "streaming" until its stream
// ends ("complete") or breaks ("incomplete").
const (
	MessageComplete   = "complete"
	MessageStreaming  = "streaming"
	MessageIncomplete = "incomplete"
)

// ChatTurn is the relay of one visitor message: its outcome and, through
// Attempt rows whose ParentID is the turn ID (= the visitor message ID),
// every request made for it.
type ChatTurn struct {
	ID             string `gorm:"primaryKey;size:40"` // the visitor message ID
	OrgID          string `gorm:"size:40;not null"`
	ConversationID string `gorm:"size:40;not null;index"`
	Seq            int64  `gorm:"not null"`
	Status         string `gorm:"size:16;not null"`
	Attempts       int    `gorm:"not null"`
	HTTPStatus     int    `gorm:"not null"`
	Error          string `gorm:"size:1000"`
	// Reply is the normalised reply (chatreply.Reply JSON) the visitor saw,
	// the fallback included, so a repeated message gets the same answer.
	Reply       string `gorm:"type:text"`
	Fallback    bool   `gorm:"not null"`
	Action      string `gorm:"size:16;not null"`
	RunID       string `gorm:"size:64;not null"`
	DurationMS  int64  `gorm:"not null"`
	CompletedAt *time.Time
	SweptAt     *time.Time
	CreatedAt   time.Time `gorm:"not null"`
	UpdatedAt   time.Time `gorm:"not null"`
}

// Done reports a turn whose outcome is final.
func (t ChatTurn) Done() bool {
	switch t.Status {
	case RelayReplied, RelayNoReply, RelayFailed:
		return true
	}
	return false
}

// ChatFile is a visitor's upload; its bytes are in the file store under ID.
type ChatFile struct {
	ID             string    `gorm:"primaryKey;size:40"`
	OrgID          string    `gorm:"size:40;not null"`
	ConversationID string    `gorm:"size:40;not null;index"`
	MessageID      string    `gorm:"size:40;not null;default:''"`
	Name           string    `gorm:"size:255;not null"`
	ContentType    string    `gorm:"size:100;not null"`
	Size           int64     `gorm:"not null"`
	CreatedAt      time.Time `gorm:"not null"`
}
