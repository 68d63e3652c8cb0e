package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/store"
)

// ErrNoSecretKey is the refusal of serve and worker to run without a key
// that seals signing secrets, unless the plaintext opt-out is set.
var ErrNoSecretKey = errors.New("no " + config.Prefix + "SECRET_KEY: signing secrets would be stored in clear text; " +
	"set it to the Base64 of 32 random bytes (openssl rand -base64 32), or set " +
	config.Prefix + "ALLOW_PLAINTEXT_SECRETS=true to accept clear text")

// KeyRing builds the key ring from SECRET_KEY (current) and
// SECRET_KEYS_OLD; nil when no key is set.
func KeyRing(cfg config.Config) (*models.KeyRing, error) {
	cur := cfg.SecretKeyBytes()
	if cur == nil {
		if len(cfg.OldSecretKeysBytes()) > 0 {
			return nil, errors.New(config.Prefix + "SECRET_KEYS_OLD is set without " + config.Prefix + "SECRET_KEY")
		}
		return nil, nil
	}
	return models.NewKeyRing(cur, cfg.OldSecretKeysBytes()...)
}

// useKeyRing gives the store its ring and runs the start-up check: without
// a key (and no opt-out) or with sealed rows the ring cannot open, the
// process stops now with a message naming the setting, rather than
// answering 500s later.
func useKeyRing(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) error {
	ring, err := KeyRing(cfg)
	if err != nil {
		return err
	}
	if ring == nil {
		if !cfg.AllowPlaintextSecrets {
			return ErrNoSecretKey
		}
		log.Warn("signing secrets are stored in clear text (" + config.Prefix + "ALLOW_PLAINTEXT_SECRETS=true)")
	}
	st.SetKeyRing(ring)
	if err := st.CheckSecrets(ctx); err != nil {
		return fmt.Errorf("refusing to start: %w", err)
	}
	return nil
}

// Reseal re-encrypts every signing secret that is in clear text or under an
// old key with SECRET_KEY, batch rows at a time, and returns the counts and
// the current key id. It migrates first, as the other one-shot commands do.
func Reseal(ctx context.Context, cfg config.Config, batch int) ([]store.ResealCount, string, error) {
	ring, err := KeyRing(cfg)
	if err != nil {
		return nil, "", err
	}
	if ring == nil {
		return nil, "", errors.New("reseal needs " + config.Prefix + "SECRET_KEY (the key to seal with); " +
			config.Prefix + "SECRET_KEYS_OLD lists the keys rows are sealed with now")
	}
	st, err := store.Open(cfg.DatabaseURL, cfg.SQLitePath)
	if err != nil {
		return nil, "", err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, "", err
	}
	st.SetKeyRing(ring)
	counts, err := st.Reseal(ctx, batch)
	return counts, ring.CurrentID(), err
}

// NewSecretKey is a fresh random SECRET_KEY value (Base64 of 32 bytes).
func NewSecretKey() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24.
	return base64.StdEncoding.EncodeToString(b)
}
