package service

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/models"
)

// ValidateURL enforces the endpoint URL rules shared by webhooks and
// Backend Connect: absolute, http(s), a host, no credentials, HTTPS unless
// insecure URLs are allowed.
func (s *Service) ValidateURL(field, raw string) error {
	if raw == "" {
		return models.Invalid(field, "is required")
	}
	if len(raw) > 2048 {
		return models.Invalid(field, "must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return models.Invalid(field, "must be an absolute URL")
	}
	if u.User != nil {
		return models.Invalid(field, "must not contain credentials")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !s.Cfg.AllowInsecureURLs {
			return models.Invalid(field, "must use https")
		}
	default:
		return models.Invalid(field, "must use https")
	}
	return nil
}

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

// validHeaderName checks a configurable signature header: an HTTP field
// name (RFC 9110 token characters, at most 100) that the platform does not
// set itself and that does not change how the request is transported. The
// error names the reason.
func validHeaderName(field, h string) error {
	if h == "" || len(h) > 100 {
		return models.Invalid(field, "must be 1 to 100 characters")
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return models.Invalid(field, "must be a valid HTTP header name (letters, digits and !#$%&'*+-.^_`|~)")
		}
	}
	canon := http.CanonicalHeaderKey(h)
	why, ok := reservedHeaders[canon]
	for p, reason := range reservedPrefixes {
		if !ok && strings.HasPrefix(canon, p) {
			why, ok = reason, true
		}
	}
	if ok {
		return models.Invalid(field, strconv.Quote(h)+" may not be used: it "+why+"; choose a name such as X-Signature")
	}
	return nil
}
