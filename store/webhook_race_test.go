package store_test

import (
	"io"
	"log/slog"
	"testing"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

// TestPatchRacingDeactivation runs PATCH /v1/webhooks/{id} (the service
// method) while a 410 deactivates the endpoint between the PATCH's read and
// its write: a GORM callback fires the deactivation right after the first
// read of the webhook. The PATCH changes only the description, so the
// endpoint must stay inactive with its reason.
func TestPatchRacingDeactivation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		org, w := seedOrg(t, st)
		fired := false
		err := store.GormDB(st).Callback().Query().After("gorm:query").Register("test:deactivate_after_read", func(tx *gorm.DB) {
			if fired || tx.Statement.Table != "webhooks" || tx.Error != nil {
				return
			}
			fired = true
			if err := st.DeactivateWebhook(t.Context(), w.ID, "endpoint answered 410 Gone"); err != nil {
				t.Errorf("deactivate: %v", err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		svc := service.New(service.Deps{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, config.Config{})
		desc := "new description"
		got, _, err := svc.Webhooks.UpdateWebhook(t.Context(), org.ID, w.ID, service.WebhookInput{Description: &desc})
		if err != nil || !fired {
			t.Fatalf("patch: %v (deactivation fired: %v)", err, fired)
		}
		stored, err := st.WebhookByID(t.Context(), w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Active || stored.DisabledReason != "endpoint answered 410 Gone" || stored.Description != desc {
			t.Fatalf("after the race: active=%v reason=%q description=%q", stored.Active, stored.DisabledReason, stored.Description)
		}
		if got.Active || got.Description != desc {
			t.Fatalf("PATCH answered active=%v description=%q, not the stored row", got.Active, got.Description)
		}
		storedSecret, err := stored.Secret.Reveal()
		if err != nil {
			t.Fatal(err)
		}
		seededSecret, err := w.Secret.Reveal()
		if err != nil {
			t.Fatal(err)
		}
		if storedSecret != seededSecret || stored.URL != w.URL || len(stored.EventTypes) != 1 {
			t.Fatalf("untouched columns changed: %+v", stored)
		}
	})
}
