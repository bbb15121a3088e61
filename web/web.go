// Package web serves the browser side of classroomd: a login page, a terminal
// page (xterm.js, embedded in the binary), the /ws bridge that carries the
// terminal to the SSH server, and uploads and downloads, which go through
// the SSH server's SFTP subsystem (files.go).
//
// The bridge is an SSH client: for each browser tab it opens an SSH session to
// classroomd's own server (through a dial function the caller provides), so
// logins, limits, auditing and the workspace are exactly those of ssh. The
// password is seen once, at login; after that the browser holds a random token
// in an HttpOnly cookie, and the SSH hop is authenticated by the server's trust
// in the bridge, never by the password.
package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
)

// Sessions is what the web needs of the accounts service (accounts.Service).
type Sessions interface {
	LoginWeb(ctx context.Context, username, password, remote string) (accounts.WebLogin, error)
	WebSession(ctx context.Context, token string) (accounts.WebSession, error)
	LogoutWeb(ctx context.Context, token, remote string) error
}

// DialFunc opens a connection to the SSH server for a browser of user, at
// remote, signed in with the browser session webSession, and returns the client
// configuration to log in with. The SSH server's Bridge method is one.
type DialFunc func(user string, remote net.Addr, webSession int64) (net.Conn, *gossh.ClientConfig, error)

// Options configures a Server.
type Options struct {
	Sessions Sessions
	Dial     DialFunc
	Log      *slog.Logger
	// TLS says the server itself serves HTTPS: cookies are Secure (and
	// __Host- prefixed) and HSTS is sent.
	TLS bool
	// AllowedOrigins are origins (scheme://host[:port]) that may use the login
	// form and /ws besides the request's own host, for a reverse proxy that
	// rewrites Host.
	AllowedOrigins []string
	// TrustedProxies are the addresses of reverse proxies whose
	// X-Forwarded-For and X-Forwarded-Proto are believed.
	TrustedProxies []netip.Prefix
	// LoginRate and ConnectRate limit POST /login and /ws per client address;
	// zero values take the defaults.
	LoginRate, ConnectRate Rate
	// MaxUploadBytes bounds one uploaded file, MaxDownloadBytes a download
	// (a folder's zip: its files' sizes), MaxZipEntries the files and
	// folders in one zip; zero values take the defaults. The home's quota
	// is the SSH server's to enforce.
	MaxUploadBytes, MaxDownloadBytes int64
	MaxZipEntries                    int
}

// Server is the web front door: an http.Handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	static  *staticFiles
	pages   *pages
	origins map[string]bool // lower-cased AllowedOrigins

	loginLimit, connectLimit *limiter
	recheckEvery             time.Duration // how often a bridge rechecks its browser session

	csrfKey      []byte        // the key of the pages' CSRF tokens (files.go)
	transfers    transferConns // the SSH connections of uploads and downloads
	transferIdle time.Duration // how long such a connection is kept unused

	// ctx ends when Close is called: every bridge ends with it.
	ctx     context.Context
	cancel  context.CancelFunc
	bridges sync.WaitGroup
}

