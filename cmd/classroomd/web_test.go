package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/config"
)

// okHealth stands in for the health checker.
var okHealth = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files.
func selfSigned(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "classroomd test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// With --tls-cert the web server speaks HTTPS: the login page, with HSTS, and /healthz.
func TestWebServerServesHTTPS(t *testing.T) {
	certFile, keyFile := selfSigned(t)
	log := slog.New(slog.DiscardHandler)
	srv, w, err := webServer(config.Server{TLSCert: certFile, TLSKey: keyFile}, nil, nil, okHealth, log)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- serveHTTP(srv, ln) }()
	defer func() {
		srv.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	}()

	pool := x509.NewCertPool()
	pem, _ := os.ReadFile(certFile)
	pool.AppendCertsFromPEM(pem)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	for path, want := range map[string]string{"/": "Sign in", "/healthz": `"ok"`} {
		resp, err := client.Get("https://" + ln.Addr().String() + path)
		if err != nil {
			t.Fatalf("GET %s over HTTPS: %v", path, err)
		}
		body := make([]byte, 64<<10)
		n, _ := resp.Body.Read(body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body[:n]), want) {
			t.Errorf("GET %s over HTTPS = %d, want 200 with %q", path, resp.StatusCode, want)
		}
		if path == "/" && resp.Header.Get("Strict-Transport-Security") == "" {
			t.Error("no HSTS over HTTPS")
		}
	}
	// Plain HTTP on the HTTPS port gets Go's 400, never the page.
	if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("the HTTPS port served the page over plain HTTP")
		}
	}

	// A missing key file is named in the error.
	_, _, err = webServer(config.Server{TLSCert: certFile, TLSKey: filepath.Join(t.TempDir(), "nope.pem")}, nil, nil, okHealth, log)
	if err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("a missing key: %v, want an error naming --tls-key", err)
	}
}
