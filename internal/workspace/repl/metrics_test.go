package repl

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/classroomd/classroomd/internal/metrics"
	"github.com/classroomd/classroomd/internal/sandbox"
)

// counters gathers every counter of reg, by name and label values.
func counters(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if c := m.GetCounter(); c != nil {
				name := mf.GetName()
				for _, l := range m.GetLabel() {
					name += "/" + l.GetValue()
				}
				out[name] = c.GetValue()
			}
		}
	}
	return out
}

// Starts, the idle stop, the memory limit and a SIGKILL are counted, each
// once, and a restart the student asked for is no kill.
func TestREPLMetrics(t *testing.T) {
	needSandbox(t)
	reg := prometheus.NewRegistry()
	cfg := testConfig(t, nil)
	cfg.Metrics = metrics.New(reg)
	cfg.Spec.Limits.MemoryBytes = 64 << 20
	r := started(t, cfg)
	ctx := context.Background()

	if err := r.Stop("idle"); err != nil {
		t.Fatal(err)
	}
	restart := func(n int) {
		t.Helper()
		if err := r.Restart(ctx); err != nil {
			t.Fatal(err)
		}
		typeIn(t, r, fmt.Sprintf("print('run', %d * 1000)\r", n))
		waitPrompt(t, r, fmt.Sprintf("run %d000", n))
	}
	restart(1)
	restart(2) // the student's own restart: no kill
	typeIn(t, r, "import os, signal; os.kill(os.getpid(), signal.SIGKILL)\r")
	if st := waitState(t, r, Exited); st.ExitCode != 137 || st.OOMKilled {
		t.Fatalf("after SIGKILL: %+v", st)
	}
	want := map[string]float64{
		"classroomd_repl_starts_total":              1 + 2,
		"classroomd_repl_start_failures_total":      0,
		"classroomd_sandbox_kills_total/idle":       1,
		"classroomd_sandbox_kills_total/signal":     1,
		"classroomd_sandbox_kills_total/memory":     0,
		"classroomd_sandbox_limit_hits_total/quota": 0,
	}

	// The memory limit needs cgroups: root.
	if probeOnce().Level == sandbox.Full {
		restart(3)
		typeIn(t, r, "x = bytearray(256 << 20)\r")
		if st := waitState(t, r, Exited); !st.OOMKilled {
			t.Fatalf("a 256 MiB allocation under a 64 MiB limit: %+v", st)
		}
		want["classroomd_repl_starts_total"]++
		want["classroomd_sandbox_kills_total/memory"]++
	} else if os.Getenv("CI") == "true" {
		t.Fatal("CI runs as root, where the memory limit is checked")
	}
	got := counters(t, reg)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}
