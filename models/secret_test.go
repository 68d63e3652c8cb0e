package models

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSecretIsNeverPrinted: every way a value reaches text by accident
// (fmt verbs, on its own and inside a struct, JSON, slog handlers, wrapped
// errors) shows "[redacted]", for a clear secret and a sealed one.
func TestSecretIsNeverPrinted(t *testing.T) {
	const plain = "whsec_TOPSECRETVALUE"
	r, err := NewKeyRing(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	stored := r.Seal(plain)
	for name, s := range map[string]Secret{
		"clear":  NewSecret(plain),
		"sealed": {stored: stored, ring: r},
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := s.Reveal(); err != nil || got != plain {
				t.Fatalf("Reveal = %q, %v", got, err)
			}
			w := Webhook{ID: "wh_1", Secret: s, PreviousSecret: s}
			var out []string
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%T %v"} {
				out = append(out, fmt.Sprintf(verb, s), fmt.Sprintf(verb, w), fmt.Sprintf(verb, &w))
			}
			out = append(out, s.String(), s.GoString(), fmt.Sprint(s), fmt.Sprintln(s, w))
			j, err := json.Marshal(w)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(j))
			var logs bytes.Buffer
			for _, h := range []slog.Handler{slog.NewTextHandler(&logs, nil), slog.NewJSONHandler(&logs, nil)} {
				slog.New(h).Info("msg", "secret", s, "webhook", w, slog.Any("ptr", &w))
			}
			out = append(out, logs.String())
			wrapped := fmt.Errorf("sign with %v: %w", s, errors.New("boom"))
			out = append(out, wrapped.Error(), fmt.Sprintf("%+v", wrapped))
			for _, text := range out {
				if strings.Contains(text, "TOPSECRET") || strings.Contains(text, stored) || strings.Contains(text, stored[len(stored)-20:]) {
					t.Fatalf("secret printed: %s", text)
				}
			}
			if !strings.Contains(string(j), `"Secret":"[redacted]"`) || !strings.Contains(logs.String(), "secret=[redacted]") {
				t.Fatalf("redaction marker missing: %s / %s", j, logs.String())
			}
		})
	}
}

func TestKeyRing(t *testing.T) {
	a, b := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	if _, err := NewKeyRing(a[:16]); err == nil {
		t.Fatal("a 16-byte key was accepted")
	}
	old, _ := NewKeyRing(a)
	cur, _ := NewKeyRing(b, a)
	v := old.Seal("x")
	if cur.IsCurrent(v) || !old.IsCurrent(v) || !cur.Has(KeyID(a)) || cur.CurrentID() != KeyID(b) {
		t.Fatal("key ids")
	}
	if got, err := cur.Open(v); err != nil || got != "x" {
		t.Fatalf("old key: %q %v", got, err)
	}
	if _, err := (*KeyRing)(nil).Open(v); !errors.Is(err, ErrSecretKeyMissing) {
		t.Fatalf("nil ring: %v", err)
	}
	if _, err := cur.Open("sb1:" + KeyID(b) + ":AAAA"); !errors.Is(err, ErrSecretMalformed) {
		t.Fatalf("damaged value: %v", err)
	}
	if s1, s2 := cur.Seal("x"), cur.Seal("x"); s1 == s2 {
		t.Fatal("nonces repeat")
	}
}
