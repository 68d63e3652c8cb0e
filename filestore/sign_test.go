package filestore

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

var t0 = time.Unix(1_750_000_000, 0)

func testSigner(now *time.Time) Signer {
	return Signer{Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return *now }}
}

func TestSignerValid(t *testing.T) {
	now := t0
	s := testSigner(&now)
	q := s.Query("file_1", 5*time.Minute)
	if q.Get("expires") != strconv.FormatInt(t0.Add(5*time.Minute).Unix(), 10) {
		t.Fatalf("expires = %q", q.Get("expires"))
	}
	if len(q.Get("sig")) != 64 {
		t.Fatalf("sig = %q", q.Get("sig"))
	}
	if q.Get("sig") != s.Sign("file_1", t0.Add(5*time.Minute)) {
		t.Fatal("Query and Sign disagree")
	}
	if err := s.Verify("file_1", q); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	// Survives a trip through a real URL.
	parsed, err := url.ParseQuery(q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify("file_1", parsed); err != nil {
		t.Fatalf("Verify after encode = %v", err)
	}
	now = t0.Add(5*time.Minute - time.Second)
	if err := s.Verify("file_1", q); err != nil {
		t.Fatalf("Verify just before expiry = %v", err)
	}
}

func TestSignerExpired(t *testing.T) {
	now := t0
	s := testSigner(&now)
	q := s.Query("file_1", time.Minute)
	now = t0.Add(time.Minute)
	if err := s.Verify("file_1", q); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v, want ErrExpired", err)
	}
	now = t0.Add(time.Hour)
	if err := s.Verify("file_1", q); !errors.Is(err, ErrExpired) {
		t.Fatalf("later: %v, want ErrExpired", err)
	}
}

func TestSignerTampered(t *testing.T) {
	now := t0
	s := testSigner(&now)
	q := s.Query("file_1", time.Minute)

	if err := s.Verify("file_2", q); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("other id: %v", err)
	}
	// Moving the expiry later must not keep the signature valid.
	later := url.Values{"expires": {strconv.FormatInt(t0.Add(time.Hour).Unix(), 10)}, "sig": {q.Get("sig")}}
	if err := s.Verify("file_1", later); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered expiry: %v", err)
	}
	// A tampered URL that is also past its (forged) expiry is still "bad
	// signature", never "expired".
	now = t0.Add(2 * time.Hour)
	if err := s.Verify("file_1", later); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered and expired: %v", err)
	}
	now = t0

	sig := []byte(q.Get("sig"))
	if sig[0] == 'a' {
		sig[0] = 'b'
	} else {
		sig[0] = 'a'
	}
	flipped := url.Values{"expires": q["expires"], "sig": {string(sig)}}
	if err := s.Verify("file_1", flipped); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("flipped sig: %v", err)
	}

	other := Signer{Key: []byte("another key, another key, 32 by!"), Now: s.Now}
	if err := other.Verify("file_1", q); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("wrong key: %v", err)
	}
	if err := s.Verify("file_1", other.Query("file_1", time.Minute)); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("signed by wrong key: %v", err)
	}
	// Newline in the id cannot shift bytes between id and expiry.
	exp := t0.Add(time.Minute)
	if s.Sign("a\n1", exp) == s.Sign("a", exp) {
		t.Fatal("ambiguous encoding")
	}
}

func TestSignerMalformed(t *testing.T) {
	now := t0
	s := testSigner(&now)
	q := s.Query("f", time.Minute)
	exp, sig := q.Get("expires"), q.Get("sig")
	cases := map[string]url.Values{
		"empty":              {},
		"no sig":             {"expires": {exp}},
		"no expires":         {"sig": {sig}},
		"empty expires":      {"expires": {""}, "sig": {sig}},
		"non-numeric":        {"expires": {"soon"}, "sig": {sig}},
		"plus sign":          {"expires": {"+" + exp}, "sig": {sig}},
		"leading zero":       {"expires": {"0" + exp}, "sig": {sig}},
		"float":              {"expires": {exp + ".0"}, "sig": {sig}},
		"overflow":           {"expires": {"99999999999999999999999"}, "sig": {sig}},
		"non-hex sig":        {"expires": {exp}, "sig": {strings.Repeat("z", 64)}},
		"short sig":          {"expires": {exp}, "sig": {sig[:62]}},
		"long sig":           {"expires": {exp}, "sig": {sig + "00"}},
		"empty sig":          {"expires": {exp}, "sig": {""}},
		"duplicate sig":      {"expires": {exp}, "sig": {sig, sig}},
		"duplicate expires":  {"expires": {exp, "1"}, "sig": {sig}},
		"odd-length hex sig": {"expires": {exp}, "sig": {sig[:63]}},
	}
	for name, v := range cases {
		if err := s.Verify("f", v); !errors.Is(err, ErrBadSignature) {
			t.Errorf("%s: Verify = %v, want ErrBadSignature", name, err)
		}
	}
	// Uppercase hex is the same signature and is accepted.
	if err := s.Verify("f", url.Values{"expires": {exp}, "sig": {strings.ToUpper(sig)}}); err != nil {
		t.Errorf("uppercase sig: %v", err)
	}
}

func TestSignerEmptyKey(t *testing.T) {
	var s Signer
	if err := s.Verify("f", url.Values{"expires": {"1"}, "sig": {strings.Repeat("0", 64)}}); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Verify with empty key = %v", err)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Sign with empty key did not panic")
		}
	}()
	s.Sign("f", t0)
}

func TestSignerDefaultClock(t *testing.T) {
	s := Signer{Key: []byte("k")}
	if err := s.Verify("f", s.Query("f", time.Minute)); err != nil {
		t.Fatalf("Verify = %v", err)
	}
	if err := s.Verify("f", s.Query("f", -time.Minute)); !errors.Is(err, ErrExpired) {
		t.Fatalf("negative ttl: %v", err)
	}
}
