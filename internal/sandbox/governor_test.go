package sandbox

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cpuWeight reads the weight the sandbox's cgroup has now.
func cpuWeight(t *testing.T, p *Process) string {
	t.Helper()
	file := ""
	if dir, ok := p.cg.v1["cpu"]; ok {
		file = filepath.Join(dir, "cpu.shares")
	} else if p.cg.v2 != "" && contains(p.cg.v2Ctl, "cpu") {
		file = filepath.Join(p.cg.v2, "cpu.weight")
	} else {
		t.Fatal("no cgroup with the cpu controller here")
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// A sandbox that spins for a while gets a low CPU weight, and the normal
// one back once it stops; one that waits for input keeps the normal weight
// throughout.
func TestGovernorLowersTheWeightOfABusySandboxWhileItIsBusy(t *testing.T) {
	needRoot(t)
	start := func(user string, uid int, code string, stdin io.Reader) *Process {
		s := testSpec(t, user, uid, DefaultPython, "-c", code)
		ready := make(chan struct{})
		s.Stdout, s.Stderr = &signalWriter{ch: ready}, io.Discard
		s.Stdin = stdin
		p, err := Start(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		select {
		case <-ready:
		case <-time.After(20 * time.Second):
			t.Fatal("python did not start within 20s")
		}
		return p
	}
	// It spins until a line comes on its stdin, however long a loaded
	// machine takes to give it the CPU time that makes it busy (a spin of a
	// fixed 2 s of wall time could end before it was ever seen busy), then
	// sleeps.
	stopR, stopW := io.Pipe()
	t.Cleanup(func() { stopW.Close() })
	spinner := start("alice", aliceUID, "import select, sys, time\nprint('ready', flush=True)\nwhile not select.select([sys.stdin], [], [], 0)[0]: pass\ntime.sleep(600)", stopR)
	idle := start("bob", bobUID, "import time\nprint('ready', flush=True)\ntime.sleep(600)", strings.NewReader(""))
	normal := cpuWeight(t, idle)

	g := NewCPUGovernor(GovernorOptions{Every: 150 * time.Millisecond})
	defer g.Close()
	defer g.Watch(spinner)()
	defer g.Watch(idle)()

	waitFor(t, "the spinning sandbox's weight to be lowered", 30*time.Second, func() bool {
		return g.Busy(spinner) && cpuWeight(t, spinner) != normal
	})
	if g.Busy(idle) || cpuWeight(t, idle) != normal {
		t.Errorf("the idle sandbox's weight changed: busy %v, weight %s (normal %s)", g.Busy(idle), cpuWeight(t, idle), normal)
	}
	go stopW.Write([]byte("stop\n")) //nolint:errcheck // the pipe is read once the spinner looks
	waitFor(t, "the weight to be restored once it sleeps", 10*time.Second, func() bool {
		return !g.Busy(spinner) && cpuWeight(t, spinner) == normal
	})
}
