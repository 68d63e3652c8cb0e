package models

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"

	"gorm.io/gorm/schema"
)

// Stored forms of a signing secret:
//
//	sb1:<kid>:<base64(nonce|ciphertext)>  sealed with the key whose id is kid
//	enc:v1:<base64(nonce|ciphertext)>     legacy: sealed, key not recorded
//	anything else                         clear text (written without a key)
const (
	sealedPrefix = "sb1:"
	legacyPrefix = "enc:v1:"
	// kidLen is the length of a key id: 8 hex digits of SHA-256(key). The
	// store's start-up check relies on it being fixed.
	kidLen = 8
)

// Redacted is what every printed form of a Secret shows.
const Redacted = "[redacted]"

// Errors opening a sealed secret; matched with errors.Is.
var (
	// ErrSecretKeyMissing: a secret is sealed but no key is configured.
	ErrSecretKeyMissing = errors.New("a signing secret is sealed but no SWITCHBOARD_SECRET_KEY is configured")
	// ErrSecretKeyUnknown: a secret is sealed under a key that is not in
	// the ring (neither SWITCHBOARD_SECRET_KEY nor SWITCHBOARD_SECRET_KEYS_OLD).
	ErrSecretKeyUnknown = errors.New("a signing secret is sealed under a key that is not configured (SWITCHBOARD_SECRET_KEY, SWITCHBOARD_SECRET_KEYS_OLD)")
	// ErrSecretMalformed: a sealed value is damaged or does not open.
	ErrSecretMalformed = errors.New("a sealed signing secret is malformed or does not open with its key")
)

// Secret is a signing secret. It keeps the form it was read in (sealed) and
// opens it only on Reveal, so code that loads a row without using its
// secret never decrypts it. Every printed form (fmt verbs, JSON, slog) is
// "[redacted]": showing a secret takes an explicit Reveal.
type Secret struct {
	plain    string
	hasPlain bool
	stored   string   // the column value as read
	ring     *KeyRing // the ring of the store that read it
}

// NewSecret wraps a clear-text secret; the store seals it on write.
func NewSecret(plain string) Secret { return Secret{plain: plain, hasPlain: true} }

// IsZero reports whether no secret is set.
func (s Secret) IsZero() bool { return !s.hasPlain && s.stored == "" || s.hasPlain && s.plain == "" }

// Reveal returns the clear text, opening a sealed value with the key ring of
// the store that loaded it.
func (s Secret) Reveal() (string, error) {
	if s.hasPlain {
		return s.plain, nil
	}
	return s.ring.Open(s.stored)
}

// String, GoString, Format, MarshalJSON and LogValue redact: a Secret that
// lands in a log line, an error or an API answer by mistake shows nothing.
func (Secret) String() string               { return Redacted }
func (Secret) GoString() string             { return Redacted }
func (Secret) Format(f fmt.State, _ rune)   { _, _ = f.Write([]byte(Redacted)) }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }
func (Secret) LogValue() slog.Value         { return slog.StringValue(Redacted) }

// KeyRing holds the current sealing key and older keys that still open
// rows sealed before a rotation. A nil *KeyRing has no key: it writes clear
// text and opens only clear text.
type KeyRing struct {
	current *ringKey
	byID    map[string]*ringKey
}

type ringKey struct {
	id   string
	aead cipher.AEAD
}

// KeyID names a key in stored values: 8 hex digits of its SHA-256, so keys
// need no numbering and a value says which key sealed it.
func KeyID(key []byte) string {
	sum := sha256.Sum256(key)
	return hex.EncodeToString(sum[:])[:kidLen]
}

// NewKeyRing builds a ring that seals with current (32 bytes) and opens
// values sealed with current or any of old.
func NewKeyRing(current []byte, old ...[]byte) (*KeyRing, error) {
	r := &KeyRing{byID: map[string]*ringKey{}}
	for i, k := range append([][]byte{current}, old...) {
		if len(k) != 32 {
			return nil, errors.New("a secret key must be 32 bytes")
		}
		block, err := aes.NewCipher(k)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		rk := &ringKey{id: KeyID(k), aead: aead}
		if i == 0 {
			r.current = rk
		}
		if _, dup := r.byID[rk.id]; !dup {
			r.byID[rk.id] = rk
		}
	}
	return r, nil
}

// CurrentID is the id of the sealing key ("" for a nil ring).
func (r *KeyRing) CurrentID() string {
	if r == nil {
		return ""
	}
	return r.current.id
}

