package store_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// TestSecretsAreSealedAtRest opens the same database through stores with
// the key, without it and with another key, on SQLite and PostgreSQL.
func TestSecretsAreSealedAtRest(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	other := bytes.Repeat([]byte{9}, 32)
	for name, target := range map[string]func(t *testing.T) (string, string){
		"sqlite":   func(t *testing.T) (string, string) { return "", t.TempDir() + "/s.db" },
		"postgres": func(t *testing.T) (string, string) { return testenv.Postgres(t), "" },
	} {
		t.Run(name, func(t *testing.T) {
			url, path := target(t)
			open := func(k []byte) *store.Store {
				st, err := store.Open(url, path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = st.Close() })
				if k != nil {
					if err := st.SetSecretKey(k); err != nil {
						t.Fatal(err)
					}
				}
				return st
			}
			sealed, clear, wrong := open(key), open(nil), open(other)
			if err := sealed.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			org, w := seedOrg(t, sealed) // secret "s3cret", written with the key
			if got, err := sealed.GetWebhook(t.Context(), org.ID, w.ID); err != nil || got.Secret != "s3cret" {
				t.Fatalf("with the key: %q %v", got.Secret, err)
			}
			if w.Secret != "s3cret" {
				t.Fatalf("CreateWebhook changed the caller's secret to %q", w.Secret)
			}
			if _, err := clear.GetWebhook(t.Context(), org.ID, w.ID); !errors.Is(err, store.ErrSecretKeyMissing) {
				t.Fatalf("without the key the secret must stay sealed, got %v", err)
			}
			if _, err := wrong.WebhookByID(t.Context(), w.ID); err == nil {
				t.Fatal("another key opened the secret")
			}

			// A row written in clear text (before a key was set) stays readable.
			_, legacy := seedOrg(t, clear)
			if got, err := sealed.WebhookByID(t.Context(), legacy.ID); err != nil || got.Secret != "s3cret" {
				t.Fatalf("legacy clear secret: %q %v", got.Secret, err)
			}

			cfg := models.BackendConnect{OrgID: org.ID, URL: "https://a.example", UserTokenField: "userToken",
				SignatureHeader: "X-Sig", Enabled: true, Secret: "bc-secret"}
			if err := sealed.SaveBackendConnect(t.Context(), &cfg); err != nil || cfg.Secret != "bc-secret" {
				t.Fatalf("save: %q %v", cfg.Secret, err)
			}
			if err := sealed.SetBackendConnectSecret(t.Context(), org.ID, "rotated"); err != nil {
				t.Fatal(err)
			}
			if got, err := sealed.GetBackendConnect(t.Context(), org.ID); err != nil || got.Secret != "rotated" {
				t.Fatalf("rotated: %q %v", got.Secret, err)
			}
			if _, err := clear.GetBackendConnect(t.Context(), org.ID); !errors.Is(err, store.ErrSecretKeyMissing) {
				t.Fatalf("Backend Connect secret not sealed: %v", err)
			}
		})
	}
}

func TestSecretKeyMustBe32Bytes(t *testing.T) {
	st, err := store.Open("", t.TempDir()+"/k.db")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.SetSecretKey([]byte("short")); err == nil {
		t.Fatal("a 5-byte key was accepted")
	}
}
