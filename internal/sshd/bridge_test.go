package sshd

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/store"
)

func browserAt(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 51000} }

// bridgeClient opens a bridged connection for b and logs in with cfg changed by edit.
func bridgeClient(t *testing.T, ts *testServer, b *Bridged, edit func(*gossh.ClientConfig)) (*gossh.Client, error) {
	t.Helper()
	conn, cfg, err := ts.srv.Bridge(b)
	if err != nil {
		t.Fatalf("Bridge: %v", err)
	}
	if edit != nil {
		edit(cfg)
	}
	c, chans, reqs, err := gossh.NewClientConn(conn, "classroomd-bridge", cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	client := gossh.NewClient(c, chans, reqs)
	t.Cleanup(func() { client.Close() })
	return client, nil
}

func TestBridgeLogsInTheBrowsersUserOnly(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", "rabbit hole 42")
	ts.addUser(t, "bob", "tr0mbone-sunset-42")

	c, err := bridgeClient(t, ts, &Bridged{User: "alice", Remote: browserAt("203.0.113.9"), WebSession: 7}, nil)
	if err != nil {
		t.Fatalf("bridged login: %v", err)
	}
	if out, _, status := run(t, c, "whoami", ""); status != 0 || !strings.HasPrefix(out, "alice") {
		t.Errorf("whoami over the bridge = %q (status %d), want alice", out, status)
	}

	// The workspace, with the environment the bridge sends.
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := sess.Setenv("COLORTERM", "truecolor"); err != nil {
		t.Errorf("the server refused COLORTERM: %v", err)
	}
	out := &syncBuffer{}
	sess.Stdout = out
	in, _ := sess.StdinPipe()
	if err := sess.RequestPty("xterm-256color", 30, 100, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		t.Fatal(err)
	}
	s := &screen{sess: sess, out: out, stdin: in}
	s.waitFor(t, "alice", "welcome.py")
	in.Write([]byte("q"))
	if err := sess.Wait(); err != nil {
		t.Errorf("session after q: %v", err)
	}

	// Audited once per connection, as a web login from the browser's address.
	entries, err := ts.store.ListAudit(context.Background(), store.AuditFilter{User: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var web []store.AuditEntry
	for _, e := range entries {
		if e.Action == "login.web" {
			web = append(web, e)
		}
		if e.Action == "login.publickey" {
			t.Errorf("a bridged login was audited as a key login: %+v", e)
		}
	}
	if len(web) != 1 || web[0].Remote != "203.0.113.9:51000" || web[0].Outcome != "ok" || web[0].Detail != "browser session 7" {
		t.Errorf("login.web entries = %+v; want one, ok, from 203.0.113.9:51000, naming browser session 7", web)
	}

	refused := map[string]func(*gossh.ClientConfig){
		"another user's name":      func(cfg *gossh.ClientConfig) { cfg.User = "bob" },
		"a password, even a right": func(cfg *gossh.ClientConfig) { cfg.Auth = []gossh.AuthMethod{gossh.Password("rabbit hole 42")} },
	}
	for what, edit := range refused {
		if _, err := bridgeClient(t, ts, &Bridged{User: "alice", Remote: browserAt("203.0.113.9")}, edit); err == nil {
			t.Errorf("a bridged connection logged in with %s", what)
		}
	}
	if err := ts.accounts.SetDisabled(context.Background(), cli, "alice", true); err != nil {
		t.Fatal(err)
	}
	if _, err := bridgeClient(t, ts, &Bridged{User: "alice", Remote: browserAt("203.0.113.9")}, nil); err == nil {
		t.Error("a disabled user logged in over the bridge")
	}
}

func TestBridgeKeyIsRefusedOverTCP(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.addUser(t, "alice", "rabbit hole 42")
	if c, err := dial(ts.addr, "alice", gossh.PublicKeys(ts.srv.bridge.signer)); err == nil {
		c.Close()
		t.Fatal("the bridge's key logged in over TCP")
	}
}

func TestBridgedConnectionsCountAgainstTheBrowsersAddress(t *testing.T) {
	cfg := testConfig()
	cfg.MaxConnectionsPerIP = 1
	ts := startServer(t, 4, cfg)
	ts.addUser(t, "alice", "rabbit hole 42")
	if _, err := bridgeClient(t, ts, &Bridged{User: "alice", Remote: browserAt("198.51.100.1")}, nil); err != nil {
		t.Fatalf("first browser: %v", err)
	}
	if _, err := bridgeClient(t, ts, &Bridged{User: "alice", Remote: browserAt("198.51.100.1")}, nil); err == nil {
		t.Error("a second connection from one browser address got past a limit of one per address")
	}
	if _, err := bridgeClient(t, ts, &Bridged{User: "alice", Remote: browserAt("198.51.100.2")}, nil); err != nil {
		t.Errorf("a browser at another address was refused: %v", err)
	}
}

func TestShutdownClosesBridgesInTheirHandshake(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	conn, _, err := ts.srv.Bridge(&Bridged{User: "alice", Remote: browserAt("198.51.100.1")})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Never logged in: the server sent its banner and waits.
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 64)); err != nil {
		t.Fatalf("no banner on a bridged connection: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := ts.srv.Shutdown(ctx); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, err := conn.Read(make([]byte, 4096)); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("a bridged connection in its handshake was still open after Shutdown")
			}
			break
		}
	}
	if _, _, err := ts.srv.Bridge(&Bridged{User: "alice", Remote: browserAt("198.51.100.1")}); err == nil {
		t.Error("Bridge after Shutdown made a connection")
	}
}

func TestTransportDefaultsToSSH(t *testing.T) {
	if got := Transport(context.Background()); got != TransportSSH {
		t.Errorf("Transport of a plain context = %q, want %q", got, TransportSSH)
	}
	if got := Transport(context.WithValue(context.Background(), keyTransport, TransportWeb)); got != TransportWeb {
		t.Errorf("Transport of a bridged context = %q, want %q", got, TransportWeb)
	}
}
