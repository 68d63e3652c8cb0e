package store_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// TestSweptMarkerMigration: a database created before 0003 (its tables made
// from models that had no swept_at) gains the column, on SQLite and
// PostgreSQL.
func TestSweptMarkerMigration(t *testing.T) {
	tables := []any{&models.Delivery{}, &models.Lookup{}}
	for name, open := range map[string]func() (*store.Store, error){
		"sqlite":   func() (*store.Store, error) { return store.Open("", t.TempDir()+"/old.db") },
		"postgres": func() (*store.Store, error) { return store.Open(testenv.Postgres(t), "") },
	} {
		t.Run(name, func(t *testing.T) {
			st, err := open()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			if err := store.MigrateBefore(st, "0004_swept_marker"); err != nil {
				t.Fatal(err)
			}
			m := store.GormDB(st).Migrator()
			for _, table := range tables {
				if err := m.DropColumn(table, "SweptAt"); err != nil {
					t.Fatalf("shape the old %T table: %v", table, err)
				}
			}
			if err := st.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			for _, table := range tables {
				if !m.HasColumn(table, "SweptAt") {
					t.Fatalf("%T has no swept_at after migrating", table)
				}
			}
			if _, err := st.Undispatched(t.Context(), store.Now(), 1); err != nil {
				t.Fatal(err)
			}
		})
	}
}
