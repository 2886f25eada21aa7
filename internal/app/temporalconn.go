package app

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
)

// TemporalConn is how this process reaches the Temporal frontend. The workflows believe the actor
// named in an update's payload because only the front door and the workers can reach the frontend:
// in production that connection is authenticated (mutual TLS or an API key) and nobody else's.
type TemporalConn struct {
	Address   string
	Namespace string
	// TLS is the client side of the connection; nil is plaintext (a frontend on loopback only).
	TLS *tls.Config
	// APIKey is sent as "Authorization: Bearer" on every call (Temporal Cloud's API keys); only
	// ever over TLS.
	APIKey string
	// Metrics records the SDK's client and worker metrics; nil records none.
	Metrics client.MetricsHandler
}

// Temporal is the connection these settings describe, for Dial.
func (c Config) Temporal() TemporalConn {
	return TemporalConn{Address: c.TemporalAddress, Namespace: c.TemporalNamespace, TLS: c.TemporalTLS, APIKey: c.TemporalAPIKey,
		Metrics: c.Metrics.Temporal()}
}

// security says how the connection is protected, for an error that must tell a plaintext client
// talking to a TLS frontend (or a wrong CA) apart from a frontend that is down.
func (t TemporalConn) security() string {
	if t.TLS == nil {
		return "plaintext (set TEMPORAL_TLS=true or TEMPORAL_TLS_CA_FILE if the frontend serves TLS)"
	}
	s := "TLS trusting the system's certificate authorities"
	if t.TLS.RootCAs != nil {
		s = "TLS trusting TEMPORAL_TLS_CA_FILE"
	}
	if len(t.TLS.Certificates) > 0 {
		s += " with the client certificate of TEMPORAL_TLS_CERT_FILE"
	}
	if t.APIKey != "" {
		s += " and TEMPORAL_API_KEY"
	}
	return s
}

// warnCertificateValidity logs a client certificate the frontend will refuse for its dates: the
// process still starts, so that a clock or a renewal problem shows up as this line, not as a
// handshake error alone.
func warnCertificateValidity(cfg *tls.Config, now time.Time, logger *slog.Logger) {
	for _, cert := range cfg.Certificates {
		if leaf := cert.Leaf; leaf != nil {
			switch {
			case now.After(leaf.NotAfter):
				logger.Warn("TEMPORAL_TLS_CERT_FILE: the client certificate has expired; the frontend will refuse it", "subject", leaf.Subject.String(), "not_after", leaf.NotAfter)
			case now.Before(leaf.NotBefore):
				logger.Warn("TEMPORAL_TLS_CERT_FILE: the client certificate is not valid yet; the frontend will refuse it", "subject", leaf.Subject.String(), "not_before", leaf.NotBefore)
			}
		}
	}
}

// loadTemporalTLS reads TEMPORAL_TLS and the TEMPORAL_TLS_* files into the client's TLS settings;
// nil when TLS is off. Any of the files or a server name turns TLS on; TEMPORAL_TLS=true turns it
// on with the system's certificate authorities.
func loadTemporalTLS() (*tls.Config, error) {
	caFile, certFile, keyFile := os.Getenv("TEMPORAL_TLS_CA_FILE"), os.Getenv("TEMPORAL_TLS_CERT_FILE"), os.Getenv("TEMPORAL_TLS_KEY_FILE")
	serverName := os.Getenv("TEMPORAL_TLS_SERVER_NAME")
	implied := caFile != "" || certFile != "" || keyFile != "" || serverName != ""
	on := implied
	if v := os.Getenv("TEMPORAL_TLS"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("TEMPORAL_TLS must be true or false, not %q", v)
		}
		if !b && implied {
			return nil, errors.New("TEMPORAL_TLS is false but a TEMPORAL_TLS_* setting is given: remove one or the other")
		}
		on = b
	}
	if !on {
		return nil, nil
	}
	cfg := &tls.Config{ServerName: serverName, MinVersion: tls.VersionTLS12}
	if caFile != "" {
		certs, err := readPEMCertificates("TEMPORAL_TLS_CA_FILE", caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		for _, c := range certs {
			cfg.RootCAs.AddCert(c)
		}
	}
	if (certFile == "") != (keyFile == "") {
		return nil, errors.New("TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together: set both for a client certificate (mutual TLS), or neither")
	}
	if certFile != "" {
		cert, err := readKeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// readPEMCertificates reads the certificates of a PEM file named by the variable name.
func readPEMCertificates(name, file string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return parsePEMCertificates(name, file, data)
}

func parsePEMCertificates(name, file string, data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: certificate %d in %s: %w", name, len(certs)+1, file, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, fmt.Errorf("%s: %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", name, file)
	}
	return certs, nil
}

// readKeyPair reads the client certificate and its private key, saying which file is wrong.
func readKeyPair(certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("TEMPORAL_TLS_CERT_FILE: %w", err)
	}
	if _, err := parsePEMCertificates("TEMPORAL_TLS_CERT_FILE", certFile, certPEM); err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("TEMPORAL_TLS_KEY_FILE: %w", err)
	}
	if block, _ := pem.Decode(keyPEM); block == nil || !strings.HasSuffix(block.Type, "PRIVATE KEY") {
		return tls.Certificate{}, fmt.Errorf("TEMPORAL_TLS_KEY_FILE: %s holds no PEM private key (-----BEGIN PRIVATE KEY-----)", keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		if strings.Contains(err.Error(), "does not match") {
			return tls.Certificate{}, fmt.Errorf("TEMPORAL_TLS_KEY_FILE: the key in %s is not the one of the certificate in TEMPORAL_TLS_CERT_FILE (%s)", keyFile, certFile)
		}
		return tls.Certificate{}, fmt.Errorf("TEMPORAL_TLS_CERT_FILE, TEMPORAL_TLS_KEY_FILE: %w", err)
	}
	return cert, nil
}
