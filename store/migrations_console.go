package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// consoleMigration adds the web console's sign-in sessions (issue 11). The
// struct below freezes the table so that the migration does not change
// when models.ConsoleSession does.
var consoleMigration = &gormigrate.Migration{
	ID: "0009_console_sessions",
	Migrate: func(tx *gorm.DB) error {
		return tx.AutoMigrate(&consoleSession{})
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable("console_sessions")
	},
}

type consoleSession struct {
	TokenHash string    `gorm:"primaryKey;size:64"`
	OrgID     string    `gorm:"size:40;not null;index"`
	CSRFToken string    `gorm:"size:64;not null"`
	CreatedAt time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
}

func (consoleSession) TableName() string { return "console_sessions" }
