package main

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/sshd"
	"github.com/classroomd/classroomd/web"
)

// webServer builds the HTTP server: /healthz and /readyz, and the browser workspace, whose
// terminals reach the SSH server through its bridge. With --tls-cert it serves
// HTTPS. Close the *web.Server after shutting the http.Server down: the
// WebSockets are not the http.Server's to close.
func webServer(cfg config.Server, svc *accounts.Service, ssh *sshd.Server, health http.Handler, log *slog.Logger) (*http.Server, *web.Server, error) {
	proxies, err := cfg.ParseTrustedProxies()
	if err != nil {
		return nil, nil, err
	}
	w, err := web.New(web.Options{
		Sessions: svc,
		Dial: func(user string, remote net.Addr, session int64) (net.Conn, *gossh.ClientConfig, error) {
			return ssh.Bridge(&sshd.Bridged{User: user, Remote: remote, WebSession: session})
		},
		Log:            log,
		TLS:            cfg.TLSCert != "",
		AllowedOrigins: cfg.WebOrigins,
		TrustedProxies: proxies,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w (check --web-origin)", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", health)
	mux.Handle("GET /readyz", health)
	mux.Handle("/", w)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("load --tls-cert %s and --tls-key %s: %w (both must be PEM files, the key unencrypted)", cfg.TLSCert, cfg.TLSKey, err)
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return srv, w, nil
}

// serveHTTP serves on ln, over TLS when srv has a certificate.
func serveHTTP(srv *http.Server, ln net.Listener) error {
	if srv.TLSConfig != nil {
		return srv.ServeTLS(ln, "", "")
	}
	return srv.Serve(ln)
}
