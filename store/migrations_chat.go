package store

import (
	"encoding/json"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// chatMigration adds the chat custom backend (issue 8): its configuration,
// turns and files, and the relay's columns on conversations, tickets and
// messages. The structs below freeze those columns so that the migration
// does not change when the models do.
var chatMigration = &gormigrate.Migration{
	ID: "0008_chat_backend",
	Migrate: func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(&chatBackend{}, &chatTurn{}, &chatFile{}, &chatConversation{}, &chatTicket{}, &chatMessage{}); err != nil {
			return err
		}
		// Earlier messages get their own ID as client ID, so the unique
		// (conversation, client ID) index holds for them.
		if err := tx.Exec("UPDATE messages SET client_id = id WHERE client_id = ''").Error; err != nil {
			return err
		}
		return tx.Exec("CREATE UNIQUE INDEX IF NOT EXISTS idx_message_client ON messages (conversation_id, client_id)").Error
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable("chat_backends", "chat_turns", "chat_files")
	},
}

type chatBackend struct {
	OrgID            string `gorm:"primaryKey;size:40"`
	URL              string `gorm:"size:2048;not null"`
	Enabled          bool   `gorm:"not null"`
	TimeoutMillis    int    `gorm:"not null"`
	AuthType         string `gorm:"size:16;not null"`
	AuthHeader       string `gorm:"size:100;not null"`
	AuthToken        string `gorm:"size:2000;not null"`
	Signing          bool   `gorm:"not null"`
	SignatureHeader  string `gorm:"size:100;not null"`
	Secret           string `gorm:"size:200;not null"`
	FallbackReply    string `gorm:"size:4096;not null"`
	HandoffOnFailure bool   `gorm:"not null"`
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

func (chatBackend) TableName() string { return "chat_backends" }

type chatTurn struct {
	ID             string `gorm:"primaryKey;size:40"`
	OrgID          string `gorm:"size:40;not null"`
	ConversationID string `gorm:"size:40;not null;index"`
	Seq            int64  `gorm:"not null"`
	Status         string `gorm:"size:16;not null"`
	Attempts       int    `gorm:"not null"`
	HTTPStatus     int    `gorm:"not null"`
	Error          string `gorm:"size:1000"`
	Reply          string `gorm:"type:text"`
	Fallback       bool   `gorm:"not null"`
	Action         string `gorm:"size:16;not null"`
	RunID          string `gorm:"size:64;not null"`
	DurationMS     int64  `gorm:"not null"`
	CompletedAt    *time.Time
	SweptAt        *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

func (chatTurn) TableName() string { return "chat_turns" }

type chatFile struct {
	ID             string `gorm:"primaryKey;size:40"`
	OrgID          string `gorm:"size:40;not null"`
	ConversationID string `gorm:"size:40;not null;index"`
	MessageID      string `gorm:"size:40;not null;default:''"`
	Name           string `gorm:"size:255;not null"`
	ContentType    string `gorm:"size:100;not null"`
	Size           int64  `gorm:"not null"`
	CreatedAt      time.Time
}

func (chatFile) TableName() string { return "chat_files" }

type chatConversation struct {
	TokenHash  string          `gorm:"size:64;not null;default:''"`
	NextSeq    int64           `gorm:"not null;default:0"`
	Rev        int64           `gorm:"not null;default:0"`
	RelayedSeq int64           `gorm:"not null;default:0"`
	Context    json.RawMessage `gorm:"type:text"`
}

func (chatConversation) TableName() string { return "conversations" }

type chatTicket struct {
	NeedsHuman    bool   `gorm:"not null;default:false"`
	HandoffReason string `gorm:"size:1000;not null;default:''"`
}

func (chatTicket) TableName() string { return "tickets" }

type chatMessage struct {
	ClientID    string `gorm:"size:100;not null;default:''"`
	Seq         int64  `gorm:"not null;default:0"`
	Rev         int64  `gorm:"not null;default:0;index:idx_messages_rev"`
	Content     string `gorm:"type:text"`
	Attachments string `gorm:"type:text"`
	Metadata    string `gorm:"type:text"`
	InReplyTo   string `gorm:"size:40;not null;default:''"`
	Status      string `gorm:"size:16;not null;default:''"`
	RelayStatus string `gorm:"size:16;not null;default:''"`
	UpdatedAt   *time.Time
}

func (chatMessage) TableName() string { return "messages" }
