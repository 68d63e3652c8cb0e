package store

import "gorm.io/gorm"

// GormDB exposes the store's handle to the external tests, which register
// GORM callbacks on it to run a concurrent change at an exact point of a
// read-modify-write (no sleeps).
func GormDB(s *Store) *gorm.DB { return s.db }
