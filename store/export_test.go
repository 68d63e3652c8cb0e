package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// GormDB exposes the store's handle to the external tests, which register
// GORM callbacks on it to run a concurrent change at an exact point of a
// read-modify-write (no sleeps), or shape a schema as an older release
// left it.
func GormDB(s *Store) *gorm.DB { return s.db }

// MigrateBefore migrates s up to, not including, migration id, as a
// database created by an older release would be.
func MigrateBefore(s *Store, id string) error {
	for i, m := range migrations {
		if m.ID == id {
			return gormigrate.New(s.db, gormigrate.DefaultOptions, migrations[:i]).Migrate()
		}
	}
	return gorm.ErrRecordNotFound
}
