package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// retentionMigration adds per-org retention and event erasure (issue 10).
var retentionMigration = &gormigrate.Migration{
	ID: "0012_retention",
	Migrate: func(tx *gorm.DB) error {
		if !tx.Migrator().HasColumn(&retentionOrg{}, "RetentionDays") {
			if err := tx.Migrator().AddColumn(&retentionOrg{}, "RetentionDays"); err != nil {
				return err
			}
		}
		if !tx.Migrator().HasColumn(&erasedEvent{}, "ErasedAt") {
			return tx.Migrator().AddColumn(&erasedEvent{}, "ErasedAt")
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		if err := tx.Migrator().DropColumn(&retentionOrg{}, "RetentionDays"); err != nil {
			return err
		}
		return tx.Migrator().DropColumn(&erasedEvent{}, "ErasedAt")
	},
}

type retentionOrg struct {
	RetentionDays int `gorm:"not null;default:0"`
}

func (retentionOrg) TableName() string { return "orgs" }

type erasedEvent struct{ ErasedAt *time.Time }

func (erasedEvent) TableName() string { return "events" }
