// Package sshd is classroomd's SSH server (wish v2): it authenticates students and
// professors against the roster, enforces connection and session limits, audits
// logins, and hands each session's terminal to the TUI.
package sshd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"path/filepath"
	"sync"
	"sync/atomic"

	"charm.land/ssh"
	"charm.land/wish/v2"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/classroom"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/console"
	"github.com/classroomd/classroomd/internal/course"
	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/workspace"
)

// Options configures a Server.
type Options struct {
	Config      config.Server
	HostKeyPath string // generated on first start, then kept
	HomesDir    string
	Accounts    *accounts.Service
	// Workspaces gives each login its live workspace (required for terminals).
	Workspaces *workspace.Manager
	// Classroom shows announcements and the help queue in workspaces; nil
	// leaves them out.
	Classroom *classroom.Service
	// Console is the professors' console, offered to every session: the
	// server refuses (and audits) what a student asks of it. Nil: none.
	Console *console.Service
	// Course runs the students' check, submit, submissions and grades
	// commands (#14); nil: they say assignments are not set up.
	Course *course.Service
	Log    *slog.Logger
	// Metrics get sessions by transport and keystroke latency; nil
	// records nothing.
	Metrics *metrics.Metrics
	// StorePing, when set, is asked (at most once a second) before a
	// login whether the store answers and takes a write; while it does not,
	// clients are told so in the SSH banner and logins are refused (a login
	// that cannot be recorded, or a wrong password that cannot be counted,
	// must not pass).
	StorePing func(context.Context) error
	// CourseDir is the course folder professors see read-only at /course
	// over SFTP ("" or missing: not shown).
	CourseDir string
}

// Server is the SSH front door.
type Server struct {
	opts  Options
	log   *slog.Logger
	ssh   *ssh.Server
	conns *connLimiter

	bridge *bridge // the web bridge's key and connections: see bridge.go

	storeCheck *storeCheck // whether the store answers, for the banner

	listenAddr atomic.Value // net.Addr of Serve's listener, for the help's scp commands

	mu       sync.Mutex
	sessions map[string]int // live sessions per username

	sftpMu    sync.Mutex
	sftpHomes map[string]*sharedHome // homes open for SFTP, per username (sftp.go)
}

// Context keys for values the auth handlers leave for the session.
type ctxKey string

const keyFingerprint ctxKey = "classroomd.key-fingerprint" // set when a public key was accepted

// New builds the server; it creates the host key if it does not exist yet.
func New(o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	br, err := newBridge()
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:   o,
		bridge: br,
		log:    o.Log,
		conns: newConnLimiter(o.Config.MaxConnections, o.Config.MaxConnectionsPerIP,
			o.Config.MaxUnauthenticated, o.Config.MaxUnauthenticatedPerIP),
		sessions: map[string]int{},
	}
	srv, err := wish.NewServer(
		wish.WithAddress(o.Config.SSHAddr),
		wish.WithHostKeyPath(o.HostKeyPath),
		wish.WithPasswordAuth(s.passwordAuth),
		wish.WithPublicKeyAuth(s.publicKeyAuth),
		wish.WithIdleTimeout(o.Config.IdleTimeout),
		wish.WithVersion("classroomd"),
		wish.WithMiddleware(s.middlewares()...),
	)
	if err != nil {
		return nil, fmt.Errorf("ssh server: %w (host key %s)", err, o.HostKeyPath)
	}
	srv.HandshakeTimeout = o.Config.HandshakeTimeout
	srv.ConnCallback = s.admitConn // marks bridged connections, then applies the limits
	// A channel is opened only once logged in: the connection leaves the
	// unauthenticated ones (limits.go) whatever the login method.
	srv.ChannelHandlers = map[string]ssh.ChannelHandler{}
	for name, h := range ssh.DefaultChannelHandlers {
		srv.ChannelHandlers[name] = func(srv *ssh.Server, conn *gossh.ServerConn, ch gossh.NewChannel, ctx ssh.Context) {
			s.conns.authenticated(ctx)
			release, ok := s.conns.openChannel(ctx)
			if !ok {
				_ = ch.Reject(gossh.ResourceShortage, fmt.Sprintf("at most %d channels are open on one connection", maxChannelsPerConn))
				return
			}
			defer release()
			h(srv, conn, ch, ctx)
		}
	}
	// SFTP (and so modern scp) passes the same login, session limit and
	// home check as a terminal; see sftp.go.
	srv.SubsystemHandlers = map[string]ssh.SubsystemHandler{
		"sftp": ssh.SubsystemHandler(s.recoverMiddleware(s.sessionLimitMiddleware(s.homeMiddleware(s.sftpHandler)))),
	}
	s.storeCheck = &storeCheck{ping: o.StorePing}
	srv.BannerHandler = s.storeCheck.banner
	srv.ServerConfigCallback = func(ssh.Context) *gossh.ServerConfig {
		// Password prompts per connection; throttling, not this, limits guessing.
		return &gossh.ServerConfig{MaxAuthTries: 6}
	}
	s.ssh = srv
	return s, nil
}

