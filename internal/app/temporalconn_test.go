package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"grantflow/internal/devtemporal"
)

// testPKI is a certificate authority made for one test, with the certificates it signed.
type testPKI struct {
	t      *testing.T
	dir    string
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	serial int64
}

func newTestPKI(t *testing.T, name string) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testPKI{t: t, dir: t.TempDir(), ca: ca, caKey: key, serial: 1}
}

// issue signs a certificate for name (a server's DNS name and 127.0.0.1, or a client's subject)
// valid from notBefore to notAfter, and writes it and its key as PEM files.
func (p *testPKI) issue(name string, usage x509.ExtKeyUsage, notBefore, notAfter time.Time) (certFile, keyFile string, cert tls.Certificate) {
	p.t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	p.serial++
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: name},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
	if usage == x509.ExtKeyUsageServerAuth {
		tmpl.DNSNames, tmpl.IPAddresses = []string{name}, []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		p.t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		p.t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	certFile, keyFile = p.write(name+".crt", certPEM), p.write(name+".key", keyPEM)
	if cert, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		p.t.Fatal(err)
	}
	return certFile, keyFile, cert
}

func (p *testPKI) write(name string, data []byte) string {
	p.t.Helper()
	file := filepath.Join(p.dir, name)
	if err := os.WriteFile(file, data, 0o600); err != nil {
		p.t.Fatal(err)
	}
	return file
}

// caFile writes the authority's certificate, for TEMPORAL_TLS_CA_FILE.
func (p *testPKI) caFile() string {
	return p.write("ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}))
}

func (p *testPKI) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(p.ca)
	return pool
}

// clearTemporalEnv unsets every Temporal connection variable for the test.
func clearTemporalEnv(t *testing.T) {
	for _, k := range []string{"TEMPORAL_TLS", "TEMPORAL_TLS_CA_FILE", "TEMPORAL_TLS_CERT_FILE", "TEMPORAL_TLS_KEY_FILE", "TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_API_KEY"} {
		t.Setenv(k, "")
	}
}

