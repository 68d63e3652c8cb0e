package service

import (
	"net/http"
	"strings"
)

// reservedHeaders are names a signature header may not take, with the
// reason shown to the client. The platform sets some on every request (a
// signature there would replace Idempotency-Key or be overwritten), and the
// others steer the HTTP transport itself (Go's client drops or rewrites
// Host and Content-Length, so a signature there silently vanishes).
var reservedHeaders = map[string]string{
	"Idempotency-Key": "is set by the platform (the delivery id)",
	"User-Agent":      "is set by the platform",
	"Content-Type":    "is set by the platform",
	"Date":            "is set by the platform",
	"Authorization":   "carries credentials",
	"Cookie":          "carries credentials",

	"Host":              "controls the HTTP transport",
	"Content-Length":    "controls the HTTP transport",
	"Content-Encoding":  "controls the HTTP transport",
	"Accept-Encoding":   "controls the HTTP transport",
	"Transfer-Encoding": "controls the HTTP transport",
	"Connection":        "controls the HTTP transport",
	"Keep-Alive":        "controls the HTTP transport",
	"Expect":            "controls the HTTP transport",
	"Te":                "controls the HTTP transport",
	"Trailer":           "controls the HTTP transport",
	"Upgrade":           "controls the HTTP transport",
	"Via":               "controls the HTTP transport",
	"Forwarded":         "controls the HTTP transport",
	"Max-Forwards":      "controls the HTTP transport",
}

// reservedPrefixes cover whole families: proxy hop headers, the Standard
// Webhooks headers the platform sets, and browser-reserved Sec-* names.
var reservedPrefixes = map[string]string{
	"Proxy-":   "controls the HTTP transport",
	"Webhook-": "is set by the platform (Standard Webhooks)",
	"Sec-":     "is reserved for browsers",
}

// reservedHeader says whether h (any case) is reserved, and why.
func reservedHeader(h string) (string, bool) {
	canon := http.CanonicalHeaderKey(h)
	if why, ok := reservedHeaders[canon]; ok {
		return why, true
	}
	for p, why := range reservedPrefixes {
		if strings.HasPrefix(canon, p) {
			return why, true
		}
	}
	return "", false
}
