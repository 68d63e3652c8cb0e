package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"

	"go.temporal.io/sdk/client"
)

// TemporalGrpcCompression is the gRPC compression of connections to the
// Temporal frontend: none unless TEMPORAL_GZIP (the SDK's default is gzip,
// which on loopback and LAN costs both ends CPU for nothing).
func (c Config) TemporalGrpcCompression() client.GrpcCompression {
	if c.TemporalGzip {
		return &client.GrpcCompressionGzip{}
	}
	return &client.GrpcCompressionNone{}
}

// TemporalTLSConfig is the TLS configuration to the Temporal frontend, nil
// for plaintext (the dev server). A client certificate, an API key or
// TEMPORAL_TLS turns it on.
func (c Config) TemporalTLSConfig() (*tls.Config, error) {
	if !c.TemporalTLS && c.TemporalTLSCert == "" && c.TemporalAPIKey == "" {
		return nil, nil
	}
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TemporalTLSServer}
	if t.ServerName == "" {
		if host, _, err := net.SplitHostPort(c.TemporalAddress); err == nil {
			t.ServerName = host
		}
	}
	if (c.TemporalTLSCert == "") != (c.TemporalTLSKey == "") {
		return nil, errors.New(Prefix + "TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together")
	}
	if c.TemporalTLSCert != "" {
		pair, err := tls.LoadX509KeyPair(c.TemporalTLSCert, c.TemporalTLSKey)
		if err != nil {
			return nil, fmt.Errorf("%sTEMPORAL_TLS_CERT/KEY: %w", Prefix, err)
		}
		t.Certificates = []tls.Certificate{pair}
	}
	if c.TemporalTLSCA != "" {
		pem, err := os.ReadFile(c.TemporalTLSCA)
		if err != nil {
			return nil, fmt.Errorf("%sTEMPORAL_TLS_CA: %w", Prefix, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New(Prefix + "TEMPORAL_TLS_CA holds no PEM certificate")
		}
		t.RootCAs = pool
	}
	return t, nil
}
