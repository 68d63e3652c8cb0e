package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"

	"github.com/switchboardhq/switchboard/models"
)

// sealedPrefix marks a secret encrypted at rest. Values without it are
// clear text: written before a key was configured, or with none (dev).
const sealedPrefix = "enc:v1:"

// ErrSecretKeyMissing means a stored secret is encrypted but the store has
// no key to open it.
var ErrSecretKeyMissing = errors.New("store: a signing secret is encrypted at rest but no SWITCHBOARD_SECRET_KEY is configured")

// SetSecretKey turns on encryption at rest of signing secrets (AES-256-GCM)
// for everything this store writes from now on. Rows written in clear text
// before stay readable and are sealed on their next write.
func (s *Store) SetSecretKey(key []byte) error {
	block, err := aes.NewCipher(key)
	if err != nil {
		return err
	}
	if len(key) != 32 {
		return errors.New("store: the secret key must be 32 bytes")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return err
	}
	s.aead = aead
	return nil
}

// seal encrypts a secret for storage; without a key it is stored as is.
func (s *Store) seal(secret string) string {
	if s.aead == nil || secret == "" {
		return secret
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never returns an error since Go 1.24.
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(secret), nil))
}

// unseal returns the clear secret of a stored value.
func (s *Store) unseal(stored string) (string, error) {
	raw, ok := strings.CutPrefix(stored, sealedPrefix)
	if !ok {
		return stored, nil
	}
	if s.aead == nil {
		return "", ErrSecretKeyMissing
	}
	b, err := base64.RawStdEncoding.DecodeString(raw)
	n := s.aead.NonceSize()
	if err != nil || len(b) < n {
		return "", errors.New("store: a sealed secret is malformed")
	}
	plain, err := s.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", errors.New("store: a sealed secret does not open with the configured key")
	}
	return string(plain), nil
}

// unsealWebhooks opens the secrets of loaded endpoints in place.
func (s *Store) unsealWebhooks(ws []models.Webhook) error {
	for i := range ws {
		secret, err := s.unseal(ws[i].Secret)
		if err != nil {
			return err
		}
		ws[i].Secret = secret
	}
	return nil
}
