package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rssKiB is a process's resident memory.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return n
		}
	}
	t.Fatalf("no VmRSS for %d", pid)
	return 0
}

// #16 case 4: 2,500 idle TCP connections to the SSH port from ten addresses
// (none of them the student's) and 600 slowloris connections to the web
// port: a real student still logs in with OpenSSH within a few seconds,
// the login page loads, and the server's memory stays bounded.
func TestFloodsDoNotKeepAStudentOut(t *testing.T) {
	h := newHarness(t)
	b := backend{dataDir: t.TempDir(), uidBase: 350000}
	h.cli(t, cliOpts{stdin: "rabbit hole 42\n"}, append([]string{"user", "add", "alice", "--password-stdin"}, b.flags()...)...).mustSucceed(t)
	srv := h.startServer(t, b)
	o := sshOpts{knownHosts: filepath.Join(t.TempDir(), "known_hosts")}
	h.sshAccepted(t, srv, o, "alice", "rabbit hole 42") // warm: the host key is known
	before := rssKiB(t, srv.cmd.Process.Pid)

	var flood []net.Conn
	defer func() {
		for _, c := range flood {
			c.Close()
		}
	}()
	for i := range 2500 {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(2+i%10))}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", srv.sshAddr)
		if err != nil {
			t.Fatalf("idle connection %d: %v", i, err)
		}
		flood = append(flood, c)
	}
	for i := range 600 {
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(2+i%10))}, Timeout: 5 * time.Second}
		c, err := d.Dial("tcp", srv.httpAddr)
		if err != nil {
			t.Fatalf("slowloris connection %d: %v", i, err)
		}
		// A request's first line and one header, then nothing more.
		fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n")
		flood = append(flood, c)
	}

	start := time.Now()
	h.sshAccepted(t, srv, o, "alice", "rabbit hole 42")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("alice's login took %v during the floods", took)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + srv.httpAddr + "/")
	if err != nil {
		t.Fatalf("the login page during the floods: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the login page during the floods: %d", resp.StatusCode)
	}
	after := rssKiB(t, srv.cmd.Process.Pid)
	t.Logf("server RSS %d KiB before the floods, %d KiB during them", before, after)
	limit := 64 << 10
	if raceEnabled() {
		limit *= 8 // the race detector's shadow memory: 5-10x
	}
	if after-before > limit {
		t.Errorf("the floods grew the server by %d KiB (the bound is %d KiB)", after-before, limit)
	}
}
