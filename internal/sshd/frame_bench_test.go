package sshd

import (
	"io"
	"slices"
	"syscall"
	"testing"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// frameSignal passes a session's output on to out and says when some arrived.
type frameSignal struct {
	out io.Writer
	got chan struct{}
}

func (f *frameSignal) Write(p []byte) (int, error) {
	n, err := f.out.Write(p)
	select {
	case f.got <- struct{}{}:
	default:
	}
	return n, err
}

// quiet waits until out has not grown for 200 ms.
func quiet(b *testing.B, out *syncBuffer) {
	b.Helper()
	last, since := -1, time.Now()
	for time.Since(since) < 200*time.Millisecond {
		if n := len(out.String()); n != last {
			last, since = n, time.Now()
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkKeyToFrame is the server's share of a key's echo: from a key
// written by the SSH client to the first bytes of the frame showing it, on
// loopback, with the workspace's editor open. A frame waits for no timer.
// CPU/key is the whole process's (the SSH client here included) per key.
func BenchmarkKeyToFrame(b *testing.B) {
	benchKeyToFrame(b, func(s *screen, out *syncBuffer) {
		s.waitFor(b, "welcome.py")
		s.stdin.Write([]byte("\r"))
		s.waitFor(b, "Ln 1")
	})
}

// BenchmarkKeyToFramePython is the same in the Python pane, full of
// output, each key echoed by Python's line editor through the pty and the
// emulator.
func BenchmarkKeyToFramePython(b *testing.B) {
	benchKeyToFrame(b, func(s *screen, out *syncBuffer) {
		s.waitFor(b, "welcome.py")
		s.stdin.Write([]byte("\x1bOS")) // F4
		s.waitFor(b, ">>>")
		s.stdin.Write([]byte("for i in range(60): print('line', i, 'of the output that fills the pane')\r\r"))
		s.waitFor(b, "line 59 of")
	})
}

func benchKeyToFrame(b *testing.B, ready func(s *screen, out *syncBuffer)) {
	ts := startServer(b, 4, testConfig())
	ts.addUser(b, "alice", "rabbit hole 42")
	c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		b.Fatal(err)
	}
	out := &syncBuffer{}
	f := &frameSignal{out: out, got: make(chan struct{}, 1)}
	sess.Stdout = f
	in, err := sess.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := sess.RequestPty("xterm-256color", 40, 120, gossh.TerminalModes{}); err != nil {
		b.Fatal(err)
	}
	if err := sess.Shell(); err != nil {
		b.Fatal(err)
	}
	s := &screen{sess: sess, out: out, stdin: in}
	ready(s, out)
	quiet(b, out)
	keys := [][]byte{[]byte("x"), []byte("\x7f")} // type, then rub out: every key changes the screen
	var waited []time.Duration
	var cpu time.Duration
	i := 0
	for b.Loop() {
		select {
		case <-f.got: // drop a stale signal
		default:
		}
		before := cpuTime(b)
		start := time.Now()
		in.Write(keys[i%2])
		i++
		select {
		case <-f.got:
			waited = append(waited, time.Since(start))
		case <-time.After(5 * time.Second):
			b.Fatalf("no frame 5 s after key %d", i)
		}
		// The next key comes later than a frame interval (1/120 s), as a
		// typist's do (≥ 50 ms apart), so no frame is held back by the last.
		// The CPU is counted up to then: the whole frame, not only its start.
		time.Sleep(20 * time.Millisecond)
		cpu += cpuTime(b) - before
	}
	slices.Sort(waited)
	at := func(q float64) float64 { return float64(waited[int(q*float64(len(waited)-1))].Microseconds()) }
	b.ReportMetric(at(0.5), "µs-p50/key-to-frame")
	b.ReportMetric(at(0.9), "µs-p90/key-to-frame")
	b.ReportMetric(at(0.99), "µs-p99/key-to-frame")
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(waited)), "µs-CPU/key")
}

// BenchmarkIdleSessionCPU is what open but idle workspace sessions cost the
// server: CPU time per session per second while nobody types.
func BenchmarkIdleSessionCPU(b *testing.B) {
	const n = 40
	ts := startServer(b, 4, testConfig())
	var clients []*gossh.Client
	for i := range n {
		name := "s" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		ts.addUser(b, name, "rabbit hole 42")
		c, err := dial(ts.addr, name, gossh.Password("rabbit hole 42"))
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, c)
		s := openScreen(b, c)
		s.waitFor(b, "welcome.py")
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	time.Sleep(500 * time.Millisecond) // first frames written
	var perSession float64
	for b.Loop() {
		before := cpuTime(b)
		start := time.Now()
		time.Sleep(2 * time.Second)
		perSession = float64(cpuTime(b)-before) / time.Since(start).Seconds() / n
	}
	b.ReportMetric(perSession/1e3, "µs-CPU/session/s")
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
