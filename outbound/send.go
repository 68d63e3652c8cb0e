package outbound

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/switchboardhq/switchboard/models"
	"github.com/switchboardhq/switchboard/outbound/signing"
)

// Target is a customer endpoint and how to authenticate to it.
type Target struct {
	URL string
	// SigningScheme is a signing scheme name; empty sends unsigned.
	SigningScheme   string
	SignatureHeader string
	// Secrets are the signing secrets, current first. They are also
	// redacted wherever they might appear.
	Secrets []string
	// AuthHeader and AuthValue, when set, are sent as-is (bearer, api_key
	// or basic auth of the chat relay); the value is always redacted.
	AuthHeader string
	AuthValue  string
}

func (t Target) isSecret(v string) bool {
	if v == "" {
		return false
	}
	if v == t.AuthValue {
		return true
	}
	for _, s := range t.Secrets {
		if v == s {
			return true
		}
	}
	return false
}

// Request is one call.
type Request struct {
	Target Target
	// Kind labels the metrics: "delivery", "test", "lookup", ….
	Kind string
	// MessageID is the Idempotency-Key and the signed message id; empty
	// sends no Idempotency-Key.
	MessageID string
	Body      []byte
	Timeout   time.Duration
	// ResponseLimit is how many bytes of the answer are kept; the rest is
	// drained (bounded) so the connection is reused.
	ResponseLimit int
	// Header holds extra headers; they cannot replace the platform's own.
	Header map[string]string
	// Consume, when set, receives a 2xx answer's body as a stream (the
	// chat relay's streamed replies) instead of it being captured; with
	// ConsumeIf set, only answers whose Content-Type it accepts.
	Consume   func(io.Reader) error
	ConsumeIf func(contentType string) bool
	// StreamTimeout, when set with Consume, is how long a consumed body
	// may keep streaming after the answer's headers, which must still
	// arrive within Timeout.
	StreamTimeout time.Duration
}

// Failure kinds of a Result.
const (
	FailNone     = ""
	FailHTTP     = "http_error"    // a non-2xx, non-3xx answer
	FailRedirect = "redirect"      // a 3xx: never followed
	FailNetwork  = "network_error" // no answer
	FailTimeout  = "timeout"
	FailRefused  = "refused" // the SSRF guard refused the destination
	FailSign     = "sign"    // the secret does not fit the scheme
)

// Result is what one call produced: the attempt record. Every text in it
// is already redacted.
type Result struct {
	URL            string            // RedactURL of the target
	RequestHeaders map[string]string // redacted
	Status         int
	Body           []byte // at most ResponseLimit bytes
	Truncated      bool
	Duration       time.Duration
	RetryAfter     time.Duration // from a 429 or 503
	ContentType    string
	FirstByte      time.Duration // until the answer's headers
	Streamed       bool          // the body went to Consume
	Fail           string        // one of the Fail* kinds
	Error          string        // redacted; empty on success
}

// OK reports a 2xx answer.
func (r Result) OK() bool { return r.Fail == FailNone }

// Attempt is the row activities persist for this result.
func (r Result) Attempt(parentID string, number int, at time.Time, bodyLimit int) models.Attempt {
	return models.Attempt{
		ParentID: parentID, Number: number, URL: r.URL, RequestHeaders: r.RequestHeaders,
		ResponseStatus: r.Status, ResponseBody: StorableText(r.Body, bodyLimit),
		DurationMicros: r.Duration.Microseconds(), Error: StorableText([]byte(r.Error), maxErrorText), CreatedAt: at,
	}
}

// maxErrorText is the size of the attempt error column.
const maxErrorText = 1000

// Do signs and sends req and returns the attempt. It never returns a Go
// error: every failure is a Result, already redacted.
func (c *Client) Do(ctx context.Context, req Request) Result {
	ctx, span := tracer.Start(ctx, "POST "+hostOf(req.Target.URL), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("switchboard.kind", req.Kind)))
	defer span.End()
	res := c.do(ctx, req)
	observe(req.Kind, res)
	span.SetAttributes(attribute.Int("http.response.status_code", res.Status))
	if !res.OK() {
		span.SetStatus(codes.Error, res.Fail) // the kind only: error texts may name the URL
	}
	return res
}

// tracer makes the outbound call's client span; with tracing not
// configured it is the global no-op.
var tracer = otel.Tracer("github.com/switchboardhq/switchboard/outbound")

// hostOf is a span name's host: never the path or query, which may hold
// tokens.
func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return "endpoint"
}

