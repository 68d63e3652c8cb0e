package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"regexp"
	"testing"

	"github.com/switchboardhq/switchboard/app"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// TestDevKeyIsCreatedOnceAndReused: the first dev run writes a 0600 key
// file; later runs read the same key.
func TestDevKeyIsCreatedOnceAndReused(t *testing.T) {
	path := t.TempDir() + "/.data/secret.key"
	key, created, err := devSecretKey(path)
	if err != nil || !created {
		t.Fatalf("first run: %v %v", created, err)
	}
	if b, err := base64.StdEncoding.DecodeString(key); err != nil || len(b) != 32 {
		t.Fatalf("key %q is not Base64 of 32 bytes", key)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	again, created, err := devSecretKey(path)
	if err != nil || created || again != key {
		t.Fatalf("second run: created %v, same %v, %v", created, again == key, err)
	}
	if err := os.WriteFile(path, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := devSecretKey(path); err == nil {
		t.Fatal("a damaged key file was accepted")
	}
}

// seedSealedWebhook writes one endpoint into a fresh SQLite file with key
// (nil: clear text) and points the commands at that file.
func seedSealedWebhook(t *testing.T, key []byte) {
	t.Helper()
	path := t.TempDir() + "/sb.db"
	t.Setenv("SWITCHBOARD_SQLITE_PATH", path)
	t.Setenv("SWITCHBOARD_DATABASE_URL", "")
	st, err := store.Open("", path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if key != nil {
		if err := st.SetSecretKey(key); err != nil {
			t.Fatal(err)
		}
	}
	org := models.Org{ID: models.NewID("org"), Name: "o", CreatedAt: store.Now()}
	k := &models.APIKey{ID: models.NewID("key"), OrgID: org.ID, Kind: models.KeyKindSecret, Hash: models.RandomToken(32), Prefix: "sb_sk_", CreatedAt: store.Now()}
	if err := st.CreateOrg(t.Context(), &org, k); err != nil {
		t.Fatal(err)
	}
	w := models.Webhook{ID: models.NewID("wh"), OrgID: org.ID, URL: "https://a.example", EventTypes: []string{"contact.created"},
		Active: true, Source: "api", SigningScheme: models.SchemeHexHMAC, SignatureHeader: "X-Sig",
		Secret: models.NewSecret("s3cret"), CreatedAt: store.Now(), UpdatedAt: store.Now()}
	if err := st.CreateWebhook(t.Context(), &w); err != nil {
		t.Fatal(err)
	}
}

// TestServeAndWorkerRefuseToStart: no key and no opt-out; sealed rows with
// the opt-out but no key; a key that did not seal the rows. Each refusal
// comes from the start-up check, before Temporal is dialled (the address
// points nowhere a test could reach).
func TestServeAndWorkerRefuseToStart(t *testing.T) {
	keyA, keyB := bytes.Repeat([]byte{3}, 32), bytes.Repeat([]byte{4}, 32)
	t.Setenv("SWITCHBOARD_TEMPORAL_ADDRESS", "127.0.0.1:1")
	for _, cmd := range []string{"serve", "worker"} {
		t.Run(cmd, func(t *testing.T) {
			seedSealedWebhook(t, keyA)
			t.Setenv("SWITCHBOARD_SECRET_KEY", "")
			t.Setenv("SWITCHBOARD_ALLOW_PLAINTEXT_SECRETS", "")
			if err := run([]string{cmd}); !errors.Is(err, app.ErrNoSecretKey) {
				t.Fatalf("no key: %v", err)
			}
			t.Setenv("SWITCHBOARD_ALLOW_PLAINTEXT_SECRETS", "true")
			if err := run([]string{cmd}); !errors.Is(err, models.ErrSecretKeyMissing) {
				t.Fatalf("sealed rows, opt-out, no key: %v", err)
			}
			t.Setenv("SWITCHBOARD_SECRET_KEY", base64.StdEncoding.EncodeToString(keyB))
			if err := run([]string{cmd}); !errors.Is(err, models.ErrSecretKeyUnknown) {
				t.Fatalf("unknown key id: %v", err)
			}
		})
	}
}

// TestSecretsResealCommand: clear-text rows are resealed and counted; a
// second run reseals nothing. (Both backends: store.TestReseal.)
func TestSecretsResealCommand(t *testing.T) {
	seedSealedWebhook(t, nil)
	t.Setenv("SWITCHBOARD_SECRET_KEY", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{5}, 32)))
	var out bytes.Buffer
	stdout = &out
	if err := run([]string{"secrets", "reseal", "-batch", "1"}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^webhooks: 1 resealed, 0 already under key [0-9a-f]{8}$`).MatchString(out.String()) {
		t.Fatalf("first run: %s", out.String())
	}
	out.Reset()
	if err := run([]string{"secrets", "reseal"}); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^webhooks: 0 resealed, 1 already under key`).MatchString(out.String()) {
		t.Fatalf("second run: %s", out.String())
	}
	t.Setenv("SWITCHBOARD_SECRET_KEY", "")
	if err := run([]string{"secrets", "reseal"}); err == nil {
		t.Fatal("reseal without a key ran")
	}
}
