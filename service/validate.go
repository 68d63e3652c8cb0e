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

// validHeaderName accepts an HTTP field name (RFC 9110 token characters).
func validHeaderName(h string) bool {
	if h == "" || len(h) > 100 {
		return false
	}
	for _, c := range h {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", c)) {
			return false
		}
	}
	return true
}
