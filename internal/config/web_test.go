package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func TestWebSettings(t *testing.T) {
	var srv Server
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	srv.RegisterServerFlags(fs)
	t.Setenv("CLASSROOMD_TRUSTED_PROXY", "10.0.0.0/8,192.0.2.1")
	if err := fs.Parse([]string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--web-origin", "https://class.example.edu"}); err != nil {
		t.Fatal(err)
	}
	if err := ApplyEnv(fs); err != nil {
		t.Fatal(err)
	}
	if err := srv.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	ps, err := srv.ParseTrustedProxies()
	if err != nil || len(ps) != 2 || ps[0].String() != "10.0.0.0/8" || ps[1].String() != "192.0.2.1/32" {
		t.Errorf("trusted proxies from the environment = %v, %v", ps, err)
	}
	if len(srv.WebOrigins) != 1 || srv.TLSCert != "c.pem" || srv.TLSKey != "k.pem" {
		t.Errorf("flags not read: %+v", srv)
	}

	srv.TLSKey = ""
	if err := srv.Validate(); err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("a certificate without its key: %v, want an error naming --tls-key", err)
	}
	srv.TLSKey = "k.pem"
	srv.TrustedProxies = []string{"proxy.example"}
	if err := srv.Validate(); err == nil || !strings.Contains(err.Error(), "--trusted-proxy") {
		t.Errorf("a host name as a trusted proxy: %v, want an error naming --trusted-proxy", err)
	}
}

// The web server opens the same workspaces as SSH: without isolation it is
// held to loopback just the same.
func TestHTTPListenAddrWithoutIsolation(t *testing.T) {
	s := Server{HTTPAddr: ":8080"}
	if got, trial, err := s.HTTPListenAddr(false); got != "127.0.0.1:8080" || !trial || err != nil {
		t.Errorf("HTTPListenAddr(:8080) without isolation = %q %v %v; want 127.0.0.1:8080, a trial", got, trial, err)
	}
	s.HTTPAddr = "192.0.2.10:8080"
	if _, _, err := s.HTTPListenAddr(false); !errors.Is(err, ErrNoIsolation) || !strings.Contains(err.Error(), "192.0.2.10:8080") {
		t.Errorf("a public HTTP address without isolation: %v, want ErrNoIsolation naming it", err)
	}
	if got, _, err := s.HTTPListenAddr(true); got != "192.0.2.10:8080" || err != nil {
		t.Errorf("with isolation: %q %v", got, err)
	}
}
