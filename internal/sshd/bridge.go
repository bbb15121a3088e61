package sshd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"charm.land/ssh"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
)

// The web bridge. A browser whose session the web layer verified reaches the
// workspace as an SSH client of this very server, over an in-memory socket pair: one
// session path, so limits, auditing and the TUI are the same as over ssh.
//
// The bridge logs in with a key made in memory at New, which never leaves the
// process. The server accepts that key only on a connection it made itself in
// Bridge (never over TCP), only for the user the browser session belongs to, and
// only while that user exists and is enabled. No other key or password is
// accepted on a bridged connection.

// Transports, as Transport reports them.
const (
	TransportSSH = "ssh"
	TransportWeb = "web"
)

// Transport says how a session's connection arrived: TransportSSH, or
// TransportWeb for a browser through the bridge. ctx is a session's context.
func Transport(ctx context.Context) string {
	if t, ok := ctx.Value(keyTransport).(string); ok {
		return t
	}
	return TransportSSH
}

const (
	keyTransport ctxKey = "classroomd.transport"
	keyBridged   ctxKey = "classroomd.bridged" // *Bridged, on bridged connections only
)

// Bridged describes a browser connection for Bridge.
type Bridged struct {
	User       string   // the user the browser session belongs to
	Remote     net.Addr // the browser's address: limits, throttling and the audit see it
	WebSession int64    // the browser session's ID (see accounts.WebSessionContextKey)

	audited sync.Once
}

// bridge holds the bridge's key and the server ends of bridged connections.
type bridge struct {
	signer gossh.Signer
	key    []byte // the public key, wire format

	mu     sync.Mutex
	closed bool
	conns  map[*bridgeConn]struct{}
	wg     sync.WaitGroup
}

func newBridge() (*bridge, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("make the web bridge's key: %w", err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		return nil, fmt.Errorf("make the web bridge's key: %w", err)
	}
	return &bridge{signer: signer, key: signer.PublicKey().Marshal(), conns: map[*bridgeConn]struct{}{}}, nil
}

// bridgeConn is the server end of a bridged connection.
type bridgeConn struct {
	net.Conn
	info *Bridged
}

func (c *bridgeConn) RemoteAddr() net.Addr { return c.info.Remote }

// bridgeHandshakeTimeout bounds the bridge's own SSH handshake (in memory: fast).
const bridgeHandshakeTimeout = 15 * time.Second

// Bridge opens an in-memory connection to this server for a browser whose
// session was verified, and returns its client end with the configuration to
// log in with (the bridge's key for b.User, the host key pinned). The server
// end is served like an accepted TCP connection until either end closes it.
func (s *Server) Bridge(b *Bridged) (net.Conn, *gossh.ClientConfig, error) {
	if b == nil || b.User == "" || b.Remote == nil {
		return nil, nil, errors.New("bridge: a user and the browser's address are needed")
	}
	hostKeys := s.hostKeys()
	if len(hostKeys) == 0 {
		return nil, nil, errors.New("bridge: the server has no host key")
	}
	client, server, err := socketPair()
	if err != nil {
		return nil, nil, fmt.Errorf("bridge: %w", err)
	}
	sc := &bridgeConn{Conn: server, info: b}

	br := s.bridge
	br.mu.Lock()
	if br.closed {
		br.mu.Unlock()
		client.Close()
		server.Close()
		return nil, nil, errors.New("bridge: the server is shutting down")
	}
	br.conns[sc] = struct{}{}
	br.wg.Add(1)
	br.mu.Unlock()
	go func() {
		defer br.wg.Done()
		defer func() {
			br.mu.Lock()
			delete(br.conns, sc)
			br.mu.Unlock()
			sc.Close()
		}()
		s.HandleConn(sc)
	}()

	cfg := &gossh.ClientConfig{
		User:    b.User,
		Auth:    []gossh.AuthMethod{gossh.PublicKeys(br.signer)},
		Timeout: bridgeHandshakeTimeout,
		HostKeyCallback: func(_ string, _ net.Addr, key gossh.PublicKey) error {
			for _, k := range hostKeys {
				if bytes.Equal(k.Marshal(), key.Marshal()) {
					return nil
				}
			}
			return errors.New("bridge: the server presented a host key that is not its own")
		},
	}
	for _, k := range hostKeys {
		cfg.HostKeyAlgorithms = append(cfg.HostKeyAlgorithms, k.Type())
	}
	return client, cfg, nil
}

