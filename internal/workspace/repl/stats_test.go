package repl

import (
	"os"
	"testing"
	"time"
)

// TestStatsFollowThePythonProcess checks that Stats reports nothing before
// Python starts and after it exits, and, while it runs, memory in use and a
// CPU time that grows while a program spins.
func TestStatsFollowThePythonProcess(t *testing.T) {
	needSandbox(t)
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs root (cgroups count a sandbox's use); CI runs as root")
		}
		t.Skip("not root: sandboxes have no cgroup to count their use")
	}
	idle := New(testConfig(t, nil))
	defer idle.Close()
	if st, ok := idle.Stats(); ok {
		t.Fatalf("Stats before Start = %+v, true; want false", st)
	}
	r := started(t, testConfig(t, nil))
	first, ok := r.Stats()
	if !ok {
		t.Fatal("Stats of a running Python reported false")
	}
	if first.MemoryBytes <= 0 {
		t.Errorf("MemoryBytes = %d for a running Python", first.MemoryBytes)
	}
	typeIn(t, r, "while True: pass\r\r") // a blank line ends the block
	last := first
	waitFor(t, r, "the busy loop's CPU time to grow by 100ms", waitTimeout, func() bool {
		if st, ok := r.Stats(); ok {
			last = st
		}
		return last.CPU-first.CPU >= 100*time.Millisecond
	})
	t.Logf("at the prompt %+v, spinning %+v", first, last)
	if err := r.Interrupt(); err != nil {
		t.Fatal(err)
	}
	typeIn(t, r, "exit()\r")
	waitState(t, r, Exited)
	if st, ok := r.Stats(); ok {
		t.Errorf("Stats after Python exited = %+v, true; want false", st)
	}
}
