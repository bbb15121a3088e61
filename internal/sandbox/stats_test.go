package sandbox

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// needRoot skips a test that needs cgroups (root) where it does not run as
// root, except under CI=true, where that is a failure: CI runs as root.
func needRoot(t testing.TB) {
	t.Helper()
	needSandbox(t)
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs root (cgroups); CI runs as root")
		}
		t.Skip("not root: sandboxes have no cgroup")
	}
}

// TestStatsCountABusyLoop checks that a sandbox's CPU time grows while its
// program spins, that its memory in use is counted, and that Stats fails
// once Close removed the cgroup.
func TestStatsCountABusyLoop(t *testing.T) {
	needRoot(t)
	// A list of a few MB is resident for sure; then spin.
	s := testSpec(t, "alice", aliceUID, DefaultPython, "-c", "b = [0] * (4 << 20)\nprint('ready', flush=True)\nwhile True: pass")
	ready := make(chan struct{})
	s.Stdout = &signalWriter{ch: ready}
	s.Stderr = io.Discard
	p, err := Start(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("python did not start within 20s")
	}
	first, err := p.Stats()
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	if first.MemoryBytes < 16<<20 { // 4 Mi pointers of 8 bytes: 32 MB, allow for half
		t.Errorf("MemoryBytes = %d with a 32 MB list resident", first.MemoryBytes)
	}
	if first.CPU <= 0 {
		t.Errorf("CPU = %v after starting python", first.CPU)
	}
	var last Stats
	waitFor(t, "the busy loop's CPU time to grow by 100ms", 20*time.Second, func() bool {
		last, err = p.Stats()
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		return last.CPU-first.CPU >= 100*time.Millisecond
	})
	t.Logf("first %+v, later %+v", first, last)
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := p.Stats(); err == nil {
		t.Errorf("Stats after Close = %+v, want an error (the cgroup is gone)", st)
	}
}

// TestStatsWithoutCgroup: a process with no cgroup says so.
func TestStatsWithoutCgroup(t *testing.T) {
	p := &Process{}
	if _, err := p.Stats(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("Stats without a cgroup = %v, want ErrUnavailable", err)
	}
	empty := &cgroup{v1: map[string]string{}}
	if _, err := empty.stats(); !errors.Is(err, ErrUnavailable) {
		t.Errorf("stats of a cgroup with no counters = %v, want ErrUnavailable", err)
	}
}

// signalWriter closes ch at the first write.
type signalWriter struct {
	ch     chan struct{}
	closed bool
}

func (w *signalWriter) Write(p []byte) (int, error) {
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	return len(p), nil
}

// BenchmarkStats is one reading of a sandbox's use (the Live page reads one
// per connected student every second).
func BenchmarkStats(b *testing.B) {
	needRoot(b)
	s := testSpec(b, "alice", aliceUID, "sleep", "600")
	s.Stdout, s.Stderr = io.Discard, io.Discard
	p, err := Start(context.Background(), s)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	for b.Loop() {
		if _, err := p.Stats(); err != nil {
			b.Fatal(err)
		}
	}
}