func TestTemporalTLSConfig(t *testing.T) {
	clearTemporalEnv(t)
	pki := newTestPKI(t, "Grantflow test CA")
	now := time.Now()
	certFile, keyFile, _ := pki.issue("worker", x509.ExtKeyUsageClientAuth, now.Add(-time.Hour), now.Add(time.Hour))
	_, otherKey, _ := pki.issue("other", x509.ExtKeyUsageClientAuth, now.Add(-time.Hour), now.Add(time.Hour))
	caFile := pki.caFile()
	notPEM := pki.write("notes.txt", []byte("not a certificate\n"))

	c, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if c.TemporalTLS != nil || c.Temporal().TLS != nil {
		t.Errorf("no TEMPORAL_TLS settings: TLS %+v; want plaintext", c.TemporalTLS)
	}

	t.Run("system roots", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS", "true")
		t.Setenv("TEMPORAL_API_KEY", "key-123")
		c, err := LoadConfig()
		if err != nil {
			t.Fatal(err)
		}
		if tc := c.Temporal(); tc.TLS == nil || tc.TLS.RootCAs != nil || len(tc.TLS.Certificates) != 0 || tc.APIKey != "key-123" {
			t.Errorf("TEMPORAL_TLS=true with an API key: %+v", tc)
		}
	})
	t.Run("mutual TLS", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS_CA_FILE", caFile)
		t.Setenv("TEMPORAL_TLS_CERT_FILE", certFile)
		t.Setenv("TEMPORAL_TLS_KEY_FILE", keyFile)
		t.Setenv("TEMPORAL_TLS_SERVER_NAME", "temporal.internal")
		c, err := LoadConfig()
		if err != nil {
			t.Fatal(err)
		}
		tc := c.Temporal().TLS
		if tc == nil || tc.ServerName != "temporal.internal" || len(tc.Certificates) != 1 || tc.Certificates[0].Leaf.Subject.CommonName != "worker" ||
			!tc.RootCAs.Equal(pki.pool()) {
			t.Errorf("mutual TLS config %+v", tc)
		}
	})

	for name, tc := range map[string]struct {
		env  map[string]string
		want string
	}{
		"TEMPORAL_TLS not a boolean": {map[string]string{"TEMPORAL_TLS": "yes please"}, `TEMPORAL_TLS must be true or false, not "yes please"`},
		"TLS off with a CA":          {map[string]string{"TEMPORAL_TLS": "false", "TEMPORAL_TLS_CA_FILE": caFile}, "TEMPORAL_TLS is false but a TEMPORAL_TLS_* setting is given"},
		"API key in clear":           {map[string]string{"TEMPORAL_API_KEY": "key-123"}, "TEMPORAL_API_KEY needs TLS, or the key would travel in clear"},
		"API key with TLS off":       {map[string]string{"TEMPORAL_API_KEY": "key-123", "TEMPORAL_TLS": "false"}, "TEMPORAL_API_KEY needs TLS"},
		"missing CA file":            {map[string]string{"TEMPORAL_TLS_CA_FILE": filepath.Join(pki.dir, "absent.crt")}, "TEMPORAL_TLS_CA_FILE: open "},
		"CA file not PEM":            {map[string]string{"TEMPORAL_TLS_CA_FILE": notPEM}, "TEMPORAL_TLS_CA_FILE: " + notPEM + " holds no PEM certificate"},
		"CA file a key":              {map[string]string{"TEMPORAL_TLS_CA_FILE": keyFile}, "TEMPORAL_TLS_CA_FILE: " + keyFile + " holds no PEM certificate"},
		"certificate without key":    {map[string]string{"TEMPORAL_TLS_CERT_FILE": certFile}, "TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together"},
		"key without certificate":    {map[string]string{"TEMPORAL_TLS_KEY_FILE": keyFile}, "TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together"},
		"missing certificate":        {map[string]string{"TEMPORAL_TLS_CERT_FILE": filepath.Join(pki.dir, "absent.crt"), "TEMPORAL_TLS_KEY_FILE": keyFile}, "TEMPORAL_TLS_CERT_FILE: open "},
		"certificate not PEM":        {map[string]string{"TEMPORAL_TLS_CERT_FILE": notPEM, "TEMPORAL_TLS_KEY_FILE": keyFile}, "TEMPORAL_TLS_CERT_FILE: " + notPEM + " holds no PEM certificate"},
		"missing key":                {map[string]string{"TEMPORAL_TLS_CERT_FILE": certFile, "TEMPORAL_TLS_KEY_FILE": filepath.Join(pki.dir, "absent.key")}, "TEMPORAL_TLS_KEY_FILE: open "},
		"key not PEM":                {map[string]string{"TEMPORAL_TLS_CERT_FILE": certFile, "TEMPORAL_TLS_KEY_FILE": notPEM}, "TEMPORAL_TLS_KEY_FILE: " + notPEM + " holds no PEM private key"},
		"key of another certificate": {map[string]string{"TEMPORAL_TLS_CERT_FILE": certFile, "TEMPORAL_TLS_KEY_FILE": otherKey}, "TEMPORAL_TLS_KEY_FILE: the key in " + otherKey + " is not the one of the certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadConfig error %v; want one saying %q", err, tc.want)
			}
		})
	}
}

// An expired (or not yet valid) client certificate is loaded, so that the process starts, but
// Dial says in the log why the frontend will refuse it.
func TestDialWarnsOfCertificateDates(t *testing.T) {
	pki := newTestPKI(t, "Grantflow test CA")
	now := time.Now()
	_, _, expired := pki.issue("expired", x509.ExtKeyUsageClientAuth, now.Add(-48*time.Hour), now.Add(-24*time.Hour))
	_, _, early := pki.issue("early", x509.ExtKeyUsageClientAuth, now.Add(24*time.Hour), now.Add(48*time.Hour))
	_, _, good := pki.issue("good", x509.ExtKeyUsageClientAuth, now.Add(-time.Hour), now.Add(time.Hour))
	for _, tc := range []struct {
		cert tls.Certificate
		want string
	}{
		{expired, "the client certificate has expired"},
		{early, "the client certificate is not valid yet"},
		{good, ""},
	} {
		var log bytes.Buffer
		warnCertificateValidity(&tls.Config{Certificates: []tls.Certificate{tc.cert}}, now, slog.New(slog.NewTextHandler(&log, nil)))
		if tc.want == "" && log.Len() > 0 || !strings.Contains(log.String(), tc.want) {
			t.Errorf("%s: logged %q; want %q", tc.cert.Leaf.Subject.CommonName, log.String(), tc.want)
		}
	}
}

