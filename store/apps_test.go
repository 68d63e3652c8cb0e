package store_test

import (
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/service"
	"github.com/switchboardhq/switchboard/store"
)

func seedApp(t *testing.T, st *store.Store, orgID, name string) models.App {
	t.Helper()
	a := models.App{ID: models.NewID("app"), OrgID: orgID, Name: name, URL: "https://app.example/hook", Enabled: true,
		Actions: map[string]models.AppAction{
			"referral_create": {Enabled: true, Attributes: map[string]string{"email_up": "{{ advocate_email | upcase }}", "fixed": "ü"}},
			"send_reward":     {Enabled: false, Criteria: "{% if click_reward_verified %}true{% endif %}"},
		},
		SignatureHeader: "x-talkable-signature", TimeoutMS: 1000, Secret: models.NewSecret("app-s3cret"),
		CreatedAt: store.Now(), UpdatedAt: store.Now()}
	if err := st.CreateApp(t.Context(), &a); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAppStoreConformance(t *testing.T) {
	conform(t, "apps round-trip, scope and column writes", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, _ := seedOrg(t, st)
		a := seedApp(t, st, org.ID, "first")
		b := seedApp(t, st, org.ID, "second")
		got, err := st.GetApp(ctx, org.ID, a.ID)
		if err != nil || reveal(got.Secret) != "app-s3cret" || got.Actions["referral_create"].Attributes["email_up"] != "{{ advocate_email | upcase }}" ||
			got.Actions["send_reward"].Criteria != a.Actions["send_reward"].Criteria || got.Actions["send_reward"].Enabled ||
			got.SignatureHeader != "x-talkable-signature" || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Fatalf("round trip: %+v %v", got, err)
		}
		if _, err := st.GetApp(ctx, "org_other", a.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other org: %v", err)
		}
		if byID, err := st.AppByID(ctx, a.ID); err != nil || byID.OrgID != org.ID {
			t.Fatalf("by id: %v", err)
		}
		list, err := st.ListApps(ctx, org.ID)
		if err != nil || len(list) != 2 || list[0].ID != b.ID {
			t.Fatalf("list: %d %v", len(list), err)
		}
		if other, err := st.ListApps(ctx, "org_other"); err != nil || len(other) != 0 {
			t.Fatalf("other org's list: %d %v", len(other), err)
		}

		// A column write changes only the named columns, even from a stale
		// copy whose other fields differ.
		stale := got
		stale.Name, stale.Enabled, stale.URL = "renamed", false, "https://stale.example/"
		stale.Secret = models.NewSecret("stale")
		if err := st.UpdateAppColumns(ctx, &stale, "name", "secret"); err != nil {
			t.Fatal(err)
		}
		got, _ = st.GetApp(ctx, org.ID, a.ID)
		if got.Name != "renamed" || !got.Enabled || got.URL != a.URL || reveal(got.Secret) != "app-s3cret" || !got.UpdatedAt.After(a.UpdatedAt) {
			t.Fatalf("after a column write: %+v", got)
		}
		stale.OrgID = "org_other"
		if err := st.UpdateAppColumns(ctx, &stale, "name"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("column write across orgs: %v", err)
		}

		// Rotation writes the secret sealed and is scoped too.
		if err := st.RotateAppSecret(ctx, org.ID, a.ID, "rotated"); err != nil {
			t.Fatal(err)
		}
		if raw := store.RawColumn(st, "apps", "secret", "id", a.ID); strings.Contains(raw, "rotated") || !models.IsSealed(raw) {
			t.Fatalf("rotated secret at rest: %q", raw)
		}
		if got, _ := st.GetApp(ctx, org.ID, a.ID); reveal(got.Secret) != "rotated" || got.Name != "renamed" {
			t.Fatalf("after rotation: %q %q", reveal(got.Secret), got.Name)
		}
		if err := st.RotateAppSecret(ctx, "org_other", a.ID, "x"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("rotation across orgs: %v", err)
		}

		if err := st.DeleteApp(ctx, "org_other", a.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("delete across orgs: %v", err)
		}
		if err := st.DeleteApp(ctx, org.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteApp(ctx, org.ID, a.ID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("second delete: %v", err)
		}
		if _, err := st.GetApp(ctx, org.ID, b.ID); err != nil {
			t.Fatalf("the other app went too: %v", err)
		}
	})

	conform(t, "app secrets are sealed at rest, checked and resealed", func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		org, _ := seedOrg(t, st)
		a := seedApp(t, st, org.ID, "sealed")
		raw := store.RawColumn(st, "apps", "secret", "id", a.ID)
		if strings.Contains(raw, "app-s3cret") || !strings.HasPrefix(raw, "sb1:"+st.KeyRing().CurrentID()+":") {
			t.Fatalf("stored secret %q is not sealed with the current key", raw)
		}
		// Listing does not open secrets; signing code reveals them.
		list, _ := st.ListApps(ctx, org.ID)
		if len(list) != 1 || list[0].Secret.String() != models.Redacted || reveal(list[0].Secret) != "app-s3cret" {
			t.Fatalf("listed secret: %v", list)
		}
		// A clear-text row (written without a key) is found by reseal.
		if err := store.SetRawColumn(st, "apps", "secret", "id", a.ID, "clear-text"); err != nil {
			t.Fatal(err)
		}
		counts, err := st.Reseal(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var apps store.ResealCount
		for _, c := range counts {
			if c.Table == "apps" {
				apps = c
			}
		}
		if apps.Resealed != 1 || apps.Checked != 1 {
			t.Fatalf("reseal of apps: %+v", counts)
		}
		if raw := store.RawColumn(st, "apps", "secret", "id", a.ID); !models.IsSealed(raw) || strings.Contains(raw, "clear-text") {
			t.Fatalf("after reseal: %q", raw)
		}
		// The start-up check looks at apps too: a row under an unknown key
		// stops the process.
		if err := store.SetRawColumn(st, "apps", "secret", "id", a.ID, "sb1:00000000:AAAA"); err != nil {
			t.Fatal(err)
		}
		if err := st.CheckSecrets(ctx); !errors.Is(err, models.ErrSecretKeyUnknown) || !strings.Contains(err.Error(), "apps.secret") {
			t.Fatalf("start-up check: %v", err)
		}
	})
}

