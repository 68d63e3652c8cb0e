package outbound

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"

	"code.dny.dev/ssrf"
)

// Resolver answers a host name's addresses. *net.Resolver satisfies it;
// tests inject one that answers chosen addresses without any DNS traffic.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ErrRefused is matched (errors.Is) by every refusal of the SSRF guard.
var ErrRefused = errors.New("outbound: destination refused")

// ErrUnresolvable means a host name has no address (or the lookup failed).
var ErrUnresolvable = errors.New("outbound: host does not resolve")

// ErrNonCanonicalHost means a host looks numeric but is not a canonical IP
// address (2130706433, 0x7f.1, 0177.0.0.1, 127.1): such spellings are
// refused outright rather than guessed at, since resolvers disagree on them.
var ErrNonCanonicalHost = errors.New("outbound: host is not a canonical IP address")

// RefusedError says which address the guard refused and why. Its Error text
// names the address and range, so it is for the configuring user at save
// time; a send reports only SendRefusedText (no port or address probing).
type RefusedError struct {
	Addr  netip.Addr
	Range netip.Prefix // zero when the refusal is for the host name itself
	What  string       // e.g. "in a private network"
}

func (e *RefusedError) Error() string {
	if e.Range.IsValid() {
		return e.Addr.String() + " is " + e.What + " (" + e.Range.String() + ")"
	}
	return e.Addr.String() + " is " + e.What
}

// Is makes errors.Is(err, ErrRefused) true.
func (e *RefusedError) Is(target error) bool { return target == ErrRefused }

// SendRefusedText is the whole error of a send the guard refused: the same
// for a closed, open or non-HTTP port, so the Test button cannot probe.
const SendRefusedText = "destination refused by the outbound SSRF guard"

// Guard decides which addresses outbound calls may reach: the IANA
// special-purpose ranges are refused (code.dny.dev/ssrf keeps that list),
// except what the allow-list names.
type Guard struct {
	ssrf     *ssrf.Guardian
	allow    []netip.Prefix
	resolver Resolver
}

// NewGuard builds a guard. allow holds self-hosters' internal ranges (and
// 127.0.0.0/8, ::1/128 for dev and tests); r nil means the system resolver.
func NewGuard(allow []netip.Prefix, r Resolver) *Guard {
	var v4, v6 []netip.Prefix
	for _, p := range allow {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	if r == nil {
		r = net.DefaultResolver
	}
	return &Guard{
		ssrf:     ssrf.New(ssrf.WithAnyPort(), ssrf.WithAllowedV4Prefixes(v4...), ssrf.WithAllowedV6Prefixes(v6...)),
		allow:    allow,
		resolver: r,
	}
}

// CheckAddr refuses an address outside the allowed space.
func (g *Guard) CheckAddr(a netip.Addr) error {
	if a.Zone() != "" {
		return &RefusedError{Addr: a, What: "a scoped (zoned) IPv6 address"}
	}
	if err := g.ssrf.SafeAddr(a); err != nil {
		r, what := describe(a)
		return &RefusedError{Addr: a, Range: r, What: what}
	}
	return nil
}

// control is the net.Dialer Control hook: it runs on every address the
// dialer is about to connect to, after resolution, so a name that rebinds
// between save and send is refused before any packet leaves.
func (g *Guard) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return ErrRefused
	}
	if err := g.ssrf.Safe(network, address, nil); err != nil {
		return g.CheckAddr(ap.Addr()) // a RefusedError describing it
	}
	return nil
}

// Resolve returns the addresses of host (a literal IP or a name) after
// checking every one of them; any refused address refuses the host, so a
// mixed answer cannot be used to reach the internal one.
func (g *Guard) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, g.CheckAddr(a)
	}
	if numericLooking(host) {
		return nil, ErrNonCanonicalHost
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		// RFC 6761: these names always mean loopback.
		lo := netip.MustParseAddr("127.0.0.1")
		return []netip.Addr{lo}, g.CheckAddr(lo)
	}
	addrs, err := g.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return nil, ErrUnresolvable
	}
	for _, a := range addrs {
		if err := g.CheckAddr(a.Unmap()); err != nil {
			return nil, err
		}
	}
	return addrs, nil
}

