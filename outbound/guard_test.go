package outbound

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

// fixedResolver answers every name with the same addresses, no DNS.
type fixedResolver []netip.Addr

func (r fixedResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r, nil
}

func addrs(ss ...string) fixedResolver {
	var out fixedResolver
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

// Every special-purpose range is refused as a literal and when a name
// resolves to it; a mixed answer is refused as a whole.
func TestGuardRefusesSpecialPurposeAddresses(t *testing.T) {
	blocked := map[string]string{
		"127.0.0.1": "loopback", "0.0.0.0": "unspecified", "10.0.0.5": "RFC 1918", "172.16.3.4": "RFC 1918",
		"192.168.1.1": "RFC 1918", "169.254.169.254": "metadata", "100.64.0.1": "CGNAT", "224.0.0.1": "multicast",
		"255.255.255.255": "broadcast", "198.18.0.1": "benchmark", "192.0.2.1": "documentation",
		"198.51.100.7": "documentation", "203.0.113.9": "documentation", "240.0.0.1": "reserved",
		"::1": "IPv6 loopback", "::": "IPv6 unspecified", "fd00::1": "ULA", "fe80::1": "IPv6 link-local",
		"::ffff:127.0.0.1": "IPv4-mapped", "::127.0.0.1": "IPv4-compatible", "2002:7f00:1::1": "6to4",
		"64:ff9b::7f00:1": "NAT64", "64:ff9b:1::a00:5": "local NAT64", "ff02::1": "IPv6 multicast", "2001:db8::1": "IPv6 documentation",
	}
	for ip, what := range blocked {
		g := NewGuard(nil, addrs(ip))
		var refused *RefusedError
		if _, err := g.Resolve(t.Context(), ip); !errors.As(err, &refused) || !errors.Is(err, ErrRefused) {
			t.Errorf("%s (%s) as a literal: %v, want refused", ip, what, err)
		}
		if _, err := g.Resolve(t.Context(), "hooks.customer-corp.com"); !errors.Is(err, ErrRefused) {
			t.Errorf("%s (%s) behind a name: %v, want refused", ip, what, err)
		}
	}
	g := NewGuard(nil, addrs("93.184.215.14", "10.0.0.5"))
	if _, err := g.Resolve(t.Context(), "mixed.customer-corp.com"); !errors.Is(err, ErrRefused) {
		t.Errorf("mixed answer: %v, want refused", err)
	}
	if _, err := NewGuard(nil, addrs("93.184.215.14")).Resolve(t.Context(), "hooks.customer-corp.com"); err != nil {
		t.Errorf("public address refused: %v", err)
	}
}

func TestGuardMessageNamesTheRange(t *testing.T) {
	_, err := NewGuard(nil, nil).Resolve(t.Context(), "10.0.0.5")
	if err == nil || err.Error() != "10.0.0.5 is in a private network (10.0.0.0/8)" {
		t.Fatalf("message: %v", err)
	}
}

func TestGuardAllowList(t *testing.T) {
	g := NewGuard([]netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("::1/128")}, addrs("10.1.2.3"))
	for _, host := range []string{"10.1.2.3", "::1", "internal.corp.example.net"} {
		if _, err := g.Resolve(t.Context(), host); err != nil {
			t.Errorf("%s: %v, want allowed", host, err)
		}
	}
	if _, err := g.Resolve(t.Context(), "10.2.0.1"); !errors.Is(err, ErrRefused) {
		t.Errorf("10.2.0.1 outside the allow-list: %v", err)
	}
}

// Alternative IPv4 spellings are refused outright, never resolved.
func TestGuardRefusesNonCanonicalNumericHosts(t *testing.T) {
	g := NewGuard(nil, addrs("93.184.215.14"))
	for _, host := range []string{"2130706433", "0x7f.1", "0x7f000001", "0177.0.0.1", "127.1", "127.0.1", "010.0.0.1", "1.2.3.04"} {
		if _, err := g.Resolve(t.Context(), host); !errors.Is(err, ErrNonCanonicalHost) {
			t.Errorf("%s: %v, want ErrNonCanonicalHost", host, err)
		}
	}
	for _, host := range []string{"localhost", "app.localhost", "LOCALHOST."} {
		if _, err := g.Resolve(t.Context(), host); !errors.Is(err, ErrRefused) {
			t.Errorf("%s: %v, want refused", host, err)
		}
	}
}
