package signing

import (
	"strings"
	"testing"
	"time"
)

// The published Standard Webhooks test vector: a consumer's stock library
// verifies exactly this, so reproducing it is what makes the format real.
func TestStandardWebhooksVector(t *testing.T) {
	h, err := Headers(StandardWebhooks, "", []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, Message{
		ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Timestamp: time.Unix(1614265330, 0), Body: []byte(`{"test": 2432232314}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"webhook-id":        "msg_p5jXN8AQM9LWM0D4loKWxJek",
		"webhook-timestamp": "1614265330",
		"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
	}
	for k, v := range want {
		if h[k] != v {
			t.Errorf("%s = %q, want %q", k, h[k], v)
		}
	}
}

// Expected values computed outside Go with openssl, the command-line form
// of the seed docs' Node and Python examples:
//
//	printf %s '{"userToken":"u_42"}' | openssl dgst -sha256 -hmac my_webhook_secret
//	printf %s <that hex> | base64 -w0
func TestHexAndBase64HexSchemes(t *testing.T) {
	body := []byte(`{"userToken":"u_42"}`)
	const hexWant = "978847d5bb317f26974872b37ff007ecb153faba79617985d1239562d2d5b48b"
	const b64Want = "OTc4ODQ3ZDViYjMxN2YyNjk3NDg3MmIzN2ZmMDA3ZWNiMTUzZmFiYTc5NjE3OTg1ZDEyMzk1NjJkMmQ1YjQ4Yg=="
	h, err := Headers(HexHMAC, "X-Talki-Signature", []string{"my_webhook_secret"}, Message{Body: body})
	if err != nil || h["X-Talki-Signature"] != hexWant {
		t.Fatalf("hex: %v %v", h, err)
	}
	b, err := Headers(Base64HexHMAC, "x-talkable-signature", []string{"my_webhook_secret", "ignored_old_secret"}, Message{Body: body})
	if err != nil || b["x-talkable-signature"] != b64Want {
		t.Fatalf("base64(hex): %v %v", b, err)
	}
}

func TestSecretsAndSchemes(t *testing.T) {
	if !strings.HasPrefix(NewSecret(StandardWebhooks), "whsec_") || !strings.HasPrefix(NewSecret(HexHMAC), "sbsec_") {
		t.Fatal("secret prefixes")
	}
	if NewSecret(HexHMAC) == NewSecret(HexHMAC) {
		t.Fatal("secrets repeat")
	}
	if _, err := Headers(StandardWebhooks, "", []string{"whsec_!!!"}, Message{}); err != ErrBadSecret {
		t.Fatalf("bad whsec secret: %v", err)
	}
	if _, err := Headers("md5", "X", []string{"s"}, Message{}); err == nil || Valid("md5") {
		t.Fatal("unknown scheme accepted")
	}
	if _, err := Headers(HexHMAC, "X", nil, Message{}); err != ErrBadSecret {
		t.Fatalf("no secret: %v", err)
	}
}

// During a rotation overlap webhook-signature carries one "v1," entry per
// secret, current first, separated by a space. The second entry is the
// published vector again, so each entry is checked against a known value.
func TestStandardWebhooksOverlapCarriesBothSignatures(t *testing.T) {
	msg := Message{ID: "msg_p5jXN8AQM9LWM0D4loKWxJek", Timestamp: time.Unix(1614265330, 0), Body: []byte(`{"test": 2432232314}`)}
	only, err := Headers(StandardWebhooks, "", []string{"whsec_" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}, msg)
	if err != nil {
		t.Fatal(err)
	}
	both, err := Headers(StandardWebhooks, "", []string{"whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	want := only["webhook-signature"] + " v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	if both["webhook-signature"] != want || only["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("webhook-signature = %q, want %q", both["webhook-signature"], want)
	}
}
