package signing

import (
	"strings"
	"testing"
	"time"
)

// The published Standard Webhooks test vector: a consumer's stock library
// verifies exactly this, so reproducing it is what makes the format real.
func TestStandardWebhooksVector(t *testing.T) {
	h, err := Headers(StandardWebhooks, "", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Message{
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
	h, err := Headers(HexHMAC, "X-Talki-Signature", "my_webhook_secret", Message{Body: body})
	if err != nil || h["X-Talki-Signature"] != hexWant {
		t.Fatalf("hex: %v %v", h, err)
	}
	b, err := Headers(Base64HexHMAC, "x-talkable-signature", "my_webhook_secret", Message{Body: body})
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
	if _, err := Headers(StandardWebhooks, "", "whsec_!!!", Message{}); err != ErrBadSecret {
		t.Fatalf("bad whsec secret: %v", err)
	}
	if _, err := Headers("md5", "X", "s", Message{}); err == nil || Valid("md5") {
		t.Fatal("unknown scheme accepted")
	}
}