// tlsFrontend starts an embedded Temporal server whose frontend serves TLS with a certificate of
// pki's for localhost; with mutual, it accepts only clients with a certificate of pki's. Its
// frontend records the authorization header of every DescribeNamespace call.
func tlsFrontend(ctx context.Context, t *testing.T, pki *testPKI, mutual bool) (*devtemporal.Server, *authSeen) {
	t.Helper()
	now := time.Now()
	_, _, serverCert := pki.issue("localhost", x509.ExtKeyUsageServerAuth, now.Add(-time.Hour), now.Add(24*time.Hour))
	_, _, systemCert := pki.issue("temporal-system", x509.ExtKeyUsageClientAuth, now.Add(-time.Hour), now.Add(24*time.Hour))
	serverTLS := &tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12}
	clientTLS := &tls.Config{RootCAs: pki.pool(), ServerName: "localhost"}
	if mutual {
		serverTLS.ClientAuth, serverTLS.ClientCAs = tls.RequireAndVerifyClientCert, pki.pool()
		clientTLS.Certificates = []tls.Certificate{systemCert}
	}
	seen := &authSeen{}
	srv, err := devtemporal.Start(ctx, devtemporal.Options{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), Address: freeAddress(t),
		Logger: slog.New(slog.DiscardHandler), TLS: serverTLS, ClientTLS: clientTLS, FrontendInterceptors: []grpc.UnaryServerInterceptor{seen.intercept}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	return srv, seen
}

// authSeen is the authorization header of the frontend's last DescribeNamespace call.
type authSeen struct {
	mu   sync.Mutex
	last []string
}

func (a *authSeen) intercept(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if _, ok := req.(*workflowservice.DescribeNamespaceRequest); ok {
		md, _ := metadata.FromIncomingContext(ctx)
		a.mu.Lock()
		a.last = md.Get("authorization")
		a.mu.Unlock()
	}
	return handler(ctx, req)
}

func (a *authSeen) get() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last
}

func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// dialFromEnv loads the configuration from the environment as a binary does and dials addr.
func dialFromEnv(ctx context.Context, t *testing.T, addr, namespace string) error {
	t.Helper()
	t.Setenv("TEMPORAL_ADDRESS", addr)
	t.Setenv("TEMPORAL_NAMESPACE", namespace)
	cfg, err := LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, cfg.Temporal(), slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	return err
}

// The TLS settings reach a real Temporal frontend that serves TLS with a certificate of a private
// CA: trusting that CA connects (with the API key on every call), plaintext or another CA does
// not, and says so.
func TestDialTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pki := newTestPKI(t, "Grantflow test CA")
	srv, seen := tlsFrontend(ctx, t, pki, false)

	clearTemporalEnv(t)
	t.Run("plaintext", func(t *testing.T) {
		err := dialFromEnv(ctx, t, srv.Address(), srv.Namespace())
		if err == nil || !strings.Contains(err.Error(), "over plaintext (set TEMPORAL_TLS=true or TEMPORAL_TLS_CA_FILE if the frontend serves TLS)") {
			t.Errorf("plaintext to a TLS frontend: %v", err)
		}
	})
	t.Run("another CA", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS_CA_FILE", newTestPKI(t, "Someone else's CA").caFile())
		err := dialFromEnv(ctx, t, srv.Address(), srv.Namespace())
		if err == nil || !strings.Contains(err.Error(), "over TLS trusting TEMPORAL_TLS_CA_FILE") || !strings.Contains(err.Error(), "certificate signed by unknown authority") {
			t.Errorf("a CA that did not sign the frontend's certificate: %v", err)
		}
	})
	t.Run("system roots", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS", "true")
		err := dialFromEnv(ctx, t, srv.Address(), srv.Namespace())
		if err == nil || !strings.Contains(err.Error(), "over TLS trusting the system's certificate authorities") {
			t.Errorf("a private CA's certificate against the system roots: %v", err)
		}
	})
	t.Run("the CA and an API key", func(t *testing.T) {
		t.Setenv("TEMPORAL_TLS_CA_FILE", pki.caFile())
		t.Setenv("TEMPORAL_API_KEY", "grantflow-test-key")
		if err := dialFromEnv(ctx, t, srv.Address(), srv.Namespace()); err != nil {
			t.Fatalf("TLS with the frontend's CA: %v", err)
		}
		if got := seen.get(); len(got) != 1 || got[0] != "Bearer grantflow-test-key" {
			t.Errorf("the frontend saw authorization %q; want the API key as a bearer token", got)
		}
	})
}

