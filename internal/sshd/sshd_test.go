package sshd

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/config"
	"github.com/classroomd/classroomd/internal/files"
	"github.com/classroomd/classroomd/internal/sandbox"
	"github.com/classroomd/classroomd/internal/store"
	"github.com/classroomd/classroomd/internal/store/sqlite"
	"github.com/classroomd/classroomd/internal/workspace"
	"github.com/classroomd/classroomd/internal/workspace/repl"
)

type testServer struct {
	addr     string
	srv      *Server
	accounts *accounts.Service
	store    store.Store
	spaces   *workspace.Manager
	dataDir  string
}

// testWorkspaces gives each login a workspace over its home, with a REPL
// that is never started here (no test types into Python).
const testUID = 203021

// TestMain lets this test binary be the sandbox's init when a REPL re-executes it.
func TestMain(m *testing.M) {
	sandbox.MaybeRunInit()
	os.Exit(m.Run())
}

func testWorkspaces(svc *accounts.Service, journals string) *workspace.Manager {
	open := func(ctx context.Context, username string) (*workspace.Workspace, error) {
		dir, err := svc.EnsureHome(ctx, username)
		if err != nil {
			return nil, err
		}
		home, err := files.OpenHome(dir)
		if err != nil {
			return nil, err
		}
		// A uid of the tests' own, so that Python can start (for the
		// benchmarks that type into it); the tests here only need it to
		// exist.
		r := repl.New(repl.Config{Spec: sandbox.Spec{Username: username, UID: testUID, GID: testUID, Home: dir,
			Cols: 80, Rows: 24, Limits: sandbox.DefaultLimits()}})
		return workspace.New(workspace.Options{Username: username, Home: home, REPL: r,
			JournalDir: filepath.Join(journals, username), JournalEvery: time.Hour})
	}
	return workspace.NewManager(open, time.Minute, nil)
}

func testConfig() config.Server {
	return config.Server{
		SSHAddr: "127.0.0.1:0", HandshakeTimeout: 30 * time.Second, IdleTimeout: time.Minute,
		MaxSessionsPerUser: 5, MaxConnections: 100, MaxConnectionsPerIP: 100, Student: config.Student{HomeQuotaMiB: 200},
		Throttle: config.DefaultThrottle(),
	}
}

func startServer(tb testing.TB, cost int, cfg config.Server) *testServer {
	tb.Helper()
	dir := tb.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	svc, err := accounts.New(accounts.Options{Store: st, HomesDir: filepath.Join(dir, "homes"), BcryptCost: cost, Throttle: cfg.Throttle})
	if err != nil {
		tb.Fatal(err)
	}
	spaces := testWorkspaces(svc, filepath.Join(dir, "journal"))
	tb.Cleanup(func() { spaces.Shutdown() })
	srv, err := New(Options{Config: cfg, HostKeyPath: filepath.Join(dir, "host_key"), HomesDir: filepath.Join(dir, "homes"),
		Accounts: svc, Workspaces: spaces})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.SSHAddr)
	if err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
		st.Close()
	})
	return &testServer{addr: ln.Addr().String(), srv: srv, accounts: svc, store: st, spaces: spaces, dataDir: dir}
}

var cli = accounts.Actor{Name: "cli:test", Remote: "local"}

func (ts *testServer) addUser(tb testing.TB, name, pw string) {
	tb.Helper()
	if _, _, err := ts.accounts.AddUser(context.Background(), cli, accounts.NewUser{Username: name, Password: pw}); err != nil {
		tb.Fatal(err)
	}
}

func dial(addr, user string, auth ...gossh.AuthMethod) (*gossh.Client, error) {
	return gossh.Dial("tcp", addr, &gossh.ClientConfig{
		User: user, Auth: auth, HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
}

// syncBuffer collects a session's output for polling from the test goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return ansi.Strip(s.b.String())
}

// screen is an interactive session with a pty, as OpenSSH opens one.
type screen struct {
	sess  *gossh.Session
	out   *syncBuffer
	stdin interface{ Write([]byte) (int, error) }
}

// aliceClient starts a server with student alice and logs her in with her password.
func aliceClient(t *testing.T) (*testServer, *gossh.Client) {
	t.Helper()
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", "rabbit hole 42")
	c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return ts, c
}

func openScreen(tb testing.TB, c *gossh.Client) *screen {
	tb.Helper()
	return openScreenSized(tb, c, 80, 24, "")
}

// openScreenSized opens a session on a cols x rows pty running command, or the
// workspace when command is "".
func openScreenSized(tb testing.TB, c *gossh.Client, cols, rows int, command string) *screen {
	tb.Helper()
	sess, err := c.NewSession()
	if err != nil {
		tb.Fatal(err)
	}
	out := &syncBuffer{}
	sess.Stdout, sess.Stderr = out, out
	in, err := sess.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", rows, cols, gossh.TerminalModes{}); err != nil {
		tb.Fatal(err)
	}
	start := sess.Shell
	if command != "" {
		start = func() error { return sess.Start(command) }
	}
	if err := start(); err != nil {
		tb.Fatal(err)
	}
	return &screen{sess: sess, out: out, stdin: in}
}

