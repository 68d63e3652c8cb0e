package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/storetest"
	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// TestConsoleSessions: create, read, delete (twice is fine) and the expiry
// sweep, on SQLite and PostgreSQL.
func TestConsoleSessions(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *store.Store{
		"sqlite":   func(t *testing.T) *store.Store { return storetest.SQLite(t) },
		"postgres": func(t *testing.T) *store.Store { return storetest.Open(t, testenv.Postgres(t), "") },
	} {
		t.Run(name, func(t *testing.T) {
			st, ctx, now := open(t), t.Context(), store.Now()
			live := models.ConsoleSession{TokenHash: "live", OrgID: "org_1", CSRFToken: "c1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
			old := models.ConsoleSession{TokenHash: "old", OrgID: "org_1", CSRFToken: "c2", CreatedAt: now.Add(-9 * time.Hour), ExpiresAt: now.Add(-time.Hour)}
			for _, s := range []*models.ConsoleSession{&live, &old} {
				if err := st.CreateConsoleSession(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			dup := live
			if err := st.CreateConsoleSession(ctx, &dup); !errors.Is(err, models.ErrConflict) {
				t.Fatalf("a second row with the same token hash: %v, want a conflict", err)
			}
			got, err := st.ConsoleSession(ctx, "live")
			if err != nil || got.OrgID != "org_1" || got.CSRFToken != "c1" || !got.ExpiresAt.Equal(live.ExpiresAt) {
				t.Fatalf("read back %+v, %v", got, err)
			}
			if n, err := st.DeleteExpiredConsoleSessions(ctx, now); err != nil || n != 1 {
				t.Fatalf("expiry sweep removed %d (%v), want 1", n, err)
			}
			if _, err := st.ConsoleSession(ctx, "old"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("expired session still there: %v", err)
			}
			for range 2 {
				if err := st.DeleteConsoleSession(ctx, "live"); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.ConsoleSession(ctx, "live"); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("signed-out session still there: %v", err)
			}
		})
	}
}