// New builds the web server.
func New(o Options) (*Server, error) {
	if o.Sessions == nil || o.Dial == nil {
		return nil, errors.New("web: Sessions and Dial are required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	origins := map[string]bool{}
	for _, origin := range o.AllowedOrigins {
		norm, err := normalizeOrigin(origin)
		if err != nil {
			return nil, err
		}
		origins[norm] = true
	}
	static, err := newStaticFiles()
	if err != nil {
		return nil, err
	}
	pg, err := newPages()
	if err != nil {
		return nil, err
	}
	csrfKey := make([]byte, 32)
	if _, err := rand.Read(csrfKey); err != nil {
		return nil, fmt.Errorf("web: make the CSRF key: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		opts: o, log: o.Log, static: static, pages: pg, origins: origins,
		loginLimit:   newLimiter(o.LoginRate.orDefault(defaultLoginRate)),
		connectLimit: newLimiter(o.ConnectRate.orDefault(defaultConnectRate)),
		recheckEvery: recheckEvery,
		csrfKey:      csrfKey,
		transferIdle: idleConnAfter,
		ctx:          ctx, cancel: cancel,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleLoginPage)
	mux.HandleFunc("POST /login", s.handleLogin)
	mux.HandleFunc("POST /logout", s.handleLogout)
	mux.HandleFunc("GET /term", s.handleTerminalPage)
	mux.HandleFunc("GET /session", s.handleSession)
	mux.HandleFunc("GET /ws", s.handleWS)
	mux.HandleFunc("POST /files/plan", s.handlePlan)
	mux.HandleFunc("POST /files/upload", s.handleUpload)
	mux.HandleFunc("GET /files/info", s.handleInfo)
	mux.HandleFunc("GET /files/download", s.handleDownload)
	mux.Handle("GET /static/", http.StripPrefix("/static", static))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "There is no such page here. Start at /.", http.StatusNotFound)
	})
	s.mux = mux
	return s, nil
}

// ServeHTTP serves every page with the security headers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	// Not no-referrer: under it browsers send "Origin: null" with a form's
	// POST, and the login's origin check could not tell this site from another.
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	if s.opts.TLS {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	s.mux.ServeHTTP(w, r)
}

// contentSecurityPolicy allows this origin's own files and nothing else: no
// inline script, no eval, no plugin, no framing. Inline styles are allowed
// because xterm.js sizes its rows and colours with <style> elements it
// creates. 'wasm-unsafe-eval' lets a script of ours compile WebAssembly (and
// nothing else: eval and new Function stay refused): the image addon decodes
// figures' base64 with a small module it carries inside addon-image.js.
const contentSecurityPolicy = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self'; connect-src 'self'; manifest-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Close ends every bridge (the browsers reconnect when the server is back)
// and every file transfer, and waits for the bridges. http.Server.Shutdown
// does not: it does not track WebSockets.
func (s *Server) Close() {
	s.cancel()
	s.closeTransfers()
	s.bridges.Wait()
}

// clientAddr is the browser's address: the peer's, or, when the peer is a
// trusted proxy, the nearest untrusted address in X-Forwarded-For.
func (s *Server) clientAddr(r *http.Request) netip.AddrPort {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), 0)
	}
	peer = netip.AddrPortFrom(peer.Addr().Unmap(), peer.Port())
	if !s.trusted(peer.Addr()) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a malformed entry: believe nothing further left
		}
		a = a.Unmap()
		if !s.trusted(a) {
			return netip.AddrPortFrom(a, 0)
		}
	}
	return peer
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// secure reports whether the browser reached us over HTTPS.
func (s *Server) secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && s.trusted(peer.Addr().Unmap()) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// sameOrigin reports whether a state-changing request (a login, a logout, a
// WebSocket) comes from this site's own pages: its Origin names this host or
// an allowed origin. Browsers always send Origin with these requests.
func (s *Server) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || origin == "null" {
		return false
	}
	norm, err := normalizeOrigin(origin)
	if err != nil {
		return false
	}
	if s.origins[norm] {
		return true
	}
	_, host, _ := strings.Cut(norm, "://")
	return host != "" && strings.EqualFold(host, r.Host)
}

// normalizeOrigin lower-cases scheme://host[:port] and refuses anything else.
func normalizeOrigin(origin string) (string, error) {
	scheme, host, ok := strings.Cut(strings.ToLower(strings.TrimSpace(origin)), "://")
	if !ok || (scheme != "http" && scheme != "https") || host == "" || strings.ContainsAny(host, "/?#@ ") {
		return "", fmt.Errorf("origin %q: want scheme://host[:port], e.g. https://class.example.edu", origin)
	}
	return scheme + "://" + host, nil
}
