package service

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/switchboardhq/switchboard/config"
	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound"
)

// maxURLLen is the longest accepted customer URL (the attempt URL column).
const maxURLLen = 2048

// saveResolveTimeout bounds the save-time lookup of a URL's host.
const saveResolveTimeout = 5 * time.Second

// ValidateURL enforces the rules for every customer URL setting (webhook
// endpoints, Backend Connect, future ones): absolute http(s), a host, a
// port in 1–65535, no credentials, at most 2,048 characters, HTTPS unless
// insecure URLs are allowed, and a destination the SSRF guard accepts. An
// IDN host is checked in its punycode form. Literal IPs must be canonical
// and allowed; host names are resolved and every address checked. The
// outbound client checks again at connect time, which catches rebinding.
func (s *urlChecker) ValidateURL(ctx context.Context, field, raw string) error {
	if raw == "" {
		return models.Invalid(field, "is required")
	}
	if len(raw) > maxURLLen {
		return models.Invalid(field, "must be at most 2048 characters")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return models.Invalid(field, "must be an absolute URL")
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return models.Invalid(field, "must not contain credentials")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !s.insecure {
			return models.Invalid(field, "must use https")
		}
	default:
		return models.Invalid(field, "must use https")
	}
	if p := u.Port(); p != "" || strings.HasSuffix(u.Host, ":") {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return models.Invalid(field, "port must be between 1 and 65535")
		}
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err != nil {
		if host, err = idna.Lookup.ToASCII(host); err != nil {
			return models.Invalid(field, "host is not a valid domain name")
		}
	}
	// A slow resolver must not hold the request: give up like on a failure.
	ctx, cancel := context.WithTimeout(ctx, saveResolveTimeout)
	defer cancel()
	return urlNotAllowed(field, host, s.guard.CheckHost(ctx, host))
}

// urlNotAllowed turns a guard refusal into the client's 400.
func urlNotAllowed(field, host string, err error) error {
	var refused *outbound.RefusedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused):
		return &models.ValidationError{Code: "url_not_allowed", Field: field,
			Message: refused.Error() + "; allow it with " + config.Prefix + "OUTBOUND_ALLOW_CIDRS"}
	case errors.Is(err, outbound.ErrNonCanonicalHost):
		return &models.ValidationError{Code: "url_not_allowed", Field: field,
			Message: host + " is not a canonical IP address; write IPv4 as four decimal numbers (1.2.3.4)"}
	case errors.Is(err, outbound.ErrUnresolvable):
		return &models.ValidationError{Code: "url_not_allowed", Field: field, Message: "host " + host + " does not resolve"}
	}
	return &models.ValidationError{Code: "url_not_allowed", Field: field, Message: "host " + host + " cannot be checked"}
}

// urlChecker checks customer URLs at save time with the guard the
// outbound client uses at send time; Webhooks and BackendConnect share one.
type urlChecker struct {
	insecure bool // plain http:// allowed (tests and dev)
	guard    *outbound.Guard
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
	if why, ok := reservedHeader(h); ok {
		// h holds only token characters here, so quoting it is safe.
		return models.Invalid(field, `"`+h+`" may not be used: it `+why+"; choose a name such as X-Signature")
	}
	return nil
}
