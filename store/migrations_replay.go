package store

import (
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// replayMigration adds bulk replays and the delivery columns that link a
// replay delivery to what it replays (issue 10).
var replayMigration = &gormigrate.Migration{
	ID: "0010_replays",
	Migrate: func(tx *gorm.DB) error {
		if err := tx.AutoMigrate(&replayRow{}); err != nil {
			return err
		}
		for _, col := range []string{"ReplayOf", "ReplayID"} {
			if !tx.Migrator().HasColumn(&replayDelivery{}, col) {
				if err := tx.Migrator().AddColumn(&replayDelivery{}, col); err != nil {
					return err
				}
			}
		}
		if !tx.Migrator().HasIndex(&replayDelivery{}, "ReplayID") {
			return tx.Migrator().CreateIndex(&replayDelivery{}, "ReplayID")
		}
		return nil
	},
	Rollback: func(tx *gorm.DB) error {
		return tx.Migrator().DropTable("replays")
	},
}

type replayDelivery struct {
	ReplayOf string `gorm:"size:40;not null;default:''"`
	ReplayID string `gorm:"size:40;not null;default:'';index"`
}

func (replayDelivery) TableName() string { return "deliveries" }

type replayRow struct {
	ID          string `gorm:"primaryKey;size:40"`
	OrgID       string `gorm:"size:40;not null;index"`
	Status      string `gorm:"size:16;not null"`
	Since       *time.Time
	Until       *time.Time
	WebhookID   string `gorm:"size:40;not null"`
	EventType   string `gorm:"size:100;not null"`
	Target      string `gorm:"size:16;not null"`
	State       string `gorm:"size:16;not null"`
	Total       int    `gorm:"not null"`
	Done        int    `gorm:"not null"`
	Skipped     int    `gorm:"not null"`
	CursorAt    *time.Time
	CursorID    string `gorm:"size:40;not null"`
	CompletedAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (replayRow) TableName() string { return "replays" }
