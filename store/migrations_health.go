package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// healthMigration adds endpoint health (auto-disable, issue 10).
var healthMigration = &gormigrate.Migration{
	ID: "0011_endpoint_health",
	Migrate: func(tx *gorm.DB) error {
		for _, col := range []string{"FailingSince", "FailedAttempts", "FailingNotifiedAt"} {
			if !tx.Migrator().HasColumn(&healthWebhook{}, col) {
				if err := tx.Migrator().AddColumn(&healthWebhook{}, col); err != nil {
					return err
				}
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		for _, col := range []string{"FailingSince", "FailedAttempts", "FailingNotifiedAt"} {
			if err := tx.Migrator().DropColumn(&healthWebhook{}, col); err != nil {
				return err
			}
		}
		return nil
	},
}

type healthWebhook struct {
	FailingSince      *time.Time
	FailedAttempts    int `gorm:"not null;default:0"`
	FailingNotifiedAt *time.Time
}

func (healthWebhook) TableName() string { return "webhooks" }
