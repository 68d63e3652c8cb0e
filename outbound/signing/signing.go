// Package signing computes the signature headers that receivers verify. It
// supports the three wire formats of the product docs: a hex HMAC-SHA256 of
// the raw body (seeds 000 and 003), Base64 of that hex digest (seed 001), and
// Standard Webhooks (id.timestamp.body, base64, "v1," prefix, whsec_ keys).
package signing

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Scheme names, identical to the values stored on endpoints.
const (
	HexHMAC          = "hmac-sha256-hex"
	Base64HexHMAC    = "hmac-sha256-base64hex"
	StandardWebhooks = "standard-webhooks"
)

// Standard Webhooks header names (https://www.standardwebhooks.com).
const (
	HeaderWebhookID        = "webhook-id"
	HeaderWebhookTimestamp = "webhook-timestamp"
	HeaderWebhookSignature = "webhook-signature"
)

const whsecPrefix = "whsec_"

// ErrBadSecret means a secret cannot be used with its scheme.
var ErrBadSecret = errors.New("signing secret is malformed for its scheme")

// Valid reports whether scheme is a known signing scheme.
func Valid(scheme string) bool {
	switch scheme {
	case HexHMAC, Base64HexHMAC, StandardWebhooks:
		return true
	}
	return false
}

// NewSecret returns a fresh random secret in the format the scheme expects:
// Standard Webhooks secrets are "whsec_" + base64 of 32 random bytes; the
// HMAC schemes use the secret string itself as key, so they get a long
// random token with a recognisable prefix.
func NewSecret(scheme string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24.
	if scheme == StandardWebhooks {
		return whsecPrefix + base64.StdEncoding.EncodeToString(b)
	}
	return "sbsec_" + hex.EncodeToString(b)
}

// Message is what gets signed.
type Message struct {
	// ID identifies the message; Standard Webhooks signs it and it doubles as
	// the Idempotency-Key.
	ID        string
	Timestamp time.Time
	Body      []byte
}

// Headers returns the signature headers for msg. header is the header name
// used by the HMAC schemes; Standard Webhooks fixes its own names. secrets
// are the valid secrets, current first: the HMAC schemes sign with the first
// only (their verifiers compare one value), Standard Webhooks with each, as
// space-separated "v1,<sig>" entries (the spec's form for a rotation
// overlap, so receivers holding either secret verify).
func Headers(scheme, header string, secrets []string, msg Message) (map[string]string, error) {
	if len(secrets) == 0 {
		return nil, ErrBadSecret
	}
	switch scheme {
	case HexHMAC:
		return map[string]string{header: HexDigest(secrets[0], msg.Body)}, nil
	case Base64HexHMAC:
		return map[string]string{header: base64.StdEncoding.EncodeToString([]byte(HexDigest(secrets[0], msg.Body)))}, nil
	case StandardWebhooks:
		ts := strconv.FormatInt(msg.Timestamp.Unix(), 10)
		sigs := make([]string, len(secrets))
		for i, secret := range secrets {
			key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, whsecPrefix))
			if err != nil || len(key) == 0 {
				return nil, ErrBadSecret
			}
			mac := hmac.New(sha256.New, key)
			mac.Write([]byte(msg.ID + "." + ts + "."))
			mac.Write(msg.Body)
			sigs[i] = "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		}
		return map[string]string{
			HeaderWebhookID:        msg.ID,
			HeaderWebhookTimestamp: ts,
			HeaderWebhookSignature: strings.Join(sigs, " "),
		}, nil
	}
	return nil, errors.New("unknown signing scheme " + strconv.Quote(scheme))
}

// HexDigest is the lowercase hex HMAC-SHA256 of body keyed by secret.
func HexDigest(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}
