package sshd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	gossh "golang.org/x/crypto/ssh"

	"github.com/classroomd/classroomd/internal/accounts"
	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/store/sqlite"
)

// lockedBuffer is a log destination read while the server writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// records returns the JSON log lines written so far.
func (l *lockedBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	text := l.b.String()
	l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if line == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, line)
		}
		out = append(out, rec)
	}
	return out
}

// startObserved starts a server as startServer does, logging JSON into the
// returned buffer and recording metrics into the returned registry.
func startObserved(t *testing.T) (*testServer, *lockedBuffer, *prometheus.Registry) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	cfg := testConfig()
	svc, err := accounts.New(accounts.Options{Store: st, HomesDir: filepath.Join(dir, "homes"), BcryptCost: 4, Throttle: cfg.Throttle, Log: log, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	spaces := testWorkspaces(svc, filepath.Join(dir, "journal"))
	t.Cleanup(func() { spaces.Shutdown() })
	srv, err := New(Options{Config: cfg, HostKeyPath: filepath.Join(dir, "host_key"), HomesDir: filepath.Join(dir, "homes"),
		Accounts: svc, Workspaces: spaces, Log: log, Metrics: m})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.SSHAddr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		st.Close()
	})
	ts := &testServer{addr: ln.Addr().String(), srv: srv, accounts: svc, store: st, dataDir: dir}
	ts.addUser(t, "alice", "rabbit hole 42")
	return ts, logs, reg
}

// value reads one series of reg: a gauge or counter's value, a histogram's
// sample count. labels are name=value pairs it must have.
func value(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, l := range m.GetLabel() {
					found = found || (l.GetName() == labels[i] && l.GetValue() == labels[i+1])
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue()
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue()
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Every line an SSH connection logs, from its login to its session's end,
// carries the same short id; another connection gets another. The session
// is counted while it is open, and the keys typed into it are timed.
func TestSessionLogLinesShareAnIDAndSessionsAreCounted(t *testing.T) {
	ts, logs, reg := startObserved(t)

	var ids []string
	for i := range 2 {
		c, err := dial(ts.addr, "alice", gossh.Password("rabbit hole 42"))
		if err != nil {
			t.Fatal(err)
		}
		s := openScreen(t, c)
		s.waitFor(t, "alice", "welcome.py")
		if got := value(t, reg, "classroomd_sessions", "transport", "ssh"); got != 1 {
			t.Errorf("connection %d: classroomd_sessions{transport=ssh} = %v while its workspace shows, want 1", i, got)
		}
		keys := value(t, reg, "classroomd_keystroke_duration_seconds")
		s.stdin.Write([]byte("\x1bOP")) // F1: the help screen
		waitUntil(t, "the key to be timed", func() bool {
			return value(t, reg, "classroomd_keystroke_duration_seconds") > keys
		})
		s.stdin.Write([]byte("\x1bOPq")) // F1 again closes the help; q quits
		if err := s.sess.Wait(); err != nil {
			t.Errorf("session after q: %v", err)
		}
		c.Close()
		waitUntil(t, "the session to end", func() bool {
			return value(t, reg, "classroomd_sessions", "transport", "ssh") == 0
		})

		// This connection's lines: from its login to its end.
		var id string
		msgs := map[string]bool{}
		for _, rec := range logs.records(t) {
			sid, _ := rec[LogKeySessionID].(string)
			if sid == "" || (len(ids) > 0 && sid == ids[len(ids)-1]) {
				continue
			}
			if id == "" {
				id = sid
			}
			if sid != id {
				t.Errorf("connection %d logged under two ids, %q and %q", i, id, sid)
			}
			msgs[rec["msg"].(string)] = true
		}
		for _, want := range []string{"login", "session started", "session ended"} {
			if !msgs[want] {
				t.Errorf("connection %d: no %q line with its session id; lines: %v", i, want, msgs)
			}
		}
		if len(id) != 10 {
			t.Errorf("session id %q: want 10 characters", id)
		}
		ids = append(ids, id)
	}
	if ids[0] == ids[1] {
		t.Errorf("two connections share the session id %q", ids[0])
	}
	if got := value(t, reg, "classroomd_logins_total", "method", "password", "outcome", "ok"); got != 2 {
		t.Errorf("classroomd_logins_total{password,ok} = %v, want 2", got)
	}
	// A refused login is logged with its connection's id too.
	if c, err := dial(ts.addr, "alice", gossh.Password("wrong")); err == nil {
		c.Close()
		t.Fatal("a wrong password logged in")
	}
	refused := false
	for _, rec := range logs.records(t) {
		if rec["msg"] == "login refused" {
			sid, _ := rec[LogKeySessionID].(string)
			refused = sid != "" && sid != ids[0] && sid != ids[1]
		}
	}
	if !refused {
		t.Error("the refused login was not logged with a session id of its own")
	}
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// The meter times a read to the next write; reads waiting for the same
// frame count once, from the first; a frame with no input before it, or one
// too late to be the key's answer, is no sample.
func TestKeystrokeMeter(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.New(reg)
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	in := strings.NewReader("abcdef")
	var out bytes.Buffer
	k := newKeystrokeMeter(in, &out, m)
	k.now = clock.now
	buf := make([]byte, 1)
	read := func() {
		t.Helper()
		if _, err := k.Read(buf); err != nil {
			t.Fatal(err)
		}
	}
	sum := func() (float64, float64) {
		mfs, _ := reg.Gather()
		for _, mf := range mfs {
			if mf.GetName() == "classroomd_keystroke_duration_seconds" {
				h := mf.GetMetric()[0].GetHistogram()
				return float64(h.GetSampleCount()), h.GetSampleSum()
			}
		}
		t.Fatal("no keystroke histogram")
		return 0, 0
	}

	k.Write([]byte("frame with no key before it"))
	read() // a
	clock.add(2 * time.Millisecond)
	read() // b, before a's frame: part of the same wait
	clock.add(3 * time.Millisecond)
	k.Write([]byte("frame"))
	k.Write([]byte("the rest of the frame"))
	if n, s := sum(); n != 1 || s < 0.0049 || s > 0.0051 {
		t.Errorf("after one key answered in 5 ms: %v samples summing %v s", n, s)
	}
	read() // c: nothing answers it within maxKeystroke
	clock.add(maxKeystroke + time.Second)
	k.Write([]byte("a clock tick, much later"))
	if n, _ := sum(); n != 1 {
		t.Errorf("a frame %s after the key was counted as its answer", maxKeystroke+time.Second)
	}
	read() // d
	clock.add(time.Millisecond)
	if _, err := k.Write(nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := sum(); n != 2 {
		t.Errorf("%v samples, want 2", n)
	}
	failing := newKeystrokeMeter(in, errWriter{}, m)
	failing.now = clock.now
	if _, err := failing.Read(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := failing.Write([]byte("x")); err == nil {
		t.Fatal("the write error was swallowed")
	}
	if n, _ := sum(); n != 2 {
		t.Errorf("a failed write was timed: %v samples", n)
	}
	if _, err := io.ReadAll(k); err != nil {
		t.Fatal(err)
	}
}

type errWriter struct{}

func (errWriter) Write([]byte) (int, error) { return 0, errors.New("connection closed") }
