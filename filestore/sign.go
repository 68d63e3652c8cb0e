package filestore

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"strconv"
	"time"
)

var (
	// ErrExpired is returned by Verify for a correctly signed URL whose
	// expiry has passed.
	ErrExpired = errors.New("filestore: link expired")
	// ErrBadSignature is returned by Verify for a missing, malformed or
	// wrong signature or expiry.
	ErrBadSignature = errors.New("filestore: bad signature")
)

// Signer makes and checks short-lived URLs for a file id, so a customer's
// backend can fetch an upload without credentials and a leaked URL stops
// working soon after.
//
// Key should be at least 32 random bytes, used for nothing else: the MAC
// covers only the file id and expiry, so a key shared with another signing
// scheme could let one kind of signature be replayed as the other. Now
// defaults to time.Now and exists so tests can move the clock.
type Signer struct {
	Key []byte
	Now func() time.Time
}

func (s Signer) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Sign returns the hex HMAC-SHA256 of fileID + "\n" + the expiry in Unix
// seconds. The encoding is unambiguous because the expiry, after the last
// newline, is only digits. Sign panics on an empty key: a MAC with no key is
// forgeable by anyone, and that misconfiguration must not reach production
// quietly.
func (s Signer) Sign(fileID string, expires time.Time) string {
	if len(s.Key) == 0 {
		panic("filestore: Signer.Key is empty")
	}
	return hex.EncodeToString(s.mac(fileID, expires.Unix()))
}

func (s Signer) mac(fileID string, unix int64) []byte {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(fileID))
	m.Write([]byte{'\n'})
	m.Write(strconv.AppendInt(nil, unix, 10))
	return m.Sum(nil)
}

// Query returns the query parameters (expires=<unix>&sig=<hex>) that make a
// URL for fileID valid for ttl from now.
func (s Signer) Query(fileID string, ttl time.Duration) url.Values {
	exp := s.now().Add(ttl)
	return url.Values{
		"expires": {strconv.FormatInt(exp.Unix(), 10)},
		"sig":     {s.Sign(fileID, exp)},
	}
}

// Verify checks the expires and sig parameters for fileID. It returns
// ErrBadSignature for anything malformed or not signed with Key, and
// ErrExpired for a genuine URL once its expiry second has been reached.
//
// The signature is checked before the expiry so that "expired" is only ever
// said about URLs the platform really issued.
func (s Signer) Verify(fileID string, q url.Values) error {
	if len(s.Key) == 0 {
		return ErrBadSignature // fail closed, see Sign
	}
	// Exactly one of each: with duplicates, different layers (proxy, router,
	// this check) might each read a different value.
	if len(q["expires"]) != 1 || len(q["sig"]) != 1 {
		return ErrBadSignature
	}
	expStr, sigStr := q["expires"][0], q["sig"][0]
	exp, err := strconv.ParseInt(expStr, 10, 64)
	// Only the canonical form Query produces: "+123" or "0123" would verify
	// against the same MAC, and accepting aliases buys nothing.
	if err != nil || strconv.FormatInt(exp, 10) != expStr {
		return ErrBadSignature
	}
	if len(sigStr) != 2*sha256.Size {
		return ErrBadSignature
	}
	sig, err := hex.DecodeString(sigStr)
	if err != nil {
		return ErrBadSignature
	}
	// hmac.Equal runs in constant time, so response timing does not reveal
	// how many leading bytes of a forged signature were right.
	if !hmac.Equal(sig, s.mac(fileID, exp)) {
		return ErrBadSignature
	}
	if s.now().Unix() >= exp {
		return ErrExpired
	}
	return nil
}
