package models

import (
	"crypto/rand"
	"encoding/base32"
	"strings"
)

var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewID returns a random identifier with a type prefix, e.g. "dlv_…".
// 80 random bits keep IDs short while collisions stay negligible.
func NewID(prefix string) string {
	return prefix + "_" + RandomToken(10)
}

// RandomToken returns n random bytes encoded as lowercase base32.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error since Go 1.24.
	return strings.ToLower(idEncoding.EncodeToString(b))
}
