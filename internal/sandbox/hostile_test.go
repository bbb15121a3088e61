package sandbox

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serverStandIn plays the daemon while a hostile program runs: a goroutine
// answering on a channel and a TCP listener (as if it were the SSH port)
// that a prober from this process keeps using. stop reports whether every
// round trip completed; there are no timing bounds beyond a generous
// deadline per round trip.
type serverStandIn struct {
	ln    net.Listener
	trips atomic.Int64
	fail  atomic.Value // string
	quit  chan struct{}
	done  chan struct{}
}

func startServerStandIn(t *testing.T) *serverStandIn {
	t.Helper()
	ln, err := net.Listen("tcp", "0.0.0.0:0") // every interface, like sshd
	if err != nil {
		t.Fatal(err)
	}
	s := &serverStandIn{ln: ln, quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); io.Copy(c, c) }()
		}
	}()
	ping := make(chan chan struct{})
	go func() { // the "server" goroutine
		for {
			select {
			case reply := <-ping:
				close(reply)
			case <-s.quit:
				return
			}
		}
	}()
	go func() { // the prober
		defer close(s.done)
		for {
			select {
			case <-s.quit:
				return
			default:
			}
			reply := make(chan struct{})
			select {
			case ping <- reply:
			case <-time.After(5 * time.Second):
				s.fail.Store("the server goroutine did not take a ping within 5s")
				return
			}
			<-reply
			c, err := net.DialTimeout("tcp", ln.Addr().String(), 5*time.Second)
			if err != nil {
				s.fail.Store("the server's port did not answer: " + err.Error())
				return
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			_, err = c.Write([]byte("x"))
			if err == nil {
				_, err = io.ReadFull(c, make([]byte, 1))
			}
			c.Close()
			if err != nil {
				s.fail.Store("the server's port did not echo: " + err.Error())
				return
			}
			s.trips.Add(1)
			time.Sleep(2 * time.Millisecond) // pacing the prober, not synchronisation
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

func (s *serverStandIn) port() int { return s.ln.Addr().(*net.TCPAddr).Port }

func (s *serverStandIn) stop(t *testing.T) {
	t.Helper()
	before := s.trips.Load()
	// At least one more full round trip after the hostile program ran.
	waitFor(t, "one more round trip to the server stand-in", 10*time.Second, func() bool {
		return s.trips.Load() > before || s.fail.Load() != nil
	})
	close(s.quit)
	<-s.done
	s.ln.Close()
	if f := s.fail.Load(); f != nil {
		t.Fatal(f)
	}
	t.Logf("the server stand-in answered %d round trips", s.trips.Load())
}

// bobAnswers runs a quick echo round trip in a second student's sandbox.
func bobAnswers(t *testing.T) {
	t.Helper()
	bob := testSpec(t, "bob", bobUID, "cat")
	if r := run(t, bob, "bob is here\n", 30*time.Second); r.stdout != "bob is here\n" || r.code != 0 {
		t.Fatalf("bob's sandbox: %+v", r)
	}
}

// hostAddrs are the host's own addresses: the sandbox must reach none.
func hostAddrs() []string {
	addrs := []string{"127.0.0.1"}
	ifaddrs, _ := net.InterfaceAddrs()
	for _, a := range ifaddrs {
		if ip, ok := a.(*net.IPNet); ok && ip.IP.To4() != nil && !ip.IP.IsLoopback() {
			addrs = append(addrs, ip.IP.String())
		}
	}
	return addrs
}

// TestHostile runs each hostile program of the acceptance list that
// other tests do not already cover, while the server stand-in keeps
// answering and a second student's sandbox still completes a round trip.
func TestHostile(t *testing.T) {
	needSandbox(t)
	type hostile struct {
		name string
		prog string      // python, run in alice's sandbox with pipes; prints READY once hostile
		spec func(*Spec) // adjust limits
		keep bool        // runs until killed (else it must end by itself)
		want string      // the output must contain it ("" = nothing)
	}
	cases := []hostile{
		{
			name: "busy loop on all cores",
			prog: fmt.Sprintf(`
import os
for i in range(%d):
    if os.fork() == 0:
        while True: pass
print("READY", flush=True)
os.wait()
`, 2*runtime.NumCPU()),
			keep: true,
		},
		{
			name: "fork bomb",
			prog: `
import os
print("READY", flush=True)
while True:
    try: os.fork()
    except OSError: pass
`,
			spec: func(s *Spec) { s.Limits.Pids = 32 },
			keep: true,
		},
		{
			name: "memory balloon",
			prog: `
print("READY", flush=True)
try:
    b = bytearray(8 << 30); print("SURVIVED")
except MemoryError:
    print("MemoryError")
`,
			spec: func(s *Spec) { s.Limits.MemoryBytes = 64 << 20 },
		},
		{
			name: "one huge file",
			prog: `
print("READY", flush=True)
try:
    with open("huge", "wb") as f:
        for i in range(16): f.write(b"x" * (1 << 20))
    print("WROTE")
except OSError as e:
    print("huge", e.errno)
`,
			spec: func(s *Spec) { s.Limits.FileSizeBytes = 4 << 20; s.QuotaBytes = 64 << 20 },
			want: "huge 27", // EFBIG
		},
		{
			name: "many small files past the quota",
			prog: `
print("READY", flush=True)
for i in range(10000):
    try:
        with open("f%d" % i, "wb") as f: f.write(b"x" * 4096)
    except OSError as e:
        print("small", "stopped" if e.errno in (30, 27, 28, 122) else e.errno); break
else:
    print("NEVER STOPPED")
`,
			spec: func(s *Spec) { s.QuotaBytes = 1 << 20; s.QuotaCheckEvery = 20 * time.Millisecond },
			want: "small stopped", // EROFS, EFBIG, ENOSPC or EDQUOT
		},
		{
			name: "TCP to the server's SSH port",
			prog: `
import socket, sys
print("READY", flush=True)
for host in sys.argv[2:]:
    try:
        socket.create_connection((host, int(sys.argv[1])), timeout=3).close(); print(host, "CONNECTED")
    except OSError as e:
        print(host, "refused", type(e).__name__)
print("tcp done")
`,
			want: "tcp done",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := startServerStandIn(t)
			s := testSpec(t, "alice", aliceUID, DefaultPython, "-c", c.prog)
			if c.name == "TCP to the server's SSH port" {
				s.Command = append(s.Command, fmt.Sprint(srv.port()))
				s.Command = append(s.Command, hostAddrs()...)
			}
			if c.spec != nil {
				c.spec(&s)
			}
			var out syncBuffer
			s.Stdout, s.Stderr = &out, &out
			p, err := Start(t.Context(), s)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			waitFor(t, "READY", 20*time.Second, func() bool { return strings.Contains(out.String(), "READY") })
			bobAnswers(t)
			if c.keep {
				if err := p.Close(); err != nil {
					t.Fatal(err)
				}
			} else {
				select {
				case <-p.Done():
				case <-time.After(30 * time.Second):
					t.Fatalf("did not end: %q", out.String())
				}
			}
			code, _ := p.Wait()
			t.Logf("exit %d, output %q", code, strings.TrimSpace(out.String()))
			if c.name == "memory balloon" && code != 137 && !strings.Contains(out.String(), "MemoryError") {
				t.Fatalf("balloon: exit %d, %q", code, out.String())
			}
			if strings.Contains(out.String(), "SURVIVED") || strings.Contains(out.String(), "CONNECTED") ||
				strings.Contains(out.String(), "NEVER STOPPED") || strings.Contains(out.String(), "WROTE") {
				t.Fatalf("not contained: %q", out.String())
			}
			if !strings.Contains(out.String(), c.want) {
				t.Fatalf("want %q in %q", c.want, out.String())
			}
			if c.name == "one huge file" {
				if fi, err := os.Stat(filepath.Join(s.Home, "huge")); err != nil || fi.Size() > 4<<20 {
					t.Fatalf("huge file on the host: %v, %v", fi.Size(), err)
				}
			}
			srv.stop(t)
		})
	}
}

// TestHostileOutputFlood: a program printing 100 MB to the terminal, at the
// default rate limit, while the server stand-in and bob keep answering; the
// daemon's heap stays flat and Close ends the program though it is blocked
// on a full pty.
func TestHostileOutputFlood(t *testing.T) {
	needSandbox(t)
	srv := startServerStandIn(t)
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-c",
		"import os\nb = b'y' * 999 + b'\\n'\nfor i in range(100_000):\n    os.write(1, b)\n")
	runtime.GC()
	heapBefore := heapAlloc()
	start := time.Now()
	p, err := Start(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	f := readFlood(p)
	defer close(f.stopHeap)
	lim := s.Limits
	waitFor(t, "the flood", 20*time.Second, func() bool { return f.n.Load() > lim.OutputBurstBytes+256<<10 })
	bobAnswers(t)
	elapsed := time.Since(start).Seconds()
	got := float64(f.n.Load())
	if limit := float64(lim.OutputBytesPerSec)*elapsed + float64(lim.OutputBurstBytes) + readChunk; got > limit {
		t.Fatalf("read %.0f bytes in %.2fs: more than the default rate allows (%.0f)", got, elapsed, limit)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if grew := int64(f.maxHeap.Load()) - int64(heapBefore); grew > 16<<20 {
		t.Fatalf("the Go heap grew by %d MiB during the flood", grew>>20)
	}
	t.Logf("%.0f bytes in %.2fs at the default limit", got, elapsed)
	srv.stop(t)
}