// waitFor polls until the screen text holds every want, or fails at the deadline.
func (s *screen) waitFor(tb testing.TB, want ...string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		text := s.out.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(text, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("screen never showed %q; it shows:\n%s", missing, text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitForAny polls until the screen holds one of want, or fails at the deadline.
func (s *screen) waitForAny(tb testing.TB, want ...string) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		text := s.out.String()
		for _, w := range want {
			if strings.Contains(text, w) {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("screen never showed any of %q; it shows:\n%s", want, text)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPasswordLoginShowsWorkspaceAndQuits(t *testing.T) {
	_, c := aliceClient(t)
	s := openScreen(t, c)
	s.waitFor(t, "alice", "welcome.py")
	s.stdin.Write([]byte("q"))
	if err := s.sess.Wait(); err != nil {
		t.Errorf("session after q: %v", err)
	}
}

func TestRefusedLogins(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", "rabbit hole 42")
	ts.addUser(t, "dave", "rabbit hole 42")
	if err := ts.accounts.SetDisabled(context.Background(), cli, "dave", true); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ user, pw string }{{"alice", "wrong"}, {"dave", "rabbit hole 42"}, {"nobody", "x"}} {
		if cl, err := dial(ts.addr, c.user, gossh.Password(c.pw)); err == nil {
			cl.Close()
			t.Errorf("%s logged in with %q", c.user, c.pw)
		}
	}
}

func TestCommandsAndMissingPtyAreRefusedClearly(t *testing.T) {
	_, c := aliceClient(t)
	for cmd, want := range map[string]string{"nosuchcmd": "unknown command", "": "needs a terminal", "passwd": "passwd needs a terminal"} {
		sess, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		out := &syncBuffer{}
		sess.Stdout, sess.Stderr = out, out
		if cmd == "" {
			err = sess.Shell()
			if err == nil {
				err = sess.Wait()
			}
		} else {
			err = sess.Run(cmd)
		}
		var exit *gossh.ExitError
		if !errors.As(err, &exit) || exit.ExitStatus() != 1 || !strings.Contains(out.String(), want) {
			t.Errorf("%q: err=%v output=%q; want exit 1 and %q", cmd, err, out.String(), want)
		}
	}
}

func TestSessionLimitPerUser(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSessionsPerUser = 2
	ts := startServer(t, 4, cfg)
	ts.addUser(t, "alice", "rabbit hole 42")
	var open []*screen
	for range 2 {
		c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		s := openScreen(t, c)
		s.waitFor(t, "welcome.py")
		open = append(open, s)
	}
	c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	third := openScreen(t, c)
	third.waitFor(t, "You already have 2 sessions open")
	if err := third.sess.Wait(); err == nil {
		t.Error("third session ended with status 0")
	}
	// Closing one frees a slot.
	open[0].stdin.Write([]byte("q"))
	open[0].sess.Wait()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
		if err != nil {
			t.Fatal(err)
		}
		s := openScreen(t, c)
		// The slot frees once the server has ended the first session, a
		// moment after its client saw it end: until then, a refusal.
		s.waitForAny(t, "welcome.py", "You already have")
		if strings.Contains(s.out.String(), "welcome.py") || time.Now().After(deadline) {
			if !strings.Contains(s.out.String(), "welcome.py") {
				t.Fatalf("slot not freed: %s", s.out.String())
			}
			c.Close()
			break
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConnectionLimitPerAddress(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnectionsPerIP = 2
	ts := startServer(t, 4, cfg)
	var conns []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		readBanner(t, c)
		conns = append(conns, c)
	}
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.Read(make([]byte, 64)); err == nil {
		t.Errorf("third connection from one address got %d bytes, want it closed", n)
	}
	conns[0].Close()
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.conns.open() > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("closed connection still counted: %d open", ts.srv.conns.open())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func readBanner(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "SSH-2.0-") {
		t.Fatalf("no SSH banner: %q %v", buf[:n], err)
	}
}

func TestPublicKeyLoginIsAuditedOnce(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", "rabbit hole 42")
	ts.addUser(t, "mallory", "rabbit hole 42")
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fp := gossh.FingerprintSHA256(signer.PublicKey())
	err = ts.store.AddPublicKey(ctx, store.PublicKey{Username: "alice", Fingerprint: fp,
		Key: strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))})
	if err != nil {
		t.Fatal(err)
	}
	// The key is alice's, not mallory's.
	if c, err := dial(ts.addr, "mallory", gossh.PublicKeys(signer)); err == nil {
		c.Close()
		t.Fatal("mallory logged in with alice's key")
	}
	c, err := dial(ts.addr, "alice", gossh.PublicKeys(signer))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 2 { // two sessions on one connection: one login
		s := openScreen(t, c)
		s.waitFor(t, "welcome.py")
		s.stdin.Write([]byte("q"))
		s.sess.Wait()
	}
	entries, err := ts.store.ListAudit(ctx, store.AuditFilter{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Action == "login.publickey" {
			n++
			if e.Outcome != "ok" || e.Detail != fp {
				t.Errorf("key login entry: %+v", e)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d login.publickey entries, want 1", n)
	}
	// A disabled user's key no longer works.
	ts.accounts.SetDisabled(ctx, cli, "alice", true)
	if c, err := dial(ts.addr, "alice", gossh.PublicKeys(signer)); err == nil {
		c.Close()
		t.Error("disabled alice logged in with her key")
	}
}

func TestHostKeyIsKeptAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	key := func() string {
		srv, err := New(Options{Config: testConfig(), HostKeyPath: filepath.Join(dir, "host_key"), HomesDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if len(srv.ssh.HostSigners) != 1 {
			t.Fatalf("%d host keys", len(srv.ssh.HostSigners))
		}
		return string(srv.ssh.HostSigners[0].PublicKey().Marshal())
	}
	if a, b := key(), key(); a != b {
		t.Error("host key changed between starts")
	}
}

func TestNoGoroutinesLeftAfterDisconnect(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", "rabbit hole 42")
	session := func(drop bool) {
		c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
		if err != nil {
			t.Fatal(err)
		}
		s := openScreen(t, c)
		s.waitFor(t, "welcome.py")
		if !drop {
			s.stdin.Write([]byte("q"))
			s.sess.Wait()
		}
		c.Close() // with drop: the connection vanishes under a running TUI
	}
	settled := func(base int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for ts.srv.conns.open() > 0 || base >= 0 && runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				t.Fatalf("%d connections still counted; %d goroutines, %d before the sessions:\n%s",
					ts.srv.conns.open(), runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	session(false) // warm up lazily started goroutines
	settled(-1)
	base := runtime.NumGoroutine()
	for range 5 {
		session(true)
		session(false)
	}
	settled(base)
}

// BenchmarkLogin measures what a student waits for: TCP connect, key exchange,
// password check at the default bcrypt cost, and the first screen drawn.
func BenchmarkLogin(b *testing.B) {
	ts := startServer(b, config.DefaultBcryptCost, testConfig())
	ts.addUser(b, "alice", "rabbit hole 42")
	for b.Loop() {
		c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
		if err != nil {
			b.Fatal(err)
		}
		s := openScreen(b, c)
		s.waitFor(b, "welcome.py")
		c.Close()
	}
}

// OpenSSH asks for a 0x0 terminal with -tt when its stdin is not a terminal;
// RFC 4254 says to ignore zero dimensions, so the workspace still draws.
func TestZeroSizedTerminalStillDraws(t *testing.T) {
	_, c := aliceClient(t)
	s := openScreenSized(t, c, 0, 0, "")
	s.waitFor(t, "alice", "welcome.py")
	s.sess.WindowChange(0, 0) // must be ignored, not collapse the screen
	s.sess.WindowChange(30, 130)
	s.waitFor(t, "d delete") // the help line only has room for this well past 80 columns
	s.stdin.Write([]byte("q"))
	if err := s.sess.Wait(); err != nil {
		t.Error(err)
	}
}

// Connections that drop (a closed laptop) end their sessions on the server:
// their views leave the workspace, whose grace period can then start. The
// window-change channel may close before the session's context ends; the
// program must quit all the same. (Run many times: it is a race.)
func TestDroppedConnectionEndsTheSession(t *testing.T) {
	ts, first := aliceClient(t)
	first.Close()
	for i := range 30 {
		c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
		if err != nil {
			t.Fatal(err)
		}
		s := openScreen(t, c)
		s.waitFor(t, "welcome.py")
		c.Close() // the network goes, without a goodbye from the client
		ws := ts.spaces.Lookup("alice")
		deadline := time.Now().Add(10 * time.Second)
		for ws != nil && ws.Views() != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("connection %d: 10 s after it dropped, alice's workspace still has %d views: the session never ended", i, ws.Views())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}
