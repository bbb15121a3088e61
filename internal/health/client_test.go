package health

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned is a certificate for 127.0.0.1 other than httptest's.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// With the server's certificate, status speaks HTTPS to 127.0.0.1 although
// the certificate names another host, and refuses any other certificate.
func TestClientPinsTheServersCertificate(t *testing.T) {
	srv := httptest.NewTLSServer(New(Options{Store: &fakeStore{}, Sandbox: "full"}).Handler())
	defer srv.Close()
	other := httptest.NewUnstartedServer(New(Options{Store: &fakeStore{}, Sandbox: "full"}).Handler())
	other.TLS = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	other.StartTLS()
	defer other.Close()

	dir := t.TempDir()
	certFile := filepath.Join(dir, "fullchain.pem")
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(certFile, pemData, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Client(certFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if rep, err := Fetch(ctx, c, srv.URL); err != nil || !rep.Ready() {
		t.Errorf("Fetch with the pinned certificate = %+v, %v", rep, err)
	}
	if _, err := Fetch(ctx, c, other.URL); err == nil || !strings.Contains(err.Error(), "another certificate") {
		t.Errorf("Fetch from a server with another certificate: %v", err)
	}
	plain, err := Client("")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Fetch(ctx, plain, srv.URL); err == nil {
		t.Error("without the pin, a self-signed certificate was trusted")
	}
	bad := filepath.Join(dir, "key.pem")
	os.WriteFile(bad, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600)
	if _, err := Client(bad); err == nil {
		t.Error("a file without a certificate was accepted")
	}
	if _, err := Client(filepath.Join(dir, "missing.pem")); err == nil {
		t.Error("a missing file was accepted")
	}
}
