package models

import "time"

// Backend Connect defaults: the configuration's when a field is omitted,
// and the activity's for a row saved without them.
const (
	DefaultUserTokenField         = "userToken"
	DefaultBackendSignatureHeader = "X-Switchboard-Signature"
)

// BackendConnect is an org's customer-lookup configuration (seed 000).
type BackendConnect struct {
	OrgID           string `gorm:"primaryKey;size:40"`
	URL             string `gorm:"size:2048;not null"`
	UserTokenField  string `gorm:"size:100;not null"`
	SignatureHeader string `gorm:"size:100;not null"`
	Enabled         bool   `gorm:"not null"`
	// Secret is sealed at rest, shown once on first save and on rotation,
	// never read back through the API, and never placed in workflow history.
	Secret    Secret    `gorm:"size:200;not null;serializer:secret"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

// Conversation is a widget conversation; its first message opens a Ticket.
type Conversation struct {
	ID        string `gorm:"primaryKey;size:40"`
	OrgID     string `gorm:"size:40;not null;index"`
	VisitorID string `gorm:"size:200"`
	// TokenHash is the SHA-256 (hex) of the conversation token the
	// visitor holds; empty for conversations from before tokens, which
	// only a secret key may post to.
	TokenHash string `gorm:"size:64;not null;default:''"`
	// NextSeq numbers visitor messages (the relay's order); Rev numbers
	// every change to the conversation's messages (the event stream's
	// cursor). Both are bumped in the transaction that writes the message.
	NextSeq int64 `gorm:"not null;default:0"`
	Rev     int64 `gorm:"not null;default:0"`
	// RelayedSeq is the last visitor message the relay finished and
	// Context what the chat backend returned with it.
	RelayedSeq int64     `gorm:"not null;default:0"`
	Context    string    `gorm:"type:text"`
	CreatedAt  time.Time `gorm:"not null"`
}

// Ticket is the operators' handle on a conversation.
type Ticket struct {
	ID             string `gorm:"primaryKey;size:40"`
	OrgID          string `gorm:"size:40;not null;index"`
	ConversationID string `gorm:"size:40;not null;uniqueIndex"`
	Status         string `gorm:"size:16;not null"`
	// NeedsHuman flags the ticket for an operator: the chat backend asked
	// for a handoff, or failed with handoff_on_failure set.
	NeedsHuman    bool      `gorm:"not null;default:false"`
	HandoffReason string    `gorm:"size:1000;not null;default:''"`
	CreatedAt     time.Time `gorm:"not null"`
}

// Message is one widget message.
type Message struct {
	ID             string `gorm:"primaryKey;size:40"`
	OrgID          string `gorm:"size:40;not null"`
	ConversationID string `gorm:"size:40;not null;index;uniqueIndex:idx_message_client,priority:1"`
	// ClientID is the widget's message_id (its own ID when the widget sent
	// none): one per conversation, so a message sent twice is stored once.
	ClientID string `gorm:"size:100;not null;default:'';uniqueIndex:idx_message_client,priority:2"`
	Sender   string `gorm:"size:16;not null"`
	Text     string `gorm:"type:text;not null"`
	// Seq is a visitor message's place in the relay order (0 for others);
	// Rev is the conversation revision of its last change.
	Seq int64 `gorm:"not null;default:0"`
	Rev int64 `gorm:"not null;default:0;index"`
	// Content is a bot message's rich form (chatreply.Message JSON).
	Content     string            `gorm:"type:text"`
	Attachments []string          `gorm:"serializer:json"`
	Metadata    map[string]string `gorm:"serializer:json"`
	// InReplyTo is the visitor message a bot message answers.
	InReplyTo   string    `gorm:"size:40;not null;default:''"`
	Status      string    `gorm:"size:16;not null;default:''"`
	RelayStatus string    `gorm:"size:16;not null;default:''"`
	CreatedAt   time.Time `gorm:"not null"`
	UpdatedAt   time.Time
}

// CustomerProfile is what the customer's backend said about a visitor.
type CustomerProfile struct {
	ConversationID string         `gorm:"primaryKey;size:40"`
	OrgID          string         `gorm:"size:40;not null"`
	VisitorID      string         `gorm:"size:200"`
	Status         ProfileStatus  `gorm:"size:16;not null"`
	Name           string         `gorm:"size:500"`
	Email          string         `gorm:"size:500"`
	Plan           string         `gorm:"size:200"`
	Fields         map[string]any `gorm:"serializer:json"`
	Error          string         `gorm:"size:1000"`
	FetchedAt      *time.Time
	UpdatedAt      time.Time `gorm:"not null"`
}

// Lookup triggers.
const (
	TriggerFirstMessage = "first_message"
	TriggerRefresh      = "refresh"
)

// Lookup is one customer lookup workflow run: its attempts are Attempt rows
// whose ParentID is the lookup ID.
type Lookup struct {
	ID             string       `gorm:"primaryKey;size:40"`
	OrgID          string       `gorm:"size:40;not null;index"`
	ConversationID string       `gorm:"size:40;not null;index"`
	Trigger        string       `gorm:"size:16;not null"`
	Status         LookupStatus `gorm:"size:16;not null"`
	Attempts       int          `gorm:"not null"`
	Error          string       `gorm:"size:1000"`
	CompletedAt    *time.Time
	// SweptAt: see Delivery.SweptAt.
	SweptAt   *time.Time
	CreatedAt time.Time `gorm:"not null"`
}
