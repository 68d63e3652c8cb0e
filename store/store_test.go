package store_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/store"
)

// forEachBackend runs fn against a fresh SQLite store and a fresh PostgreSQL
// store. PostgreSQL being unreachable fails the test; it never skips.
func forEachBackend(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	backends := []struct {
		name string
		open func(t *testing.T) *store.Store
	}{
		{"sqlite", func(t *testing.T) *store.Store { return storetest.SQLite(t) }},
		{"postgres", func(t *testing.T) *store.Store { return storetest.Open(t, testenv.Postgres(t), "") }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}