// Has reports whether the ring holds the key with id kid.
func (r *KeyRing) Has(kid string) bool {
	if r == nil {
		return false
	}
	_, ok := r.byID[kid]
	return ok
}

// Seal returns the stored form of plain: sealed with the current key, or
// plain itself for a nil ring (the explicit plaintext opt-out).
func (r *KeyRing) Seal(plain string) string {
	if r == nil || plain == "" {
		return plain
	}
	nonce := make([]byte, r.current.aead.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never returns an error since Go 1.24.
	ct := r.current.aead.Seal(nonce, nonce, []byte(plain), nil)
	return sealedPrefix + r.current.id + ":" + base64.RawStdEncoding.EncodeToString(ct)
}

// Open returns the clear text of a stored value in any of the three forms.
func (r *KeyRing) Open(stored string) (string, error) {
	if rest, ok := strings.CutPrefix(stored, sealedPrefix); ok {
		kid, ct, ok := strings.Cut(rest, ":")
		if !ok {
			return "", ErrSecretMalformed
		}
		if r == nil {
			return "", ErrSecretKeyMissing
		}
		k, ok := r.byID[kid]
		if !ok {
			return "", ErrSecretKeyUnknown
		}
		return k.open(ct)
	}
	if ct, ok := strings.CutPrefix(stored, legacyPrefix); ok {
		if r == nil {
			return "", ErrSecretKeyMissing
		}
		// Legacy values do not name their key: try the current one first.
		if plain, err := r.current.open(ct); err == nil {
			return plain, nil
		}
		for _, k := range r.byID {
			if plain, err := k.open(ct); err == nil {
				return plain, nil
			}
		}
		return "", ErrSecretKeyUnknown
	}
	return stored, nil
}

// IsCurrent reports whether stored is sealed with the ring's current key,
// i.e. needs no reseal. An empty value needs none either.
func (r *KeyRing) IsCurrent(stored string) bool {
	if stored == "" {
		return true
	}
	if r == nil {
		return !IsSealed(stored)
	}
	return strings.HasPrefix(stored, sealedPrefix+r.current.id+":")
}

// IsSealed reports whether a stored value is encrypted (either format).
func IsSealed(stored string) bool {
	return strings.HasPrefix(stored, sealedPrefix) || strings.HasPrefix(stored, legacyPrefix)
}

func (k *ringKey) open(b64 string) (string, error) {
	b, err := base64.RawStdEncoding.DecodeString(b64)
	n := k.aead.NonceSize()
	if err != nil || len(b) < n {
		return "", ErrSecretMalformed
	}
	plain, err := k.aead.Open(nil, b[:n], b[n:], nil)
	if err != nil {
		return "", ErrSecretMalformed
	}
	return string(plain), nil
}

type ringCtxKey struct{}

// WithKeyRing returns ctx carrying r; the store puts its ring on every
// statement's context so the GORM serializer can seal and stamp secrets.
func WithKeyRing(ctx context.Context, r *KeyRing) context.Context {
	return context.WithValue(ctx, ringCtxKey{}, r)
}

func keyRingFrom(ctx context.Context) *KeyRing {
	if ctx == nil {
		return nil
	}
	r, _ := ctx.Value(ringCtxKey{}).(*KeyRing)
	return r
}

// secretSerializer is the GORM serializer of Secret fields (tag
// `serializer:secret`): it seals clear secrets on write, writes a value that
// was read back unchanged, and on read keeps the stored form unopened.
type secretSerializer struct{}

func init() { schema.RegisterSerializer("secret", secretSerializer{}) }

func (secretSerializer) Scan(ctx context.Context, field *schema.Field, dst reflect.Value, dbValue any) error {
	var stored string
	switch v := dbValue.(type) {
	case nil:
	case string:
		stored = v
	case []byte:
		stored = string(v)
	default:
		return fmt.Errorf("secret column %s: unexpected type %T", field.DBName, dbValue)
	}
	field.ReflectValueOf(ctx, dst).Set(reflect.ValueOf(Secret{stored: stored, ring: keyRingFrom(ctx)}))
	return nil
}

func (secretSerializer) Value(ctx context.Context, _ *schema.Field, _ reflect.Value, fieldValue any) (any, error) {
	s, ok := fieldValue.(Secret)
	if !ok {
		return nil, fmt.Errorf("secret serializer: unexpected type %T", fieldValue)
	}
	if !s.hasPlain {
		return s.stored, nil
	}
	return keyRingFrom(ctx).Seal(s.plain), nil
}
