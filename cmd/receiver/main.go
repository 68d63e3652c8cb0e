// Command receiver is a tiny webhook receiver for trying Switchboard: it
// verifies each request's signature the way the docs tell customers to
// (hex HMAC-SHA256 of the raw body, or Standard Webhooks) and prints it.
//
//	go run ./cmd/receiver -secret sbsec_… [-addr 127.0.0.1:9000] [-header Switchboard-Signature]
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "listen address")
	secret := flag.String("secret", "", "the endpoint's signing secret (from the create answer)")
	header := flag.String("header", "Switchboard-Signature", "signature header of the hex scheme")
	flag.Parse()
	if *secret == "" {
		log.Fatal("receiver: -secret is required")
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read error", http.StatusBadRequest)
			return
		}
		ok := verify(*secret, *header, r.Header, body)
		mark := "✗ signature INVALID"
		if ok {
			mark = "✓ signature verified"
		}
		fmt.Printf("%s  %s %s  Idempotency-Key=%s\n  %s\n", mark, r.Method, r.URL.Path, r.Header.Get("Idempotency-Key"), body)
		if !ok {
			http.Error(w, `{"error":"invalid signature"}`, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	fmt.Printf("receiver listening on http://%s\n", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

func verify(secret, header string, h http.Header, body []byte) bool {
	if id := h.Get("webhook-id"); id != "" {
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
		if err != nil {
			return false
		}
		mac := hmac.New(sha256.New, key)
		mac.Write([]byte(id + "." + h.Get("webhook-timestamp") + "."))
		mac.Write(body)
		want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
		for _, sig := range strings.Fields(h.Get("webhook-signature")) {
			if hmac.Equal([]byte(sig), []byte(want)) {
				return true
			}
		}
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal([]byte(h.Get(header)), []byte(hex.EncodeToString(mac.Sum(nil))))
}
