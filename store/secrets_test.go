package store_test

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/testenv"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

var (
	keyA = bytes.Repeat([]byte{7}, 32) // the key before a rotation
	keyB = bytes.Repeat([]byte{9}, 32) // the key after it
)

// reveal is Reveal for comparisons; a failure yields text no test expects.
func reveal(s models.Secret) string {
	p, err := s.Reveal()
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return p
}

func ring(t *testing.T, current []byte, old ...[]byte) *models.KeyRing {
	t.Helper()
	r, err := models.NewKeyRing(current, old...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// sharedDB runs fn on SQLite and PostgreSQL with a function that opens more
// stores on the same database, each with its own key ring (nil: no key).
func sharedDB(t *testing.T, fn func(t *testing.T, open func(*models.KeyRing) *store.Store)) {
	for name, target := range map[string]func(t *testing.T) (string, string){
		"sqlite":   func(t *testing.T) (string, string) { return "", t.TempDir() + "/s.db" },
		"postgres": func(t *testing.T) (string, string) { return testenv.Postgres(t), "" },
	} {
		t.Run(name, func(t *testing.T) {
			url, path := target(t)
			migrated := false
			fn(t, func(r *models.KeyRing) *store.Store {
				st, err := store.Open(url, path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = st.Close() })
				st.SetKeyRing(r)
				if !migrated {
					if err := st.Migrate(t.Context()); err != nil {
						t.Fatal(err)
					}
					migrated = true
				}
				return st
			})
		})
	}
}

// legacySeal is today's (pre key id) "enc:v1:" format, written here
// independently of the models code that reads it.
func legacySeal(t *testing.T, key []byte, plain string) string {
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	nonce := make([]byte, aead.NonceSize())
	return "enc:v1:" + base64.RawStdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plain), nil))
}

