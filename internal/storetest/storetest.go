// Package storetest opens throw-away stores for unit tests. It imports only
// package store, so any package's internal tests can use it without an
// import cycle (package testenv pulls in the workflows).
package storetest

import (
	"testing"

	"github.com/switchboardhq/switchboard/store"
)

// SQLite opens a migrated SQLite store in the test's temporary directory,
// closed when the test ends.
func SQLite(t testing.TB) *store.Store {
	t.Helper()
	st, err := store.Open("", t.TempDir()+"/test.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}