func (c *Client) do(ctx context.Context, req Request) Result {
	t := req.Target
	res := Result{URL: RedactURL(t.URL)}
	headers := map[string]string{}
	for k, v := range req.Header {
		headers[http.CanonicalHeaderKey(k)] = v
	}
	headers["Content-Type"] = "application/json"
	headers["User-Agent"] = c.userAgent
	if req.MessageID != "" {
		headers["Idempotency-Key"] = req.MessageID
	}
	if t.AuthHeader != "" {
		headers[t.AuthHeader] = t.AuthValue
	}
	if t.SigningScheme != "" {
		sig, err := signing.Headers(t.SigningScheme, t.SignatureHeader, t.Secrets, signing.Message{ID: req.MessageID, Timestamp: c.now(), Body: req.Body})
		if err != nil {
			res.Fail, res.Error = FailSign, "cannot sign: the endpoint's secret does not fit its signing scheme"
			return res
		}
		for k, v := range sig {
			headers[k] = v
		}
	}
	res.RequestHeaders = redactHeaders(headers, t)

	total := req.Timeout
	if req.Consume != nil && req.StreamTimeout > 0 {
		total += req.StreamTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, total)
	defer cancel()
	start := time.Now()
	// The answer's headers are due within Timeout even when the body may
	// stream for longer.
	var headersLate atomic.Bool
	headerTimer := time.AfterFunc(req.Timeout, func() { headersLate.Store(true); cancel() })
	defer headerTimer.Stop()
	if c.proxy != nil {
		// The dialer only sees the proxy: check the target here.
		if err := c.checkTarget(ctx, t.URL); err != nil {
			res.Fail, res.Error = FailRefused, SendRefusedText
			return res
		}
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(req.Body))
	if err != nil {
		res.Fail, res.Error = FailNetwork, "invalid request URL "+res.URL
		return res
	}
	for k, v := range headers {
		hreq.Header.Set(k, v)
	}
	// The trace continues at the receiver (traceparent) when tracing is
	// configured; the default propagator injects nothing.
	otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(hreq.Header))
	resp, err := c.http.Do(hreq)
	headerTimer.Stop()
	res.Duration = time.Since(start)
	res.FirstByte = res.Duration
	if err != nil {
		res.Fail, res.Error = classify(err, res.Duration, t)
		if headersLate.Load() {
			res.Fail, res.Error = FailTimeout, "timeout after "+res.Duration.Round(time.Millisecond).String()
		}
		return res
	}
	defer resp.Body.Close()
	res.Status = resp.StatusCode
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		res.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	res.ContentType = resp.Header.Get("Content-Type")
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	if ok && req.Consume != nil && (req.ConsumeIf == nil || req.ConsumeIf(res.ContentType)) {
		res.Streamed = true
		if err := req.Consume(resp.Body); err != nil {
			res.Fail, res.Error = classify(err, time.Since(start), t)
		}
		res.Duration = time.Since(start)
		return res
	}
	kept, rerr := io.ReadAll(io.LimitReader(resp.Body, int64(req.ResponseLimit)+1))
	if len(kept) > req.ResponseLimit {
		kept, res.Truncated = kept[:req.ResponseLimit], true
		_, _ = io.CopyN(io.Discard, resp.Body, 1<<20)
	}
	res.Body, res.Duration = kept, time.Since(start)
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Fail = FailRedirect
		res.Error = "HTTP " + strconv.Itoa(resp.StatusCode) + " redirect to " + redirectTarget(resp) + " (redirects are not followed)"
	case !ok:
		res.Fail, res.Error = FailHTTP, "HTTP "+strconv.Itoa(resp.StatusCode)
	case rerr != nil && !res.Truncated:
		res.Fail, res.Error = classify(rerr, res.Duration, t)
	}
	return res
}

// checkTarget resolves and checks the target's host, for the proxy path.
func (c *Client) checkTarget(ctx context.Context, raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return ErrRefused
	}
	_, err = c.guard.Resolve(ctx, u.Hostname())
	return err
}

func redirectTarget(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return "(no valid Location)"
	}
	return RedactURL(loc.String())
}

// classify turns a transport error into a failure kind and a redacted
// message. A guard refusal says only that: no port or address state.
func classify(err error, d time.Duration, t Target) (string, string) {
	var netErr interface{ Timeout() bool }
	switch {
	case errors.Is(err, ErrRefused) || errors.Is(err, ErrNonCanonicalHost):
		return FailRefused, SendRefusedText
	case errors.Is(err, ErrUnresolvable):
		return FailNetwork, "cannot resolve the host of " + RedactURL(t.URL)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr) && netErr.Timeout():
		return FailTimeout, "timeout after " + d.Round(time.Millisecond).String()
	}
	// *url.Error quotes the full URL; keep only its cause, then scrub.
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return FailNetwork, redactText(err.Error(), t)
}

// ParseRetryAfter reads delay-seconds or an HTTP date (RFC 9110 §10.2.3).
func ParseRetryAfter(v string, now time.Time) time.Duration {
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
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return at.Sub(now)
	}
	return 0
}