// A frontend that requires client certificates refuses a client without one and accepts one
// with a certificate its CA signed.
func TestDialMutualTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	pki := newTestPKI(t, "Grantflow test CA")
	srv, _ := tlsFrontend(ctx, t, pki, true)
	now := time.Now()

	clearTemporalEnv(t)
	t.Setenv("TEMPORAL_TLS_CA_FILE", pki.caFile())
	t.Run("no client certificate", func(t *testing.T) {
		err := dialFromEnv(ctx, t, srv.Address(), srv.Namespace())
		if !refusedForCertificate(err) || !strings.Contains(err.Error(), "over TLS trusting TEMPORAL_TLS_CA_FILE:") {
			t.Errorf("no client certificate: %v", err)
		}
	})
	t.Run("a certificate of another CA", func(t *testing.T) {
		certFile, keyFile, _ := newTestPKI(t, "Someone else's CA").issue("intruder", x509.ExtKeyUsageClientAuth, now.Add(-time.Hour), now.Add(time.Hour))
		t.Setenv("TEMPORAL_TLS_CERT_FILE", certFile)
		t.Setenv("TEMPORAL_TLS_KEY_FILE", keyFile)
		// Go's client offers only a certificate of a CA the server asks for, so the server sees none.
		if err := dialFromEnv(ctx, t, srv.Address(), srv.Namespace()); !refusedForCertificate(err) {
			t.Errorf("a client certificate of another CA: %v", err)
		}
	})
	t.Run("a certificate of the CA", func(t *testing.T) {
		certFile, keyFile, _ := pki.issue("grantflow-worker", x509.ExtKeyUsageClientAuth, now.Add(-time.Hour), now.Add(time.Hour))
		t.Setenv("TEMPORAL_TLS_CERT_FILE", certFile)
		t.Setenv("TEMPORAL_TLS_KEY_FILE", keyFile)
		if err := dialFromEnv(ctx, t, srv.Address(), srv.Namespace()); err != nil {
			t.Errorf("mutual TLS with the CA's client certificate: %v", err)
		}
	})
}

// refusedForCertificate reports a dial the server refused for want of a client certificate. TLS 1.3
// refuses it after the client's side of the handshake is done, so the client reads the server's
// alert or, when its own write comes first, finds the connection reset or its pipe broken.
func refusedForCertificate(err error) bool {
	if err == nil {
		return false
	}
	for _, refusal := range []string{"tls: certificate required", "connection reset by peer", "broken pipe"} {
		if strings.Contains(err.Error(), refusal) {
			return true
		}
	}
	return false
}

// A TemporalConn built by hand with an API key and no TLS is refused before anything is sent.
func TestDialRefusesAPIKeyInClear(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			t.Error("Dial connected with an API key and no TLS")
			c.Close()
		}
	}()
	_, err = Dial(context.Background(), TemporalConn{Address: l.Addr().String(), Namespace: "default", APIKey: "key-123"}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "an API key needs TLS") {
		t.Errorf("Dial with an API key in clear: %v", err)
	}
}

func TestListenHostConfig(t *testing.T) {
	t.Setenv("PORT", "8080")
	for _, host := range []string{"", "127.0.0.1", "::1", "0.0.0.0", "localhost", "grantflow.internal"} {
		t.Setenv("LISTEN_HOST", host)
		c, err := LoadConfig()
		if err != nil {
			t.Fatalf("LISTEN_HOST=%q: %v", host, err)
		}
		if want := net.JoinHostPort(host, "8080"); c.ListenAddress() != want {
			t.Errorf("LISTEN_HOST=%q: listen address %q; want %q", host, c.ListenAddress(), want)
		}
	}
	for _, host := range []string{"127.0.0.1:8080", "http://localhost", "grant flow", "-bad.example"} {
		t.Setenv("LISTEN_HOST", host)
		if _, err := LoadConfig(); err == nil || !strings.Contains(err.Error(), "LISTEN_HOST must be an IP address or a host name") {
			t.Errorf("LISTEN_HOST=%q: %v", host, err)
		}
	}
}