// TestSecretsAreSealedAtRest: the raw column holds no clear text, a store
// without the key loads rows but cannot open them, an old key still opens,
// and legacy and clear-text rows stay readable.
func TestSecretsAreSealedAtRest(t *testing.T) {
	sharedDB(t, func(t *testing.T, open func(*models.KeyRing) *store.Store) {
		sealed := open(ring(t, keyA))
		org, w := seedOrg(t, sealed) // secret "s3cret"
		raw := store.RawColumn(sealed, "webhooks", "secret", "id", w.ID)
		if strings.Contains(raw, "s3cret") || !strings.HasPrefix(raw, "sb1:"+models.KeyID(keyA)+":") {
			t.Fatalf("stored secret %q is not sealed with key %s", raw, models.KeyID(keyA))
		}
		if got, err := sealed.GetWebhook(t.Context(), org.ID, w.ID); err != nil || reveal(got.Secret) != "s3cret" {
			t.Fatalf("with the key: %q %v", reveal(got.Secret), err)
		}

		// Paths that do not sign load rows without opening them.
		clear := open(nil)
		if ws, err := clear.ListWebhooks(t.Context(), org.ID); err != nil || len(ws) != 1 {
			t.Fatalf("list without the key: %v %v", ws, err)
		}
		if ws, err := clear.ActiveSubscribers(t.Context(), org.ID, "contact.created"); err != nil || len(ws) != 1 {
			t.Fatalf("ingest without the key: %v %v", ws, err)
		}
		got, err := clear.GetWebhook(t.Context(), org.ID, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := got.Secret.Reveal(); !errors.Is(err, models.ErrSecretKeyMissing) {
			t.Fatalf("without the key: %v", err)
		}
		got, _ = open(ring(t, keyB)).GetWebhook(t.Context(), org.ID, w.ID)
		if _, err := got.Secret.Reveal(); !errors.Is(err, models.ErrSecretKeyUnknown) {
			t.Fatalf("another key: %v", err)
		}
		got, _ = open(ring(t, keyB, keyA)).GetWebhook(t.Context(), org.ID, w.ID)
		if reveal(got.Secret) != "s3cret" {
			t.Fatalf("old key in the ring: %q", reveal(got.Secret))
		}

		// Legacy sealed and clear-text rows open.
		for value, want := range map[string]string{legacySeal(t, keyA, "legacy"): "legacy", "plain-old": "plain-old"} {
			if err := store.SetRawColumn(sealed, "webhooks", "secret", "id", w.ID, value); err != nil {
				t.Fatal(err)
			}
			got, _ := open(ring(t, keyB, keyA)).WebhookByID(t.Context(), w.ID)
			if reveal(got.Secret) != want {
				t.Fatalf("stored %q: got %q, want %q", value, reveal(got.Secret), want)
			}
		}

		// Backend Connect: sealed on save and on rotation; loaded without the key.
		cfg := models.BackendConnect{OrgID: org.ID, URL: "https://b.example", UserTokenField: "userToken",
			SignatureHeader: "X-Sig", Enabled: true, Secret: models.NewSecret("bc-secret")}
		if err := sealed.SaveBackendConnect(t.Context(), &cfg); err != nil || reveal(cfg.Secret) != "bc-secret" {
			t.Fatalf("save: %q %v", reveal(cfg.Secret), err)
		}
		if err := sealed.SetBackendConnectSecret(t.Context(), org.ID, "rotated"); err != nil {
			t.Fatal(err)
		}
		if raw := store.RawColumn(sealed, "backend_connects", "secret", "org_id", org.ID); strings.Contains(raw, "rotated") || !models.IsSealed(raw) {
			t.Fatalf("Backend Connect secret at rest: %q", raw)
		}
		bc, err := clear.GetBackendConnect(t.Context(), org.ID)
		if err != nil || bc.URL != "https://b.example" {
			t.Fatalf("Backend Connect without the key: %v", err)
		}
		if _, err := bc.Secret.Reveal(); !errors.Is(err, models.ErrSecretKeyMissing) {
			t.Fatalf("Backend Connect secret opened without the key: %v", err)
		}
	})
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

// TestStartUpCheck: sealed rows and no key, or a key id not in the ring,
// is a refusal naming the setting; the right ring passes.
func TestStartUpCheck(t *testing.T) {
	sharedDB(t, func(t *testing.T, open func(*models.KeyRing) *store.Store) {
		empty := open(nil)
		if err := empty.CheckSecrets(t.Context()); err != nil {
			t.Fatalf("an empty database needs no key: %v", err)
		}
		seedOrg(t, open(ring(t, keyA)))
		err := open(nil).CheckSecrets(t.Context())
		if !errors.Is(err, models.ErrSecretKeyMissing) || !strings.Contains(err.Error(), "SWITCHBOARD_SECRET_KEY") {
			t.Fatalf("sealed rows, no key: %v", err)
		}
		err = open(ring(t, keyB)).CheckSecrets(t.Context())
		if !errors.Is(err, models.ErrSecretKeyUnknown) || !strings.Contains(err.Error(), "SWITCHBOARD_SECRET_KEYS_OLD") ||
			!strings.Contains(err.Error(), models.KeyID(keyA)) {
			t.Fatalf("unknown key id: %v", err)
		}
		if err := open(ring(t, keyB, keyA)).CheckSecrets(t.Context()); err != nil {
			t.Fatalf("old key in the ring: %v", err)
		}
		// A legacy row (no key id) must open with some key of the ring.
		_, w := seedOrg(t, open(nil))
		if err := store.SetRawColumn(empty, "webhooks", "secret", "id", w.ID, legacySeal(t, keyB, "x")); err != nil {
			t.Fatal(err)
		}
		if err := open(ring(t, keyA)).CheckSecrets(t.Context()); !errors.Is(err, models.ErrSecretKeyUnknown) {
			t.Fatalf("legacy row under a missing key: %v", err)
		}
		if err := open(ring(t, keyA, keyB)).CheckSecrets(t.Context()); err != nil {
			t.Fatalf("legacy row under an old key: %v", err)
		}
	})
}

// TestReseal: clear, legacy and old-key values are re-encrypted with the
// current key, counted per table; a second run changes nothing.
func TestReseal(t *testing.T) {
	sharedDB(t, func(t *testing.T, open func(*models.KeyRing) *store.Store) {
		plain, old := open(nil), open(ring(t, keyA))
		var ids []string
		want := map[string]string{}
		for i, st := range []*store.Store{plain, old, old, plain} {
			org, w := seedOrg(t, st)
			ids = append(ids, w.ID)
			want[w.ID] = "s3cret"
			if i == 2 { // a legacy row
				if err := store.SetRawColumn(old, "webhooks", "secret", "id", w.ID, legacySeal(t, keyA, "legacy")); err != nil {
					t.Fatal(err)
				}
				want[w.ID] = "legacy"
			}
			if i == 0 {
				cfg := models.BackendConnect{OrgID: org.ID, URL: "https://b.example", UserTokenField: "u", SignatureHeader: "X-Sig",
					Enabled: true, Secret: models.NewSecret("bc")}
				if err := plain.SaveBackendConnect(t.Context(), &cfg); err != nil {
					t.Fatal(err)
				}
			}
		}
		_, current := seedOrg(t, open(ring(t, keyB)))
		ids = append(ids, current.ID)
		want[current.ID] = "s3cret"
		before := store.RawColumn(old, "webhooks", "secret", "id", current.ID)

		st := open(ring(t, keyB, keyA))
		counts, err := st.Reseal(t.Context(), 2) // batches smaller than the table
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]store.ResealCount{}
		for _, c := range counts {
			got[c.Table] = c
		}
		if got["webhooks"].Resealed != 4 || got["webhooks"].Checked != 5 || got["backend_connects"].Resealed != 1 {
			t.Fatalf("first reseal: %+v", counts)
		}
		for _, id := range ids {
			raw := store.RawColumn(st, "webhooks", "secret", "id", id)
			if !strings.HasPrefix(raw, "sb1:"+models.KeyID(keyB)+":") {
				t.Fatalf("%s not under the current key: %q", id, raw)
			}
			w, _ := open(ring(t, keyB)).WebhookByID(t.Context(), id)
			if reveal(w.Secret) != want[id] {
				t.Fatalf("%s reveals %q after reseal, want %q", id, reveal(w.Secret), want[id])
			}
		}
		if after := store.RawColumn(st, "webhooks", "secret", "id", current.ID); after != before {
			t.Fatal("a row already under the current key was rewritten")
		}
		again, err := st.Reseal(t.Context(), 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range again {
			if c.Resealed != 0 {
				t.Fatalf("second reseal changed rows: %+v", again)
			}
		}
		if _, err := open(nil).Reseal(t.Context(), 10); !errors.Is(err, models.ErrSecretKeyMissing) {
			t.Fatalf("reseal without a key: %v", err)
		}
	})
}

// TestRotationWritesOnlySecretColumns: an edit that read the endpoint
// before a rotation (the lost-update race) cannot write the old secret back,
// and the rotation does not undo the edit. It also checks the overlap.
func TestRotationWritesOnlySecretColumns(t *testing.T) {
	sharedDB(t, func(t *testing.T, open func(*models.KeyRing) *store.Store) {
		st := open(ring(t, keyA))
		org, w := seedOrg(t, st)
		stale, err := st.GetWebhook(t.Context(), org.ID, w.ID) // the PATCH reads …
		if err != nil {
			t.Fatal(err)
		}
		if err := st.RotateWebhookSecret(t.Context(), org.ID, w.ID, w.SigningScheme, "new-secret", nil); err != nil {
			t.Fatal(err) // … a rotation commits …
		}
		stale.Description = "edited"
		if err := st.SaveWebhook(t.Context(), &stale); err != nil {
			t.Fatal(err) // … and the PATCH writes.
		}
		got, _ := st.GetWebhook(t.Context(), org.ID, w.ID)
		if reveal(got.Secret) != "new-secret" || got.Description != "edited" {
			t.Fatalf("after the race: secret %q, description %q", reveal(got.Secret), got.Description)
		}

		// An overlap keeps the replaced secret, copied sealed, until it ends.
		until := store.Now().Add(time.Hour)
		if err := st.RotateWebhookSecret(t.Context(), org.ID, w.ID, w.SigningScheme, "newer", &until); err != nil {
			t.Fatal(err)
		}
		got, _ = st.GetWebhook(t.Context(), org.ID, w.ID)
		if raw := store.RawColumn(st, "webhooks", "previous_secret", "id", w.ID); !models.IsSealed(raw) {
			t.Fatalf("previous secret at rest: %q", raw)
		}
		secrets := got.SigningSecrets(store.Now())
		if len(secrets) != 2 || reveal(secrets[0]) != "newer" || reveal(secrets[1]) != "new-secret" {
			t.Fatalf("during the overlap: %v", secrets)
		}
		if n := len(got.SigningSecrets(until)); n != 1 {
			t.Fatalf("after the overlap %d secrets sign", n)
		}
		// A rotation for a scheme the endpoint no longer has is a conflict.
		err = st.RotateWebhookSecret(t.Context(), org.ID, w.ID, models.SchemeStandardWebhooks, "x", nil)
		if !errors.Is(err, models.ErrConflict) {
			t.Fatalf("scheme changed: %v", err)
		}
		if err := st.RotateWebhookSecret(t.Context(), org.ID, "wh_missing", w.SigningScheme, "x", nil); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("missing endpoint: %v", err)
		}
		if err := st.RotateWebhookSecret(t.Context(), org.ID, w.ID, w.SigningScheme, "last", nil); err != nil {
			t.Fatal(err)
		}
		got, _ = st.GetWebhook(t.Context(), org.ID, w.ID)
		if !got.PreviousSecret.IsZero() || got.PreviousSecretExpiresAt != nil {
			t.Fatal("an immediate rotation kept the previous secret")
		}
	})
}
