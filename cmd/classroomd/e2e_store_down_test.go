package main

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/classroomd/classroomd/internal/store/postgres/pgtest"
)

// dbProxy stands between classroomd and PostgreSQL so that a test can take
// the database away (every connection cut, new ones refused) and bring it
// back on the same address, as a database restart or a network cut does.
type dbProxy struct {
	t      *testing.T
	addr   string // where classroomd connects
	target string // the real server

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newDBProxy(t *testing.T, target string) *dbProxy {
	p := &dbProxy{t: t, target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *dbProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *dbProxy) pipe(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	go func() { io.Copy(s, c); s.Close() }()
	io.Copy(c, s)
	c.Close()
}

// down cuts every connection and refuses new ones.
func (p *dbProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// up listens again on the same address.
func (p *dbProxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("the proxy could not listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// #16 case 1: PostgreSQL goes away under a class and comes back. Students
// already working keep editing, saving and running Python; a new login
// fails within seconds, the client told why; /readyz says 503; once the
// database is back, logins work again without a restart of classroomd.
func TestStoreGoesAwayUnderAClass(t *testing.T) {
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" {
		t.Skip("Python runs in a sandbox, which this test expects as root")
	}
	h := newHarness(t)
	real, err := url.Parse(pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := newDBProxy(t, real.Host)
	proxied := *real
	proxied.Host = proxy.addr
	b := backend{dataDir: t.TempDir(), dbURL: proxied.String(), uidBase: 340000}
	for _, u := range []string{"alice", "bob"} {
		h.cli(t, cliOpts{stdin: "rabbit hole 42\n"}, append([]string{"user", "add", u, "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	}
	srv := h.startServer(t, b)
	o := sshOpts{knownHosts: filepath.Join(t.TempDir(), "known_hosts")}

	alice := h.tty(t, srv, o, "alice", "rabbit hole 42")
	alice.waitFor("welcome.py", 1)
	alice.typ(keyF4)
	alice.waitFor(">>>", 1)

	proxy.down()

	// A new login: refused within seconds, and (from the next attempt at
	// the latest: the server learns the store is gone when it asks it)
	// the client is told why in the banner.
	var r result
	for attempt := 1; ; attempt++ {
		start := time.Now()
		r = h.ssh(t, srv, o, "bob", "rabbit hole 42")
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("attempt %d: the refused login took %v", attempt, took)
		}
		if r.code != 255 {
			t.Fatalf("attempt %d: bob's login with the database gone: exit %d, want 255 (refused)\nstderr:\n%s", attempt, r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "cannot reach its database") {
			break
		}
		if attempt == 2 {
			t.Fatalf("the refused client was not told why:\n%s", r.stderr)
		}
	}

	// The server says it is not ready.
	resp, err := http.Get("http://" + srv.httpAddr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with the database gone: %d, want 503", resp.StatusCode)
	}

	// Alice keeps working: Python, and a save of an edited file.
	alice.typ(`print("A" + str(6*7))` + "\r")
	alice.waitFor("A42", 1)
	alice.typ(keyF3 + keyCtrlP + "welcome\r")
	alice.waitFor("Your first Python program", 1)
	alice.typ(keyCtrlEnd + "\x1b[200~zz_saved_while_down = 1\x1b[201~" + "\x13") // ctrl+s
	home := filepath.Join(b.dataDir, "homes", "alice", "welcome.py")
	if !waitFor(screenDeadline, nil, func() bool {
		data, _ := os.ReadFile(home)
		return strings.Contains(string(data), "zz_saved_while_down")
	}) {
		t.Errorf("alice's save with the database gone never reached her file\nscreen:\n%s", alice.text())
	}

	// The database comes back: logins work again, with no restart.
	proxy.up()
	if !waitFor(30*time.Second, srv.done, func() bool {
		return h.ssh(t, srv, o, "bob", "rabbit hole 42").code != 255
	}) {
		t.Errorf("bob could not log in after the database came back:\n%s", h.ssh(t, srv, o, "bob", "rabbit hole 42").stderr)
	}
	alice.typ(keyCtrlQ)
	srv.stop(t)
}
