package activities

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// outcome is what one signed POST produced.
type outcome struct {
	Status     int
	Body       []byte
	Duration   time.Duration
	Err        error
	RetryAfter time.Duration
	// Truncated is true when the body exceeded the kept limit.
	Truncated bool
}

// OK reports a 2xx answer.
func (o outcome) OK() bool { return o.Err == nil && o.Status >= 200 && o.Status < 300 }

// errorText is a short description of a failed outcome for attempt rows.
func (o outcome) errorText() string {
	switch {
	case o.Err != nil:
		var netErr interface{ Timeout() bool }
		if errors.As(o.Err, &netErr) && netErr.Timeout() || errors.Is(o.Err, context.DeadlineExceeded) {
			return "timeout after " + o.Duration.Round(time.Millisecond).String()
		}
		return o.Err.Error()
	case o.Status < 200 || o.Status >= 300:
		return "HTTP " + strconv.Itoa(o.Status)
	}
	return ""
}

// post sends body to url with headers, bounded by timeout, and keeps at most
// limit bytes of the answer. The rest of the answer is drained (up to a
// bound) so the connection can be reused.
func (a *Activities) post(ctx context.Context, url string, headers map[string]string, body []byte, timeout time.Duration, limit int) outcome {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return outcome{Err: err}
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := a.HTTP.Do(req)
	if err != nil {
		return outcome{Err: err, Duration: time.Since(start)}
	}
	defer resp.Body.Close()
	kept, err := io.ReadAll(io.LimitReader(resp.Body, int64(limit)+1))
	o := outcome{Status: resp.StatusCode, Duration: time.Since(start)}
	if len(kept) > limit {
		kept, o.Truncated = kept[:limit], true
		_, _ = io.CopyN(io.Discard, resp.Body, 1<<20)
	}
	o.Body = kept
	if err != nil && !o.Truncated {
		o.Err = err
	}
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		o.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return o
}

// parseRetryAfter reads delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// redact hides header values that carry credentials before they are stored.
func redact(headers map[string]string) map[string]string {
	out := make(map[string]string, len(headers))
	for k, v := range headers {
		switch strings.ToLower(k) {
		case "authorization", "proxy-authorization", "x-api-key", "cookie":
			v = "[redacted]"
		}
		out[k] = v
	}
	return out
}