// middlewares returns the session chain. wish runs the last one given first, so
// this list reads innermost first: recover is outermost, the app innermost.
func (s *Server) middlewares() []wish.Middleware {
	return []wish.Middleware{s.appMiddleware, s.homeMiddleware, s.sessionLimitMiddleware, s.recoverMiddleware}
}

// Serve accepts connections on l until Shutdown.
func (s *Server) Serve(l net.Listener) error {
	s.listenAddr.Store(l.Addr())
	err := s.ssh.Serve(l)
	if errors.Is(err, ssh.ErrServerClosed) {
		return nil
	}
	return err
}

// HandleConn serves one already-accepted connection (the web bridge uses this).
func (s *Server) HandleConn(c net.Conn) { s.ssh.HandleConn(c) }

// Shutdown stops accepting and waits for connections to end until ctx is done,
// then closes the rest.
func (s *Server) Shutdown(ctx context.Context) error {
	defer s.bridge.closeAll() // bridged connections still in their handshake
	err := s.ssh.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return s.ssh.Close()
	}
	return err
}

// passwordAuth verifies a password; throttling may hold it back first.
func (s *Server) passwordAuth(ctx ssh.Context, password string) bool {
	if bridged(ctx) != nil {
		return false // the bridge logs in with its key only
	}
	if s.storeCheck.refuses() {
		s.logFor(ctx).Warn("login refused: the store is down", "user", accounts.Printable(ctx.User()),
			"remote", ctx.RemoteAddr().String(), "method", "password")
		return false
	}
	res, err := s.opts.Accounts.LoginPassword(ctx, ctx.User(), password, ctx.RemoteAddr().String())
	if err != nil {
		return false // the client went away while throttled
	}
	if !res.OK {
		if res.Reason == "error" {
			s.storeCheck.stale() // the next connection asks the store again
		}
		s.logFor(ctx).Info("login refused", "user", accounts.Printable(ctx.User()), "remote", ctx.RemoteAddr().String(),
			"method", "password", "reason", res.Reason, "delay", res.Delay)
		return false
	}
	s.logFor(ctx).Info("login", "user", res.User.Username, "remote", ctx.RemoteAddr().String(), "method", "password", "delay", res.Delay)
	s.conns.authenticated(ctx)
	return true
}

// publicKeyAuth accepts a key registered to the user. x/crypto calls this also for
// keys the client only offers, before it proves it holds them, so the login is
// audited when the session starts, not here.
func (s *Server) publicKeyAuth(ctx ssh.Context, key ssh.PublicKey) bool {
	if ok, handled := s.bridgeKeyAuth(ctx, key); handled {
		return ok
	}
	if s.storeCheck.refuses() {
		return false // as for a password: the login could not be recorded
	}
	fp := gossh.FingerprintSHA256(key)
	if !s.opts.Accounts.KeyLoginAllowed(ctx, ctx.User(), fp) {
		return false
	}
	ctx.SetValue(keyFingerprint, fp)
	return true
}

func (s *Server) homeDir(username string) string {
	return filepath.Join(s.opts.HomesDir, username)
}

// sshAddress is where the session's student reaches this server, for the
// help's scp and sftp commands: the address the connection arrived at, or
// for a browser (bridged: no address of its own) the listener's. Loopback
// reads "localhost"; an unspecified address gives "" (the help says HOST).
func (s *Server) sshAddress(sess ssh.Session) (string, int) {
	addr := sess.LocalAddr()
	if Transport(sess.Context()) == TransportWeb {
		addr, _ = s.listenAddr.Load().(net.Addr)
	}
	if addr == nil {
		return "", 0
	}
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return "", 0
	}
	host := ""
	switch ip := ap.Addr().Unmap(); {
	case ip.IsLoopback():
		host = "localhost"
	case !ip.IsUnspecified():
		host = ip.String()
	}
	return host, int(ap.Port())
}
