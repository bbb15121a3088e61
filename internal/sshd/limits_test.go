package sshd

import (
	"fmt"
	"net"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// idleFlood opens n TCP connections to addr from the loopback addresses
// 127.0.0.2 .. 127.0.0.(1+from), round robin, that never send a byte.
func idleFlood(t *testing.T, addr string, n, from int) []net.Conn {
	t.Helper()
	var conns []net.Conn
	for i := range n {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%from))}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("flood connection %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// A flood of connections that never log in, from other addresses, does not
// keep a student out: the flood's oldest are dropped for the student's, and
// the unauthenticated ones stay within their limit.
func TestAFloodOfIdleConnectionsDoesNotKeepAStudentOut(t *testing.T) {
	cfg := testConfig()
	// Fewer connections in all than the flood: before the unauthenticated
	// ones had limits of their own, the flood filled them and alice was refused.
	cfg.MaxConnections, cfg.MaxConnectionsPerIP = 200, 300
	cfg.MaxUnauthenticated, cfg.MaxUnauthenticatedPerIP = 40, 20
	ts := startServer(t, 4, cfg)
	ts.addUser(t, "alice", "rabbit hole 42")
	idleFlood(t, ts.addr, 300, 10)
	if n := ts.srv.conns.unauthenticated(); n > 40 {
		t.Errorf("%d unauthenticated connections counted, the limit is 40", n)
	}
	start := time.Now()
	c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
	if err != nil {
		t.Fatalf("alice could not log in during the flood: %v", err)
	}
	defer c.Close()
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("alice's login took %v during the flood", took)
	}
	if ts.srv.conns.dropped.Load() == 0 {
		t.Error("no flood connection was dropped")
	}
	// Logged in, she is no longer one of the unauthenticated: more of the
	// flood does not push her out.
	idleFlood(t, ts.addr, 100, 10)
	if _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err != nil {
		t.Errorf("alice's connection was dropped by a later flood: %v", err)
	}
}

// A connection that sends nothing is closed after firstBytes.
func TestASilentConnectionIsClosed(t *testing.T) {
	ts := startServer(t, 4, testConfig())
	ts.srv.conns.mu.Lock()
	ts.srv.conns.firstBytes = 200 * time.Millisecond
	ts.srv.conns.mu.Unlock()
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readBanner(t, c) // the server speaks first; the client says nothing
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Read(make([]byte, 64)); err == nil {
		t.Fatal("a silent connection is still open 5 s later")
	}
	deadline := time.Now().Add(5 * time.Second)
	for ts.srv.conns.open() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d connections still counted", ts.srv.conns.open())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A class behind one address logs in at once, up to the per-address limit
// of unauthenticated connections, and logged-in ones do not count there.
func TestLoggedInConnectionsDoNotCountAsUnauthenticated(t *testing.T) {
	cfg := testConfig()
	cfg.MaxUnauthenticated, cfg.MaxUnauthenticatedPerIP = 4, 2
	ts := startServer(t, 4, cfg)
	var clients []*gossh.Client
	for i := range 6 {
		name := fmt.Sprintf("s%d", i)
		ts.addUser(t, name, "rabbit hole 42")
		c, err := dial(ts.addr, name, gossh.Password("rabbit hole 42"))
		if err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	if n := ts.srv.conns.unauthenticated(); n != 0 {
		t.Errorf("%d connections counted as unauthenticated with everyone logged in", n)
	}
	for i, c := range clients {
		if _, _, err := c.SendRequest("keepalive@openssh.com", true, nil); err != nil {
			t.Errorf("client %d was dropped: %v", i, err)
		}
	}
}
