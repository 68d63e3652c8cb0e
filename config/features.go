package config

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/url"
	"strings"
)

// validateFeatures checks the settings added after the core: the chat
// backend and its uploads and widget limits, bulk replays, endpoint
// health, retention and the Temporal cluster's TLS.
func (c Config) validateFeatures() []error {
	var errs []error
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
			errs = append(errs, errors.New(Prefix+"PUBLIC_URL must be an absolute http(s) URL without a query"))
		}
	}
	if c.ReplayRate <= 0 || c.ReplayPage < 1 || c.ReplayPage > 1000 {
		errs = append(errs, errors.New(Prefix+"REPLAY_RATE must be positive and REPLAY_PAGE from 1 to 1000"))
	}
	if _, err := c.TemporalTLSConfig(); err != nil {
		errs = append(errs, err)
	}
	if c.RetentionInterval <= 0 {
		errs = append(errs, errors.New(Prefix+"RETENTION_INTERVAL must be positive"))
	}
	if c.HealthCheckInterval <= 0 || c.AutoDisableAfter < 0 || c.FailingWarnAfter < 0 || c.AutoDisableMinAttempts < 1 {
		errs = append(errs, errors.New(Prefix+"HEALTH_CHECK_INTERVAL must be positive, AUTO_DISABLE_AFTER and FAILING_WARN_AFTER not negative, AUTO_DISABLE_MIN_ATTEMPTS at least 1"))
	}
	if c.ChatTurnsPerRun < 1 {
		errs = append(errs, errors.New(Prefix+"CHAT_TURNS_PER_RUN must be at least 1"))
	}
	if c.ChatIdle <= 0 || c.FileURLTTL <= 0 {
		errs = append(errs, errors.New(Prefix+"CHAT_IDLE and FILE_URL_TTL must be positive durations"))
	}
	if c.UploadDir == "" || c.UploadMaxBytes < 1 || c.UploadsPerConversation < 1 {
		errs = append(errs, errors.New(Prefix+"UPLOAD_DIR must be set, UPLOAD_MAX_BYTES and UPLOADS_PER_CONVERSATION positive"))
	}
	if c.WidgetRatePerIP < 0 || c.WidgetRatePerConv < 0 || c.WidgetBurstPerIP < 1 || c.WidgetBurstPerConv < 1 {
		errs = append(errs, errors.New(Prefix+"WIDGET_RATE_* must not be negative and WIDGET_BURST_* must be at least 1"))
	}
	if _, err := parsePrefixes("TRUSTED_PROXIES", c.TrustedProxies); err != nil {
		errs = append(errs, err)
	}
	return errs
}

// PublicBaseURL is PUBLIC_URL without a trailing slash, or http://HTTP_ADDR.
func (c Config) PublicBaseURL() string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	return "http://" + c.HTTPAddr
}

// FileSigningKey is the key of signed file links, derived from SECRET_KEY
// so every process of a deployment accepts every other's links; nil when
// no SECRET_KEY is set (the caller makes a per-process one).
func (c Config) FileSigningKey() []byte {
	k := c.SecretKeyBytes()
	if k == nil {
		return nil
	}
	m := hmac.New(sha256.New, k)
	m.Write([]byte("switchboard file links v1"))
	return m.Sum(nil)
}
