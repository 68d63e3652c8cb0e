package store

import (
	"context"

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
}

// Migrate brings the schema to the latest version.
func (s *Store) Migrate(ctx context.Context) error {
	m := gormigrate.New(s.db.WithContext(ctx), gormigrate.DefaultOptions, migrations)
	return m.Migrate()
}
