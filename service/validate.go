package service

import (
	"net/url"
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