// TestAppPatchRacingRotationAndToggle runs PATCH /v1/apps/{id} (the service
// method) while, between its read and its write, the secret is rotated and
// another client disables the app: a GORM callback fires both right after
// the PATCH's first read of the app. The PATCH changes only the name, so
// the new secret and the disabled flag must both survive.
func TestAppPatchRacingRotationAndToggle(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		org, _ := seedOrg(t, st)
		a := seedApp(t, st, org.ID, "racing")
		fired := false
		err := store.GormDB(st).Callback().Query().After("gorm:query").Register("test:rotate_after_read", func(tx *gorm.DB) {
			if fired || tx.Statement.Table != "apps" || tx.Error != nil {
				return
			}
			fired = true
			if err := st.RotateAppSecret(t.Context(), org.ID, a.ID, "rotated-meanwhile"); err != nil {
				t.Errorf("rotate: %v", err)
			}
			off := models.App{ID: a.ID, OrgID: org.ID, Enabled: false}
			if err := st.UpdateAppColumns(t.Context(), &off, "enabled"); err != nil {
				t.Errorf("disable: %v", err)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		svc := service.New(service.Deps{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}, config.Config{})
		name := "renamed"
		got, err := svc.Apps.UpdateApp(t.Context(), org.ID, a.ID, service.AppInput{Name: &name})
		if err != nil || !fired {
			t.Fatalf("patch: %v (race fired: %v)", err, fired)
		}
		stored, err := st.AppByID(t.Context(), a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if reveal(stored.Secret) != "rotated-meanwhile" || stored.Enabled || stored.Name != name {
			t.Fatalf("after the race: secret=%q enabled=%v name=%q", reveal(stored.Secret), stored.Enabled, stored.Name)
		}
		if got.Enabled || got.Name != name || len(stored.Actions) != 2 || stored.URL != a.URL {
			t.Fatalf("PATCH answered enabled=%v name=%q, or untouched columns changed: %+v", got.Enabled, got.Name, stored)
		}
	})
}

// TestAppsMigration: a database of the release before apps gains the
// table, with its existing rows kept, and the new table takes an app.
func TestAppsMigration(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		// The backends come migrated; shape the older schema first.
		m := store.GormDB(st).Migrator()
		org, w := seedOrg(t, st)
		if err := m.DropTable("apps"); err != nil {
			t.Fatal(err)
		}
		if err := store.GormDB(st).Exec("DELETE FROM migrations WHERE id = ?", "0005_apps").Error; err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatal(err)
		}
		if !m.HasTable("apps") {
			t.Fatal("no apps table after migrating")
		}
		if _, err := st.GetWebhook(t.Context(), org.ID, w.ID); err != nil {
			t.Fatalf("existing rows: %v", err)
		}
		a := seedApp(t, st, org.ID, "after migration")
		if got, err := st.GetApp(t.Context(), org.ID, a.ID); err != nil || got.Name != a.Name {
			t.Fatalf("app in the migrated table: %v", err)
		}
	})
}
