package live

import (
	"errors"
	"strings"
	"testing"
)

func TestTopicWireFormRoundTrips(t *testing.T) {
	for _, tp := range []Topic{Profile("conv_1"), Chat("conv_1"), Delivery("dlv_9"), Profile("a:b")} {
		got, err := ParseTopic(tp.String())
		if err != nil || got != tp {
			t.Fatalf("ParseTopic(%q) = %v, %v", tp.String(), got, err)
		}
	}
	if s := Profile("conv_1").String(); s != "profile:conv_1" {
		t.Fatalf("String = %q", s)
	}
}

func TestParseTopicRefusesForeignPayloads(t *testing.T) {
	for _, s := range []string{"", "conv_1", "profile:", "invoice:1", ":x", "PROFILE:x", "profile:" + strings.Repeat("x", 201)} {
		if _, err := ParseTopic(s); !errors.Is(err, ErrBadTopic) {
			t.Fatalf("ParseTopic(%q) err = %v, want ErrBadTopic", s, err)
		}
	}
}
