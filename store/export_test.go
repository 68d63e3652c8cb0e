package store

import (
	"github.com/go-gormigrate/gormigrate/v2"
	"gorm.io/gorm"
)

// RawColumn reads one column as stored, bypassing the Secret serializer,
// so tests can check what is really at rest.
func RawColumn(s *Store, table, column, key, id string) string {
	var v []string
	if err := s.db.Table(table).Where(key+" = ?", id).Pluck(column, &v).Error; err != nil || len(v) != 1 {
		return "<unreadable>"
	}
	return v[0]
}

// SetRawColumn writes a stored value as is: legacy and clear-text rows.
func SetRawColumn(s *Store, table, column, key, id, value string) error {
	return s.db.Table(table).Where(key+" = ?", id).Update(column, value).Error
}

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
