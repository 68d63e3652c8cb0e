package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestEgressIPsAreValidatedAtStartUp(t *testing.T) {
	t.Setenv(Prefix+"EGRESS_IPS", " 203.0.113.7, 198.51.100.0/28 ,2001:db8::1,2001:db8:1::/48,")
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	ps, err := c.EgressPrefixes()
	want := "[203.0.113.7/32 198.51.100.0/28 2001:db8::1/128 2001:db8:1::/48]"
	if err != nil || fmt.Sprint(ps) != want {
		t.Fatalf("prefixes %v %v, want %s", ps, err, want)
	}
	for _, bad := range []string{"203.0.113", "egress.example.com", "10.0.0.0/33", "fe80::1%eth0", "1.2.3.4/x"} {
		t.Setenv(Prefix+"EGRESS_IPS", bad)
		if _, err := Load(); err == nil || !strings.Contains(err.Error(), "EGRESS_IPS") {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}
