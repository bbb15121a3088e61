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
	start := func(user string, uid int, code string) *Process {
		s := testSpec(t, user, uid, DefaultPython, "-c", code)
		ready := make(chan struct{})
		s.Stdout, s.Stderr = &signalWriter{ch: ready}, io.Discard
		s.Stdin = strings.NewReader("")
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
	spinner := start("alice", aliceUID, "import time\nprint('ready', flush=True)\nt = time.time()\nwhile time.time() - t < 2: pass\ntime.sleep(600)")
	idle := start("bob", bobUID, "import time\nprint('ready', flush=True)\ntime.sleep(600)")
	normal := cpuWeight(t, idle)

	g := NewCPUGovernor(GovernorOptions{Every: 150 * time.Millisecond})
	defer g.Close()
	defer g.Watch(spinner)()
	defer g.Watch(idle)()

	waitFor(t, "the spinning sandbox's weight to be lowered", 10*time.Second, func() bool {
		return g.Busy(spinner) && cpuWeight(t, spinner) != normal
	})
	if g.Busy(idle) || cpuWeight(t, idle) != normal {
		t.Errorf("the idle sandbox's weight changed: busy %v, weight %s (normal %s)", g.Busy(idle), cpuWeight(t, idle), normal)
	}
	waitFor(t, "the weight to be restored once it sleeps", 10*time.Second, func() bool {
		return !g.Busy(spinner) && cpuWeight(t, spinner) == normal
	})
}
