package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// queueMigration adds per-endpoint rate limits and FIFO (issue 10).
var queueMigration = &gormigrate.Migration{
	ID: "0013_endpoint_queue",
	Migrate: func(tx *gorm.DB) error {
		for _, col := range []string{"RateLimit", "FIFO"} {
			if !tx.Migrator().HasColumn(&queueWebhook{}, col) {
				if err := tx.Migrator().AddColumn(&queueWebhook{}, col); err != nil {
					return err
				}
			}
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		if err := tx.Migrator().DropColumn(&queueWebhook{}, "RateLimit"); err != nil {
			return err
		}
		return tx.Migrator().DropColumn(&queueWebhook{}, "FIFO")
	},
}

type queueWebhook struct {
	RateLimit float64 `gorm:"not null;default:0"`
	FIFO      bool    `gorm:"column:fifo;not null;default:false"`
}

func (queueWebhook) TableName() string { return "webhooks" }
