package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a self-signed certificate and its key as PEM files.
func writeCert(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "switchboard"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	_ = os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	_ = os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600)
	return certFile, keyFile
}

func TestTemporalTLSConfig(t *testing.T) {
	base := Config{TemporalAddress: "temporal.example.com:7233"}
	if tc, err := base.TemporalTLSConfig(); tc != nil || err != nil {
		t.Fatalf("plaintext by default: %v %v", tc, err)
	}
	withKey := base
	withKey.TemporalAPIKey = "k"
	if tc, err := withKey.TemporalTLSConfig(); err != nil || tc == nil || tc.ServerName != "temporal.example.com" || len(tc.Certificates) != 0 {
		t.Fatalf("an API key implies TLS to the frontend's name: %+v %v", tc, err)
	}
	cert, key := writeCert(t)
	mtls := base
	mtls.TemporalTLSCert, mtls.TemporalTLSKey, mtls.TemporalTLSCA, mtls.TemporalTLSServer = cert, key, cert, "frontend.internal"
	tc, err := mtls.TemporalTLSConfig()
	if err != nil || len(tc.Certificates) != 1 || tc.RootCAs == nil || tc.ServerName != "frontend.internal" {
		t.Fatalf("mTLS: %+v %v", tc, err)
	}
	for name, c := range map[string]Config{
		"cert without key": {TemporalTLSCert: cert},
		"missing file":     {TemporalTLSCert: "/nope.pem", TemporalTLSKey: key},
		"CA not PEM":       {TemporalTLS: true, TemporalTLSCA: key + ".missing"},
	} {
		if _, err := c.TemporalTLSConfig(); err == nil || !strings.Contains(err.Error(), "TEMPORAL_TLS") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