// CheckHost is the save-time check of a URL's host. Names reserved for
// documentation and testing (RFC 2606/6761: .example, .test, .invalid,
// example.com/.net/.org) are never in public DNS, so they are not looked
// up; the connect-time guard still applies to whatever they resolve to.
func (g *Guard) CheckHost(ctx context.Context, host string) error {
	if reservedName(host) {
		return nil
	}
	_, err := g.Resolve(ctx, host)
	return err
}

func reservedName(host string) bool {
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, suffix := range []string{".example", ".test", ".invalid", "example.com", "example.net", "example.org"} {
		if strings.HasSuffix(name, suffix) && (len(name) == len(suffix) || suffix[0] == '.' || name[len(name)-len(suffix)-1] == '.') {
			return true
		}
	}
	return false
}

// numericLooking reports a host whose last label is all digits or a 0x
// number: no top-level domain looks like that, but inet_aton-style parsers
// read such hosts as IPv4 addresses.
func numericLooking(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := strings.ToLower(labels[len(labels)-1])
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		return true
	}
	return strings.Trim(last, "0123456789") == ""
}

// ranges names the special-purpose ranges for messages; the decision itself
// is the ssrf library's. Order matters: the first match describes.
var ranges = []struct {
	p    netip.Prefix
	what string
}{
	{netip.MustParsePrefix("::/128"), "the unspecified address"},
	{netip.MustParsePrefix("::1/128"), "a loopback address"},
	{netip.MustParsePrefix("::ffff:0:0/96"), "an IPv4-mapped IPv6 address"},
	{netip.MustParsePrefix("::/96"), "an IPv4-compatible IPv6 address"},
	{netip.MustParsePrefix("64:ff9b::/96"), "a NAT64 address"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "a NAT64 address"},
	{netip.MustParsePrefix("2002::/16"), "a 6to4 address"},
	{netip.MustParsePrefix("2001:db8::/32"), "a documentation address"},
	{netip.MustParsePrefix("3fff::/20"), "a documentation address"},
	{netip.MustParsePrefix("fc00::/7"), "in a private network"},
	{netip.MustParsePrefix("fe80::/10"), "link-local (cloud metadata range)"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
	{netip.MustParsePrefix("0.0.0.0/8"), "in the unspecified (this-network) range"},
	{netip.MustParsePrefix("10.0.0.0/8"), "in a private network"},
	{netip.MustParsePrefix("172.16.0.0/12"), "in a private network"},
	{netip.MustParsePrefix("192.168.0.0/16"), "in a private network"},
	{netip.MustParsePrefix("127.0.0.0/8"), "a loopback address"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local (cloud metadata range)"},
	{netip.MustParsePrefix("100.64.0.0/10"), "in the shared CGNAT range"},
	{netip.MustParsePrefix("198.18.0.0/15"), "a benchmarking address"},
	{netip.MustParsePrefix("192.0.2.0/24"), "a documentation address"},
	{netip.MustParsePrefix("198.51.100.0/24"), "a documentation address"},
	{netip.MustParsePrefix("203.0.113.0/24"), "a documentation address"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("255.255.255.255/32"), "the broadcast address"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
}

func describe(a netip.Addr) (netip.Prefix, string) {
	for _, r := range ranges {
		if r.p.Contains(a) {
			return r.p, r.what
		}
	}
	for _, p := range append(append([]netip.Prefix{}, ssrf.IPv4DeniedPrefixes...), ssrf.IPv6DeniedPrefixes...) {
		if p.Contains(a) {
			return p, "a special-purpose address"
		}
	}
	if a.Is6() && !ssrf.IPv6GlobalUnicast.Contains(a) {
		return netip.Prefix{}, "outside the IPv6 global unicast range (2000::/3)"
	}
	return netip.Prefix{}, "not allowed"
}
