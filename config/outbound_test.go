package config

import (
	"net/netip"
	"slices"
	"testing"
)

func TestOutboundSettings(t *testing.T) {
	t.Setenv(Prefix+"OUTBOUND_ALLOW_CIDRS", "10.1.0.0/16, 192.168.7.9 ,::1/128")
	t.Setenv(Prefix+"OUTBOUND_PROXY", "http://127.0.0.1:3128")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	allow, err := c.OutboundAllowPrefixes()
	want := []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("192.168.7.9/32"), netip.MustParsePrefix("::1/128")}
	if err != nil || !slices.Equal(allow, want) {
		t.Fatalf("allow-list %v %v, want %v", allow, err, want)
	}
	if u, err := c.OutboundProxyURL(); err != nil || u.Host != "127.0.0.1:3128" {
		t.Fatalf("proxy %v %v", u, err)
	}
	for name, bad := range map[string]string{"OUTBOUND_ALLOW_CIDRS": "10.0.0.0/33", "OUTBOUND_PROXY": "socks5://127.0.0.1:1080"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(Prefix+name, bad)
			if _, err := Load(); err == nil {
				t.Fatalf("%s=%s accepted", name, bad)
			}
		})
	}
}

func TestDefaultAllowListIsEmpty(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if allow, err := c.OutboundAllowPrefixes(); err != nil || len(allow) != 0 || c.OutboundProxy != "" {
		t.Fatalf("defaults: %v %v %q", allow, err, c.OutboundProxy)
	}
}
