// Package outbound is the one way Switchboard calls a customer endpoint:
// event deliveries, Test sends, Backend Connect lookups and the coming
// Custom App and chat integrations. It owns the target description, signing,
// the only outbound http.Client (keep-alive pools, no redirects, optional
// egress proxy), the SSRF guard at connect time, response capture,
// redaction, metrics and the attempt record. It imports no store, service
// or activities code: activities persist what it returns.
package outbound

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Options configure a Client.
type Options struct {
	// Allow lists ranges the SSRF guard lets through (self-hosted internal
	// receivers; loopback in dev and tests). Everything special-purpose
	// outside it is refused.
	Allow []netip.Prefix
	// Proxy, when set, carries every call (http:// targets as proxy
	// requests, https:// ones through CONNECT). The guard still checks the
	// target's own addresses before the proxy sees the request; the proxy's
	// address itself is trusted.
	Proxy *url.URL
	// Resolver answers target host names; nil is the system resolver.
	Resolver Resolver
	// UserAgent is sent on every call.
	UserAgent string
}

// Client sends requests to customer endpoints. It is safe for concurrent
// use; build one per process.
type Client struct {
	http      *http.Client
	guard     *Guard
	proxy     *url.URL
	proxyAddr string
	userAgent string
	now       func() time.Time
}

// New builds the client. The pools are sized for many concurrent
// deliveries to few hosts, so a burst does not open a TCP connection per
// request.
func New(o Options) *Client {
	c := &Client{guard: NewGuard(o.Allow, o.Resolver), proxy: o.Proxy, userAgent: o.UserAgent, now: time.Now}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConns = 512
	transport.MaxIdleConnsPerHost = 128
	// Only the configured proxy: an ambient HTTP_PROXY must not silently
	// route customer calls elsewhere.
	transport.Proxy = nil
	if o.Proxy != nil {
		transport.Proxy = http.ProxyURL(o.Proxy)
		c.proxyAddr = proxyHostPort(o.Proxy)
	}
	transport.DialContext = c.dial
	c.http = &http.Client{
		Transport: transport,
		// A signed request must never be replayed to another URL: the 3xx
		// comes back as the answer and is reported as a failed attempt.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// Guard is the client's SSRF guard, for save-time checks of URLs with the
// same allow-list and resolver.
func (c *Client) Guard() *Guard { return c.guard }

// dial resolves the address itself (through the injectable resolver),
// refuses the whole name if any address is refused, then dials the allowed
// addresses in order with the guard as Control hook as well, so nothing but
// a checked address is ever connected to.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	if c.proxyAddr != "" && addr == c.proxyAddr {
		return d.DialContext(ctx, network, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, ErrRefused
	}
	addrs, err := c.guard.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	d.Control = c.guard.control
	var last error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, net.JoinHostPort(a.Unmap().String(), port))
		if err == nil {
			return conn, nil
		}
		last = err
	}
	return nil, last
}

func proxyHostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