// socketPair returns the two ends of an in-memory connection. Unlike net.Pipe
// it is buffered, as SSH needs: both ends write their version line before
// reading the other's, which deadlocks on an unbuffered pipe.
func socketPair() (net.Conn, net.Conn, error) {
	// Under ForkLock, so that no student program started at this moment
	// inherits the descriptors before they are close-on-exec.
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	var conns [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "classroomd-bridge")
		c, err := net.FileConn(f) // a duplicate: f is closed either way
		f.Close()
		if err != nil {
			if i == 0 {
				syscall.Close(fds[1])
			} else {
				conns[0].Close()
			}
			return nil, nil, fmt.Errorf("socketpair: %w", err)
		}
		conns[i] = c
	}
	return conns[0], conns[1], nil
}

func (s *Server) hostKeys() []gossh.PublicKey {
	var keys []gossh.PublicKey
	for _, signer := range s.ssh.HostSigners {
		keys = append(keys, signer.PublicKey())
	}
	return keys
}

// closeAll closes the bridged connections still open and waits for them;
// no new ones are made afterwards. Shutdown calls it.
func (b *bridge) closeAll() {
	b.mu.Lock()
	b.closed = true
	for c := range b.conns {
		c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// admitConn is the server's ConnCallback: it marks bridged connections (and
// the transport of every connection) in the connection's context, then applies
// the connection limits, which see the browser's address for bridged ones.
func (s *Server) admitConn(ctx ssh.Context, c net.Conn) net.Conn {
	tagSession(ctx)
	if bc, ok := c.(*bridgeConn); ok {
		ctx.SetValue(keyTransport, TransportWeb)
		ctx.SetValue(keyBridged, bc.info)
		ctx.SetValue(accounts.WebSessionContextKey{}, bc.info.WebSession)
	} else {
		ctx.SetValue(keyTransport, TransportSSH)
	}
	return s.conns.admit(ctx, c)
}

// bridged returns the bridge's description of ctx's connection, or nil for
// a connection that did not come from Bridge.
func bridged(ctx context.Context) *Bridged {
	b, _ := ctx.Value(keyBridged).(*Bridged)
	return b
}

// bridgeKeyAuth decides every public-key login that involves the bridge: on a
// bridged connection only the bridge's key, for the browser session's user, if
// they exist and are enabled; on any other connection never the bridge's key.
// handled is false for an ordinary key on an ordinary connection.
func (s *Server) bridgeKeyAuth(ctx ssh.Context, key ssh.PublicKey) (ok, handled bool) {
	b := bridged(ctx)
	isBridgeKey := bytes.Equal(key.Marshal(), s.bridge.key)
	switch {
	case b == nil && !isBridgeKey:
		return false, false
	case b == nil:
		s.logFor(ctx).Warn("the web bridge's key was offered over the network; refused", "remote", ctx.RemoteAddr().String())
		return false, true
	case !isBridgeKey || ctx.User() != b.User:
		return false, true
	}
	u, err := s.opts.Accounts.User(ctx, b.User)
	if err != nil || u.Disabled {
		return false, true
	}
	// x/crypto asks once per key and connection; the key is ours, so the
	// signature that follows cannot fail: audit now, once.
	b.audited.Do(func() {
		remote := b.Remote.String()
		s.logFor(ctx).Info("login", "user", u.Username, "remote", remote, "method", "web", "web_session", b.WebSession)
		s.opts.Accounts.Audit(context.WithoutCancel(ctx), accounts.Actor{Name: u.Username, Remote: remote}, "login.web", u.Username, "ok",
			fmt.Sprintf("browser session %d", b.WebSession))
	})
	return true, true
}
