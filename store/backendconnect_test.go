package store_test

import (
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

func TestBackendConnectConfig(t *testing.T) {
	forEachBackend(t, func(t *testing.T, st *store.Store) {
		ctx := t.Context()
		orgID := models.NewID("org")
		if _, err := st.GetBackendConnect(ctx, orgID); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("missing config: got %v, want ErrNotFound", err)
		}
		if err := st.SetBackendConnectSecret(ctx, orgID, "x"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("secret of missing config: got %v, want ErrNotFound", err)
		}

		c := models.BackendConnect{OrgID: orgID, URL: "https://a.example/hook", UserTokenField: "userToken",
			SignatureHeader: "X-Talki-Signature", Enabled: true, Secret: models.NewSecret("first")}
		if err := st.SaveBackendConnect(ctx, &c); err != nil {
			t.Fatal(err)
		}
		created := c.CreatedAt
		got, err := st.GetBackendConnect(ctx, orgID)
		if err != nil || got.URL != c.URL || reveal(got.Secret) != "first" || !got.Enabled || !got.CreatedAt.Equal(created) {
			t.Fatalf("round trip: %+v %v", got, err)
		}

		// An update changes the settings but never the secret.
		upd := models.BackendConnect{OrgID: orgID, URL: "https://b.example/hook", UserTokenField: "uid",
			SignatureHeader: "X-Sig", Enabled: false, Secret: models.NewSecret("ignored")}
		if err := st.SaveBackendConnect(ctx, &upd); err != nil {
			t.Fatal(err)
		}
		if reveal(upd.Secret) != "first" || !upd.CreatedAt.Equal(created) {
			t.Fatalf("save must return the stored row: secret %q created %v (want %v)", reveal(upd.Secret), upd.CreatedAt, created)
		}
		got, _ = st.GetBackendConnect(ctx, orgID)
		if got.URL != "https://b.example/hook" || got.UserTokenField != "uid" || got.SignatureHeader != "X-Sig" ||
			got.Enabled || reveal(got.Secret) != "first" {
			t.Fatalf("after update: %+v", got)
		}

		if err := st.SetBackendConnectSecret(ctx, orgID, "rotated"); err != nil {
			t.Fatal(err)
		}
		got, _ = st.GetBackendConnect(ctx, orgID)
		if reveal(got.Secret) != "rotated" || got.URL != "https://b.example/hook" {
			t.Fatalf("after rotation: %+v", got)
		}
		if _, err := st.GetBackendConnect(ctx, "org_other"); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("other org: %v", err)
		}
	})
}
