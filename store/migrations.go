package store

import (
	"context"
	"time"

	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/models"
)

// migrations is the ordered, append-only list of schema versions. Never edit
// a shipped entry: add a new one. The first versions create tables from the
// models; a later model change must come with its own explicit migration.
var migrations = []*gormigrate.Migration{
	{
		ID: "0001_core",
		Migrate: func(tx *gorm.DB) error {
			return tx.AutoMigrate(&models.Org{}, &models.APIKey{}, &models.Webhook{},
				&models.Event{}, &models.Delivery{}, &models.Attempt{})
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable("attempts", "deliveries", "events", "webhooks", "api_keys", "orgs")
		},
	},
	{
		ID: "0002_backend_connect",
		Migrate: func(tx *gorm.DB) error {
			return tx.AutoMigrate(&models.BackendConnect{}, &models.Conversation{}, &models.Ticket{},
				&models.Message{}, &models.CustomerProfile{}, &models.Lookup{})
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable("lookups", "customer_profiles", "messages", "tickets",
				"conversations", "backend_connects")
		},
	},
	{
		// The previous secret of a rotation with an overlap. The first
		// version creates tables from the current models, so a fresh
		// database already has these columns.
		ID: "0003_webhook_previous_secret",
		Migrate: func(tx *gorm.DB) error {
			m := tx.Migrator()
			for _, f := range []string{"PreviousSecret", "PreviousSecretExpiresAt"} {
				if !m.HasColumn(&models.Webhook{}, f) {
					if err := m.AddColumn(&models.Webhook{}, f); err != nil {
						return err
					}
				}
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			m := tx.Migrator()
			if err := m.DropColumn(&models.Webhook{}, "previous_secret"); err != nil {
				return err
			}
			return m.DropColumn(&models.Webhook{}, "previous_secret_expires_at")
		},
	},
	{
		// The sweeper marks the rows it handed to Temporal so that a row
		// whose workflow exists (running, or closed without an attempt)
		// is not started again every sweep.
		ID: "0004_swept_marker",
		Migrate: func(tx *gorm.DB) error {
			for _, m := range []any{&sweptDelivery{}, &sweptLookup{}} {
				if !tx.Migrator().HasColumn(m, "SweptAt") {
					if err := tx.Migrator().AddColumn(m, "SweptAt"); err != nil {
						return err
					}
				}
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Migrator().DropColumn(&sweptDelivery{}, "SweptAt"); err != nil {
				return err
			}
			return tx.Migrator().DropColumn(&sweptLookup{}, "SweptAt")
		},
	},
	{
		// Custom Apps (seed 001). Created from the model like the other
		// tables; a later change to models.App needs its own migration.
		ID: "0005_apps",
		Migrate: func(tx *gorm.DB) error {
			return tx.AutoMigrate(&models.App{})
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable("apps")
		},
	},
	{
		// Custom App actions are sent as deliveries that point at an app
		// instead of an endpoint; their attempts list the variables the
		// payload read but the action lacked.
		ID: "0006_app_deliveries",
		Migrate: func(tx *gorm.DB) error {
			for _, c := range []struct {
				model any
				field string
			}{{&appDelivery{}, "AppID"}, {&appAttempt{}, "MissingVariables"}} {
				if !tx.Migrator().HasColumn(c.model, c.field) {
					if err := tx.Migrator().AddColumn(c.model, c.field); err != nil {
						return err
					}
				}
			}
			// The app filter of GET /v1/deliveries; a fresh database has it
			// from 0001 already.
			if !tx.Migrator().HasIndex(&appDelivery{}, "AppID") {
				return tx.Migrator().CreateIndex(&appDelivery{}, "AppID")
			}
			return nil
		},
		Rollback: func(tx *gorm.DB) error {
			if err := tx.Migrator().DropColumn(&appDelivery{}, "AppID"); err != nil {
				return err
			}
			return tx.Migrator().DropColumn(&appAttempt{}, "MissingVariables")
		},
	},
	{
		// Click reward verifications and each asked app's attempt.
		ID: "0007_click_verifications",
		Migrate: func(tx *gorm.DB) error {
			return tx.AutoMigrate(&models.ClickVerification{}, &models.ClickVerificationApp{})
		},
		Rollback: func(tx *gorm.DB) error {
			return tx.Migrator().DropTable("click_verification_apps", "click_verifications")
		},
	},
	chatMigration,
	replayMigration,
	healthMigration,
	retentionMigration,
	queueMigration,
	consoleMigration,
}

// appDelivery and appAttempt freeze the columns 0006 adds.
type appDelivery struct {
	AppID string `gorm:"size:40;not null;default:'';index"`
}

func (appDelivery) TableName() string { return "deliveries" }

type appAttempt struct {
	MissingVariables []string `gorm:"serializer:json"`
}

func (appAttempt) TableName() string { return "attempts" }

// sweptDelivery and sweptLookup freeze the column 0004 adds, so the
// migration does not change when the models do.
type sweptDelivery struct{ SweptAt *time.Time }

func (sweptDelivery) TableName() string { return "deliveries" }

type sweptLookup struct{ SweptAt *time.Time }

func (sweptLookup) TableName() string { return "lookups" }

// Migrate brings the schema to the latest version.
func (s *Store) Migrate(ctx context.Context) error {
	m := gormigrate.New(s.db.WithContext(ctx), gormigrate.DefaultOptions, migrations)
	return m.Migrate()
}
