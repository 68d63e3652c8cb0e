// Package storetest opens throw-away stores for unit tests. It imports only
// package store, so any package's internal tests can use it without an
// import cycle (package testenv pulls in the workflows).
package storetest

import (
	"crypto/rand"
	"testing"

	"github.com/switchboardhq/switchboard/store"
)

// SQLite opens a migrated SQLite store in the test's temporary directory,
// closed when the test ends.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	return Open(t, "", t.TempDir()+"/test.db")
}

// Open opens and migrates the store at databaseURL (PostgreSQL) or
// sqlitePath, closed when the test ends. Cleanups run last-registered
// first, so the pool closes before a test database is dropped.
func Open(t testing.TB, databaseURL, sqlitePath string) *store.Store {
	t.Helper()
	st, err := store.Open(databaseURL, sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	// Secrets are sealed in tests as in production: a fresh key per store.
	key := make([]byte, 32)
	_, _ = rand.Read(key) // crypto/rand.Read never returns an error since Go 1.24.
	if err := st.SetSecretKey(key); err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}
