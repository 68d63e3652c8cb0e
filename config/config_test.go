package config

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestDefaultsAreValid(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.DeliveryTimeout != 30*time.Second || c.LookupTimeout != 5*time.Second || c.MaxBodyBytes != 256<<10 || c.DatabaseURL != "" {
		t.Fatalf("defaults: %+v", c)
	}
}

func TestEnvironmentOverridesAndValidation(t *testing.T) {
	t.Setenv(Prefix+"DELIVERY_TIMEOUT", "12s")
	t.Setenv(Prefix+"DATABASE_URL", "postgres://u@h:5432/db")
	c, err := Load()
	if err != nil || c.DeliveryTimeout != 12*time.Second {
		t.Fatalf("override: %v %v", c.DeliveryTimeout, err)
	}
	t.Setenv(Prefix+"DATABASE_URL", "mysql://x")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("bad URL accepted: %v", err)
	}
	t.Setenv(Prefix+"DATABASE_URL", "")
	t.Setenv(Prefix+"DELIVERY_TIMEOUT", "30") // no unit
	if _, err := Load(); err == nil {
		t.Fatal("a unit-less duration was accepted")
	}
	t.Setenv(Prefix+"DELIVERY_TIMEOUT", "-1s")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "DELIVERY_TIMEOUT") {
		t.Fatalf("negative duration: %v", err)
	}
}

func TestUsageListsEverySetting(t *testing.T) {
	var b bytes.Buffer
	Usage(&b)
	for _, name := range []string{"SWITCHBOARD_DATABASE_URL", "SWITCHBOARD_ALLOW_INSECURE_URLS", "SWITCHBOARD_LOOKUP_TIMEOUT"} {
		if !strings.Contains(b.String(), name) {
			t.Fatalf("usage lacks %s", name)
		}
	}
}

func TestSecretKeyValidation(t *testing.T) {
	t.Setenv(Prefix+"SECRET_KEY", "c2hvcnQ=") // "short"
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "SECRET_KEY") {
		t.Fatalf("a 5-byte key was accepted: %v", err)
	}
	t.Setenv(Prefix+"SECRET_KEY", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=") // 32 bytes
	c, err := Load()
	if err != nil || len(c.SecretKeyBytes()) != 32 {
		t.Fatalf("32-byte key: %v", err)
	}
}

func TestOldSecretKeys(t *testing.T) {
	const k32 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	t.Setenv(Prefix+"SECRET_KEYS_OLD", k32+",c2hvcnQ=")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "SECRET_KEYS_OLD") {
		t.Fatalf("a 5-byte old key was accepted: %v", err)
	}
	t.Setenv(Prefix+"SECRET_KEYS_OLD", " "+k32+" , "+k32+",")
	c, err := Load()
	if err != nil || len(c.OldSecretKeysBytes()) != 2 || c.AllowPlaintextSecrets {
		t.Fatalf("old keys: %d %v", len(c.OldSecretKeysBytes()), err)
	}
}

func TestHTTPAndPoolSettings(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPReadHeaderTimeout <= 0 || c.HTTPReadTimeout <= 0 || c.HTTPWriteTimeout <= c.DeliveryTimeout+15*time.Second ||
		c.HTTPIdleTimeout <= 0 || c.DBMaxOpenConns != 20 || c.DBMaxIdleConns > c.DBMaxOpenConns {
		t.Fatalf("defaults: %+v", c)
	}
	t.Setenv(Prefix+"DELIVERY_TIMEOUT", "2m")
	if _, err := Load(); err == nil || !strings.Contains(err.Error(), "HTTP_WRITE_TIMEOUT") {
		t.Fatalf("a write deadline below the Test send's wait was accepted: %v", err)
	}
	t.Setenv(Prefix+"DELIVERY_TIMEOUT", "30s")
	t.Setenv(Prefix+"HTTP_READ_TIMEOUT", "0s")
	t.Setenv(Prefix+"DB_MAX_IDLE_CONNS", "50")
	_, err = Load()
	if err == nil || !strings.Contains(err.Error(), "HTTP_READ_TIMEOUT") || !strings.Contains(err.Error(), "DB_MAX_IDLE_CONNS") {
		t.Fatalf("bad settings accepted: %v", err)
	}
}
